"""The `approx run` table explains itself: the per-weight rows, a legend line per error row,
how instances were solved when not all in one pass, and a drawn target scaled into a class."""

from __future__ import annotations

from approx.pipeline.report import format_run
from approx.pipeline.run import run

FAST = {"empirical_samples": 64, "ascent_steps": 1}


def test_per_weight_rows_and_legend_of_a_deep_target():
    r = run(widths=(3, 4, 2), n=8, seed=2, **FAST)
    table = format_run(r)
    label = "max per-weight |w_hat - w|  (inputs seen)"
    assert f"  {label:<44}{r.max_weight_error_used:>12.3e}\n" in table
    assert "... on the unused half-line (N_i, i >= 2)" in table
    assert r.max_weight_error == max(r.max_weight_error_used, r.max_weight_error_unused)
    for row in ("per-weight:", "certified:", "empirical:"):
        assert sum(line.strip().startswith(row) for line in table.splitlines()) == 1
    assert "(after a ReLU inputs are >= 0: P_i only)" in table
    assert "instances " not in table  # every instance in one meet in the middle
    assert "target scaled" not in table and r.drawn_target_factors is None


def test_one_layer_has_one_per_weight_row():
    r = run(widths=(3, 2), n=8, seed=2, **FAST)
    table = format_run(r)
    assert r.max_weight_error_unused is None and r.max_weight_error_used == r.max_weight_error
    assert "unused half-line" not in table and "P_i only" not in table


def test_a_drawn_target_scaled_into_malachs_class_says_so():
    r = run(widths=(4, 4, 2), construction="malach", n=40, seed=0, **FAST)
    assert r.drawn_target_factors is not None and min(r.drawn_target_factors) < 1
    assert r.rescale_factors is None  # the user asked for no rescale
    assert r.to_json()["drawn_target_factors"] == list(r.drawn_target_factors)
    line = next(x for x in format_run(r).splitlines() if "target scaled" in x)
    assert "malach's assumptions" in line and f"{min(r.drawn_target_factors):.4g}" in line
