"""The run's measurements of the error of the stored networks: the certified bound, the
empirical search, the sandwich (`error="sandwich"`), and the tightest upper and lower values
of them (`error_upper`, `error_lower`, `error_method` of `RunResult`)."""

from __future__ import annotations

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.masks import masked_forward
from ..basics.network import RELU, Activation, Network
from ..constructions import Pruned
from ..measurement.certified import CertifiedBound, certify
from ..measurement.difference import error_at
from ..measurement.empirical import EmpiricalError, empirical_error
from ..measurement.per_weight import per_weight_error
from ..measurement.sandwich import Sandwich, check_covers, sandwich
from ..measurement.stored import StoredLayer, stored_layers


def hidden_activation(target: Network) -> Activation:
    """The activation between the target's layers (ReLU for a single layer)."""
    return target.activations[0] if target.depth > 1 else RELU


def positively_homogeneous(target: Network) -> bool:
    """`f(cx) = c f(x)` for c ≥ 0: no bias and a ReLU-family activation. Only then is the sup of
    `||f − g||` over the ball attained on the sphere (for the constructions' g as well: they
    realise a bias-free ReLU-family target with a bias-free, homogeneous g)."""
    return all(b is None for b in target.biases) and hidden_activation(target).name in (
        "relu",
        "leaky_relu",
    )


def check_error_options(error: str, sandwich_boxes: int) -> None:
    """Refuse an unknown `error` method or a budget that is not a positive integer."""
    if error not in defaults.ERROR_METHODS:
        raise InvalidArgument(
            f"error={error!r} (--error) is not one of {list(defaults.ERROR_METHODS)}"
        )
    if (
        isinstance(sandwich_boxes, bool)
        or not isinstance(sandwich_boxes, int)
        or sandwich_boxes < 1
    ):
        raise InvalidArgument(
            f"sandwich_boxes={sandwich_boxes!r} (--sandwich-boxes) must be a positive integer"
        )


def check_sandwich(target_widths, construction) -> None:
    """Refuse `error="sandwich"` where it cannot bound the run, before anything is drawn."""
    half_line = not getattr(construction, "realises_copies", False)
    check_covers(target_widths, half_line, construction.name)


def error_values(
    certified: CertifiedBound, empirical: EmpiricalError, found: Sandwich | None
) -> dict:
    """The tightest upper and lower values measured, and which method gave them."""
    if found is None:
        return {
            "error_upper": certified.value,
            "error_lower": empirical.value,
            "error_method": "certified",
        }
    exact = found.method == "exact regions"
    return {
        "error_upper": min(certified.value, found.upper),
        "error_lower": max(empirical.value, found.lower),
        "error_method": "exact" if exact else "sandwich",
    }


def certify_stored(
    target: Network, random_net: Network, pruned: Pruned
) -> tuple[CertifiedBound, tuple[StoredLayer, ...]]:
    """The certified bound, and the half-line matrices of the stored weights it was computed
    from (exact up to a proven bound; empty for the depth-(l+1) construction's copies, which
    are certified without them)."""
    stored = () if pruned.copies is not None else stored_layers(target, random_net, pruned.masks)
    return certify(target, pruned, stored or None), stored


def search(
    target: Network,
    random_net: Network,
    pruned: Pruned,
    stored: tuple[StoredLayer, ...],
    *,
    generator: torch.Generator,
    drop_dead_units: bool,
    **options,
) -> EmpiricalError:
    """The empirical search (`options`: `empirical_error`'s) on the stored weights read as
    reals: a float32 network is searched in float64 (an exact widening), so float32 rounding
    of the search cannot lift it above the certified bound; on the exact difference form
    where there are half-line matrices. A small target's search runs on one thread: its
    tensors are too small for threads to pay, and on a loaded machine a second thread made the
    default run's search 8x slower (docs/error.md)."""
    f64, net64 = target.to(dtype=torch.float64), random_net.to(dtype=torch.float64)
    threads = torch.get_num_threads()
    if target.n_params <= defaults.EMPIRICAL_ONE_THREAD_PARAMS:
        torch.set_num_threads(1)
    try:
        return empirical_error(
            f64.forward,
            masked_forward(net64, pruned.masks, drop_dead_units=drop_dead_units),
            target.widths[0],
            generator=generator,
            dtype=torch.float64,
            **({"error_map": lambda x: error_at(stored, x)} if stored else {}),
            **options,
        )
    finally:
        torch.set_num_threads(threads)


def bracket(stored: tuple[StoredLayer, ...], empirical: EmpiricalError, boxes: int) -> Sandwich:
    """The sandwich of the half-line form, started from the empirical argmax."""
    return sandwich(stored, max_boxes=boxes, start_points=empirical.argmax[None, :])


def per_weight_fields(target: Network, pruned: Pruned) -> dict:
    """`max_weight_error_used` and `_unused` of `RunResult` (approx.measurement.per_weight)."""
    if pruned.copies is not None:  # depth l + 1: every copy's weights act on the inputs
        return {"max_weight_error_used": pruned.max_weight_error(target)}
    split = per_weight_error(target, pruned.layers)
    return {"max_weight_error_used": split.used, "max_weight_error_unused": split.unused}
