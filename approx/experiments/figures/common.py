"""What every figure shares: the non-interactive backend, the two styles, labels, panels no
wider than a page, one legend per figure below its panels, and saving."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib

from ...basics.files import write_atomic

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ...basics.errors import InvalidArgument

ERROR_LABEL = "error  sup$_{\\|x\\|_2\\leq 1}$ $\\|f(x)-g(x)\\|_2$  (absolute, output units)"
SHORT_ERROR_LABEL = "error  sup$_{\\|x\\|\\leq 1}$ $\\|f(x)-g(x)\\|$ (absolute)"

# Inches. A two-column paper's text width is about 7 in (one column about 3.4 in): no figure is
# wider than PAGE_WIDTH, and a single panel is one column wide.
PAGE_WIDTH = 7.0
COLUMN_WIDTH = 3.4
PANEL_HEIGHT = 2.2
LEGEND_HEIGHT = 0.25  # per legend row, below the panels

# "default": PNG-friendly sans serif; "paper": serif text, fonts embedded as TrueType (type 42)
# so that a journal's PDF checks accept them, vector output (`approx plot --style paper`).
STYLES = {
    "default": {
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "legend.fontsize": 7,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "lines.markersize": 4,
    },
    "paper": {
        "font.family": "serif",
        "font.serif": ["DejaVu Serif", "Times New Roman", "Times"],
        "mathtext.fontset": "dejavuserif",
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "legend.fontsize": 7,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "lines.linewidth": 1.0,
        "lines.markersize": 3,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
    },
}
BAND_LABEL = "shaded: 95% interval of the median over seeds (order statistics)"


_ACTIVE: list[str] = []  # the styles entered, innermost last


@contextmanager
def style(name: str) -> Iterator[None]:
    """Figures made inside use style `name` (one of `STYLES`)."""
    if name not in STYLES:
        raise InvalidArgument(f"style={name!r} is not one of {list(STYLES)}")
    _ACTIVE.append(name)
    try:
        with plt.rc_context(STYLES[name]):
            yield
    finally:
        _ACTIVE.pop()


def styled(make: Callable) -> Callable:
    """`make` draws in the style entered around it, or in "default" when none is: a figure's
    fonts (and so its width) never depend on the caller's matplotlib settings."""

    @functools.wraps(make)
    def wrapper(*args, **kwargs):
        if _ACTIVE:
            return make(*args, **kwargs)
        with style("default"):
            return make(*args, **kwargs)

    return wrapper


def save(fig, out_dir: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    paths = []
    for fmt in formats:
        p = Path(out_dir) / f"{stem}.{fmt}"
        # tight, with a small pad: the constrained layout already keeps everything inside
        dpi = 200 if fmt == "png" else None
        write_atomic(
            p,
            lambda tmp, fmt=fmt, dpi=dpi: fig.savefig(
                tmp, dpi=dpi, format=fmt, bbox_inches="tight", pad_inches=0.02
            ),
        )
        paths.append(p)
    plt.close(fig)
    return paths


def png_bytes(fig, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (as `save` writes it, at a screen's resolution), then closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.02)
    plt.close(fig)
    return buf.getvalue()


def panels(k: int, cols: int = 2, *, legend_rows: int = 3, sharey: bool = False):
    """A figure with k panels, at most `cols` per row, no wider than `PAGE_WIDTH` (one column
    wide for a single panel), with room below for `legend_rows` rows of the shared legend;
    constrained layout, so the legend never overlaps the axes."""
    cols = min(k, cols)
    rows = -(-k // cols)
    width = COLUMN_WIDTH if k == 1 else PAGE_WIDTH
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(width, PANEL_HEIGHT * rows + LEGEND_HEIGHT * legend_rows),
        squeeze=False,
        sharey=sharey,
        layout="constrained",
    )
    flat = list(axes.flat)
    for ax in flat[k:]:
        ax.set_visible(False)
    return fig, flat[:k]


def note(text: str) -> tuple[Line2D, str]:
    """A legend entry with no line: a note (a series outside the axes, a censoring mark)."""
    return Line2D([], [], linestyle="none"), text


def band_entry() -> tuple[Patch, str]:
    return Patch(facecolor="0.5", alpha=0.25), BAND_LABEL


def shared_legend(fig, extra: Sequence[tuple] = (), *, cols: int | None = None) -> None:
    """The figure's one legend, below its panels (never over data): every labelled artist of
    every panel once, then `extra` (handle, label) pairs such as notes."""
    seen: dict[str, object] = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if not label.startswith("_") and label not in seen:
                seen[label] = handle
    for handle, label in extra:
        seen.setdefault(label, handle)
    if not seen:
        return
    # columns as many as the figure's width holds for the longest label (~0.055 in a
    # character at 7 pt), so that the legend is never wider than the figure
    longest = max(len(label) for label in seen) * 0.055 + 0.5
    ncol = cols or max(1, min(len(seen), math.floor(fig.get_figwidth() / longest)))
    fig.legend(
        list(seen.values()),
        list(seen),
        loc="outside lower center",
        ncol=ncol,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.2,
    )


def plain_log_ticks(axis) -> None:
    """Ticks of a log axis at 1, 2, 5 × 10^k labelled as plain numbers (10^k beyond 1e4 or
    below 1e-3), no minor labels: nothing overlaps at a column's width."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(_plain))
    axis.set_minor_formatter(NullFormatter())


def _plain(v: float, _pos) -> str:
    if v <= 0:
        return ""
    if 1e-3 <= v < 1e4:
        return f"{v:g}"
    k = math.floor(math.log10(v) + 1e-9)
    m = v / 10**k
    return f"$10^{{{k}}}$" if abs(m - 1) < 1e-6 else f"${m:g}\\cdot 10^{{{k}}}$"


def bottom_xlabels(axes, label: str) -> None:
    """`label` under the lowest visible panel of each column (a figure-wide label would sit
    where the shared legend goes)."""
    lowest: dict[int, object] = {}
    for ax in axes:
        spec = ax.get_subplotspec()
        col, row = spec.colspan.start, spec.rowspan.start
        if col not in lowest or lowest[col].get_subplotspec().rowspan.start < row:
            lowest[col] = ax
    for ax in lowest.values():
        ax.set_xlabel(label)
