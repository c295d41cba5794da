"""Bad input, by group: every case gives exit 2 and one line on stderr (or runs correctly),
before any work where the arguments already say it cannot run.

Groups: memory before work; outputs complete or absent; sweep configs; stores; the
tracebacks that became one line. Each case is an `approx` command run in this process
(`approx.cli.main`), except where a signal or a fresh process is the point.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from approx.basics.masks import masked_forward
from approx.basics.sampling import unit_sphere
from approx.cli import main
from approx.cli import run as cli_run
from approx.cli import sweep as cli_sweep
from approx.cli import tightness as cli_tightness
from approx.constructions import CONSTRUCTIONS
from approx.constructions.layout import HalfLineLayout
from approx.experiments.grid import run_points
from approx.experiments.store import ResultStore
from approx.measurement.empirical import empirical_error, single_threaded_products
from approx.pipeline import run as run_mod
from approx.pipeline.estimate import _search_chunk_rows
from approx.pipeline.plan import plan_run
from approx.pipeline.run import run
from approx.pipeline.search import compare as compare_mod

REPO = Path(__file__).resolve().parents[1]
TINY = ["--samples", "16", "--ascent-steps", "0", "--quiet"]


def cli(argv: list[str], capsys) -> tuple[int, str, list[str]]:
    """(exit code, stdout, stderr lines) of `approx ARGV` in this process."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def assert_one_line(code: int, err: list[str], match: str) -> None:
    assert code == 2, err
    assert len(err) == 1, err
    assert match in err[0], err[0]
    assert "Traceback" not in err[0]


@pytest.fixture
def no_sampling(monkeypatch):
    """Fails the test if a random network is drawn: the refusal must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("sampled before refusing")

    monkeypatch.setattr(HalfLineLayout, "sample", refuse)


def _save(path: Path, obj) -> Path:
    torch.save(obj, path)
    return path


# ---- memory before work ----------------------------------------------------------------------
MEMORY = [
    # the red team's 13.5 GB / 65 GB runs, held to a budget: refused with the estimate
    (
        [
            "run",
            "--construction",
            "malach",
            "--widths",
            "4,4,2",
            "--n",
            "100000",
            "--max-memory",
            "0.5",
        ],
        "at its peak",
    ),
    (
        [
            "run",
            "--construction",
            "malach",
            "--widths",
            "4,4,2",
            "--n",
            "1000000",
            "--max-memory",
            "4",
        ],
        "--max-memory=4 GiB allows no more",
    ),
    (
        [
            "run",
            "--construction",
            "malach",
            "--widths",
            "16,16,16,4",
            "--eps",
            "0.01",
            "--max-memory",
            "4",  # ~6.9 GiB: the search's autograd is target-sized (difference form)
        ],
        "lower --n=",
    ),
    (["run", "--max-memory", "0"], "--max-memory=0.0 must be a finite number > 0"),
    (["run", "--max-memory", "nan"], "--max-memory=nan"),
    (
        ["sweep", "--seeds", "1000000000", "--width", "4", "--depth", "1", "--n", "2"],
        "--seeds=1000000000 is more than",
    ),
    (
        ["sweep", "--seeds", "100000", "--width", "4", "--depth", "1", "--n", "2,3,4,5,6,7"],
        f"the grid has {100000 * 6 * len(CONSTRUCTIONS):,} points",
    ),
    (["tightness", "--seeds", "1000000000"], "--seeds=1000000000 is more than"),
    (["run", "--widths", "20000,20000,20000,20000"], "give a target of"),
]


@pytest.mark.parametrize(("argv", "match"), MEMORY)
def test_memory_is_estimated_before_any_work(argv, match, capsys, no_sampling, tmp_path):
    if argv[0] == "sweep":
        argv = [*argv, "--store", str(tmp_path / "s.sqlite")]
    code, _, err = cli(argv, capsys)
    assert_one_line(code, err, match)


def test_the_red_teams_large_runs_are_sized_to_bounded_chunks():
    """Malach 4-4-2 at n = 100,000 (hidden layers of 800,000 units) held 13.5 GB and --samples
    1e9 grew without bound: now both fit in chunks, whatever the number of points."""

    common = dict(eps=0.01, delta=0.01, C=None, solver="exact", seed=0, device="cpu",
                  dtype="float64", ascent_steps=2, weight_tolerance=None)  # fmt: skip
    big = plan_run(None, (4, 4, 2), construction="malach", n=100_000, empirical_samples=1024,
                   **common).estimate  # fmt: skip
    assert big.chunk_rows == 16 and big.peak_bytes < 2 * 2**30
    many = [
        plan_run(None, (4, 4, 2), construction="pensia", n=4, empirical_samples=s, **common)
        for s in (1024, 10**9)
    ]
    assert many[0].estimate.peak_bytes == many[1].estimate.peak_bytes < 2**30
    assert many[1].estimate.seconds > 100 * many[0].estimate.seconds
    # the searched difference form is target-sized: whole batches per chunk on a small target,
    # a chunk within the budget on a wide one
    assert many[0].estimate.search_chunk_rows == 4096
    rows, row_bytes = _search_chunk_rows((100_000, 10), threads=2, budget=2**30)
    assert rows == 64 and 2 * rows * row_bytes <= 2**30


def test_the_running_best_points_equal_evaluating_every_point_at_once():
    """Oracle: all 3,000 points (three batches of the same draws) evaluated in one pass."""

    art = run(widths=(5, 4, 2), n=5, seed=1, empirical_samples=16, ascent_steps=0).artifacts
    g = masked_forward(art.random_net, art.pruned.masks)
    e = empirical_error(art.target.forward, g, 5, generator=torch.Generator().manual_seed(3),
                        n_samples=3000, ascent_steps=0, chunk_rows=48)  # fmt: skip
    gen = torch.Generator().manual_seed(3)
    x = torch.cat([unit_sphere(k, 5, gen) for k in (1024, 1024, 952)])
    with torch.no_grad(), single_threaded_products(torch.device("cpu")):  # one product
        gaps = (art.target.forward(x) - g(x)).norm(dim=1)
    assert e.value == float(gaps.max())
    assert torch.equal(e.argmax, x[int(gaps.argmax())])


def test_a_search_that_cannot_fit_is_refused_before_the_run(capsys, monkeypatch, no_sampling):

    monkeypatch.setattr(compare_mod, "available_memory", lambda device: 2**20)
    code, _, err = cli(["search", "--widths", "4,4,2", "--n", "4"], capsys)
    assert_one_line(code, err, "this search needs about")


def test_an_expanded_tensor_is_refused_before_it_is_materialised(tmp_path, capsys):
    """1.6 KB on disk, 20000 x 20000 (1.5 GiB float32, 3 GiB float64) once copied."""
    path = _save(tmp_path / "expand.pt", [torch.zeros(1).expand(20000, 20000)])
    assert path.stat().st_size < 4096
    t = time.perf_counter()
    code, _, err = cli(["run", "--target", str(path), *TINY], capsys)
    assert_one_line(code, err, "holds 400,000,000 numbers")
    assert time.perf_counter() - t < 5


def test_a_long_run_announces_its_estimate_and_a_short_one_does_not(capsys, monkeypatch):

    monkeypatch.setattr(run_mod.defaults, "ANNOUNCE_SECONDS", 0.0)
    assert main(["run", "--widths", "3,2", "--n", "3", "--samples", "16", "--json"]) == 0
    err = capsys.readouterr().err
    assert "approx run: about" in err and "peak memory about" in err
    monkeypatch.setattr(run_mod.defaults, "ANNOUNCE_SECONDS", 1e9)
    assert main(["run", "--widths", "3,2", "--n", "3", "--samples", "16", "--json"]) == 0
    assert "approx run: about" not in capsys.readouterr().err


# ---- outputs complete or absent -------------------------------------------------------------
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys, no_sampling):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for argv, match in [
        (["run", "--out", "/proc/approx-x"], "--out='/proc/approx-x': cannot write in"),
        (["run", "--out", str(a_file)], "exists and is not a directory"),
        (["tightness", "--out", str(tmp_path)], "is a directory, not a file"),
        (["tightness", "--out", "/proc/approx-x.md"], "cannot write in directory '/proc'"),
        (["plot", str(a_file), "--out", "/proc/approx-x"], "cannot write in"),
    ]:
        code, _, err = cli(argv, capsys)
        assert_one_line(code, err, match)


def test_a_full_disk_leaves_no_files_and_the_result_printed(tmp_path, capsys, monkeypatch):
    """The third file fails to write (ENOSPC): none of the three is left, nor the directory
    the run created, and the table was printed before."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli_run.torch, "save", full)
    out = tmp_path / "new" / "res"
    code, stdout, err = cli(
        ["run", "--widths", "3,2", "--n", "3", "--out", str(out), *TINY], capsys
    )
    assert_one_line(code, err, "No space left on device")
    assert "certified upper bound" in stdout
    assert not (tmp_path / "new").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_tiny_filesystem_leaves_no_partial_files(tmp_path, capsys):
    """A real 64 KiB tmpfs (root only): network.pt does not fit."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode:  # fmt: skip
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        out = mnt / "res"
        code, stdout, err = cli(
            ["run", "--widths", "8,8,2", "--n", "8", "--out", str(out), *TINY], capsys
        )
        assert_one_line(code, err, "could not write the files")
        assert "certified upper bound" in stdout
        assert list(mnt.iterdir()) == []
    finally:
        gc.collect()  # torch's failed writer may hold its file until collected
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_tightness_prints_its_table_before_a_failing_write(tmp_path, capsys, monkeypatch):

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli_tightness, "write_text_atomic", full)
    argv = ["tightness", "--construction", "pensia", "--widths", "2,2", "--eps", "0.3",
            "--seeds", "2", "--n-max", "3", "--workers", "1", "--quiet",
            "--out", str(tmp_path / "t.md")]  # fmt: skip
    code, stdout, err = cli(argv, capsys)
    assert_one_line(code, err, "printed above")
    assert "pensia" in stdout
    assert not (tmp_path / "t.md").exists()


# ---- sweep configs ---------------------------------------------------------------------------
CONFIGS = [
    ("[runs]\nn = 4\nwidths = 4\n", "widths=4 must be a list"),
    ("[runs]\nn = 4\nwidths = {a = 1}\n", "widths={'a': 1} must be a list"),
    ("[runs]\nn = 4\neps = {a = 1}\n", "is a table"),
    ('[runs]\nn = 4\ndtype = ["float64", "float16"]\n', "dtype='float16' is not one of"),
    ('[runs]\nn = 4\nsolver = "nope"\n', "solver='nope' is not one of"),
    ("[runs]\nn = 4\nseed = []\n", "seed=[] is empty"),
    ("[runs]\nn = 4\nconstruction = []\n", "construction=[] is empty"),
    ("[runs]\nn = 4\nwidths = []\n", "widths=[] is empty"),
    ("[runs]\nn = 4\nconstruction = 5\n", "construction=5 is not one of"),
    ("runs = 5\n", "[runs] must be a table"),
    ("store = 5\n[runs]\nn = 4\n", "store=5 must be a path string"),
    ("workers = 0\n[runs]\nn = 4\n", "workers=0 must be one integer >= 1"),
    ("workers = [2]\n[runs]\nn = 4\n", "workers=[2] must be one integer >= 1"),
    ("[runs]\nn = 4\nrescale = [1]\n", "rescale=1 must be true or false"),
    ("[runs]\nn = 4\nseed = 1.5\n", "seed=1.5: every entry must be an integer"),
    ("[subset_sum]\nn = 100\n", "takes at most 62"),
    (
        "[runs]\nn = 4\nseed = ["
        + ",".join(map(str, range(2000)))
        + "]\nwidth = "
        + str(list(range(1, 600)))
        + "\n",
        f"the grid has {2000 * 599 * len(CONSTRUCTIONS):,} points",
    ),
]


@pytest.mark.parametrize(("text", "match"), CONFIGS)
def test_bad_sweep_configs_are_one_line(text, match, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    code, _, err = cli(["sweep", str(cfg), "--store", str(tmp_path / "s.sqlite")], capsys)
    assert_one_line(code, err, match)
    assert not (tmp_path / "s.sqlite").exists()


def test_non_utf8_config_and_a_directory(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"[runs]\nn = 4 # \xff\xfe\n")
    code, _, err = cli(["sweep", str(cfg)], capsys)
    assert_one_line(code, err, "is not UTF-8 text")
    code, _, err = cli(["sweep", str(tmp_path)], capsys)
    assert_one_line(code, err, "is a directory")


def test_list_settings_are_axes_not_cut_to_their_first_value():

    pts = run_points({"construction": "pensia", "n": 4, "seed": [0, 1], "delta": [0.1, 0.2]})
    assert len(pts) == 4
    assert sorted({(p["seed"], p["delta"]) for p in pts}) == [
        (0, 0.1), (0, 0.2), (1, 0.1), (1, 0.2)
    ]  # fmt: skip


def test_a_large_grid_prints_its_size_and_estimate_first(tmp_path, capsys, monkeypatch):

    def stop(*args, **kwargs):
        raise KeyboardInterrupt  # as if Ctrl-C right after the announcement

    monkeypatch.setattr(cli_sweep, "sweep_blocks", stop)
    monkeypatch.setattr(cli_sweep.defaults, "SWEEP_ANNOUNCE_POINTS", 10)
    argv = ["sweep", "--width", "2", "--depth", "1", "--n", "2", "--seeds", "20",
            "--store", str(tmp_path / "s.sqlite")]  # fmt: skip
    code, _, err = cli(argv, capsys)
    assert code == 130
    points = f"{20 * len(CONSTRUCTIONS)} points"  # every construction by default
    assert points in err[0] and "about" in err[0] and "estimated from" in err[0]


# ---- stores -----------------------------------------------------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_with_rows(path: Path, n: int = 2) -> Path:
    with ResultStore(path) as store:
        for i in range(n):
            store.add("run", {"kind": "run", "i": i}, result={"v": i}, seconds=0.1)
    return path


def test_a_store_with_a_corrupt_row_is_refused_unchanged(tmp_path, capsys):
    path = _store_with_rows(tmp_path / "s.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE points SET config = '{not json' WHERE rowid = 2")
    conn.close()
    before = _digest(path)
    argv = ["sweep", "--width", "2", "--depth", "1", "--n", "2", "--store", str(path), *TINY]
    code, _, err = cli(argv, capsys)
    assert_one_line(code, err, "has 1 corrupt row(s) (rowid 2")
    code, _, err = cli(["plot", str(path), "--out", str(tmp_path / "f")], capsys)
    assert_one_line(code, err, "corrupt row")
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]


def test_reading_a_store_never_writes_to_it(tmp_path, capsys):
    path = _store_with_rows(tmp_path / "s.sqlite")
    before, mtime = _digest(path), path.stat().st_mtime_ns
    cli(["plot", str(path), "--out", str(tmp_path / "f")], capsys)
    assert (_digest(path), path.stat().st_mtime_ns) == (before, mtime)
    assert not list(tmp_path.glob("s.sqlite-*"))  # no -wal, -shm or -journal left


def test_dev_null_is_not_a_store_and_gets_no_journal(capsys, tmp_path):
    argv = ["sweep", "--width", "2", "--depth", "1", "--n", "2", "--store", "/dev/null", *TINY]
    code, _, err = cli(argv, capsys)
    assert_one_line(code, err, "is not a regular file")
    assert not Path("/dev/null-journal").exists()


def test_a_read_only_place_is_reported_as_read_only(tmp_path, capsys):
    mnt = tmp_path / "ro"
    mnt.mkdir()
    _store_with_rows(mnt / "s.sqlite")
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mnt)], capture_output=True).returncode:
        if os.geteuid() == 0:
            pytest.skip("cannot mount here")
        mnt.chmod(0o555)  # not root: permissions are enough
    else:  # root: a read-only filesystem holding a store
        _store_with_rows(mnt / "s.sqlite")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    try:
        argv = ["sweep", "--width", "2", "--depth", "1", "--n", "2",
                "--store", str(mnt / "s.sqlite"), *TINY]  # fmt: skip
        code, _, err = cli(argv, capsys)
        assert_one_line(code, err, "is read-only")
        assert "corrupt" not in err[0]
        code, _, err = cli(["plot", str(mnt / "s.sqlite"), "--out", str(tmp_path / "f")], capsys)
        assert "corrupt" not in " ".join(err) and "cannot be read" not in " ".join(err)
    finally:
        if os.geteuid() == 0:
            gc.collect()
            subprocess.run(["umount", "-l", str(mnt)], check=False)
        else:
            mnt.chmod(0o755)


def test_after_a_kill_the_store_is_one_file_again_on_next_open(tmp_path):
    """A writer that dies without closing leaves the WAL beside the store; the next open and
    close fold it back (nothing lost) and leave the one file."""
    path = tmp_path / "s.sqlite"
    code = (
        "import os, sys; from approx.experiments.store import ResultStore\n"
        "s = ResultStore(sys.argv[1])\n"
        "s.add('run', {'i': 1}, result={'v': 1}, seconds=0.1)\n"
        "os._exit(0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, timeout=120)
    assert Path(f"{path}-wal").exists()  # the kill's leftovers
    with ResultStore(path) as store:
        assert len(store) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_resumed_store_says_what_else_it_holds(tmp_path, capsys):
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as store:
        store.add("run", {"other": 1}, result={"versions": {"approx": "0.0.1"}}, seconds=0.1)
    argv = ["sweep", "--width", "2", "--depth", "1", "--n", "2", "--seeds", "1",
            "--construction", "pensia", "--store", str(path), *TINY]  # fmt: skip
    code, _, err = cli(argv, capsys)
    assert code == 0, err
    text = "\n".join(err)
    assert "also holds 1 points of another grid" in text
    assert "computed by approx 0.0.1" in text


# ---- tracebacks that became one line ------------------------------------------------------------
def _target_files(tmp_path: Path) -> dict[str, Path]:
    return {
        "meta": _save(tmp_path / "meta.pt", [torch.empty(2, 2, device="meta")]),
        "metamod": _save(
            tmp_path / "metamod.pt", nn.Sequential(nn.Linear(2, 2, bias=False, device="meta"))
        ),
        "complex": _save(tmp_path / "complex.pt", [torch.eye(2, dtype=torch.complex64) * 0.5]),
        "sparse": _save(tmp_path / "sparse.pt", [torch.eye(2).to_sparse()]),
        "intkey": _save(tmp_path / "intkey.pt", {1: torch.eye(2)}),
        "strval": _save(tmp_path / "strval.pt", {"0.weight": "abc"}),
        "bool": _save(tmp_path / "bool.pt", [torch.ones(2, 2, dtype=torch.bool)]),
    }


TRACEBACKS = [
    (["run", "--target", "{meta}"], "is a meta tensor"),
    (["run", "--target", "{metamod}"], "is a meta tensor"),
    (["run", "--target", "{complex}"], "is complex"),
    (["run", "--target", "{sparse}"], "has layout torch.sparse_coo"),
    (["run", "--target", "{intkey}"], "unsupported entry 1"),
    (["run", "--target", "{strval}"], "is a str, not a tensor"),
    (["run", "--target", "{bool}"], "holds booleans"),
    (["run", "--device", "mps"], "--device='mps'"),
    (["run", "--device", "xla"], "--device='xla'"),
    (["run", "--device", "xpu"], "--device='xpu'"),
    (["run", "--device", "hpu"], "--device='hpu'"),
    (["run", "--device", "meta"], "--device='meta'"),
    (["run", "--eps", "1e-320", "--solver", "brute"], "subset-sum instances of up to"),
    (["run", "--construction", "malach", "--eps", "1e-17"], "--eps=1e-17 is too small"),
    (["run", "--construction", "malach", "--eps", "5e-324"], "too small"),
    (["run", "--construction", "burkholz", "--eps", "1e-320"], "needs a random net of"),
    (["run", "--widths", "1" + "0" * 154 + ",2"], "give a target of"),
    (["run", "--widths", "1" + "0" * 400 + ",2"], "give a target of"),
    (["tightness", "--widths", "4"], "--widths=4 must be >= 2"),
    (["tightness", "--widths", "2,2", "--widths", "4"], "--widths=4 must be >= 2"),
    (["search", "--lr", "nan"], "--lr=nan"),
    (["search", "--lr", "-1"], "--lr=-1.0"),
    (["search", "--steps", "0"], "--steps=0"),
    (["search", "--points", "0"], "--points=0"),
    (["run", "--ascent-steps", "-1"], "--ascent-steps=-1"),
    (["run", "--samples", "0"], "--samples=0"),
    (["run", "--solver", "fewest", "--weight-tol", "-1"], "--weight-tol=-1.0"),
    (["run", "--solver", "fewest", "--weight-tol", "nan"], "--weight-tol=nan"),
    (["run", "--weight-tol", "0.1"], "--weight-tol=0.1 is only used by --solver='fewest'"),
]


@pytest.mark.parametrize(("argv", "match"), TRACEBACKS)
def test_former_tracebacks_are_one_line_before_any_work(argv, match, tmp_path, capsys, no_sampling):
    files = _target_files(tmp_path)
    code, _, err = cli([a.format(**files) for a in argv], capsys)
    assert_one_line(code, err, match)


def test_ctrl_c_is_one_line_and_exit_130(capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_run, "run", interrupted)
    code, _, err = cli(["run", *TINY], capsys)
    assert (code, err) == (130, ["approx run: interrupted"])


@pytest.mark.slow
def test_ctrl_c_during_a_run_is_one_line_and_exit_130(tmp_path):
    """A real SIGINT to a real run, well past its imports."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "approx.cli",
            "run",
            "--widths",
            "4,4,2",
            "--n",
            "8",
            "--samples",
            "100000000",
            "--ascent-steps",
            "0",
            "--quiet",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        time.sleep(1)
        deadline = time.monotonic() + 120  # until it is past its imports and computing
        while time.monotonic() < deadline and proc.poll() is None:
            cpu = sum(map(int, Path(f"/proc/{proc.pid}/stat").read_text().split()[13:15]))
            if cpu > 100 * 3:  # clock ticks: a few seconds of CPU, well into the run
                break
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["approx run: interrupted"]
    assert list(tmp_path.iterdir()) == []


def test_json_contract_only_gains_keys(capsys):
    """The run JSON is unchanged by this hardening (no key removed or renamed)."""
    assert main(["run", "--widths", "3,2", "--n", "3", *TINY, "--json"]) == 0
    keys = set(json.loads(capsys.readouterr().out))
    assert {"empirical_error", "certified_error", "phase_seconds", "n_per_layer"} <= keys


@pytest.mark.parametrize("eps", [1e-300, 1e-320, 5e-324])
def test_width_formulas_and_lower_bounds_stay_finite_for_a_subnormal_eps(eps):
    """`d · l / ε` overflows to inf for a subnormal ε although its logarithm is an ordinary
    number (a fuzzed `approx tightness --construction burkholz --eps 1e-320` died on it, and
    the packing count came out inf, which JSON refuses). Below the overflow the values are the
    plain formulas' bits."""
    import math

    from approx.constructions.burkholz import burkholz_samples_per_weight
    from approx.constructions.cnn import cnn_samples_per_weight, dense_specs
    from approx.measurement.bounds import packing_lower_bound_params, rfss_sufficient_n

    for n in (burkholz_samples_per_weight((4, 4, 4), eps, 0.1),
              cnn_samples_per_weight(dense_specs((4, 4, 4)), eps, 0.1)):  # fmt: skip
        assert all(isinstance(k, int) and 1_000 < k < 10_000 for k in n)
    assert math.isfinite(packing_lower_bound_params(4, 4, eps))
    assert rfss_sufficient_n(4, eps, 1.0) > 1_000
    assert packing_lower_bound_params(4, 4, 0.01) == 16 * math.log2(1 / 0.02) - 1
    assert burkholz_samples_per_weight((4, 4), 0.01, 0.1) == (math.ceil(2.5 * math.log(1600)),)


@pytest.mark.parametrize("flags", [["--depth", "9" * 20], ["--width", "100000"]])
def test_a_sweep_target_too_large_is_one_line_before_anything_is_built(flags, tmp_path, capsys):
    """A fuzzed `approx sweep --depth 99999999999999999999` died building the widths tuple
    (OverflowError); the grid now counts the target's weights first, as `approx run` does."""
    store = tmp_path / "s.sqlite"
    code, _, err = cli(["sweep", *flags, "--store", str(store)], capsys)
    assert_one_line(code, err, "give a target of")
    assert not store.exists()
