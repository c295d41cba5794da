"""The command's start-up: `approx --help` and usage errors import no heavy library (torch,
numba, matplotlib, scipy, sympy), the parsers' copies of registry names match the registries,
the thread policy leaves a user's settings alone, and Ctrl-C during the seconds of imports a
command pays is the same one line and exit 130 as Ctrl-C during its work."""

from __future__ import annotations

import importlib.abc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from approx.basics import defaults
from approx.basics.devices import DTYPES
from approx.basics.threads import available_cores, quiet_thread_pools
from approx.cli import COMMANDS, implementation, main
from approx.cli.parsers import names
from approx.constructions import CONSTRUCTIONS
from approx.engine.subset_sum import SOLVERS
from approx.experiments.export import FORMATS
from approx.experiments.figures.common import STYLES
from approx.pipeline.search import METHODS

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "numba", "matplotlib", "scipy", "sympy")


def _imported(argv: list[str]) -> set[str]:
    """The top-level packages `python -m approx.cli ARGV` imports (from -X importtime)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "approx.cli", *argv],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (0, 2), proc.stderr
    rows = [line.split("|")[-1] for line in proc.stderr.splitlines() if "|" in line]
    return {row.strip().split(".")[0] for row in rows}


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["run", "--n", "x"]])
def test_help_and_usage_errors_import_no_heavy_library(argv):
    imported = _imported(argv)
    assert "approx" in imported  # the check reads the import log, not an empty one
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_parser_names_match_their_sources():
    assert names.CONSTRUCTIONS == tuple(sorted(CONSTRUCTIONS))
    assert names.SOLVERS == tuple(SOLVERS)
    assert names.DTYPES == tuple(sorted(DTYPES))
    assert defaults.COMPARE_METHODS == tuple(METHODS)  # approx compare's 'all', in its help
    assert names.PLOT_STYLES == tuple(STYLES)
    assert names.EXPORT_FORMATS == tuple(FORMATS)


def test_every_command_has_an_implementation():
    for name in COMMANDS:
        assert callable(implementation(name).command), name


def test_thread_policy_leaves_the_users_settings():
    environ = {"OMP_WAIT_POLICY": "ACTIVE", "KMP_BLOCKTIME": ""}
    quiet_thread_pools(environ)
    assert environ == {"OMP_WAIT_POLICY": "ACTIVE", "KMP_BLOCKTIME": "0"}
    assert 1 <= available_cores() <= (os.cpu_count() or 1)


class _Interrupting(importlib.abc.MetaPathFinder):
    """Ctrl-C while a command's module is being imported."""

    def find_spec(self, fullname, path, target=None):
        if fullname == "approx.cli.run":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_during_the_imports_is_one_line_and_exit_130(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "approx.cli.run", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Interrupting(), *sys.meta_path])
    assert main(["run", "--widths", "2,2", "--n", "4"]) == 130
    assert capsys.readouterr().err.strip().splitlines() == ["approx run: interrupted"]


def test_sigint_while_torch_loads_is_one_line_and_exit_130(tmp_path):
    """A real SIGINT, sent once the process maps libtorch (inside `import torch`)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "approx.cli", "run", "--widths", "2,2", "--n", "4", "--quiet"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if "libtorch" in Path(f"/proc/{proc.pid}/maps").read_text():
                    break
            except OSError:
                pass
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, err.strip().splitlines()) == (130, ["approx run: interrupted"])


def test_a_reader_that_goes_away_gets_no_traceback():
    # `approx run --json | head -c 10`: the pipe closes before the result is written
    with subprocess.Popen(
        [sys.executable, "-m", "approx.cli", "run", "--widths", "2,2", "--n", "3", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ) as proc:
        proc.stdout.close()  # the reader is gone before anything is written
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_only_the_process_own_command_freezes_the_collector(monkeypatch, capsys):
    """`main()` (the `approx` program: its own command line) ends with `gc.freeze()`, sparing
    the interpreter's exit a full collection over torch's objects; `main(argv)`, as tests and
    other programs call it, never does (frozen objects are never collected again)."""
    import gc

    import approx.cli as cli_mod

    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    monkeypatch.setattr(sys, "argv", ["approx", "run", "--eps", "2"])
    assert cli_mod.main() == 2
    assert calls == [1]
    assert main(["run", "--eps", "2"]) == 2
    assert calls == [1]
    assert capsys.readouterr().err.count("--eps=2.0 must be in (0, 1)") == 2
