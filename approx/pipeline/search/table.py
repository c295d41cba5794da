"""The table `approx compare` prints: one line per method, the constructions and the references
(empty mask, planted ticket) first."""

from __future__ import annotations

from ...basics.units import format_widths
from .benchmark import OUTSIDE_FORM, Benchmark


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def format_benchmark(b: Benchmark) -> str:
    w = format_widths(b.target_widths)
    rw = format_widths(b.random_widths)
    head = (
        f"approx compare: {b.target} target {w}, random net {rw} ({b.construction}'s layout, "
        f"n = {list(b.n_per_layer)}), seed {b.seed}, {b.device}"
    )
    planted = next((r for r in b.rows if r.method == "planted ticket"), None)
    if planted is not None:
        head += f"\n  a ticket of {planted.kept:,} weights is planted in the random net"
    cols = (
        f"  {'method':<24}{'kind':<9}{'budget':>8}{'kept':>9}{'density':>9}"
        f"{'certified <=':>14}{'empirical >=':>14}{'seconds':>9}"
    )
    if b.planted:
        cols += f"{'precision':>11}{'recall':>8}"
    lines = [head, "", cols]
    notes = []
    for r in b.rows:
        cert = "none" if r.certified_error is None else f"{r.certified_error:.3e}"
        line = (
            f"  {r.method:<24}{r.kind:<9}{_pct(r.budget):>8}{r.kept:>9,}{r.density:>9.2%}"
            f"{cert:>14}{r.empirical_error:>14.3e}{r.seconds:>9.2f}"
        )
        if b.planted:
            line += f"{_pct(r.precision):>11}{_pct(r.recall):>8}"
        lines.append(line)
        if r.note:
            notes.append(f"  {r.method}: {r.note}")
    lines += [
        "",
        f"  certified: the certified bound where every kept hidden unit keeps one input edge; "
        f"{OUTSIDE_FORM}",
        "  empirical: the largest error found (sphere samples + gradient ascent), the same "
        "points for every row",
        "  kind: masks = a subnetwork of the random net (weights unchanged); trained = trained "
        "weights on `kept` nonzero entries",
        "  budget: the density every layer was asked to keep (- : the method chooses)",
    ]
    if b.planted:
        lines.append(
            "  precision / recall: share of the kept weights that are planted / of the planted "
            "weights kept"
        )
    return "\n".join(lines + notes)
