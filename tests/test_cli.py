"""The `approx` command: output, files, and one clear line + exit 2 for every bad input."""

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

from approx.basics.masks import Masks
from approx.basics.network import Network
from approx.cli import main

FAST = ["--samples", "256", "--ascent-steps", "5"]


def test_json_output_is_one_object(capsys):
    assert main(["run", "--widths", "3,3,2", "--eps", "0.05", "--json", *FAST]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    d = json.loads(out[0])
    assert d["construction"] == "pensia" and d["target_widths"] == [3, 3, 2]


def test_out_dir_files_load_and_masks_reproduce_the_subnetwork(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", "--widths", "4,3,2", "--out", str(out), *FAST]) == 0
    table = capsys.readouterr().out
    assert "certified upper bound" in table and "empirical estimate" in table
    result = json.loads((out / "result.json").read_text())
    assert (out / "error.png").stat().st_size > 0
    net = torch.load(out / "network.pt", weights_only=True)
    assert {"target", "random", "masks", "row_methods"} <= set(net)  # later keys: additions
    for rows, w in zip(net["row_methods"], net["target"], strict=True):  # docs/outputs.md
        assert rows["names"] == ["meet in the middle", "enumeration", "prefix"]
        assert rows["how"].shape == rows["valid"].shape == (2, *w.shape)
        assert torch.equal(rows["searched"], rows["valid"])  # n = 29: all one meet in the middle
    assert len(net["random"]) == 2 * len(net["target"]) == len(net["masks"])
    assert all(m.dtype == torch.bool for m in net["masks"])
    sub = Masks(tuple(net["masks"])).apply(Network.dense(tuple(net["random"])))
    assert sub.widths == tuple(result["random_widths"])
    assert sum(int(m.sum()) for m in net["masks"]) == result["kept_params"]


def test_user_target_file(tmp_path, capsys):
    seq = nn.Sequential(nn.Linear(3, 2, bias=False), nn.ReLU(), nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        for m in seq:
            if isinstance(m, nn.Linear):
                m.weight.mul_(0.3)
    torch.save(seq, tmp_path / "t.pt")
    assert main(["run", "--target", str(tmp_path / "t.pt"), "--n", "6", "--json", *FAST]) == 0
    assert json.loads(capsys.readouterr().out)["target_widths"] == [3, 2, 2]


def test_target_file_with_biases_runs_under_burkholz(tmp_path, capsys):
    """A file with biases (and tanh) runs under the construction whose theorem covers it, and
    its files keep the biases and the bias masks."""
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2))
    with torch.no_grad():
        for m in (seq[0], seq[2]):
            m.weight.mul_(0.5 / torch.linalg.matrix_norm(m.weight, ord=2))
    torch.save(seq, tmp_path / "t.pt")
    out = tmp_path / "res"
    argv = ["run", "--target", str(tmp_path / "t.pt"), "--construction", "burkholz"]
    assert main([*argv, "--n", "8", "--eps", "0.1", "--out", str(out), *FAST]) == 0
    table = capsys.readouterr().out
    assert "tanh, biases" in table and "points of the ball" in table
    d = json.loads((out / "result.json").read_text())
    assert d["activation"] == "tanh" and d["target_biases"] and d["empirical_domain"] == "ball"
    net = torch.load(out / "network.pt", weights_only=True)
    random = Network.dense(tuple(net["random"]), biases=tuple(net["random_biases"]))
    sub = Masks(tuple(net["masks"]), tuple(net["bias_masks"])).apply(random)
    kept = sum(int(m.sum()) for m in net["masks"] + [b for b in net["bias_masks"] if b is not None])
    assert kept == d["kept_params"] and sub.widths == tuple(d["random_widths"])
    assert net["activation"] == "tanh" and net["target_biases"][1] is not None


def _bad_files(tmp_path):
    nan = tmp_path / "nan.pt"
    torch.save([torch.tensor([[float("nan"), 0.0]])], nan)
    tanh = tmp_path / "tanh.pt"
    torch.save(nn.Sequential(nn.Linear(2, 2, bias=False), nn.Tanh()), tanh)
    big = tmp_path / "big.pt"
    torch.save([torch.eye(2) * 3], big)
    junk = tmp_path / "junk.pt"
    junk.write_text("not a torch file")
    biased = tmp_path / "biased.pt"
    torch.save(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)), biased)
    return {"nan": nan, "tanh": tanh, "big": big, "junk": junk, "biased": biased}


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--eps", "0"], "eps=0.0"),
        (["--eps", "1.5"], "eps=1.5"),
        (["--delta", "0"], "delta=0.0"),
        (["--construction", "nope"], "construction='nope'"),
        (["--solver", "nope"], "solver='nope'"),
        (["--widths", "a,b"], "--widths"),
        (["--widths", "0,3"], "--widths"),
        (["--n", "0"], "--n"),
        (["--n", "11", "--solver", "brute"], "--solver exact (any n), or --n 10"),
        (["--dtype", "float16"], "dtype='float16'"),
        (["--seed", "-1"], "seed=-1"),
        (["--target", "{nan}"], "non-finite"),
        (["--target", "{tanh}"], "no registered construction covers layer 1"),
        (["--target", "{big}"], "layer 1 has spectral norm 3"),
        (["--target", "{junk}"], "could not be read"),
        (["--target", "/no/such/file.pt"], "not a file"),
        (["--activation", "tanh"], "construction 'pensia' does not cover layer 1"),
        (["--bias", "--construction", "malach"], "construction 'malach' does not cover layer 1"),
        (["--activation", "softplus", "--construction", "burkholz"], "activation='softplus'"),
        (["--activation", "leaky_relu(2)", "--construction", "burkholz"], "slope 2"),
        (["--target", "{biased}"], "construction 'pensia' does not cover layer 1"),
        (["--target", "{biased}", "--activation", "tanh"], "describe a random target"),
    ],
)
def test_bad_input_one_line_exit_2(argv, match, tmp_path, capsys):
    files = _bad_files(tmp_path)
    argv = [a.format(**files) for a in argv]
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["run", *argv, *FAST]))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]
    assert "Traceback" not in "\n".join(err)


def test_console_script_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "approx.cli", "run", "--widths", "2,2", "--json", *FAST],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["target_widths"] == [2, 2]
