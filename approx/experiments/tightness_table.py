"""The tightness table (`approx tightness`): Markdown with the fitted C below it, or CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

from ..basics.errors import InvalidArgument
from ..basics.units import format_widths
from ..constructions import get_construction
from .tightness import Tightness, fit_C
from .tightness_formula import matching_C, own_formula

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
    "counted by",
    "verdict",
)


def target_label(r: Tightness) -> str:
    """The target column: dense widths `4-4-2`; a conv target by its file or architecture
    (`conv 2-2 3x3 pad 1 + dense 4 on 1x6x6`) and its input shape."""
    if not r.target:
        return format_widths(r.widths)
    spec = json.loads(r.target)
    on = "x".join(map(str, spec["input_shape"]))
    if "file" in spec:
        return f"{Path(spec['file']).name} on {on}"
    k, pad = spec["kernel"], spec["padding"]
    label = f"conv {format_widths(spec['channels'])} {k}x{k}" + (f" pad {pad}" if pad else "")
    if spec["dense"]:
        label += " + dense " + format_widths(spec["dense"])
    return f"{label} on {on}"


def verdict(r: Tightness) -> str:
    """The row in words: is the theorem's n (largest layer, with the row's C) enough at δ?"""
    top, at = max(r.theorem_n), f"at delta={r.delta:g}"
    head = f"theorem's n = {top} with C = {r.C:g} is"
    if math.isinf(r.n_needed):
        if top <= r.n_max:
            return f"{head} too small {at}: more than n = {r.n_max} needed"
        return f"undecided: more than n = {r.n_max} needed, theorem's n = {top} not searched"
    unsure = " (inside the 95% CI of n needed)" if r.n_lo <= top <= r.n_hi else ""
    if top < r.n_needed:
        return f"{head} too small {at}: n = {r.n_needed:g} needed{unsure}"
    k = top / r.n_needed
    if k < 1.25:
        return f"{head} enough {at}{unsure}"
    return f"{head} enough, {k:.3g}x too large {at}{unsure}"


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
        target_label(r),
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
        r.counted_by,
        verdict(r),
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
        "n needed: smallest n (all layers) whose upper value of the error is <= eps in >= "
        "(1-delta) of seeds;",
        "counted by: that upper value (true: exact sup; sandwich upper; certified: the certified "
        "bound);",
        "theorem n: the construction's formula with the C shown; ratio = theorem n / n needed;",
        "L = the construction's own formula at C = 1 before rounding up (where it is C times a "
        "term; else Pensia's log term); C_emp = n needed / L, comparable only with the C of the "
        "same formula.",
    ]
    for name in sorted({r.construction for r in rows}):
        fit = fit_C([r for r in rows if r.construction == name])
        if fit.rows:
            hi = "unbounded" if math.isinf(fit.hi) else f"{fit.hi:.2f}"
            own_rows = [r for r in rows if r.construction == name]
            own = all(own_formula(name, r.widths, r.eps, r.delta, r.target) for r in own_rows)
            default = get_construction(name).default_C
            lines.append(
                f"{name}: fitted C = {fit.C:.2f}, 95% CI [{fit.lo:.2f}, {hi}] over {fit.rows} "
                f"row(s) (n = C·L through the origin); "
                + (
                    f"default C = {default:g}"
                    if own
                    else f"L is Pensia's log term, not comparable with its default C = {default:g}"
                )
            )
            own = [matching_C(r) for r in rows if r.construction == name]
            lines.append(
                f"{name}: C at which its own formula asks for n needed, per row: "
                + ", ".join(f"{c:g}" for c in own)
            )
    return "\n".join(lines) + "\n"
