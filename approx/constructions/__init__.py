"""One module per theorem's construction, all behind `registry.get_construction(name)`."""

from .base import Construction, HalfLineLayer, Pruned, Theorem, Violation, realised_forward
from .registry import CONSTRUCTIONS, get_construction

__all__ = [
    "CONSTRUCTIONS",
    "Construction",
    "HalfLineLayer",
    "Pruned",
    "Theorem",
    "Violation",
    "get_construction",
    "realised_forward",
]
