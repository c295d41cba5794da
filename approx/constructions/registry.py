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
    except KeyError:
        raise InvalidArgument(
            f"construction={name!r} is not one of {sorted(CONSTRUCTIONS)}"
        ) from None


def check_covered(target: Network, where: str = "target") -> Network:
    """`target` unchanged if some registered construction covers its layers (kinds, biases,
    activations); otherwise InvalidArgument naming the first layer none of them covers and
    what each construction says of it."""
    found = {name: c.check_structure(target) for name, c in CONSTRUCTIONS.items()}
    if any(not v for v in found.values()):
        return target
    layer = min(v[0].layer for v in found.values())
    reasons = "; ".join(
        f"{name}: {next(x.message for x in v if x.layer == layer)}"
        for name, v in sorted(found.items())
        if any(x.layer == layer for x in v)
    )
    raise InvalidArgument(f"{where}: no registered construction covers layer {layer} ({reasons})")
