"""Tightness: the threshold search against a stub with known thresholds, the quantile and
Wilson intervals against exact values, the coefficient Monte Carlo against an oracle and a
published measurement, and one real row end to end."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom

from approx.basics import defaults
from approx.basics.errors import InvalidArgument
from approx.basics.statistics import order_statistic_indices, quantile_interval, wilson_interval
from approx.cli import main
from approx.constructions import get_construction
from approx.constructions.malach import hit_probability
from approx.experiments.montecarlo import (
    CoefficientSuccess,
    coefficient_success,
    sample_coefficients,
)
from approx.experiments.runner import Runner
from approx.experiments.store import ResultStore, Row
from approx.experiments.tightness import (
    Tightness,
    fit_C,
    formula_unit,
    own_formula,
    probe_error,
    thresholds,
    tightness,
)
from approx.experiments.tightness_table import format_table, verdict
from approx.measurement.bounds import log_term

from .support import generator, seeds


class StubRunner:
    """Certified error 0 at n >= threshold[seed], else 1: a monotone world with known answers."""

    def __init__(self, threshold: dict[int, int]):
        self.threshold, self.probes = threshold, 0

    def run(self, configs):
        self.probes += len(configs)
        out = []
        for c in configs:
            ok = c["n"] >= self.threshold[c["seed"]]
            result = {"certified_error": 0.0 if ok else 1.0}
            out.append(Row("k", "run", c, "ok", result, None, 0.0, "0", "now"))
        return out


@given(st.lists(st.integers(1, 40), min_size=1, max_size=12), st.integers(1, 40))
def test_thresholds_are_found_exactly(true, start):
    n_max = 30
    stub = StubRunner(dict(enumerate(true)))
    found, reach = thresholds(
        stub, "pensia", (2, 2), 0.5, range(len(true)), start=start, n_max=n_max, base={}
    )
    assert reach == n_max
    assert found == [t if t <= n_max else math.inf for t in true]
    # doubling to n_max then bisection: O(log n_max) probes per seed
    assert stub.probes <= len(true) * (2 * math.ceil(math.log2(n_max)) + 2)


class CappedStub(StubRunner):
    """Refuses runs above `cap` as run() refuses instances the exact solver cannot take."""

    def __init__(self, threshold, cap):
        super().__init__(threshold)
        self.cap = cap

    def run(self, configs):
        rows = super().run(configs)
        return [
            Row("k", "run", r.config, "failed", None, "too many", 0.0, "0", "now")
            if r.config["n"] > self.cap
            else r
            for r in rows
        ]


@given(st.lists(st.integers(1, 40), min_size=1, max_size=8), st.integers(2, 29))
def test_refused_runs_lower_the_reach(true, cap):
    found, reach = thresholds(
        CappedStub(dict(enumerate(true)), cap),
        "pensia",
        (2, 2),
        0.5,
        range(len(true)),
        start=8,
        n_max=30,
        base={},
    )
    assert found == [t if t <= reach else math.inf for t in true]
    # the reach only drops where it matters: a seed left unresolved was searched up to the cap
    assert all(t <= reach for t in true) or reach == min(cap, 30)


def test_wilson_interval_known_values():
    # Wilson (1927) score interval, z = 1.96: 0/10 -> [0, 0.2775]; 5/10 -> [0.2366, 0.7634]
    lo, hi = wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    with pytest.raises(InvalidArgument):
        wilson_interval(3, 2)


@given(st.integers(1, 500), st.data())
def test_wilson_interval_contains_the_estimate(trials, data):
    k = data.draw(st.integers(0, trials))
    lo, hi = wilson_interval(k, trials)
    assert 0 <= lo <= k / trials <= hi <= 1


@given(st.integers(1, 300), st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_order_statistic_interval_has_its_coverage(s, p):
    k, l, u = order_statistic_indices(s, p)
    assert 0 <= l <= k <= u <= s + 1
    # P(N_(l) <= q <= N_(u)) >= P(l <= B < u) for B ~ Bin(s, p): at least 95% when bounded
    covered = binom.cdf(u - 1, s, p) - (binom.cdf(l - 1, s, p) if l >= 1 else 0.0)
    assert covered >= 0.95 - 1e-12


@given(st.lists(st.integers(1, 30), min_size=1, max_size=80), st.sampled_from([0.5, 0.9]))
def test_quantile_interval_brackets_the_estimate(values, p):
    est, lo, hi = quantile_interval(values, p)
    assert est == sorted(values)[math.ceil(p * len(values) - 1e-12) - 1]
    assert lo <= est <= hi


def test_quantile_interval_is_unbounded_when_seeds_are_too_few():
    # 0.9-quantile from 20 values: P(all 20 below it) = 0.9^20 = 0.12 > 0.025, so no bound
    assert quantile_interval(list(range(20)), 0.9)[2] == math.inf
    assert math.isfinite(quantile_interval(list(range(40)), 0.9)[2])


def _row(L, n):
    return Tightness(
        "x", (2, 2), 0.1, 0.1, 10, (), n, n, n, 30, (1,), 2.0, 1.0, L, n / L, n / L, n / L
    )


def test_fit_C_recovers_an_exact_line_and_is_honest_with_one_row():
    fit = fit_C([_row(L, 3 * L) for L in (4.0, 6.0, 9.0)])
    assert fit.C == pytest.approx(3.0) and fit.lo == pytest.approx(3.0)
    assert fit.rows == 3
    one = fit_C([_row(5.0, 10.0), _row(5.0, math.inf)])
    assert (one.C, one.rows) == (2.0, 1)
    assert fit_C([_row(5.0, math.inf)]).rows == 0


def test_each_construction_is_fitted_against_its_own_formula():
    """L is the construction's formula at C = 1: Pensia's log term, Malach's union bound."""
    pensia = formula_unit("pensia", (4, 8, 2), 0.01, 0.1)
    assert pensia == pytest.approx(math.log(4 * 8 * 2 / 0.01), rel=1e-6)
    eta = 0.1 / (2 * 2 * math.sqrt(2 * 4 * 8))
    malach = math.log(2 * (4 * 8 + 8 * 2) / 0.1) / (2 * hit_probability(0.5, eta))
    assert formula_unit("malach", (4, 8, 2), 0.1, 0.1) == pytest.approx(malach, rel=1e-6)
    assert own_formula("orseau", (4, 4, 4), 0.1, 0.1)


def test_log_term_is_theorem_1s():
    assert log_term((4, 8, 2), 0.01, 0.1) == pytest.approx(math.log(4 * 8 * 2 / 0.01))


@pytest.mark.parametrize("name", ["natale", "burkholz"])
def test_a_formula_not_linear_in_C_is_fitted_against_pensias_log_term(name):
    """Natale's and Burkholz's sizes are not C times a term: size(C)/C moves with C, so L falls
    back to Pensia's log term (and the table says C_emp is not comparable with their C)."""
    cons = get_construction(name)
    assert max(cons.size((4, 4, 4), 0.1, 0.1, 2.0**20)) / 2.0**20 != pytest.approx(
        max(cons.size((4, 4, 4), 0.1, 0.1, 2.0**21)) / 2.0**21, rel=1e-3
    )
    assert not own_formula(name, (4, 4, 4), 0.1, 0.1)
    assert formula_unit(name, (4, 4, 4), 0.1, 0.1) == log_term((4, 4, 4), 0.1, 0.1)


def test_probes_count_by_the_certified_bound_where_the_sandwich_cannot_bound():
    assert probe_error("pensia", (4, 4), "sandwich") == "sandwich"
    assert probe_error("burkholz", (2, 2), "sandwich") == "certified"  # copies, even at depth 1
    assert probe_error("pensia", (784, 500, 10), "sandwich") == "certified"  # too large
    assert probe_error("pensia", (4, 4), "certified") == "certified"


class SandwichStub(StubRunner):
    """Upper values from the sandwich: exact (true) below `exact_below` inputs' seeds."""

    def run(self, configs):
        rows = super().run(configs)
        for r in rows:
            r.result.update(error_upper=r.result["certified_error"], error_method="exact")
            if r.config["seed"] == 0:
                r.result["error_method"] = "sandwich"
        return rows


def test_failures_are_counted_by_the_upper_value_and_say_which():
    """`error_upper` decides (not the certified bound), and the row names the loosest upper
    value any probe used."""
    stub = SandwichStub({0: 3, 1: 5})
    methods: set[str] = set()
    found, _ = thresholds(
        stub, "pensia", (2, 2), 0.5, [0, 1], start=4, n_max=30, base={}, methods=methods
    )
    assert found == [3, 5] and methods == {"exact", "sandwich"}
    settled = []
    thresholds(
        StubRunner({0: 2}),
        "pensia",
        (2, 2),
        0.5,
        [0],
        start=4,
        n_max=30,
        base={},
        settled=settled.append,
    )
    assert sum(settled) == 1


@pytest.mark.parametrize(
    "needed,lo,hi,theorem,words",
    [
        (18, 16, 20, 15, "theorem's n = 15 with C = 2.5 is too small at delta=0.1: n = 18 needed"),
        (18, 17, 19, 19, "is enough at delta=0.1 (inside the 95% CI"),
        (10, 9, 12, 40, "is enough, 4x too large at delta=0.1"),
        (math.inf, 31, math.inf, 20, "too small at delta=0.1: more than n = 30 needed"),
        (math.inf, 31, math.inf, 40, "undecided: more than n = 30 needed"),
    ],
)
def test_each_row_says_what_it_found_in_words(needed, lo, hi, theorem, words):
    row = Tightness(
        "pensia",
        (4, 4),
        0.1,
        0.1,
        40,
        (),
        needed,
        lo,
        hi,
        30,
        (theorem,),
        2.5,
        theorem / needed,
        5.0,
        needed / 5,
        lo / 5,
        hi / 5,
        "true",
    )
    assert words in verdict(row)
    assert verdict(row) in format_table([row], "md")


@given(seeds, st.integers(1, 10))
def test_pensia_coefficients_are_half_pruned_products(seed, n):
    c, valid = sample_coefficients("pensia", n, 50, generator(seed))
    assert c.shape == valid.shape == (50, 2 * n)
    assert (c.abs() <= 1).all()
    u, v = sample_coefficients("uniform", n, 50, generator(seed))
    assert u.shape == (50, n) and v.all()


def test_coefficient_monte_carlo_matches_brute_force_and_is_seeded():
    exact = coefficient_success("product", 10, 0.02, trials=300, seed=3)
    brute = coefficient_success("product", 10, 0.02, trials=300, seed=3, solver="brute")
    assert exact.successes == brute.successes
    again = coefficient_success("product", 10, 0.02, trials=300, seed=3)
    assert again.successes == exact.successes
    assert isinstance(exact, CoefficientSuccess) and exact.to_json()["wilson95"][0] <= exact.rate


def test_coefficient_monte_carlo_matches_the_reference_table():
    """docs/references.md, measured reference values (exact optimum, 10,000 targets):
    uniform, n = 12, eps = 1e-2: 0.974.
    4,000 fresh targets: sd = sqrt(0.974 * 0.026 / 4000) = 0.0025 (plus the reference's own
    0.0016); tolerance 0.015 is > 5 combined sd, a false failure has probability < 1e-6."""
    res = coefficient_success("uniform", 12, 0.01, trials=4000, seed=11)
    assert res.rate == pytest.approx(0.974, abs=0.015)
    assert res.mean_valid == 12


def test_real_row_and_its_table(tmp_path):
    with ResultStore(tmp_path / "t.sqlite") as store, Runner(store, 1, progress=False) as runner:
        row = tightness(runner, "pensia", (2, 2), 0.1, 0.2, seeds=6, n_max=24)
        probes = len(store)
        # the same row again reuses every probe
        assert tightness(runner, "pensia", (2, 2), 0.1, 0.2, seeds=6, n_max=24) == row
        assert len(store) == probes
    assert row.n_needed in row.thresholds
    assert row.counted_by == "true"  # 2 inputs: every probe's sup is exact
    assert sum(t <= row.n_needed for t in row.thresholds) >= 0.8 * 6
    assert sum(t < row.n_needed for t in row.thresholds) < 0.8 * 6
    assert row.theorem_n == (math.ceil(defaults.C["pensia"] * math.log(2 * 2 * 1 / 0.1)),)
    md = format_table([row], "md")
    assert md.splitlines()[0].startswith("| construction | target | eps")
    assert "| pensia | 2-2 | 0.1 | 0.2 | 6 |" in md
    csv = format_table([row], "csv")
    assert csv.splitlines()[0].split(",")[:3] == ["construction", "target", "eps"]
    with pytest.raises(InvalidArgument, match="format='html'"):
        format_table([row], "html")


def test_cli_tightness(tmp_path, capsys):
    out = tmp_path / "t.csv"
    rc = main(
        [
            "tightness",
            "--construction",
            "pensia",
            "--widths",
            "2,2",
            "--eps",
            "0.1",
            "--delta",
            "0.2",
            "--seeds",
            "5",
            "--n-max",
            "16",
            "--workers",
            "1",
            "--quiet",
            "--format",
            "csv",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert printed == out.read_text() and printed.startswith("construction,target")
    assert main(["tightness", "--construction", "nope", "--workers", "1"]) == 2
    assert "construction='nope'" in capsys.readouterr().err


def test_every_registered_construction_gets_a_row(tmp_path):
    """No construction is special-cased: the table has one row per registered name."""
    from approx.constructions import CONSTRUCTIONS

    with ResultStore(None) as store, Runner(store, 1, progress=False) as runner:
        rows = [
            tightness(runner, name, (2, 2), 0.2, 0.5, seeds=2, n_max=8)
            for name in sorted(CONSTRUCTIONS)
        ]
    assert [r.construction for r in rows] == sorted(CONSTRUCTIONS)
    assert all(r.n_needed == math.inf or 1 <= r.n_needed <= 8 for r in rows)
