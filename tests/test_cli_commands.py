"""The small things a new user reaches for: --version, python -m approx, search --target,
export, check-proofs' own name in its help, and defaults that never write into the current
directory."""

from __future__ import annotations

import csv
import io
import json
import runpy
import sys

import pytest
import torch

from approx import __version__, network_to_module, random_target
from approx.cli import main
from approx.experiments.store import ResultStore
from approx.pipeline.run import run

FAST = ["--samples", "64", "--ascent-steps", "1"]


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"approx {__version__}"


def test_python_dash_m_approx(monkeypatch, capsys):
    """`python -m approx` runs approx/__main__.py as __main__ (in-process: a subprocess would
    pay the imports again)."""
    monkeypatch.setattr(sys, "argv", ["approx", "--version"])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("approx", run_name="__main__")
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"approx {__version__}"


def test_check_proofs_help_names_the_approx_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check-proofs", "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("usage: approx check-proofs")


def test_search_takes_a_target_file(tmp_path, capsys):
    path = tmp_path / "target.pt"
    torch.save(network_to_module(random_target((3, 2, 2), generator=torch.Generator())), path)
    argv = ["search", "--target", str(path), "--n", "4", "--method", "greedy", "--json"]
    assert main([*argv, "--points", "32", "--max-steps", "20", *FAST]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["target_widths"] == [3, 2, 2]
    assert [r["method"] for r in d["rows"]] == ["empty masks", "construction (pensia)", "greedy"]
    with pytest.raises(SystemExit) as exc:
        main(["search", "--target", str(path), "--widths", "3,2"])
    assert exc.value.code == 2  # one source of target, not two


def _store(tmp_path):
    path = tmp_path / "s.sqlite"
    r = run(widths=(2, 2), n=3, seed=1, empirical_samples=16, ascent_steps=0)
    with ResultStore(path) as store:
        store.add("run", {"widths": [2, 2], "n": 3, "seed": 1}, result=r.to_json(), seconds=0.5)
        store.add("subset_sum", {"n": 4, "eps": 0.1}, result={"success": 0.25}, seconds=0.1)
        store.add("run", {"widths": [2, 2], "n": 0}, error="n=0 must be positive", seconds=0.0)
    return path, r


def test_export_csv_has_one_row_per_point_and_every_field(tmp_path, capsys):
    path, r = _store(tmp_path)
    assert main(["export", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [x["kind"] for x in rows] == ["run", "subset_sum", "run"]
    assert [x["status"] for x in rows] == ["ok", "ok", "failed"]
    first = rows[0]
    assert float(first["result.certified_error"]) == r.certified_error
    assert json.loads(first["result.n_per_layer"]) == [3]
    assert first["config.seed"] == "1" and rows[1]["result.success"] == "0.25"
    assert rows[1]["result.certified_error"] == "" and rows[2]["error"] == "n=0 must be positive"
    out = tmp_path / "runs.csv"
    assert main(["export", str(path), "--kind", "run", "--out", str(out)]) == 0  # csv default
    assert len(list(csv.DictReader(io.StringIO(out.read_text())))) == 2


def test_export_json_is_the_stored_rows(tmp_path, capsys):
    path, _ = _store(tmp_path)
    assert main(["export", str(path), "--format", "json", "--kind", "subset_sum"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["config"] == {"n": 4, "eps": 0.1}
    assert rows[0]["result"] == {"success": 0.25}


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--format", "xls"], "--format='xls'"),
        (["--kind", "runs"], "--kind='runs'"),
        (["--out", "/no/such/dir/x.csv"], "--out="),
    ],
)
def test_export_bad_input_one_line_exit_2(tmp_path, capsys, argv, match):
    path, _ = _store(tmp_path)
    assert main(["export", str(path), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]
    assert main(["export", str(tmp_path / "none.sqlite")]) == 2


def test_sweep_default_store_goes_to_results_not_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "tiny.toml"
    config.write_text("[subset_sum]\ndistribution = 'uniform'\nn = 4\neps = 0.1\ntrials = 50\n")
    assert main(["sweep", str(config), "--workers", "1", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "tiny.toml"]
    assert (tmp_path / "results" / "tiny.sqlite").is_file()
