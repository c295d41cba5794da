"""Smoke tests: the three question scripts (docs/questions.md) run at their --smoke scale as
subprocesses and write JSON and figures whose numbers hang together. Marked slow: each
starts a fresh interpreter (torch, scipy, matplotlib, numba) and takes 5-20 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(script: str, tmp_path: Path, *extra: str) -> tuple[str, dict]:
    command = [sys.executable, str(REPO / "scripts" / script), "--smoke", "--quiet"]
    done = subprocess.run(
        [*command, "--out", str(tmp_path), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    stem = script.removesuffix(".py")
    assert (tmp_path / f"{stem}.png").stat().st_size > 0
    return done.stdout, json.loads((tmp_path / f"{stem}.json").read_text())


def test_error_vs_depth_smoke(tmp_path):
    text, data = _run("error_vs_depth.py", tmp_path)
    assert "Π(1+e_i)-1" in text and data["scale"] == "smoke"
    groups = data["summary"]["groups"]
    assert {(g["construction"], g["family"]) for g in groups} == {
        (c, f) for c in ("pensia", "malach") for f in ("random", "chain")
    }
    assert all(g["order_broken"] == 0 for g in groups)
    assert (tmp_path / "error_vs_depth_ratios.pdf").exists()


def test_one_vs_many_smoke(tmp_path):
    _, data = _run("one_vs_many.py", tmp_path)
    for g in data["summary"]["groups"]:
        points = g["points"]
        assert [p["K"] for p in points] == [1, 2]
        assert len({p["params_total"] for p in points}) == 1  # one budget P for every K
        assert points[0]["subnetwork_bits"] > points[1]["subnetwork_bits"]


def test_depth_separation_smoke(tmp_path):
    _, data = _run("depth_separation.py", tmp_path)
    (need,) = data["summary"]["needed"]
    assert need["l"] == 2 and need["pieces_bound"] == 9
    shallow = [r for r in data["runs"] if r["side"] == "shallow"]
    assert all(0 <= r["lp_lower_bound"] <= r["greedy"] * (1 + 1e-6) for r in shallow)


def test_depth_separation_refuses_a_bad_depth_list(tmp_path):
    script = str(REPO / "scripts" / "depth_separation.py")
    done = subprocess.run(
        [sys.executable, script, "--depths", "2,x", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_width_in_practice_smoke(tmp_path):
    text, data = _run("width_in_practice.py", tmp_path)
    assert "alpha_eps" in text and data["scale"] == "smoke"
    groups = {g["construction"]: g for g in data["summary"]["groups"]}
    assert set(groups) == {"pensia", "malach"}
    assert groups["malach"]["eps_term"] == "ln(1/eps)"
    for g in groups.values():
        assert len(g["rows"]) == 4  # base, one more d, one more l, one more eps
        assert g["theorem_fit"]["rows"] == 4
    assert (tmp_path / "width_in_practice_smoke.sqlite").stat().st_size > 0
    again = subprocess.run(  # the store keeps every probe: a rerun computes nothing
        [sys.executable, str(REPO / "scripts" / "width_in_practice.py"), "--smoke", "--quiet",
         "--no-plot", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    rerun = json.loads((tmp_path / "width_in_practice.json").read_text())
    assert rerun["summary"] == data["summary"] and rerun["seconds"] < data["seconds"]
