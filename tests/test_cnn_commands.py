"""Convolutional targets in the commands beyond `approx run`: sweeps (`target=` files and
generated `conv=` architectures, every key checked with a message naming it, rows stored with
the conv run's keys, resumed, reproduced by the same seed), tightness tables, and the search's
refusal."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from approx.basics.errors import InvalidArgument
from approx.cli import main
from approx.constructions import CONSTRUCTIONS
from approx.experiments.conv_targets import build_conv_target
from approx.experiments.grid import load_config, run_points
from approx.experiments.points import evaluate
from approx.experiments.runner import Runner, sweep
from approx.experiments.store import ResultStore, canonical_json, load_rows
from approx.experiments.tightness import tightness, tightness_from_results
from approx.pipeline.run import run

REPO = Path(__file__).resolve().parents[1]
# a 1x5x5 input, conv 3x3 1->2: 18 kernel entries, the cheapest conv target worth a sweep
CONV = {"construction": "cnn", "conv": [2], "input_shape": [1, 5, 5], "n": 2, "eps": 0.1}
FAST = {"empirical_samples": 16, "ascent_steps": 1}


def conv_file(tmp_path) -> Path:
    path = tmp_path / "conv.pt"
    module = nn.Sequential(
        nn.Conv2d(1, 2, 3, bias=False), nn.ReLU(), nn.Conv2d(2, 1, 3, bias=False)
    )
    torch.save(module, path)
    return path


def test_generated_conv_points_carry_the_architecture_and_feature_widths():
    points = run_points({**CONV, "conv": [[2], [2, 1]], "kernel": [1, 3], "dense": [4], **FAST})
    assert len(points) == 4
    p = points[0]
    assert p["target"] == {
        "input_shape": [1, 5, 5],
        "channels": [2],
        "kernel": 1,
        "padding": 0,
        "dense": [4],
    }
    assert p["widths"] == [25, 50, 4]  # c*H*W features, as the run reports them
    assert [q["widths"] for q in points] == [
        [25, 50, 4],
        [25, 18, 4],
        [25, 50, 25, 4],
        [25, 18, 1, 4],
    ]


def test_construction_all_keeps_those_that_cover_convolutions():
    assert {p["construction"] for p in run_points({**CONV, "construction": "all", **FAST})} == {
        "cnn"
    }


def test_sweep_stores_conv_rows_resumes_and_matches_a_direct_run(tmp_path):
    path = tmp_path / "s.sqlite"
    points = run_points({**CONV, "seed": [0, 1], **FAST})
    rows, summary = sweep(points, path, workers=1, progress=False)
    assert [r.status for r in rows] == ["ok", "ok"] and summary.computed == 2
    for row in rows:
        r = row.result
        assert r["input_shape"] == [1, 5, 5] and r["target_layers"] == ["Conv2d 1->2 3x3"]
        assert r["target_widths"] == [25, 18] and row.config["target"]["channels"] == [2]
        assert r["empirical_error_max_norm"] <= r["certified_error_max_norm"]
    assert rows[0].result["certified_error"] != rows[1].result["certified_error"]  # 2 targets
    again, summary2 = sweep(points, path, workers=1, progress=False)
    assert (summary2.computed, summary2.already_stored) == (0, 2) and again == rows
    # the stored row is the run of the target the point names, drawn from the point's seed
    target = build_conv_target(points[1]["target"], 1)
    direct = run(target, construction="cnn", n=2, eps=0.1, seed=1, **FAST).to_json()
    timing = {"seconds", "phase_seconds"}
    assert {k: v for k, v in direct.items() if k not in timing} == {
        k: v for k, v in rows[1].result.items() if k not in timing
    }


def test_a_file_target_is_run_and_an_edited_file_is_refused(tmp_path):
    path = conv_file(tmp_path)
    table = {"construction": "cnn", "target": str(path), "input_shape": [1, 6, 6], "n": 2}
    table["rescale"] = True  # torch's init is outside the class (kernel l1 norms above 1)
    (point,) = run_points({**table, "eps": 0.1, **FAST})
    assert point["widths"] == [36, 32, 4] and len(point["target"]["sha256"]) == 64
    assert evaluate(point)["target_layers"] == ["Conv2d 1->2 3x3", "Conv2d 2->1 3x3"]
    torch.save(nn.Sequential(nn.Conv2d(1, 1, 3, bias=False)), path)
    with pytest.raises(InvalidArgument, match=r"changed .* SHA-256 differs"):
        evaluate(point)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"conv": [2], "n": 2}, "input_shape= \\[c, H, W\\] is needed"),
        ({**CONV, "input_shape": [5, 5]}, "input_shape=\\[5, 5\\] must be one list"),
        ({**CONV, "input_shape": [1, 0, 5]}, "input_shape="),
        ({**CONV, "conv": [0]}, "conv=\\[0\\]: every entry must be an integer >= 1"),
        ({**CONV, "conv": "2"}, "conv='2' must be a non-empty list"),
        ({**CONV, "kernel": 7}, "conv=\\[2\\]: conv target: layer 1's 7x7 kernel does not fit"),
        ({**CONV, "padding": -1}, "padding=-1: every entry must be an integer >= 0"),
        ({**CONV, "widths": [4, 2]}, "give the target one way"),
        ({**CONV, "construction": "pensia"}, "construction 'pensia' does not cover layer 1"),
        ({**CONV, "n": None, "width_factor": 2.0}, "width_factor= is for dense targets"),
        ({"kernel": 3, "width": 2, "n": 2}, "\\['kernel'\\] describe a conv target"),
        ({**CONV, "conv": None, "target": "missing.pt"}, "target='missing.pt' cannot be read"),
        ({**CONV, "conv": None, "target": "x.pt", "kernel": 3}, "describe a generated target"),
    ],
)
def test_bad_conv_keys_are_refused_naming_them(table, match):
    with pytest.raises(InvalidArgument, match=match):
        run_points({k: v for k, v in table.items() if v is not None})


def test_cli_sweep_refuses_a_bad_conv_config_in_one_line(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[runs]\nconstruction = "cnn"\nconv = [2]\nn = 2\n')
    assert main(["sweep", str(cfg), "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "input_shape=" in err


def test_example_conv_config_parses():
    cfg = load_config(REPO / "examples" / "conv_sweep.toml")
    points = cfg.points
    assert cfg.count == len(points) > 0
    assert {p["construction"] for p in points} == {"cnn"} and all("target" in p for p in points)


def test_tightness_on_a_conv_target_probes_it_and_labels_it(tmp_path, capsys):
    """`approx tightness --conv`: the probes run the CNN construction on the conv target (the
    store holds them), the theorem's n is the CNN formula for its geometry, and the row names
    the architecture; --construction all keeps the constructions that cover convolutions."""
    store = tmp_path / "t.sqlite"
    args = ["tightness", "--conv", "2", "--input-shape", "1,5,5", "--eps", "0.5"]
    args += ["--delta", "0.5", "--seeds", "2", "--n-max", "3", "--workers", "1", "--quiet"]
    assert main([*args, "--store", str(store), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    (cells,) = list(csv.reader(out.strip().splitlines()))[1:]
    assert cells[:2] == ["cnn", "conv 2 3x3 on 1x5x5"]
    theorem_n = (
        CONSTRUCTIONS["cnn"]
        .for_target(build_conv_target(run_points({**CONV, **FAST})[0]["target"], 0))
        .size((25, 18), 0.5, 0.5, CONSTRUCTIONS["cnn"].default_C)
    )
    assert cells[7] == f"{theorem_n[0]} (C=2.5)"
    rows = load_rows(store)
    assert rows and all(r.config["target"]["channels"] == [2] for r in rows)
    assert all(r.result["input_shape"] == [1, 5, 5] for r in rows if r.status == "ok")


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--conv", "2"], "--input-shape \\[c, H, W\\] is needed with --target or --conv"),
        (["--conv", "2", "--input-shape", "1,5,5", "--construction", "pensia"], "'pensia' does"),
        (["--conv", "2", "--input-shape", "1,5,5", "--widths", "2,2"], "one way"),
        (["--conv", "2", "--input-shape", "1,5,5", "--kernel", "9"], "9x9 kernel does not fit"),
    ],
)
def test_tightness_refuses_bad_conv_flags_in_one_line(extra, match, capsys):
    assert main(["tightness", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(match, err)


@pytest.mark.parametrize("rescale", [[], ["--rescale"]])
def test_search_refuses_a_conv_target_naming_its_layer(tmp_path, rescale, capsys):
    """The searches (edge-popup, greedy layer-wise) and their measurement are dense-only: a
    conv target is refused in one line before anything is drawn, not run on flattened
    widths."""
    path = conv_file(tmp_path)
    assert main(["search", "--target", str(path), "--construction", "cnn", *rescale]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "layer 1 (Conv2d 1->2 3x3) is a convolution; the searches cover dense" in err


def test_a_float32_conv_run_says_its_certified_bound_is_not_proven(tmp_path, capsys):
    """The conv bound uses the kernels summed in the run's dtype, not the stored weights'
    exact sums (docs/cnn.md): a float32 run says so on both certified rows and below the
    table; a float64 run makes no such mark."""
    path = conv_file(tmp_path)
    args = ["run", "--construction", "cnn", "--target", str(path), "--input-shape", "1,6,6"]
    args += ["--rescale", "--n", "2", "--samples", "16", "--ascent-steps", "0"]
    assert main([*args, "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert out.count("(not proven in float32: see below)") == 2
    assert "certified (convolutions, float32): proven for the kernels as the construction" in out
    assert main(args) == 0
    assert "not proven" not in capsys.readouterr().out


def test_tightness_rows_from_a_store_of_conv_probes(tmp_path):
    """The report's tightness table settles a conv target's row from the store, the same row
    as the search that filled it, given the stored points' target specs (the result alone
    lacks the kernels and padding: without them the conv results settle nothing)."""
    spec = run_points({**CONV, **FAST})[0]["target"]
    widths = build_conv_target(spec, 0).feature_widths
    with ResultStore(tmp_path / "t.sqlite") as st, Runner(st, 1, progress=False) as runner:
        row = tightness(runner, "cnn", widths, 0.5, 0.5, seeds=2, target=canonical_json(spec))
        ok = [r for r in st.rows() if r.status == "ok"]
    assert math.isfinite(row.n_needed)
    results = [r.result for r in ok]
    (again,) = tightness_from_results(results, [canonical_json(r.config["target"]) for r in ok])
    assert replace(again, n_max=row.n_max) == row  # the store does not know the search's reach
    assert tightness_from_results(results) == []
