"""Planted tickets and `approx compare`: the planted network computes the target on the planted
masks (oracle: the target itself), planting changes only the ticket's weights, the hand-built
tickets are what they claim, and the comparison, its JSON, its sweep points and its figure end
to end (tiny sizes)."""

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.masks import Masks
from approx.basics.sampling import random_target, unit_sphere
from approx.cli import main
from approx.constructions import get_construction
from approx.experiments.figures import fig_error_vs_params, plot_store
from approx.experiments.figures.common import PAGE_WIDTH, plt
from approx.experiments.grid import config_from_dict, load_config
from approx.experiments.points import POINT_OVERHEAD_S, estimate_seconds, evaluate
from approx.experiments.runner import sweep
from approx.experiments.threads import limited_threads
from approx.measurement.certified import certified_error
from approx.pipeline.search.benchmark import benchmark
from approx.pipeline.search.compare import half_line_layers
from approx.pipeline.search.planted import circle, half_line_ticket, overlap, plant, relu_chain

from .support import generator, seeds

PENSIA = get_construction("pensia")
ROOT = Path(__file__).resolve().parents[1]
# a few steps per method: the comparison's plumbing, not the methods' quality
FAST = {
    "edge-popup": {"steps": 10, "eval_every": 5},
    "greedy": {"samples": 32, "max_steps": 10},
    "supermask": {"steps": 10, "eval_every": 5},
    "imp": {"steps": 5},
    "gmp": {"steps": 10, "every": 2},
    "rigl": {"steps": 10, "every": 2},
    "evolution": {"generations": 2, "population": 4},
    "annealing": {"steps": 20},
}


@pytest.fixture(autouse=True)
def one_thread():
    """One compute thread, as `approx compare` runs (`limited_threads`): on these tiny networks
    a second thread only adds synchronisation (measured on a loaded 2-core machine: a 70-step
    IMP run took 0.06 s of CPU with one thread, 5 s with two)."""
    with limited_threads():
        yield


@given(seed=seeds, widths=st.sampled_from([(2, 2), (3, 2, 2), (2, 3, 1), (1, 1, 1, 1)]))
def test_planted_masks_compute_the_target_and_only_the_ticket_changes(seed, widths):
    """Oracle: the target. The planted masks keep one input edge per hidden unit and realise
    every layer exactly (P = N = W), so the certified bound is ~0 too."""
    target = random_target(widths, generator=generator(seed))
    net = PENSIA.sample(widths, (2,) * (len(widths) - 1), generator=generator(seed + 1))
    planted = plant(half_line_ticket(target), net)
    x = unit_sphere(64, widths[0], generator(seed + 2))
    sub = planted.masks.apply(planted.net)
    assert torch.allclose(sub(x), target(x), atol=1e-12)
    for before, after, m in zip(net.weights, planted.net.weights, planted.masks.masks, strict=True):
        assert torch.equal(before[~m], after[~m])  # nothing outside the ticket moves
    layers = half_line_layers(planted.net, planted.masks)
    assert certified_error(target, layers).value < 1e-12
    per_layer = [2 * a + 2 * a * b for a, b in itertools.pairwise(widths)]
    assert planted.masks.n_kept_per_layer()[::2] == tuple(2 * a for a in widths[:-1])
    assert planted.masks.n_kept == sum(per_layer)


def test_hidden_units_keep_their_own_weight_and_the_largest_of_their_sign():
    """A one-input ticket neuron matches every host of its sign at L1 distance 0; ours takes the
    largest |weight|, which it keeps unchanged."""
    target = random_target((2, 2), generator=generator(0))
    net = PENSIA.sample((2, 2), (6,), generator=generator(1))
    planted = plant(half_line_ticket(target), net)
    a, m = net.weights[0], planted.masks.masks[0]
    assert torch.equal(planted.net.weights[0], a)
    for j in range(2):
        for sign in (1, -1):
            hosts = m[:, j] & (torch.sign(a[:, j]) == sign)
            assert int(hosts.sum()) == 1
            assert float(a[hosts, j].abs()) == float((a[:, j] * sign).clamp(min=0).max())


def test_hand_built_tickets():
    chain = relu_chain(3)
    x = torch.linspace(-1, 1, 21, dtype=torch.float64)[:, None]
    assert torch.equal(chain(x), torch.relu(x))
    for k in (3, 5, 8, 16):
        c = circle(k)
        assert max(c.spectral_norms()) <= 1 + 1e-12
        pts = unit_sphere(400, 2, generator(k))
        ratio = c(pts / 2).squeeze(1) / 0.5 / (math.sqrt(2) / math.pi)
        # the K-direction sum of ReLU(cos) deviates from its mean K/pi by at most 1 - cos(pi/K)
        assert float((ratio - 1).abs().max()) <= 1 - math.cos(math.pi / k) + 1e-12
    assert int((circle(8).weights[0] == 0).sum()) == 4  # exact zeros: a sparse ticket
    with pytest.raises(InvalidArgument, match="directions=2"):
        circle(2)


def test_overlap_counts_shared_weights():
    a = Masks((torch.tensor([[True, True], [False, False]]),))
    b = Masks((torch.tensor([[True, False], [True, False]]),))
    assert overlap(a, b) == (0.5, 0.5)
    empty = Masks((torch.zeros(2, 2, dtype=torch.bool),))
    assert overlap(empty, b) == (None, 0.0)


def test_benchmark_rows_budgets_and_reproducibility():
    kw = dict(widths=(2, 2, 1), n=3, empirical_samples=64, ascent_steps=2, options=FAST)
    b = benchmark(planted=True, **kw)
    names = [r.method for r in b.rows]
    # every construction of Pensia's layout prunes the same network, its own first
    assert names[:6] == [
        "empty masks",
        "planted ticket",
        "construction (pensia)",
        "construction (malach)",
        "construction (orseau)",
        "construction (natale)",
    ]
    assert names[6:] == list(FAST)
    assert "draws its own random network" in b.rows[4].note  # Orseau's weights are hyperbolic
    assert all("its own random network" not in (r.note or "") for r in b.rows[2:4])
    planted = b.rows[1]
    assert planted.recall == 1.0 and planted.empirical_error < 1e-12
    assert planted.certified_error < 1e-12
    for r in b.rows[6:]:
        assert r.kind == ("trained" if r.method in ("imp", "gmp", "rigl") else "masks")
        assert r.budget in (None, b.rows[2].density)
        assert 0 <= r.recall <= 1
    again = benchmark(planted=True, **kw)
    strip = [{k: v for k, v in r.to_json().items() if k != "seconds"} for r in b.rows]
    assert strip == [{k: v for k, v in r.to_json().items() if k != "seconds"} for r in again.rows]
    json.dumps(b.to_json())
    with pytest.raises(InvalidArgument, match="method='nope'"):
        benchmark(methods=("nope",), **kw)
    with pytest.raises(InvalidArgument, match=r"construction='burkholz'.*depth 3"):
        benchmark(construction="burkholz", **kw)  # refused before its run


def test_densities_give_one_row_per_budget_and_builtin_targets_run():
    b = benchmark(
        target="relu-chain",
        depth=2,
        n=4,
        methods=("rigl", "greedy"),
        densities=(0.2, 0.5),
        empirical_samples=32,
        ascent_steps=0,
        options=FAST,
    )
    assert b.target_widths == (1, 1, 1)
    assert [(r.method, r.budget) for r in b.rows if r.budget or r.method == "greedy"] == [
        ("rigl", 0.2),
        ("rigl", 0.5),
        ("greedy", None),
    ]
    c = benchmark(
        target="circle",
        directions=4,
        n=2,
        methods=("annealing",),
        empirical_samples=32,
        ascent_steps=0,
        options=FAST,
    )
    assert c.target_widths == (2, 4, 1)


def test_cli_table_json_figure_and_usage_errors(tmp_path, capsys):
    args = [
        "compare",
        "--widths",
        "2,2,1",
        "--n",
        "2",
        "--methods",
        "greedy",
        "--samples",
        "32",
        "--ascent-steps",
        "1",
        "--quiet",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "construction (pensia)" in out and "greedy" in out and "none: masks outside" in out
    assert main([*args, "--json", "--planted", "--out", str(tmp_path / "o")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["planted"] and data["rows"][1]["method"] == "planted ticket"
    assert (tmp_path / "o" / "error_vs_params.png").stat().st_size > 0
    assert json.loads((tmp_path / "o" / "compare.json").read_text()) == data
    fig = fig_error_vs_params([data, {**data, "planted": False}])  # two panels
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    fig.canvas.draw()
    assert fig.get_tightbbox(fig.canvas.get_renderer()).width <= PAGE_WIDTH + 1e-6
    plt.close(fig)
    assert main(["compare", "--methods", "nope"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--target", "square"])
    assert exit_info.value.code == 2
    assert main(["compare", "--densities", "1.5"]) == 2
    assert main(["compare", "--target", "circle", "--widths", "2,2"]) == 2
    assert main(["search", "--method", "imp"]) == 2  # approx search keeps its two methods
    assert "approx compare runs it" in capsys.readouterr().err
    for command in ("search", "compare"):  # a one-width target is refused as such, any layout
        assert main([command, "--widths", "4", "--construction", "burkholz"]) == 2
        assert "--widths=4 must be >= 2" in capsys.readouterr().err


def test_sweep_points_vary_the_method_and_evaluate(tmp_path):
    cfg = config_from_dict(
        {
            "compare": {
                "method": ["greedy", "annealing"],
                "widths": [2, 2, 1],
                "n": 2,
                "density": [0.3, 0.6],
                "seed": [0, 1],
                "empirical_samples": 16,
                "ascent_steps": 0,
            }
        }
    )
    assert len(cfg.points) == 6  # greedy keeps no budget: one point per seed, not per density
    assert {p["method"] for p in cfg.points} == {"greedy", "annealing"}
    assert {p["density"] for p in cfg.points if p["method"] == "greedy"} == {None}
    example = load_config(ROOT / "examples" / "compare_sweep.toml")
    assert len(example.points) == 6 * 3 * 3 + 2 * 3
    out = evaluate(cfg.points[0])
    assert out["rows"][-1]["method"] == "greedy"
    store = tmp_path / "c.sqlite"
    sweep([p for p in cfg.points if p["method"] == "greedy"], store, workers=1, progress=False)
    written, skipped = plot_store(store, tmp_path / "figs", ("png",))
    assert [p.name for p in written] == ["error_vs_params.png"] and len(skipped) == 4
    with pytest.raises(InvalidArgument, match="method='nope'"):
        config_from_dict({"compare": {"method": "nope"}})
    with pytest.raises(InvalidArgument, match="unknown key"):
        config_from_dict({"compare": {"steps": 3}})
    with pytest.raises(InvalidArgument, match=r"planted=.* fixed setting"):
        config_from_dict({"compare": {"planted": [True, False]}})
    # the time estimate of a sweep's points: each method's modelled steps times their cost
    cost = {p["method"]: estimate_seconds(p) for p in cfg.points if p["seed"] == 0}
    assert cost["annealing"] > cost["greedy"] > POINT_OVERHEAD_S  # 10,000 moves against ~14
    wide = estimate_seconds({**cfg.points[0], "widths": [8, 8, 4], "n": 64})
    assert wide > 100 * cost["greedy"]  # ~1,500 moves over up to 1,024 hidden units a pair
    assert estimate_seconds({**cfg.points[0], "construction": "burkholz"}) == POINT_OVERHEAD_S


@pytest.mark.slow
def test_planted_benchmark_script_quick_prints_the_table_and_json():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "planted_benchmark.py"), "--quick", "--seeds",
         "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout  # fmt: skip
    results = json.loads(out.strip().splitlines()[-1])
    assert set(results) == {"random 4-4-2", "relu-chain 1-1-1", "circle 2-8-1"}
    assert "| relu-chain 1-1-1 | planted ticket | masks |" in out
    for runs in results.values():
        planted = runs[0]["rows"][1]
        assert planted["method"] == "planted ticket" and planted["recall"] == 1.0
