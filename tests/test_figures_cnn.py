"""The figure of da Cunha et al.'s CNN experiment: ours and their published points, log
scale, from the one copy of their numbers the script also prints."""

from __future__ import annotations

import pytest

from approx.basics.errors import InvalidArgument
from approx.experiments.figures import fig_dacunha_cnn, plot_dacunha_cnn
from approx.experiments.published import (
    DACUNHA_CNN_MNIST_OUTPUT_ERROR,
    DACUNHA_CNN_MNIST_WEIGHT_ERROR,
)

EXPERIMENT = [
    {"n": n, "weight_error": 10.0**-k, "output_error_test": 10.0 ** -(k + 1)}
    for k, n in enumerate((5, 10, 15))
]
CONSTRUCTION = [
    {"n": n, "certified_l2": c, "empirical_l2": c / 10, "certified_max_norm": 2 * c,
     "empirical_max_norm": 0.0}
    for n, c in ((3, 1e-2), (6, 1e-3))
]  # fmt: skip


def test_published_points_are_theirs_and_overlaid_on_a_log_axis():
    assert DACUNHA_CNN_MNIST_WEIGHT_ERROR == {
        5: 0.89, 10: 0.57, 15: 1.8e-2, 20: 7.3e-4, 25: 7.7e-5, 30: 7.7e-6
    }  # fmt: skip
    assert DACUNHA_CNN_MNIST_OUTPUT_ERROR == {
        5: 0.52, 10: 0.13, 15: 5.3e-3, 20: 3.3e-4, 25: 2.8e-5, 30: 2.3e-6
    }  # fmt: skip
    fig = fig_dacunha_cnn(EXPERIMENT, CONSTRUCTION)
    left, right = fig.axes[:2]
    assert left.get_yscale() == right.get_yscale() == "log"
    lines = {line.get_label(): line for line in left.get_lines()}
    pub = lines["weight error, MNIST (published)"]
    assert list(pub.get_xdata()) == [5, 10, 15, 20, 25, 30]
    assert list(pub.get_ydata()) == list(DACUNHA_CNN_MNIST_WEIGHT_ERROR.values())
    out = lines["output error (test), MNIST (published)"]
    assert list(out.get_ydata()) == list(DACUNHA_CNN_MNIST_OUTPUT_ERROR.values())
    assert list(lines["weight error, digits (ours)"].get_ydata()) == [1.0, 0.1, 0.01]
    # a zero error is drawn at the floor, not dropped from the log axis
    (emp_max,) = [x for x in right.get_lines() if x.get_label() == "empirical max-norm (>=)"]
    assert all(y > 0 for y in emp_max.get_ydata())


def test_plot_writes_the_file_and_refuses_no_rows(tmp_path):
    path = plot_dacunha_cnn(EXPERIMENT, (), tmp_path / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidArgument, match="no rows"):
        plot_dacunha_cnn([], (), tmp_path / "g.png")
