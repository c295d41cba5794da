"""Sweeps: grids from TOML and flags, failed points, crashes, one thread per worker, and the
kill-and-resume contract tested on a real `approx sweep` process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.progress import progress_bar
from approx.constructions import CONSTRUCTIONS
from approx.experiments import runner as runner_mod
from approx.experiments.grid import config_from_dict, load_config, run_points, subset_sum_points
from approx.experiments.points import n_for_width_factor
from approx.experiments.runner import Runner, SweepCrash, sweep
from approx.experiments.store import ResultStore, load_rows, point_key

REPO = Path(__file__).resolve().parents[1]
TINY = {"width": 2, "depth": 1, "empirical_samples": 16, "ascent_steps": 0}


def test_grid_is_the_product_of_its_axes():
    pts = run_points(
        {
            "construction": "all",
            "width": [2, 3],
            "depth": [1, 2],
            "eps": [0.1, 0.01],
            "n": [4, 6],
            "seed": [0, 1, 2],
        }
    )
    assert len(pts) == len(CONSTRUCTIONS) * 2 * 2 * 2 * 2 * 3
    assert len({point_key(p) for p in pts}) == len(pts)
    assert {tuple(p["widths"]) for p in pts} == {(2, 2), (3, 3, 3), (3, 3), (2, 2, 2)}
    explicit = run_points({"construction": "pensia", "widths": [[4, 3, 2], [5, 1]], "n": 3})
    assert [p["widths"] for p in explicit] == [[4, 3, 2], [5, 1]]


def test_int_and_float_spellings_give_one_key():
    a = run_points({"construction": "pensia", "eps": 0.5, "width_factor": 4, "delta": 0.1})
    b = run_points({"construction": "pensia", "eps": 0.5, "width_factor": 4.0, "delta": 0.1})
    assert [point_key(p) for p in a] == [point_key(p) for p in b]


@pytest.mark.parametrize(
    "table, match",
    [
        ({"n": 4, "colour": "red"}, "unknown key"),
        ({}, "exactly one of n=, width_factor=, C="),
        ({"n": 4, "C": 2.0}, "exactly one of"),
        ({"n": [4, 0]}, "n="),
        ({"n": 4, "eps": 1.5}, "eps="),
        ({"n": 4, "construction": "nope"}, "construction='nope'"),
        ({"n": 4, "widths": [4, 4], "width": 4}, "not both"),
        ({"n": 4, "seed": -1}, "seed="),
        ({"n": 4, "rescale": "yes"}, "rescale="),
    ],
)
def test_bad_grids_are_refused(table, match):
    with pytest.raises(InvalidArgument, match=match):
        run_points(table)


def test_subset_sum_grid_and_errors():
    pts = subset_sum_points({"n": [4, 8], "seed": [0, 1], "trials": 10})
    assert len(pts) == 3 * 2 * 2 and all(p["trials"] == 10 for p in pts)
    with pytest.raises(InvalidArgument, match="distribution='gauss'"):
        subset_sum_points({"n": 4, "distribution": "gauss"})
    with pytest.raises(InvalidArgument, match="needs n="):
        subset_sum_points({})


def test_example_config_parses(tmp_path):
    cfg = load_config(REPO / "examples" / "width_sweep.toml")
    assert len(cfg.points) == len(CONSTRUCTIONS) * 2 * 3 * 7 * 6 + 3 * 8
    bad = tmp_path / "bad.toml"
    bad.write_text("[runs\n")
    with pytest.raises(InvalidArgument, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(InvalidArgument, match="cannot be read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(InvalidArgument, match="needs a \\[runs\\] or a \\[subset_sum\\]"):
        config_from_dict({"store": "x.sqlite"})


@given(st.sampled_from(sorted(CONSTRUCTIONS)), st.integers(1, 6), st.floats(1.0, 80.0))
def test_width_factor_gives_the_smallest_n_reaching_it(name, d, factor):
    widths = (d, d, d)
    n = n_for_width_factor(name, widths, factor)
    cons = CONSTRUCTIONS[name]

    def hidden(k):
        return max(cons.random_widths(widths, (k, k))[1:-1])

    assert hidden(n) >= factor * d
    assert n == 1 or hidden(n - 1) < factor * d


def test_failed_points_are_stored_and_not_recomputed(tmp_path):
    path = tmp_path / "s.sqlite"
    good = run_points({"construction": "pensia", "n": 2, "seed": [0, 1], **TINY})
    # n=40 gives instances of 80 coefficients: more than brute force takes, refused by the
    # run's plan, stored as failed
    bad = run_points({"construction": "pensia", "n": 40, "solver": "brute", **TINY})
    rows, summary = sweep(good + bad, path, workers=1, progress=False)
    assert [r.status for r in rows] == ["ok", "ok", "failed"]
    assert "n=[40]" in rows[2].error
    assert (summary.computed, summary.failed, summary.already_stored) == (3, 1, 0)
    rows2, summary2 = sweep(good + bad, path, workers=1, progress=False)
    assert (summary2.computed, summary2.already_stored) == (0, 3)
    assert rows2 == rows


def test_retry_failed_recomputes_the_failed_points_only(tmp_path, monkeypatch):
    # a point refused for a reason of the machine (its memory) is stored as failed and, by
    # default, never recomputed; retry_failed recomputes it and replaces its row
    path = tmp_path / "s.sqlite"
    pts = run_points({"construction": "pensia", "n": 2, "seed": [0, 1], **TINY})
    real, seen = runner_mod.evaluate, []

    def refuse_seed_1(config):
        if config["seed"] == 1:
            raise InvalidArgument("needs more memory than this machine has")
        return real(config)

    def counting(config):
        seen.append(config["seed"])
        return real(config)

    monkeypatch.setattr(runner_mod, "evaluate", refuse_seed_1)
    rows, _ = sweep(pts, path, workers=1, progress=False)
    assert [r.status for r in rows] == ["ok", "failed"]
    monkeypatch.setattr(runner_mod, "evaluate", counting)
    assert sweep(pts, path, workers=1, progress=False)[0] == rows and seen == []
    rows2, summary = sweep(pts, path, workers=1, progress=False, retry_failed=True)
    assert seen == [1]  # the failed point alone
    assert [r.status for r in rows2] == ["ok", "ok"] and rows2[0] == rows[0]
    assert (summary.computed, summary.already_stored, summary.failed) == (1, 1, 0)
    assert len(load_rows(path)) == 2
    with ResultStore(path) as st:  # an ok row is never replaced
        assert not st.add("run", pts[0], error="x", seconds=0.0, replace_failed=True)
    assert load_rows(path) == rows2


def test_a_crashing_point_is_reported_not_stored(tmp_path, monkeypatch):
    real = runner_mod.evaluate

    def flaky(config):
        if config["seed"] == 1:
            raise ZeroDivisionError("a bug")
        return real(config)

    monkeypatch.setattr(runner_mod, "evaluate", flaky)
    pts = run_points({"construction": "pensia", "n": 2, "seed": [0, 1, 2], **TINY})
    with pytest.raises(SweepCrash, match="ZeroDivisionError: a bug"):
        sweep(pts, tmp_path / "s.sqlite", workers=1, progress=False)
    stored = {r.config["seed"] for r in load_rows(tmp_path / "s.sqlite")}
    assert stored == {0, 2}  # the others are kept; the crashed one will be retried


def test_progress_bar_reports_counts_and_failures_on_stderr_like_streams():
    class Log:
        def __init__(self):
            self.text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    log = Log()
    with progress_bar(4, desc="points", unit="point", stream=log) as bar:
        bar.update(1)
        bar.set_postfix(failed=1, refresh=False)
        bar.update(1)
    final = log.text.replace("\r", "\n").strip().splitlines()[-1]
    assert "2/4" in final and "failed=1" in final and "points" in final
    quiet = Log()
    with progress_bar(4, desc="points", unit="point", enabled=False, stream=quiet) as bar:
        bar.update(4)
    assert quiet.text == ""


def _thread_counts():
    import numba
    import torch

    return torch.get_num_threads(), numba.get_num_threads()


def test_pool_workers_use_one_thread_and_match_inline(tmp_path):
    pts = run_points({"construction": "all", "n": 3, "seed": [0, 1], **TINY})
    inline, _ = sweep(pts, None, workers=1, progress=False)
    with ResultStore(None) as store, Runner(store, workers=2, progress=False) as runner:
        pooled = runner.run(pts)
        counts = [runner._executor().submit(_thread_counts).result() for _ in range(2)]
    assert counts == [(1, 1), (1, 1)]
    for a, b in zip(inline, pooled, strict=True):
        assert a.key == b.key
        for field in ("certified_error", "max_weight_error", "kept_params"):
            assert a.result[field] == b.result[field]


# ---------------------------------------------------------------------- kill and resume


KILL_POINTS = 8  # points of the config the interruption tests stop part-way


def _write_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "kill.toml"
    cfg.write_text(
        '[runs]\nconstruction = "pensia"\nwidth = 3\ndepth = 2\nn = [5, 7]\n'
        "seed = [0, 1, 2, 3]\nempirical_samples = 2048\nascent_steps = 60\n"
    )
    return cfg


def _sweep_cmd(cfg: Path, store: Path, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "approx.cli",
        "sweep",
        str(cfg),
        "--store",
        str(store),
        "--workers",
        str(workers),
    ]


def _count(store: Path) -> int:
    if not store.exists() or store.stat().st_size == 0:
        return 0
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # schema not committed yet
        return 0
    finally:
        conn.close()


def _wait_for_rows(proc: subprocess.Popen, store: Path, rows: int, timeout: float = 120) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = _count(store)
        if n >= rows:
            return n
        if proc.poll() is not None:
            pytest.fail(f"sweep ended (rc {proc.returncode}) before {rows} rows were stored")
        time.sleep(0.05)
    pytest.fail(f"no {rows} rows after {timeout} s")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _snapshot(store: Path) -> dict:
    return {r.key: (r.result, r.finished_at, r.seconds) for r in load_rows(store)}


def _check_complete(cfg: Path, store: Path, before: dict) -> None:
    rows = load_rows(store)
    expected = {point_key(p) for p in load_config(cfg).points}
    assert len(rows) == len(expected)  # nothing lost, nothing twice
    assert {r.key for r in rows} == expected
    assert all(r.status == "ok" for r in rows)
    after = _snapshot(store)
    for key, value in before.items():  # stored before the kill: kept, not recomputed
        assert after[key] == value


def test_sigkill_then_resume(tmp_path):
    """SIGKILL the sweep's main process (only it: its workers must notice and exit), then rerun
    the same command: it computes only what is missing."""
    cfg, store = _write_config(tmp_path), tmp_path / "kill.sqlite"
    cmd = _sweep_cmd(cfg, store, workers=2)
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _wait_for_rows(proc, store, 2)
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
        proc.stderr.close()
    before = _snapshot(store)
    assert 2 <= len(before) < KILL_POINTS, "the sweep finished before it could be killed"
    end = time.monotonic() + 30
    while any(_alive(w) for w in workers) and time.monotonic() < end:
        time.sleep(0.1)
    orphans = [w for w in workers if _alive(w)]
    for w in orphans:  # ours (children of the sweep we started); do not leave them running
        os.kill(w, signal.SIGKILL)
    assert not orphans, "pool workers outlived their killed parent"

    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} already stored" in done.stdout
    _check_complete(cfg, store, before)


def test_sigint_stops_cleanly_and_resumes(tmp_path):
    cfg, store = _write_config(tmp_path), tmp_path / "int.sqlite"
    cmd = _sweep_cmd(cfg, store, workers=1)
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for_rows(proc, store, 1)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err
    before = _snapshot(store)
    assert 1 <= len(before) < KILL_POINTS
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _check_complete(cfg, store, before)


def test_flag_form_and_usage_errors(tmp_path, capsys):
    from approx.cli import main

    store = tmp_path / "flags.sqlite"
    rc = main(
        [
            "sweep",
            "--construction",
            "pensia",
            "--width",
            "2",
            "--depth",
            "1",
            "--n",
            "2,3",
            "--seeds",
            "2",
            "--samples",
            "16",
            "--ascent-steps",
            "0",
            "--store",
            str(store),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    assert rc == 0
    assert len(load_rows(store)) == 4
    assert main(["sweep", "--store", str(store)]) == 2
    assert "give a config file or grid flags" in capsys.readouterr().err
    assert main(["sweep", "--width", "2", "--n", "2", "--store", str(store), "--workers", "0"]) == 2
    assert "workers=0 must be a positive integer" in capsys.readouterr().err
    notes = tmp_path / "notes.txt"
    notes.write_text("not a store")
    cfg = _write_config(tmp_path)
    assert main(["sweep", str(cfg), "--store", str(notes)]) == 2
    assert "not a SQLite file" in capsys.readouterr().err
    assert notes.read_text() == "not a store"
    bad = tmp_path / "bad.sqlite"  # brute force refuses n = 40: a failed point, retried
    argv = ["sweep", "--construction", "pensia", "--width", "2", "--depth", "1", "--n", "40",
            "--solver", "brute", "--store", str(bad), "--workers", "1", "--quiet"]  # fmt: skip
    assert main(argv) == 0 and main([*argv, "--retry-failed"]) == 0
    assert "1 computed (1 failed)" in capsys.readouterr().out.splitlines()[-1]
    assert [r.status for r in load_rows(bad)] == ["failed"]
