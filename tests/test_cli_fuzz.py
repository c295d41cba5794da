"""Fuzzing the command line: argument strings and target-file contents drawn by Hypothesis.

Whatever the input, `approx` exits 0 or 2, prints at most one line on stderr when it exits 2,
never lets an exception escape (no traceback), and creates no file outside the output it was
given (`--out`, `--store`). Work is kept tiny: the options that set how long a valid run takes
(`--samples`, `--ascent-steps`, tightness's `--seeds`/`--n-max`, search's step counts,
compare's methods) are fixed after the drawn ones, which cannot override them. The fast suite
draws a few examples;
`test_fuzz_many` (slow) draws many.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn

from .support import fuzz_settings, generator, run_cli, seeds

VALUES = [
    "0", "-1", "1", "2", "3", "0.5", "0.1", "0.3", "1e-320", "5e-324", "1e-17", "nan", "inf",
    "-inf", "1e308", "99999999999999999999", "1" + "0" * 160, "a", "", " ", "2,2", "4,4,2",
    "3,2", "1,0", "3,", ",", "1.5", "pensia", "malach", "all", "exact", "fewest", "greedy",
    "brute", "milp", "float32", "float64", "float16", "cpu", "cuda", "mps", "meta", "csv", "md",
    "edge-popup", "png", "pdf,svg", "x" * 300, "--json", "\x00", "é", "burkholz", "orseau",
    "natale", "cnn", "tanh", "sigmoid", "relu", "sandwich", "1,3,3", "3x3",
]  # fmt: skip

# plausible values per flag, drawn as often as the junk above, so valid commands are explored too
PLAUSIBLE = {
    "--widths": ["2,2", "3,2", "4,4,2", "2,3,2"],
    "--width": ["2", "3"],
    "--depth": ["1", "2"],
    "--eps": ["0.5", "0.3", "0.1"],
    "--delta": ["0.1", "0.5"],
    "--construction": ["pensia", "malach", "burkholz", "orseau", "natale", "all"],
    "--activation": ["relu", "tanh", "sigmoid"],
    "--error": ["certified", "sandwich"],
    "--density": ["0.3", "1", "0.1"],
    "--n": ["2", "3", "4", "2,3"],
    "--C": ["0.5", "1", "2.5"],
    "--width-factor": ["2", "4"],
    "--solver": ["exact", "fewest", "greedy", "brute"],
    "--weight-tol": ["0.01", "0.1"],
    "--seed": ["0", "1", "7", "0,1"],
    "--device": ["cpu"],
    "--dtype": ["float32", "float64"],
    "--max-memory": ["1", "0.001", "100"],
    "--method": ["greedy", "edge-popup"],
    "--lr": ["0.01", "1"],
    "--format": ["md", "csv", "png"],
    "--target": ["random", "relu-chain", "circle"],
    "--directions": ["3", "4"],
    "--densities": ["0.3", "0.1,0.5"],
    "--methods": ["greedy", "annealing", "all"],
}

FLAGS = {
    "run": ["--widths", "--eps", "--delta", "--construction", "--n", "--C", "--solver",
            "--weight-tol", "--seed", "--device", "--dtype", "--max-memory", "--activation",
            "--error", "--density"],
    "search": ["--widths", "--construction", "--n", "--method", "--density", "--lr", "--seed"],
    "tightness": ["--construction", "--widths", "--eps", "--delta", "--C", "--solver",
                  "--format", "--error"],
    "sweep": ["--construction", "--width", "--depth", "--widths", "--eps", "--n",
              "--width-factor", "--C", "--seed", "--delta", "--solver"],
    "plot": ["--format"],
    "compare": ["--target", "--widths", "--depth", "--directions", "--construction", "--n",
                "--methods", "--densities", "--seed", "--device"],
}  # fmt: skip
SWITCHES = {"run": ["--rescale", "--json", "--bias"], "search": ["--json"], "tightness": [],
            "sweep": [], "compare": ["--planted", "--json"]}  # fmt: skip
# appended last: a valid drawn command stays tiny
FIXED = {
    "run": ["--samples", "16", "--ascent-steps", "0", "--sandwich-boxes", "50", "--quiet"],
    "search": ["--method", "greedy", "--steps", "2", "--points", "16", "--max-steps", "2",
               "--samples", "16", "--ascent-steps", "0"],
    "tightness": ["--seeds", "1", "--n-max", "2", "--workers", "1", "--quiet"],
    "sweep": ["--samples", "16", "--ascent-steps", "0", "--workers", "1", "--quiet"],
    "plot": [],
    "compare": ["--methods", "greedy", "--samples", "16", "--ascent-steps", "0", "--quiet"],
}  # fmt: skip

DTYPES = [torch.float64, torch.float32, torch.float16, torch.int64, torch.bool, torch.complex64]


@st.composite
def tensors(draw, seed):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    dtype = draw(st.sampled_from(DTYPES))
    t = torch.rand(shape, generator=generator(seed), dtype=torch.float64) * 2 - 1
    special = draw(st.sampled_from([None, float("nan"), float("inf"), 1e6, 0.0]))
    if special is not None and t.numel():
        t.view(-1)[0] = special
    return t.to(dtype)


@st.composite
def target_objects(draw):
    """What `torch.save` may have written: tensors, lists, state dicts, modules, junk."""
    seed = draw(seeds)
    kind = draw(st.sampled_from(["list", "dict", "module", "tensor", "other"]))
    if kind == "list":
        return draw(st.lists(tensors(seed), max_size=3))
    if kind == "tensor":
        return draw(tensors(seed))
    if kind == "dict":
        keys = st.sampled_from(["0.weight", "0.bias", "2.weight", "weight", "bias", "a.b", 1])
        vals = st.one_of(tensors(seed), st.sampled_from([None, 3, "x", [1.0]]))
        return draw(st.dictionaries(keys, vals, max_size=4))
    if kind == "module":
        d = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(d):
            layers.append(nn.Linear(a, b, bias=draw(st.booleans())))
            layers.append(draw(st.sampled_from([nn.ReLU(), nn.Tanh(), nn.Identity()])))
        torch.manual_seed(seed)  # the modules' own initialisation; tests only
        return nn.Sequential(*layers[: draw(st.integers(1, len(layers)))])
    return draw(st.sampled_from([None, 5, "text", [], {}, [[torch.eye(2)]], (torch.eye(2),)]))


@st.composite
def invocations(draw):
    """(command, drawn args, target file contents as bytes or an object, output kind)."""
    command = draw(st.sampled_from(sorted(FLAGS)))
    args: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        flag = draw(st.sampled_from(FLAGS[command]))
        pool = PLAUSIBLE[flag] if draw(st.booleans()) else VALUES
        args += [flag, draw(st.sampled_from(pool))]
    for switch in SWITCHES.get(command, []):
        if draw(st.booleans()):
            args.append(switch)
    target = None
    if command == "run" and draw(st.booleans()):
        target = draw(st.one_of(st.binary(max_size=64), target_objects()))
    out = draw(st.sampled_from(["new", "deep", "file", "proc", "none"]))
    return command, args, target, out


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _check(command: str, args: list[str], target, out_kind: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        cwd = root / "cwd"
        cwd.mkdir()
        existing = root / "a_file"
        existing.write_text("x")
        out = {
            "new": root / "out",
            "deep": root / "n" / "e" / "out",
            "file": existing,
            "proc": Path("/proc/approx-fuzz"),
            "none": None,
        }[out_kind]
        argv = [command, *args]
        if target is not None:
            path = root / "target.pt"
            if isinstance(target, bytes):
                path.write_bytes(target)
            else:
                torch.save(target, path)
            argv += ["--target", str(path)]
        store = root / "s.sqlite"
        if command == "sweep":
            argv += ["--store", str(store)]
        if command == "plot":
            argv = ["plot", str(store if out_kind == "new" else existing), *args]
            argv += ["--out", str(out or root / "figs")]
        elif command in ("run", "tightness", "compare") and out is not None:
            argv += ["--out", str(out if command != "tightness" else Path(str(out) + ".md"))]
        argv += FIXED[command]
        before = _files(root)
        code, _, err = run_cli(argv, cwd)
        event(f"{command} exit {code}")
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err, (argv, err)
        if code == 2:
            assert len(err.strip().splitlines()) <= 1, (argv, err)
        allowed = [p for p in (out, store, root / "figs") if p is not None]
        if command == "tightness" and out is not None:
            allowed.append(Path(str(out) + ".md"))
        new = {
            p
            for p in _files(root) - before
            if not any(p == a or a in p.parents or p.name.startswith(a.name) for a in allowed)
            and not any(p in a.parents for a in allowed)
        }
        assert not new, (argv, sorted(map(str, new)))


FUZZ = fuzz_settings(12)


@FUZZ
@given(invocations())
def test_fuzz_exit_0_or_2_one_line_no_traceback_no_stray_files(inv):
    _check(*inv)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invocations())
def test_fuzz_many(inv):
    _check(*inv)
