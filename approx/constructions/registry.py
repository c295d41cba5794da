"""Construction names -> implementations. Experiments look constructions up here and never
special-case one; a new construction is one module plus one entry below."""

from __future__ import annotations

from ..basics.errors import InvalidArgument
from ..basics.network import Network
from .base import Construction
from .burkholz import BURKHOLZ
from .cnn import CNN_CONSTRUCTION
from .malach import MALACH
from .natale import NATALE
from .orseau import ORSEAU
from .pensia import PENSIA

CONSTRUCTIONS: dict[str, Construction] = {
    PENSIA.name: PENSIA,
    MALACH.name: MALACH,
    ORSEAU.name: ORSEAU,
    NATALE.name: NATALE,
    BURKHOLZ.name: BURKHOLZ,
    CNN_CONSTRUCTION.name: CNN_CONSTRUCTION,
}


def get_construction(name: str) -> Construction:
    try:
        return CONSTRUCTIONS[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name, e.g. a list
        raise InvalidArgument(
            f"construction={name!r} is not one of {sorted(CONSTRUCTIONS)}"
        ) from None


def check_covered(target: Network, where: str = "target") -> Network:
    """`target` unchanged if some registered construction covers its layers (kinds, biases,
    activations); otherwise InvalidArgument with each construction's first objection (and
    the layer, where they all object to the same one)."""
    found = {name: c.check_structure(target) for name, c in CONSTRUCTIONS.items()}
    if any(not v for v in found.values()):
        return target
    firsts = {v[0].layer for v in found.values()}
    which = f"layer {firsts.pop()}" if len(firsts) == 1 else "all its layers"
    # each construction's first objection, wherever it is: a construction that covers layer 1
    # but not a later one (cnn, for a missing ReLU after layer 2) says why too
    reasons = "; ".join(f"{name}: {v[0].message}" for name, v in sorted(found.items()))
    raise InvalidArgument(f"{where}: no registered construction covers {which} ({reasons})")
