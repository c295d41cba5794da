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


@pytest.mark.slow
def test_bench_pipeline_busy_quick_reports_every_condition():
    """--busy --quick: each command alone, beside two busy loops and beside a copy of itself
    (about a minute of subprocesses on 2 cores, hence slow)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_pipeline.py"), "--busy", "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["repeats"] == 1 and figures["help_wall_s"] > 0
    assert set(figures["commands"]) == {"default", "20-10-5"}
    for rows in figures["commands"].values():
        assert rows["quiet"]["cpu_ratio"] == rows["quiet"]["wall_ratio"] == 1.0
        for condition in ("quiet", "loops", "copy"):
            row = rows[condition]
            assert row["wall_s"] >= row["work_s"] > 0 and row["cpu_s"] > 0
            assert set(row["phase_s"]) == {"sample", "prune", "certify", "empirical"}
    assert figures["default_run_wall_s"] == figures["commands"]["default"]["quiet"]["wall_s"]
