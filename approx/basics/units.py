"""Sizes and durations as people read them, in messages and estimates (no torch here)."""

from __future__ import annotations


def format_widths(widths) -> str:
    """`(16, 16, 16, 4)` -> `"16-16-16-4"`: layer widths as the run's report writes them."""
    return "-".join(map(str, widths))


def format_bytes(n: float) -> str:
    """`1536` -> `"1.5 KiB"`, `3 * 2**30` -> `"3.0 GiB"` (binary units, one decimal; beyond
    1024 TiB in TiB with an exponent)."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB" if abs(n) < 1024 else f"{n:.2g} TiB"


def format_seconds(s: float) -> str:
    """`0.47` -> `"0.5 s"`, `4.2` -> `"4.2 s"`, `42.4` -> `"42 s"`, `130` -> `"2 min 10 s"`,
    `7300` -> `"2.0 h"`, `4e6` -> `"46 days"`."""
    if s < 9.95:  # a tenth of a second, so that a short estimate is not "0 s"
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60)} s"
    if s < 86400 * 2:
        return f"{s / 3600:.1f} h"
    if s < 86400 * 365 * 1000:
        return f"{s / 86400:,.0f} days"
    return f"{s / (86400 * 365):.1e} years"
