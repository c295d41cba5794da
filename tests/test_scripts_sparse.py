"""The sparse constructions' comparison scripts run in --quick mode and print their tables
(slow: each takes 10–40 s on two shared cores)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(script: str, tmp_path: Path) -> tuple[str, dict]:
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / script), "--quick", "--no-plot",
         "--out", str(tmp_path / "out"), "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(out.read_text())


@pytest.mark.slow
def test_compare_orseau_pensia_quick(tmp_path):
    text, data = _run("compare_orseau_pensia.py", tmp_path)
    assert "QUICK mode" in text and "2K = 2 log_{3/2}(1/eps)" in text
    rows = data["results"]
    assert {r["method"] for r in rows} == {
        "Orseau (hyperbolic, digits)",
        "Pensia (uniform, subset sum)",
    }
    for r in rows:
        assert r["ci_low"] <= r["n_needed"] <= r["ci_high"]
        if r["method"].startswith("Orseau") and r["kept_median"] is not None:
            assert r["kept_median"] <= r["two_K"] / 2  # one half-line keeps <= K units
    # fewer samples suffice for a coarser eps (1e-1 vs 1e-3, a large step)
    orseau = [r["n_needed"] for r in rows if r["method"].startswith("Orseau")]
    assert orseau[0] < orseau[-1]


@pytest.mark.slow
def test_reproduce_natale_quick(tmp_path):
    text, data = _run("reproduce_natale.py", tmp_path)
    assert "QUICK mode" in text and "Theorem 5 n (d = 1)" in text
    for r in data["density_curve"]:
        assert r["lower"] <= r["upper"]
        if math.isfinite(r["n_needed"]):
            assert r["n_needed"] >= r["lower"]  # Theorem 5's count: nothing needs fewer
    for r in data["construction"]:
        if r["measured_density_max"] is not None:
            assert r["measured_density_max"] <= r["density"]
