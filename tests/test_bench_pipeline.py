"""scripts/bench_pipeline.py: a quick run ends with one JSON line whose figures hang together."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("solver", ["exact", "fewest"])
def test_bench_pipeline_quick_run_ends_with_json(solver):
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_pipeline.py"), "--quick", "--repeats",
         "2", "--solver", solver],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout  # fmt: skip
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["config"]["solver"] == solver and figures["repeats"] == 2
    assert set(figures["phase_s"]) == {"sample", "prune", "certify", "empirical"}
    assert sum(figures["phase_share"].values()) == pytest.approx(1.0)
    assert figures["wall_s"] >= sum(figures["phase_s"].values()) * 0.5 > 0
    assert len(figures["walls_s"]) == 2 and figures["peak_rss_bytes"] > 0
    assert 0 < figures["kept_params"] < figures["random_params"]
    assert (figures["weight_tolerance"] is None) == (solver == "exact")
