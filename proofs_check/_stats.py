"""How the Monte Carlo checks print an interval."""

from __future__ import annotations


def fmt_interval(lo: float, hi: float) -> str:
    return f"[{lo:.4g}, {hi:.4g}]"
