"""Refusals of the command line: `approx compare` names the flags the user typed."""

from __future__ import annotations

import re

import pytest

from .support import run_cli

# a library argument written as `name=` (not `--flag=`): what a refusal must not show
PYTHON_NAME = re.compile(r"(?<![\w.\-'])[a-z_]+=")

# flag, bad value, what the one line says; extra: flags that make the bad value reach its check
COMPARE_REFUSALS = [
    ("--samples", "0", "--samples=0 must be a positive integer", []),
    ("--samples", "-1", "--samples=-1 must be a positive integer", []),
    ("--ascent-steps", "-1", "--ascent-steps=-1 must be an integer >= 0", []),
    ("--n", "2,2,2", "--n=[2, 2, 2] has 3 entries; the target has 2", []),
    ("--n", "100000000", "--n=[100000000, 100000000] for widths [4, 4, 2] needs", []),
    ("--n", "0", "argument --n: --n='0' must be integers >= 1", []),
    ("--widths", "4", "--widths=[4] must be >= 2 positive integers", []),
    ("--widths", "100000,100000", "--widths=[100000, 100000] give a target of", []),
    ("--widths", "2,2", "--widths applies to --target random, not circle", ["--target", "circle"]),
    ("--depth", "0", "--depth=0 must be a positive integer", ["--target", "relu-chain"]),
    ("--depth", "2", "--depth applies to --target relu-chain, not random", []),
    ("--directions", "1", "--directions=1 must be an integer >= 3", ["--target", "circle"]),
    ("--directions", "100000000", "--directions=100,000,000 gives a target of",
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
