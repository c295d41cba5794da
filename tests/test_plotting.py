"""Sweep figures: right axes (scales, labels, legends) from known rows, files in every format,
and `approx plot` on a real store."""

from __future__ import annotations

import itertools

import pytest

from approx.basics.errors import InvalidArgument
from approx.cli import main
from approx.experiments.analysis import needed_params
from approx.experiments.figures import (
    fig_error_vs_depth,
    fig_error_vs_width,
    fig_params_vs_eps,
    fig_success_vs_n,
    plot_store,
)
from approx.experiments.grid import run_points, subset_sum_points
from approx.experiments.runner import sweep
from approx.experiments.store import ResultStore


def fake_run(construction="pensia", d=2, depth=1, n=4, seed=0, cert=0.1, emp=0.05):
    """The fields of `RunResult.to_json()` the figures read, for Pensia's layout."""
    widths = [d] * (depth + 1)
    random_widths = [d]
    for _ in range(depth):
        random_widths += [2 * d * n, d]
    return {
        "construction": construction,
        "target_widths": widths,
        "target_depth": depth,
        "random_widths": random_widths,
        "random_params": sum(a * b for a, b in itertools.pairwise(random_widths)),
        "n_per_layer": [n] * depth,
        "certified_error": cert,
        "empirical_error": emp,
        "delta": 0.1,
        "seed": seed,
    }


def fake_mc(dist, n, successes, trials=100):
    return {"distribution": dist, "n": n, "eps": 0.01, "successes": successes, "trials": trials}


def _labels(fig):
    return [(ax.get_xlabel(), ax.get_ylabel(), ax.get_xscale(), ax.get_yscale()) for ax in fig.axes]


def test_error_vs_width_is_log_log_with_both_errors_and_the_theorem():
    rows = [
        fake_run(n=n, seed=s, cert=2.0**-n, emp=2.0**-n / 3) for n in (4, 8, 12) for s in (0, 1)
    ]
    fig = fig_error_vs_width(rows)
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "width" in ax.get_xlabel() and "neurons" in ax.get_xlabel()
    assert "absolute" in fig.get_supylabel()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("certified" in t for t in legend) and any("empirical" in t for t in legend)
    assert any("theorem" in t for t in legend)
    # the certified median series is the median over seeds at each width
    line = next(ln for ln in ax.get_lines() if "certified" in ln.get_label())
    assert list(line.get_xdata()) == [16, 32, 48]
    assert list(line.get_ydata()) == [2.0**-4, 2.0**-8, 2.0**-12]


def test_error_vs_depth_and_success_vs_n_axes():
    rows = [fake_run(d=3, depth=l, n=n, cert=0.1 * l / n) for l in (1, 2, 3) for n in (4, 8)]
    fig = fig_error_vs_depth(rows)
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert "depth" in fig.axes[0].get_xlabel()
    mc = [fake_mc(d, n, k) for d in ("uniform", "pensia") for n, k in ((4, 20), (8, 90), (12, 100))]
    fig = fig_success_vs_n(mc)
    (xs, ys, _, lin), (_, yf, _, log) = [lab[:4] for lab in _labels(fig)]
    assert (lin, log) == ("linear", "log")
    assert "samples per weight n" in xs and "P(" in ys and "P(" in yf


def test_needed_params_counts_seeds():
    rows = [fake_run(n=4, seed=s, cert=c) for s, c in enumerate((0.05, 0.05, 0.5))]
    rows += [fake_run(n=8, seed=s, cert=0.01) for s in range(3)]
    small, big = rows[0]["random_params"], rows[3]["random_params"]
    assert needed_params(rows, eps=0.1, delta=0.4) == small  # 2 of 3 seeds >= 0.6
    assert needed_params(rows, eps=0.1, delta=0.1) == big  # needs 3 of 3
    assert needed_params(rows, eps=0.001, delta=0.1) is None


def test_params_vs_eps_has_the_lower_bound():
    rows = [fake_run(d=4, n=n, seed=s, cert=2.0**-n) for n in (4, 8, 12) for s in (0, 1)]
    fig = fig_params_vs_eps(rows)
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("lower bound" in t for t in legend) and any("measured" in t for t in legend)
    assert "count" in fig.get_supylabel()


def test_figures_refuse_data_they_cannot_draw():
    one = [fake_run()]
    for make in (fig_error_vs_width, fig_error_vs_depth, fig_params_vs_eps):
        with pytest.raises(ValueError):
            make(one)
    with pytest.raises(ValueError):
        fig_success_vs_n([])


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("plot") / "s.sqlite"
    pts = run_points(
        {
            "construction": "pensia",
            "width": 2,
            "depth": [1, 2],
            "n": [3, 6],
            "seed": [0, 1],
            "empirical_samples": 32,
            "ascent_steps": 0,
        }
    )
    pts += subset_sum_points({"n": [4, 8], "trials": 200})
    sweep(pts, path, workers=1, progress=False)
    return path


def test_plot_store_writes_every_figure_in_every_format(real_store, tmp_path):
    written, skipped = plot_store(real_store, tmp_path / "figs", ("png", "svg", "pdf"))
    assert skipped == []
    names = sorted(p.name for p in written)
    stems = ("error_vs_depth", "error_vs_width", "params_vs_eps", "success_vs_n")
    assert names == sorted(f"{s}.{f}" for s in stems for f in ("pdf", "png", "svg"))
    for p in written:
        assert p.stat().st_size > 1000
    assert (tmp_path / "figs" / "error_vs_width.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "figs" / "error_vs_width.pdf").read_bytes()[:4] == b"%PDF"


def test_plot_store_skips_what_it_cannot_draw_and_validates(tmp_path):
    path = tmp_path / "mc.sqlite"
    sweep(subset_sum_points({"n": [4, 6], "trials": 50}), path, workers=1, progress=False)
    written, skipped = plot_store(path, tmp_path / "out", ("png",))
    assert [p.name for p in written] == ["success_vs_n.png"]
    assert len(skipped) == 3
    with pytest.raises(InvalidArgument, match="png, pdf or svg"):
        plot_store(path, tmp_path / "out", ("jpg",))
    with pytest.raises(InvalidArgument, match="does not exist"):
        plot_store(tmp_path / "none.sqlite", tmp_path / "out")


def test_cli_plot(real_store, tmp_path, capsys):
    assert main(["plot", str(real_store), "--out", str(tmp_path / "f"), "--format", "svg"]) == 0
    out = capsys.readouterr().out
    assert out.count("wrote ") == 4 and "error_vs_width.svg" in out
    empty = tmp_path / "empty.sqlite"
    ResultStore(empty).close()
    assert main(["plot", str(empty), "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err.strip().splitlines()  # an exit 2 says why, in one line
    assert len(err) == 1 and err[0].startswith("approx: error: ")
    assert "none of the figures" in err[0]
