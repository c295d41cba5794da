"""`approx run --construction orseau` and `--construction natale --density`: the same table and
JSON contract as every construction, and one line + exit 2 for their bad input."""

from __future__ import annotations

import json

import pytest

from approx.cli import main

FAST = ["--samples", "64", "--ascent-steps", "2"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--construction", "orseau", "--widths", "3,2", "--eps", "0.1"],
        ["--construction", "natale", "--density", "0.2", "--widths", "3,3,2", "--eps", "0.1"],
    ],
)
def test_table_and_json(argv, capsys):
    assert main(["run", *argv, *FAST, "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "certified upper bound" in table and "empirical estimate" in table
    assert main(["run", *argv, *FAST, "--quiet", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    d = json.loads(out[0])
    assert d["construction"] == argv[1] and d["empirical_error"] <= d["certified_error"] + 1e-12
    if argv[1] == "natale":
        assert d["requested_density"] == 0.2 and d["density"] <= 0.2
        assert "asked <= 20.000%" in table
    else:
        assert d["requested_density"] is None


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--construction", "pensia", "--density", "0.1"], "is an option of construction"),
        (["--construction", "orseau", "--density", "0.1"], "is an option of construction"),
        (["--construction", "natale", "--density", "0"], "density=0.0"),
        (["--construction", "natale", "--density", "2"], "density=2.0"),
        (["--construction", "natale", "--solver", "greedy"], "does not apply to construction"),
        (["--construction", "pensia", "--solver", "fixed"], "does not apply to construction"),
    ],
)
def test_bad_sparse_input_one_line_exit_2(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["run", "--widths", "2,2", *argv, *FAST, "--quiet"]))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0], err
