"""`approx run` at any n: instances beyond one exact pass are solved by a labelled method, the
JSON and network.pt say which, and what still refuses names the option that makes it run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from approx.cli import main
from approx.engine.subset_sum import solve
from approx.pipeline.run import run

FAST = {"empirical_samples": 128, "ascent_steps": 2}


def _first(valid: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """The first p[r] valid entries of each row r."""
    return valid & (valid.cumsum(-1) <= p[..., None])


def test_instances_beyond_62_valid_units_are_solved_over_a_widened_prefix():
    """n = 80: every instance has ~80 ± 6 right-signed units, more than 62-bit masks hold
    (the old refusal); each is the exact optimum over its first `searched` valid units."""
    r = run(widths=(2, 1), n=80, eps=0.01, seed=3, **FAST)
    assert r.row_methods == ({"meet in the middle": 0, "enumeration": 0, "prefix": 4},)
    assert r.max_valid_per_layer[0] > 62
    assert r.prefix_tolerance == pytest.approx(0.01 / (2 * (2 * 2) ** 0.5))
    assert r.certified_within_eps and r.empirical_error <= r.certified_error + 1e-12
    # the oracle: solve's exact optimum over the same prefix (one meet in the middle)
    art = r.artifacts
    rows = art.pruned.row_methods[0]
    m1, m2 = art.random_net.weights
    a = torch.diagonal(m1.reshape(2, 160, 2), dim1=0, dim2=2).T  # (d_in, 2n)
    products = m2.reshape(1, 2, 160) * a  # (d_out, d_in, 2n)
    for half, valid in enumerate(((a > 0)[None], (a < 0)[None])):
        prefix = _first(valid, rows.searched[half])  # (1, 2, 160)
        want = solve(products.reshape(2, 160), art.target.weights[0].reshape(2), prefix[0])
        got = art.pruned.layers[0].P if half == 0 else art.pruned.layers[0].N
        assert torch.equal(got.reshape(2), want.value)
        assert bool((want.error <= r.prefix_tolerance).all())


def test_rows_within_one_pass_are_unchanged_and_labelled():
    r = run(widths=(3, 4, 2), n=8, seed=1, **FAST)
    assert [d["meet in the middle"] for d in r.row_methods] == [24, 16]
    assert all(d["enumeration"] == d["prefix"] == 0 for d in r.row_methods)


def test_cli_reports_the_routing_in_the_table_and_json(capsys):
    argv = ["run", "--widths", "2,1", "--n", "80", "--seed", "3", "--samples", "64"]
    assert main([*argv, "--ascent-steps", "1", "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "instances         4 prefix (up to" in table
    assert main([*argv, "--ascent-steps", "1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["row_methods"] == [{"meet in the middle": 0, "enumeration": 0, "prefix": 4}]
    assert d["max_valid_per_layer"][0] > 62 and d["prefix_tolerance"] > 0


def test_a_fixed_width_solver_refuses_naming_the_options(capsys):
    assert main(["run", "--widths", "3,2", "--solver", "brute", "--eps", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "solver='brute' handles at most 20: pass --solver exact (any n), or --n 10" in err


@pytest.mark.slow
@pytest.mark.parametrize("eps", [0.01, 0.001])
def test_a_digits_mlp_runs_at_the_theorems_width(tmp_path, eps):
    """The 64-16-16-10 MLP of scripts/digits_mlp.py (trained on scikit-learn's digits, each
    layer normalised to spectral norm 1 in float32) at the theorem's width: n = 32, 29, 27 at
    eps = 0.01 (2n = 64 > 62) and 38, 34, 33 at eps = 0.001. ~1 min and ~3 min on 2 busy cores."""
    path = tmp_path / "digits_mlp.pt"
    script = Path(__file__).resolve().parents[1] / "scripts" / "digits_mlp.py"
    subprocess.run([sys.executable, str(script), "--out", str(path)], check=True, timeout=300)
    r = run(path, eps=eps, **FAST)
    assert r.n_source.startswith("theorem formula") and max(r.n_per_layer) >= 32
    assert r.certified_within_eps and r.empirical_error <= r.certified_error + 1e-12
    assert [sum(d.values()) for d in r.row_methods] == [2 * 64 * 16, 2 * 16 * 16, 2 * 16 * 10]
