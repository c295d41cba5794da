"""Refusals of the command line: `approx compare` names the flags the user typed, a refusal
writes each value as the flag takes it (comma-separated lists, a switch without a value, each
flag once), out-of-memory advice names only the command's own options, a command refused after
it opened its `--store` leaves the file byte for byte as it was, and a sweep and a comparison
announce a long estimated time before they start."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import sqlite3
from pathlib import Path

import pytest
import torch

from approx.basics.units import format_seconds
from approx.cli import build_parser, name_flags
from approx.cli import compare as cli_compare
from approx.cli import run as cli_run
from approx.cli import sweep as cli_sweep
from approx.experiments import cluster as cluster_mod
from approx.experiments.grid import config_from_dict
from approx.experiments.store import ResultStore
from approx.pipeline import estimate as estimate_mod
from approx.pipeline.memory_refusal import MemoryRefusal

from .support import run_cli

# a library argument written as `name=` (not `--flag=`): what a refusal must not show
PYTHON_NAME = re.compile(r"(?<![\w.\-'])[a-z_]+=")

# flag, bad value, what the one line says; extra: flags that make the bad value reach its check
COMPARE_REFUSALS = [
    ("--samples", "0", "--samples=0 must be a positive integer", []),
    ("--samples", "-1", "--samples=-1 must be a positive integer", []),
    ("--ascent-steps", "-1", "--ascent-steps=-1 must be an integer >= 0", []),
    ("--n", "2,2,2", "--n=2,2,2 has 3 entries; the target has 2", []),
    ("--n", "100000000", "--n=100000000,100000000 for widths 4-4-2 needs", []),
    ("--n", "0", "argument --n: --n='0' must be integers >= 1", []),
    ("--widths", "4", "--widths=4 must be >= 2 positive integers", []),
    ("--widths", "100000,100000", "--widths=100000,100000 give a target of", []),
    ("--widths", "2,2", "--widths applies to --target random, not circle", ["--target", "circle"]),
    ("--depth", "0", "--depth=0 must be a positive integer", ["--target", "relu-chain"]),
    ("--depth", "2", "--depth applies to --target relu-chain, not random", []),
    ("--directions", "1", "--directions=1 must be an integer >= 3", ["--target", "circle"]),
    ("--directions", "100000000", "--directions=100000000 gives a target of",
     ["--target", "circle"]),
    ("--construction", "nope", "--construction='nope' is not one of", []),
    ("--construction", "burkholz", "--construction='burkholz': the searches pair the layers", []),
    ("--methods", "nope", "--methods='nope' is not one of", []),
    ("--methods", "all,greedy", "--methods='all' is not one of", []),
    ("--densities", "0", "--densities=0.0 must be in (0, 1]", []),
    ("--densities", "0.5,1.5", "--densities=1.5 must be in (0, 1]", []),
    ("--seed", "-1", "--seed=-1 must be a non-negative integer", []),
    ("--device", "nope", "--device='nope' is not a torch device", []),
    ("--device", "meta", "--device='meta': approx computes on cpu or cuda only", []),
    ("--target", "square", "argument --target: invalid choice: 'square'", []),
    ("--out", "{file}", "--out='{file}' exists and is not a directory", []),
]  # fmt: skip


@pytest.mark.parametrize(("flag", "value", "says", "extra"), COMPARE_REFUSALS)
def test_compare_refusals_name_the_flag_the_user_typed(flag, value, says, extra, tmp_path):
    file = tmp_path / "a_file"
    file.write_text("x")
    value, says = value.format(file=file), says.format(file=file)
    # the bad value last: it overrides the tiny settings before it
    argv = ["compare", *extra, "--methods", "greedy", "--samples", "16", "--ascent-steps", "0",
            "--quiet", flag, value]  # fmt: skip
    code, _, err = run_cli(argv, tmp_path)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, (argv, err)
    assert says in lines[0], lines[0]
    assert not PYTHON_NAME.search(lines[0]), lines[0]


# ---- a refused command leaves its store as it was -----------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store(path: Path) -> Path:
    with ResultStore(path) as store:
        for i in range(3):
            store.add("run", {"kind": "run", "i": i}, result={"v": i}, seconds=0.1)
    return path


def _foreign(path: Path, schema: str | None) -> Path:
    """Another SQLite database (schema None), or an approx store of another schema version."""
    if schema is not None:
        _store(path)
    conn = sqlite3.connect(path)
    if schema is None:
        conn.execute("CREATE TABLE points (x)")
        conn.execute("INSERT INTO points VALUES (1)")
    else:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (schema,))
    conn.commit()
    conn.close()
    return path


TIGHTNESS = ["tightness", "--construction", "pensia", "--widths", "2,2", "--eps", "0.5",
             "--seeds", "1", "--n-max", "2", "--quiet"]  # fmt: skip
SWEEP = ["sweep", "--construction", "pensia", "--widths", "2,2", "--n", "2", "--samples", "16",
         "--ascent-steps", "0", "--quiet"]  # fmt: skip

# command, what breaks it, what the one line says: refused after the store was opened, or (a
# bad worker count, a solver the construction does not take) before it is opened or created
STORE_REFUSALS = [
    (TIGHTNESS, ["--workers", "0"], "--workers=0 must be a positive integer"),
    (TIGHTNESS, ["--workers", "1", "--scheduler", "no-port"], "cannot connect to a Dask"),
    (TIGHTNESS, ["--eps", "0"], "--eps=0.0 must be in (0, 1)"),
    (TIGHTNESS, ["--solver", "fixed", "--n-max", "1"], "--solver='fixed' is not one of pensia's"),
    (SWEEP, ["--workers", "0"], "--workers=0 must be a positive integer"),
    (SWEEP, ["--workers", "1", "--scheduler", "no-port"], "cannot connect to a Dask"),
]


@pytest.mark.parametrize(("command", "breaks", "says"), STORE_REFUSALS)
def test_a_refused_command_leaves_its_store_byte_for_byte(command, breaks, says, tmp_path):
    path = _store(tmp_path / "s.sqlite")
    before = _digest(path)
    code, _, err = run_cli([*command, *breaks, "--store", str(path)], tmp_path)
    assert code == 2 and says in err, err
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]  # no -wal, -journal


@pytest.mark.parametrize("command", [TIGHTNESS, SWEEP])
@pytest.mark.parametrize(("schema", "says"), [(None, "not an approx results store"),
                                              ("2", "has store schema '2'")])  # fmt: skip
def test_a_store_of_another_kind_or_version_is_refused_unchanged(command, schema, says, tmp_path):
    path = _foreign(tmp_path / "s.sqlite", schema)
    before = _digest(path)
    code, _, err = run_cli([*command, "--workers", "1", "--store", str(path)], tmp_path)
    assert code == 2 and says in err, err
    assert _digest(path) == before


def test_a_bad_worker_count_creates_no_store(tmp_path):
    code, _, err = run_cli([*TIGHTNESS, "--workers", "0", "--store", "new.sqlite"], tmp_path)
    assert code == 2 and "--workers=0" in err
    assert not (tmp_path / "new.sqlite").exists()


def test_opening_a_store_for_writing_changes_nothing_until_a_row_is_written(tmp_path):
    """The WAL journal starts with the first row; a store opened and closed without one is the
    same file, and one with a new row is a single DELETE-journal file again after close."""
    path = _store(tmp_path / "s.sqlite")
    before = _digest(path)
    with ResultStore(path) as store:
        assert len(store) == 3
    assert _digest(path) == before
    with ResultStore(path) as store:
        assert store.add("run", {"kind": "run", "i": 9}, result={"v": 9}, seconds=0.1)
    assert _digest(path) != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchall() == [("delete",)]
    conn.close()


# ---- a sweep announces a long estimate, however few its points ------------------------------
def _announced(argv: list[str], tmp_path: Path, monkeypatch) -> str:
    """The first stderr line of `approx sweep argv`, stopped right after its announcement."""

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_sweep, "sweep_blocks", stop)
    code, _, err = run_cli([*argv, "--store", str(tmp_path / "s.sqlite")], tmp_path)
    assert code == 130, err
    return err.splitlines()[0]


@pytest.mark.parametrize(
    ("flag", "value"), [("--ascent-steps", "1000000000"), ("--samples", "1000000000000")]
)
def test_one_huge_point_announces_its_time(flag, value, tmp_path, monkeypatch):
    """Hours to months of work (measured: 66 days, 28 h), announced before it starts."""
    argv = ["sweep", "--construction", "pensia", "--widths", "4,4,2", "--n", "3",
            "--workers", "1", "--quiet", flag, value]  # fmt: skip
    line = _announced(argv, tmp_path, monkeypatch)
    assert line.startswith("approx sweep: 1 points -> ") and " (about " in line, line
    assert line.endswith(" on 1 worker, estimated from 1 of them)"), line


def test_a_small_quick_sweep_prints_its_size_alone(tmp_path, monkeypatch):
    argv = [*SWEEP, "--workers", "1", "--scheduler", "tcp://unused:1"]

    def asked(*args):  # a quick grid does not ask the cluster how many threads it has
        raise AssertionError("the cluster was asked")

    monkeypatch.setattr(cluster_mod, "cluster_threads", asked)
    monkeypatch.setattr(cluster_mod, "check_scheduler", lambda scheduler: None)  # reachable
    line = _announced(argv, tmp_path, monkeypatch)
    assert line == f"approx sweep: 1 points -> {tmp_path / 's.sqlite'}"


@pytest.mark.parametrize(
    ("points", "seconds", "workers", "announced"),
    [
        (2, 3.0, 1, True),  # 6 s on one worker: more than approx run's 5 s
        (2, 3.0, 2, False),  # 3 s on two
        (2, 3.0, 8, False),  # 3 s: a grid of 2 points keeps only 2 of 8 workers busy
        (1, 6.0, 8, True),
        (1, 4.0, 1, False),
    ],
)
def test_the_estimate_is_announced_above_approx_runs_threshold(
    points, seconds, workers, announced, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(cli_sweep, "estimate_seconds", lambda point: seconds)
    cfg = config_from_dict(
        {"runs": {"construction": "pensia", "widths": [[2, 2]], "n": 2,
                  "seed": list(range(points))}}, where="flags"
    )  # fmt: skip
    cli_sweep.announce(cfg, workers, tmp_path / "s.sqlite")
    line = capsys.readouterr().err.splitlines()[0]
    assert ("(about" in line) == announced, line
    if announced:
        busy = min(workers, points)
        wall = seconds * points / busy
        assert f"(about {format_seconds(wall)} on {busy} worker" in line, line


# ---- a refusal writes each flag as the user types it ----------------------------------------
# a flag followed by a Python list (`--n=[29, 29, 25]`), a switch given a value
# (`--rescale=True`), a flag with `=` and no value, or the same flag named twice
NOT_TYPED = re.compile(
    r"--[\w-]+=[\[(]|--[\w-]+=True\b|--[\w-]+=(?:\s|$)|(--[\w-]+)\S* (?:\(\1\)|/ \1\b)"
)
TINY_RUN = ["--samples", "16", "--ascent-steps", "0", "--quiet"]

# command line ({big}: a target file whose layers have spectral norm > 1), what the line says
FLAG_SYNTAX = [
    (["run", "--max-memory", "0.001"],
     "--max-memory=0.001 GiB allows no more; lower --n=29,29,25 (the theorem's value; or raise "
     "eps, lower C), the widths, or use --dtype='float32'"),
    (["run", "--max-memory", "0.0002", "--widths", "30,30,30", "--n", "3"],
     "--max-memory=0.0002 GiB allows no more; lower --n=3,3 (or raise eps"),
    (["run", "--density", "0.1"],
     "--density=0.1 is an option of construction(s) natale, not pensia"),
    (["run", "--widths", "3000,3000,10"], "--n=54,40 for widths 3000-3000-10 needs a random net"),
    (["run", "--target", "{big}"], "(pass --rescale to scale such layers down"),
    (["search", "--target", "{big}"], "(pass --rescale to scale such layers down"),
    (["run", "--widths", "4,4", "--input-shape", "1,2,2"], "--input-shape describes a --target"),
    (["tightness", "--target", "{big}"], "--input-shape [c, H, W] is needed with --target or"),
    (["sweep", "--widths", "4", "--n", "2"], "--widths=4: each target needs >= 2 widths"),
    (["sweep", "--widths", "4,4", "--widths", "3", "--n", "2"],
     "--widths=4,4 --widths=3: each target needs >= 2 widths"),
    (["sweep", "--seeds", "2000000", "--width", "2", "--depth", "1", "--n", "2"],
     "--seeds=2000000 is more than"),
    (["sweep", "--widths", "2,2", "--n", "2", "--eps", "0,0.5"],
     "--eps=0.0,0.5: every entry must be in (0, 1)"),
    (["run", "--widths", "3,2", "--n", "2,3"], "--n=2,3 has 2 entries; the target has 1"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "says"), FLAG_SYNTAX)
def test_a_refusal_writes_the_value_as_the_flag_takes_it(argv, says, tmp_path):
    big = tmp_path / "big.pt"
    torch.save({"0.weight": 2 * torch.ones(3, 3), "1.weight": torch.ones(2, 3)}, big)
    argv = [a.format(big=big) for a in argv]
    code, _, err = run_cli([*argv, *(TINY_RUN if argv[0] == "run" else [])], tmp_path)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, (argv, err)
    assert says in lines[0], lines[0]
    assert not NOT_TYPED.search(lines[0]), lines[0]
    assert not PYTHON_NAME.search(lines[0]), lines[0]


@pytest.mark.parametrize(
    ("message", "reads"),
    [
        ("lower n=[29, 29, 25] (or", "lower --n=29,29,25 (or"),
        ("n=(4,) has", "--n=4 has"),
        ("densities=[0.5, 1.5e-05] must", "--densities=0.5,1.5e-05 must"),
        ("widths=[(4, 4), (8,)]: each", "--widths=4,4 --widths=8: each"),
        ("density=0.1 (--density) is", "--density=0.1 is"),
        ("(pass rescale=True / --rescale to", "(pass --rescale to"),
        ("input_shape= (--input-shape) describes", "--input-shape describes"),
        ("input_shape=[1, 28] (--input-shape C,H,W)", "--input-shape=1,28 (--input-shape C,H,W)"),
        ("seed='a' and n_max=3", "--seed='a' and n_max=3"),
    ],
)  # fmt: skip
def test_name_flags_writes_the_command_line_syntax(message, reads):
    names = ("n", "densities", "widths", "seed", "density", "rescale", "input_shape")
    flags = {name: "--" + name.replace("_", "-") for name in names}
    assert name_flags(message, flags) == reads


# ---- memory advice names only the command's own options -------------------------------------
COMPARE_TINY = ["compare", "--methods", "greedy", "--samples", "16", "--ascent-steps", "0",
                "--quiet"]  # fmt: skip


def test_compare_out_of_memory_advice_names_only_its_own_flags(tmp_path, monkeypatch):
    """compare has --n and --widths but no --eps, --C, --dtype or --max-memory; run's advice
    names all of them, as before."""
    monkeypatch.setattr(estimate_mod, "available_memory", lambda device: 2**20)
    code, _, err = run_cli(COMPARE_TINY, tmp_path)
    assert code == 2 and err.strip().endswith("1.0 MiB is available; lower --n=8,8 or the widths")
    for absent in ("eps", " C", "dtype", "--max-memory"):
        assert absent not in err, err
    code, _, err = run_cli(["run", *TINY_RUN], tmp_path)
    assert code == 2 and err.strip().endswith(
        "1.0 MiB is available; lower --n=29,29,25 (the theorem's value; or raise eps, lower C), "
        "the widths, or use --dtype='float32'"
    )


@pytest.mark.parametrize(
    ("command", "module", "function", "advice"),
    [
        ("run", cli_run, "run", "lower --n or the widths, or pass --max-memory"),
        ("compare", cli_compare, "benchmark", "lower --n or the widths"),
    ],
)
def test_an_actual_out_of_memory_names_only_the_commands_flags(
    command, module, function, advice, tmp_path, monkeypatch
):
    def no_memory(*args, **kwargs):
        raise MemoryError("stub")

    monkeypatch.setattr(module, function, no_memory)
    argv = [command, *(TINY_RUN if command == "run" else COMPARE_TINY[1:])]
    code, _, err = run_cli(argv, tmp_path)
    assert code == 2
    assert err.strip() == f"approx: error: out of memory (stub); the estimate missed: {advice}"


def test_a_memory_refusal_survives_pickling_with_its_advice():
    """A sweep worker's refusal travels back pickled: the advice must still be rebuilt."""
    e = MemoryRefusal("this run needs 2 GiB", (3, 4), theorem=True, ascent=True)
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e)
    assert back.for_options({"n", "widths"}) == e.for_options({"n", "widths"})
    assert "ascent_steps=0" not in e.for_options({"n"}) and "eps" not in e.for_options({"n"})


# ---- compare announces a long estimated time ------------------------------------------------
def _compare_line(argv: list[str]) -> str:
    return cli_compare.announcement(build_parser().parse_args(["compare", *argv]))


@pytest.mark.parametrize("argv", [["--samples", "100000000"], ["--ascent-steps", "100000000"], []])
def test_a_long_compare_announces_its_estimate(argv):
    line = _compare_line(argv)
    assert line.startswith("approx compare: about ") and "estimated" in line, line


def test_a_quick_compare_announces_nothing_and_quiet_or_json_keep_their_streams(
    tmp_path, monkeypatch
):
    assert _compare_line(["--methods", "annealing", "--samples", "16", "--ascent-steps", "0"]) == ""
    assert _compare_line(["--n", "2,2,2"]) == ""  # a refusal is the comparison's to make
    monkeypatch.setattr(cli_compare.defaults, "ANNOUNCE_SECONDS", 0.0)
    code, out, err = run_cli([*COMPARE_TINY, "--json"], tmp_path)
    assert code == 0 and "approx compare: about" not in err  # --quiet
    json.loads(out)
    code, out, err = run_cli([*COMPARE_TINY[:-1], "--json"], tmp_path)
    assert code == 0 and err.startswith("approx compare: about ")
    json.loads(out)
