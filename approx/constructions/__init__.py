"""One module per theorem's construction, all behind `registry.get_construction(name)`."""

from .base import Construction, HalfLineLayer, Pruned, Theorem, Violation, realised_forward
from .registry import CONSTRUCTIONS, check_covered, get_construction

__all__ = [
    "CONSTRUCTIONS",
    "Construction",
    "HalfLineLayer",
    "Pruned",
    "Theorem",
    "Violation",
    "check_covered",
    "get_construction",
    "realised_forward",
]
