"""`approx report`: one self-contained HTML page about a results store.

The page holds the run table, every figure `approx plot` draws from the store (PNG, embedded as
base64 data URIs), the subset-sum success probabilities with Wilson 95% intervals, the
tightness table the store's runs settle with the fitted constants, the proofs_check table
(when the checks were run for the page: `proofs`), the failed points, the environment
(versions, devices, seeds; CPU and GPU of the writing machine), and the commands that
reproduce the store and each figure. Plain HTML + CSS: no script, no font or stylesheet from
the network; it opens from a file on a machine without one.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from ...basics.errors import InvalidArgument
from ...basics.files import check_writable_dir, write_text_atomic
from ..figures import store_figure_pngs
from ..rowcheck import check_results
from ..store import ResultStore, Row
from .markup import esc, figure, page, paragraph
from .proofs import ProofChecks, proofs_section
from .reproduce import sweep_toml
from .sections import (
    environment,
    failure_table,
    run_table,
    store_summary,
    success_table,
    tightness_section,
)

__all__ = ["ProofChecks", "build_page", "write_report"]

CAPTIONS = {
    "error_vs_width": "Error vs random-net width: certified (upper bound) and empirical (lower "
    "estimate), medians over seeds with 95% bands; eps and the theorem's width marked.",
    "error_vs_depth": "Error vs target depth at fixed samples per weight n.",
    "success_vs_n": "Subset-sum success probability vs n, Wilson 95% intervals (table below).",
    "params_vs_eps": "Random-net parameters needed vs eps: measured, the theorem's, and the "
    "packing lower bound.",
}


def _commands(q: str, toml: str | None) -> tuple[str, str]:
    """(the reproduction section's html, the command prefix each figure repeats), for the
    store at shell-quoted path `q`."""
    if toml is None:
        text = paragraph(
            "The store's points are not one product grid per kind, so no single sweep file "
            f"reproduces them; approx export {q} --format json lists every point's "
            "configuration (each row's config is a complete grid point)."
        )
        return text, f"# (the store's points: approx export {q} --format json)\n"
    sweep = f"approx sweep sweep.toml --store {q}\n"
    text = "\n".join(
        (
            paragraph(
                "This sweep file's grid is exactly the store's points (checked when this page "
                "was written). Save it as sweep.toml and run:"
            ),
            f"<pre>{esc(toml)}</pre>",
            f"<pre>{esc(sweep)}approx report {esc(q)} --out report</pre>",
        )
    )
    return text, f"# sweep.toml: the file under 'Reproduce'\n{sweep}"


def build_page(
    rows: list[Row], meta: dict[str, str], store: str, proofs: ProofChecks | None = None
) -> str:
    """The page for these store rows; `store` is the store's path as the commands name it;
    `proofs`: the proofs_check run to show (None: the section says it was not run)."""
    pngs, skipped = store_figure_pngs(rows)
    toml = sweep_toml([r.config for r in rows])
    q = shlex.quote(store)
    reproduce, prefix = _commands(q, toml)
    figs = [
        figure(stem, png, CAPTIONS.get(stem, stem),
               f"{prefix}approx plot {q} --out figures --format png   # -> figures/{stem}.png")
        for stem, png in pngs.items()
    ]  # fmt: skip
    figs += [paragraph(f"{stem}: not drawn ({why})", "note") for stem, why in skipped.items()]
    parts = [
        ("summary", "Store", paragraph(f"{store}: {store_summary(rows)}")),
        ("runs", "Runs", run_table(rows)),
        ("figures", "Figures", "\n".join(figs)),
    ]
    if any(r.kind == "subset_sum" and r.status == "ok" for r in rows):
        parts.append(("success", "Subset-sum success vs n", success_table(rows)))
    for anchor, title, inner in (
        ("tightness", "Tightness", tightness_section(rows)),
        ("proofs", "Proof steps checked (proofs_check)", proofs_section(proofs, q)),
        ("failed", "Failed points", failure_table(rows)),
        ("environment", "Environment", environment(rows, meta)),
        ("reproduce", "Reproduce", reproduce),
    ):
        if inner is not None:
            parts.append((anchor, title, inner))
    return page(f"approx report: {store}", parts)


def write_report(
    store: str | Path, out: str | Path, proofs: Callable[[], ProofChecks] | None = None
) -> Path:
    """Write `out`/index.html for the store at `store` (atomically: complete or absent).
    `proofs` runs the proofs_check checks for the page, called once the store and `out` are
    known good (None: the page says they were not run)."""
    out = check_writable_dir(out, "--out")
    path = Path(store)
    if not path.is_file() or path.stat().st_size == 0:
        raise InvalidArgument(f"store {str(path)!r} does not exist or is empty")
    with ResultStore(path, read_only=True) as st:  # a report never writes to its store
        rows, meta = st.rows(), st.meta()
    if not rows:
        raise InvalidArgument(f"store {str(path)!r} holds no rows: nothing to report")
    check_results(rows, f"store {str(path)!r}")
    text = build_page(rows, meta, str(store), None if proofs is None else proofs())
    out.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(out / "index.html", text)
