"""The tightness table (`approx tightness`): Markdown with the fitted C below it, or CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from ..basics.errors import InvalidArgument
from ..constructions import get_construction
from .tightness import Tightness, fit_C, matching_C

COLUMNS = (
    "construction",
    "target",
    "eps",
    "delta",
    "seeds",
    "n needed",
    "n 95% CI",
    "theorem n",
    "ratio",
    "L",
    "C_emp",
    "C_emp 95% CI",
)


def table_cells(r: Tightness) -> list[str]:
    """Table cells; a row whose n_needed exceeds n_max shows the bounds that implies."""
    top = max(r.theorem_n)
    if math.isinf(r.n_needed):
        needed, ratio, c_emp = f"> {r.n_max}", f"< {top / r.n_max:.3g}", f"> {r.n_max / r.L:.2f}"
    else:
        needed, ratio, c_emp = f"{r.n_needed:g}", f"{r.ratio:.2f}", f"{r.C_emp:.2f}"

    def bound(x: float, fmt: str, scale: float = 1.0) -> str:
        if math.isinf(x):
            return f"> {r.n_max / scale:{fmt}}" if x > 0 else "-"
        return f"{x / scale:{fmt}}"

    n_ci = f"[{bound(r.n_lo, 'g')}, {'unbounded' if math.isinf(r.n_hi) else f'{r.n_hi:g}'}]"
    c_hi = "unbounded" if math.isinf(r.n_hi) else f"{r.n_hi / r.L:.2f}"
    c_ci = f"[{bound(r.n_lo, '.2f', r.L)}, {c_hi}]"
    return [
        r.construction,
        "-".join(map(str, r.widths)),
        f"{r.eps:g}",
        f"{r.delta:g}",
        str(r.seeds),
        needed,
        n_ci,
        ",".join(map(str, r.theorem_n)) + f" (C={r.C:g})",
        ratio,
        f"{r.L:.2f}",
        c_emp,
        c_ci,
    ]


def format_table(rows: Sequence[Tightness], fmt: str = "md") -> str:
    """The tightness table as Markdown ("md", with the C fit below) or CSV ("csv")."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(table_cells(r) for r in rows)
        return buf.getvalue()
    if fmt != "md":
        raise InvalidArgument(f"format={fmt!r} is not 'md' or 'csv'")
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(table_cells(r)) + " |" for r in rows),
        "",
        "n needed: smallest n (all layers) with certified error <= eps in >= (1-delta) of seeds;",
        "theorem n: the construction's formula with the C shown; ratio = theorem n / n needed;",
        "L = max_i ln(d_{i-1} d_i l / min(eps, delta)); C_emp = n needed / L.",
    ]
    for name in sorted({r.construction for r in rows}):
        fit = fit_C([r for r in rows if r.construction == name])
        if fit.rows:
            hi = "unbounded" if math.isinf(fit.hi) else f"{fit.hi:.2f}"
            lines.append(
                f"{name}: fitted C = {fit.C:.2f}, 95% CI [{fit.lo:.2f}, {hi}] over {fit.rows} "
                f"row(s) (n = C·L through the origin); "
                f"default C = {get_construction(name).default_C:g}"
            )
            own = [matching_C(r) for r in rows if r.construction == name]
            lines.append(
                f"{name}: C at which its own formula asks for n needed, per row: "
                + ", ".join(f"{c:g}" for c in own)
            )
    return "\n".join(lines) + "\n"
