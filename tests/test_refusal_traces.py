"""A refused command leaves no trace: every refusal that can be known before a store or an
output directory is opened (or created) comes first, so a refused `--store` path is not
created and an existing one stays byte for byte as it was. Where a refusal is known only by
running (a tightness probe refused at n = 1), the failed probe is kept in the store marked
failed, as a sweep keeps a failed point, and nothing reads it as a result."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from approx.basics.errors import InvalidArgument
from approx.experiments import runner as runner_mod
from approx.experiments.runner import sweep, sweep_blocks
from approx.experiments.store import ResultStore, check_store, load_rows
from approx.experiments.tightness import tightness_from_results

from .support import run_cli

TIGHTNESS = ["tightness", "--construction", "pensia", "--widths", "2,2", "--eps", "0.5",
             "--seeds", "2", "--n-max", "1", "--workers", "1", "--quiet"]  # fmt: skip
SWEEP = ["sweep", "--construction", "pensia", "--widths", "2,2", "--n", "2", "--samples", "16",
         "--ascent-steps", "0", "--workers", "1", "--quiet"]  # fmt: skip

# command, what breaks it, the flag its one line names (with the value as typed)
REFUSALS = [
    (SWEEP, ["--scheduler", "no-port"], "--scheduler='no-port': cannot connect"),
    (SWEEP, ["--workers", "0"], "--workers=0 must be a positive integer"),
    (TIGHTNESS, ["--scheduler", "no-port"], "--scheduler='no-port': cannot connect"),
    # the probe at n = 1 would be refused: planned before the store is opened
    (TIGHTNESS, ["--widths", "20000,20000"], "--widths=20000,20000 give a target of"),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("command", "breaks", "says"), REFUSALS)
def test_a_refused_command_creates_no_store(command, breaks, says, tmp_path):
    code, _, err = run_cli([*command, *breaks, "--store", "new.sqlite"], tmp_path)
    assert code == 2 and says in _one_line(err), err
    assert list(tmp_path.iterdir()) == []  # no store, no -journal, no results/


@pytest.mark.parametrize(("command", "breaks", "says"), REFUSALS)
def test_a_refused_command_leaves_an_existing_store_byte_for_byte(command, breaks, says, tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as store:
        store.add("run", {"kind": "run", "i": 0}, result={"v": 0}, seconds=0.1)
    before = _digest(path)
    code, _, err = run_cli([*command, *breaks, "--store", str(path)], tmp_path)
    assert code == 2 and says in _one_line(err), err
    assert _digest(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.sqlite"]


def test_a_refused_sweep_without_store_creates_no_results_directory(tmp_path):
    code, _, err = run_cli([*SWEEP, "--scheduler", "no-port"], tmp_path)
    assert code == 2 and "--scheduler='no-port'" in _one_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda path: sweep([], path, workers=0), "workers=0"),
        (lambda path: sweep([], path, scheduler="no-port"), "--scheduler='no-port'"),
        (lambda path: sweep_blocks([], path, total=0, scheduler=""), "scheduler=''"),
        (lambda path: sweep_blocks([], path, total=0, workers=True), "workers=True"),
    ],
)
def test_the_library_sweeps_refuse_before_creating_their_store(call, says, tmp_path):
    path = tmp_path / "new.sqlite"
    with pytest.raises(InvalidArgument, match=says):
        call(path)
    assert not path.exists()


def test_check_store_refuses_as_the_store_would_and_creates_nothing(tmp_path):
    check_store(tmp_path / "new.sqlite")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "text.sqlite").write_text("not a store")
    with pytest.raises(InvalidArgument, match="not a SQLite file"):
        check_store(tmp_path / "text.sqlite")
    with pytest.raises(InvalidArgument, match="does not exist"):
        check_store(tmp_path / "missing" / "s.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text.sqlite"]


def test_a_probe_refused_only_when_run_is_stored_as_failed_and_refused_again(tmp_path, monkeypatch):
    """The plan passes, the run refuses (stubbed): exit 2 in one line; both seeds' probes at
    n = 1 are stored marked failed with the run's message, no reader takes them for results,
    and the same command refuses again from the store without running anything."""
    calls = []

    def refuse(config):
        calls.append(config)
        raise InvalidArgument("stub: this run is refused")

    monkeypatch.setattr(runner_mod, "evaluate", refuse)
    argv = [*TIGHTNESS, "--store", "t.sqlite"]
    code, out, err = run_cli(argv, tmp_path)
    line = _one_line(err)
    assert code == 2 and out == "", err
    assert "pensia's probe at n = 1 (widths 2-2, --eps=0.5, seed 0) failed" in line, line
    assert "stored as a failed point: stub: this run is refused" in line, line
    rows = load_rows(tmp_path / "t.sqlite")
    assert [(r.status, r.config["n"], r.config["seed"]) for r in rows] == [
        ("failed", 1, 0),
        ("failed", 1, 1),
    ]
    assert all(r.result is None and r.error == "stub: this run is refused" for r in rows)
    assert tightness_from_results([r.result for r in rows if r.status == "ok"]) == []
    before = _digest(tmp_path / "t.sqlite")
    code, _, err = run_cli(argv, tmp_path)
    assert code == 2 and _one_line(err) == line
    assert len(calls) == 2 and _digest(tmp_path / "t.sqlite") == before


RUN = ["run", "--widths", "2,2", "--n", "2", "--samples", "16", "--ascent-steps", "0", "--quiet"]


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        (["--out", "d", "--export", "d/network.pt"], "--export='d/network.pt' is (or lies inside)"),
        (["--out", "d/ticket.json/x", "--export", "d"], "--out='d/ticket.json/x' is (or lies"),
    ],
)
def test_run_refuses_outputs_that_collide_before_writing_either(outputs, says, tmp_path):
    """Before, the run wrote --out's three files, then failed to write --export over one of
    them (exit 2), leaving --out's files behind."""
    code, out, err = run_cli([*RUN, *outputs], tmp_path)
    assert code == 2 and out == "" and says in _one_line(err), err
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_to_write_over_its_store(tmp_path):
    """Before, `approx export s.sqlite --out s.sqlite` replaced the store with its CSV."""
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as store:
        store.add("run", {"kind": "run", "i": 0}, result={"v": 0}, seconds=0.1)
    before = _digest(path)
    (tmp_path / "link.sqlite").symlink_to(path)
    for out in ("s.sqlite", "./s.sqlite", "link.sqlite"):
        code, _, err = run_cli(["export", "s.sqlite", "--out", out], tmp_path)
        says = f"--out='{Path(out)}' is the store exported"  # as the path reads: s.sqlite
        assert code == 2 and says in _one_line(err), err
    assert _digest(path) == before


def test_tightness_refuses_an_out_that_is_its_store(tmp_path):
    """Before, the table replaced the store of the probes it had just computed."""
    code, _, err = run_cli([*TIGHTNESS, "--store", "t.sqlite", "--out", "./t.sqlite"], tmp_path)
    assert code == 2 and "--out='t.sqlite' is the --store of the probes" in _one_line(err), err
    assert list(tmp_path.iterdir()) == []
