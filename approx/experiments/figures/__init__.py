"""Figures: the only package that imports matplotlib (with the non-interactive Agg backend).

`plot_run` draws one run, `plot_store` every figure a results store supports,
`plot_candidates_vs_eps` the single-product vs subset-sum comparison, `plot_samples_per_weight`
and `plot_density_curve` the comparisons of the sparse constructions (Orseau's, Natale's),
`plot_benchmarks` the error against kept parameters of `approx compare`, `plot_dacunha_cnn`
da Cunha et al.'s CNN experiment with their published points.
Every figure is at most a page (7 in) wide with one legend below its panels; `style`
("default" or "paper") sets the fonts.
"""

from __future__ import annotations

from pathlib import Path

from ...basics.defaults import PLOT_FORMATS
from ...basics.errors import InvalidArgument
from ...basics.files import check_writable_dir
from ..store import load_rows
from .candidates import plot_candidates_vs_eps
from .cnn import fig_dacunha_cnn, plot_dacunha_cnn
from .common import STYLES, png_bytes, save
from .common import style as use_style
from .compare import fig_error_vs_params, plot_benchmarks
from .run import plot_run
from .sparse import plot_density_curve, plot_samples_per_weight
from .sweep import fig_error_vs_depth, fig_error_vs_width, fig_params_vs_eps, fig_success_vs_n

__all__ = [
    "fig_dacunha_cnn",
    "fig_error_vs_depth",
    "fig_error_vs_params",
    "fig_error_vs_width",
    "fig_params_vs_eps",
    "fig_success_vs_n",
    "plot_benchmarks",
    "plot_candidates_vs_eps",
    "plot_dacunha_cnn",
    "plot_density_curve",
    "plot_run",
    "plot_samples_per_weight",
    "plot_store",
    "store_figure_pngs",
]

# Every figure a store can feed: (file stem, drawing function, the row kind it reads).
STORE_FIGURES = (
    ("error_vs_width", fig_error_vs_width, "run"),
    ("error_vs_depth", fig_error_vs_depth, "run"),
    ("success_vs_n", fig_success_vs_n, "subset_sum"),
    ("params_vs_eps", fig_params_vs_eps, "run"),
    ("error_vs_params", fig_error_vs_params, "compare"),
)


def _results(rows, kind: str) -> list[dict]:
    return [r.result for r in rows if r.kind == kind and r.status == "ok"]


def _store_figures(rows) -> list[tuple]:
    """`STORE_FIGURES`, less the compare figure where the store holds no compare point: a
    store of runs reports no skipped figure for it."""
    kinds = {r.kind for r in rows if r.status == "ok"}
    return [f for f in STORE_FIGURES if f[2] != "compare" or "compare" in kinds]


def plot_store(
    store: str | Path,
    out_dir: str | Path,
    formats: tuple[str, ...] | None = None,
    style: str = "default",
) -> tuple[list[Path], list[str]]:
    """Every figure the store's rows support, written to `out_dir` in each of `formats`
    (None: the style's own, `PLOT_FORMATS`), drawn in `style` (`STYLES`: "default", or
    "paper": serif, embedded fonts, vector PDF). No figure is wider than a page (7 in).
    Returns (files written, "figure: why skipped" notes)."""
    if style not in STYLES:
        raise InvalidArgument(f"style={style!r} is not one of {list(STYLES)}")
    formats = tuple(PLOT_FORMATS[style] if formats is None else formats)
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise InvalidArgument(f"formats={list(formats)}: each must be png, pdf or svg")
    out_dir = check_writable_dir(out_dir, "out")
    rows = load_rows(store)
    written, skipped = [], []
    for stem, make, kind in _store_figures(rows):
        with use_style(style):
            try:
                fig = make(_results(rows, kind))
            except ValueError as e:
                skipped.append(f"{stem}: {e}")
                continue
            except (KeyError, TypeError) as e:  # rows written by another tool or version
                skipped.append(
                    f"{stem}: the store's rows lack what it plots ({type(e).__name__}: {e})"
                )
                continue
            out_dir.mkdir(parents=True, exist_ok=True)  # not before: no figure, no directory
            written += save(fig, out_dir, stem, formats)
    return written, skipped


def store_figure_pngs(rows, style: str = "default") -> tuple[dict[str, bytes], dict[str, str]]:
    """Every figure `plot_store` draws from these store rows, as PNG bytes by file stem (the
    same figures, in memory: the HTML report embeds them); and why each other one is skipped."""
    pngs, skipped = {}, {}
    for stem, make, kind in _store_figures(rows):
        with use_style(style):
            try:
                fig = make(_results(rows, kind))
            except ValueError as e:
                skipped[stem] = str(e)
                continue
            except (KeyError, TypeError) as e:  # rows written by another tool or version
                skipped[stem] = f"the store's rows lack what it plots ({type(e).__name__}: {e})"
                continue
            pngs[stem] = png_bytes(fig)
    return pngs, skipped
