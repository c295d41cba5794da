"""Construction names -> implementations. Experiments look constructions up here and never
special-case one; a new construction is one module plus one entry below."""

from __future__ import annotations

from ..errors import InvalidArgument
from .base import Construction
from .malach import MALACH
from .pensia import PENSIA

CONSTRUCTIONS: dict[str, Construction] = {PENSIA.name: PENSIA, MALACH.name: MALACH}


def get_construction(name: str) -> Construction:
    try:
        return CONSTRUCTIONS[name]
    except KeyError:
        raise InvalidArgument(
            f"construction={name!r} is not one of {sorted(CONSTRUCTIONS)}"
        ) from None
