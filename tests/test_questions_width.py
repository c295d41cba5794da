"""How wide is wide enough (approx.experiments.questions.width): the least-squares fit against
scipy's linear regression and against exact data, the one-factor-at-a-time grid, and one row
against the tightness search it reports. The script runs as a subprocess in
tests/test_scripts_questions.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from scipy import stats

from approx.basics.errors import InvalidArgument
from approx.constructions import get_construction
from approx.experiments.questions.width import (
    growth_fit,
    ols,
    width_points,
    width_runs,
    width_summary,
)
from approx.experiments.runner import Runner
from approx.experiments.store import ResultStore
from approx.experiments.tightness import tightness
from approx.pipeline.plan import random_params
from tests.support import generator, seeds


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_ols_with_one_regressor_is_scipys_linregress(seed):
    """Slope, its standard error and its 95% interval (t with n − 2 dof) as scipy computes
    them, on 12 noisy points; to 1e-9 relative (both are float64 least squares)."""
    g = generator(seed)
    x = torch.rand(12, generator=g, dtype=torch.float64).numpy() * 5
    y = 1.5 - 0.7 * x + torch.randn(12, generator=g, dtype=torch.float64).numpy()
    fit = ols(np.column_stack([np.ones_like(x), x]), y)
    ref = stats.linregress(x, y)
    t = stats.t.ppf(0.975, 10)
    assert fit["dof"] == 10
    assert math.isclose(fit["beta"][1], ref.slope, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(fit["se"][1], ref.stderr, rel_tol=1e-9)
    assert math.isclose(fit["lo"][1], ref.slope - t * ref.stderr, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(fit["r2"], ref.rvalue**2, rel_tol=1e-9, abs_tol=1e-12)


def _rows(construction, n_of):
    grid = width_points((2, 4, 8, 16), (1, 2, 3, 5), (0.2, 0.1, 0.03, 0.01, 0.001), (4, 2))
    return [
        {"construction": construction, "d": d, "l": l, "eps": e, "n": n_of(d, l, e)}
        for d, l, e in grid
    ]


def test_growth_fit_recovers_the_exponents_of_exact_power_laws():
    """n = 3 d^0.5 l ln(1/ε)^1.2 (a log-ε construction) and n = 2 d^2 l^0.5 / ε (Malach's
    model): the fit returns the exponents, residuals zero, and a factor the rows do not vary
    has no exponent."""
    log_eps = _rows("pensia", lambda d, l, e: 3 * d**0.5 * l * math.log(1 / e) ** 1.2)
    f = growth_fit(log_eps, "n")
    for name, want in (("d", 0.5), ("l", 1.0), ("eps", 1.2)):
        assert math.isclose(f[name]["beta"], want, abs_tol=1e-9)
        assert f[name]["hi"] - f[name]["lo"] < 1e-6
    assert f["rows"] == 11 and f["dof"] == 7  # 4 + 4 + 5 points, the base thrice
    poly = _rows("malach", lambda d, l, e: 2 * d**2 * l**0.5 / e)
    f = growth_fit(poly, "n")
    assert [round(f[k]["beta"], 9) for k in ("d", "l", "eps")] == [2.0, 0.5, 1.0]
    fixed_l = [r for r in poly if r["l"] == 2]
    assert growth_fit(fixed_l, "n")["l"]["beta"] is None
    assert growth_fit(poly[:1], "n") is None


def test_width_points_vary_one_factor_at_a_time_around_the_base():
    pts = width_points((2, 4, 8), (1, 2, 3), (0.1, 0.03, 0.01), (4, 2))
    assert len(pts) == len(set(pts)) == 7
    assert {p for p in pts if p[1:] == (2, 0.03)} == {(2, 2, 0.03), (4, 2, 0.03), (8, 2, 0.03)}
    assert {p for p in pts if (p[0], p[2]) == (4, 0.03)} == {
        (4, 1, 0.03),
        (4, 2, 0.03),
        (4, 3, 0.03),
    }
    assert {p for p in pts if p[:2] == (4, 2)} == {(4, 2, 0.1), (4, 2, 0.03), (4, 2, 0.01)}


def test_a_row_is_the_tightness_search_it_reports():
    """One pensia row (2-2, ε = 0.1, 3 seeds): n needed, its interval and the theorem's n are
    `tightness`'s, the parameters are the random network's at those n, and a rerun on the same
    store reuses every probe."""
    kw = {"delta": 0.1, "seeds": 3, "error": "certified"}
    with ResultStore(None) as st, Runner(st, 1, progress=False) as runner:
        ref = tightness(runner, "pensia", (2, 2), 0.1, **kw)
        stored = len(st)
        (row,) = width_runs(
            constructions=["pensia"], widths=(2,), depths=(1,), eps={"pensia": (0.1,)},
            base=(2, 1), store=None, workers=1, progress=False, **kw,
        )  # fmt: skip
    assert stored > 0
    assert row["n_needed"] == ref.n_needed and row["theorem_n"] == max(ref.theorem_n)
    assert row["thresholds"] == list(ref.thresholds) and row["n_lo"] == ref.n_lo
    cons = get_construction("pensia")
    assert row["params_needed"] == random_params(cons, (2, 2), (row["n_needed"],))
    assert row["ratio"] == row["theorem_n"] / row["n_needed"]
    (g,) = width_summary([row])["groups"]
    assert g["eps_term"] == "ln ln(1/eps)" and g["needed_fit"] is None  # one row: no fit


def test_bad_arguments_are_refused_before_any_run():
    common = {"widths": (2,), "depths": (1,), "base": (2, 1), "delta": 0.1, "seeds": 2,
              "error": "certified", "progress": False}  # fmt: skip
    with pytest.raises(InvalidArgument, match="no eps list for 'pensia'"):
        width_runs(constructions=["pensia"], eps={}, **common)
    with pytest.raises(InvalidArgument, match="eps"):
        width_runs(constructions=["pensia"], eps={"pensia": (1.5,)}, **common)
    with pytest.raises(InvalidArgument, match="not_one"):
        width_runs(constructions=["not_one"], eps={"not_one": (0.1,)}, **common)
