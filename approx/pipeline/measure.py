"""The run's measurements of the error of the stored networks: the certified bound, the
empirical search, the sandwich (`error="sandwich"`), and the tightest upper and lower values
of them (`error_upper`, `error_lower`, `error_method` of `RunResult`)."""

from __future__ import annotations

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.masks import masked_forward
from ..basics.network import Network
from ..constructions import Pruned
from ..measurement.certified import CertifiedBound, certify
from ..measurement.difference import error_at
from ..measurement.empirical import EmpiricalError, Map, empirical_error, flat_forward
from ..measurement.per_weight import per_weight_error
from ..measurement.sandwich import Sandwich, check_covers, sandwich
from ..measurement.stored import StoredLayer, stored_layers


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


def check_sandwich(target_widths, construction, target: Network | None = None) -> None:
    """Refuse `error="sandwich"` where it cannot bound the run, before anything is drawn (a
    convolutional `target` among them: the sandwich reads dense half-line layers)."""
    if target is not None and not target.is_dense:
        raise InvalidArgument(
            "the sandwich (error='sandwich', --error sandwich) bounds dense targets; this one "
            "has convolutions: use error='certified'"
        )
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
    # the exact stored sums are written for dense half-line layers; a convolutional target's
    # realised kernels are certified as the construction computed them (float64 sums)
    dense = pruned.copies is None and target.is_dense
    stored = stored_layers(target, random_net, pruned.masks) if dense else ()
    return certify(target, pruned, stored or None), stored


def search(
    target: Network,
    random_net: Network,
    pruned: Pruned,
    stored: tuple[StoredLayer, ...],
    *,
    generator: torch.Generator,
    **options,
) -> EmpiricalError:
    """The empirical search (`options`: `empirical_error`'s). With half-line matrices
    (`stored`) it searches the exact difference form and measures the stored weights read as
    reals, in float64: a float64 run evaluates the networks themselves at the points found; a
    float32 run evaluates the realisation as `f + (g̃ − f)` with the exact difference form, so
    neither float32 rounding can lift the value above the certified bound nor does a float64
    copy of the random network cost memory. Without them (copies) it searches the networks in
    the run's dtype. The random network is evaluated as the compacted ticket
    (`approx.basics.ticket.compact`: the hidden units no kept weight enters or leaves removed,
    most of them at a theorem's width), the masked network's function up to rounding."""

    def network() -> Map:  # the ticket, compacted: its dead hidden units removed
        return masked_forward(random_net, pruned.masks, drop_dead_units=True)

    if not stored:  # (a convolutional target: on flattened inputs and outputs)
        options.pop("search_chunk_rows", None)  # the networks are searched: their chunks
        return empirical_error(
            flat_forward(target.forward, target.input_shape),
            flat_forward(network(), target.input_shape),
            target.feature_widths[0], generator=generator, dtype=target.dtype, **options,
        )  # fmt: skip

    def diff(x: torch.Tensor) -> torch.Tensor:
        return error_at(stored, x)

    f64 = target.to(dtype=torch.float64)

    def stored_g(x: torch.Tensor) -> torch.Tensor:  # the stored realisation, from f exactly
        return f64.forward(x) + diff(x)

    return empirical_error(
        f64.forward,
        network() if target.dtype == torch.float64 else stored_g,
        target.widths[0],
        generator=generator,
        dtype=torch.float64,
        error_map=diff,
        **options,
    )


def bracket(stored: tuple[StoredLayer, ...], empirical: EmpiricalError, boxes: int) -> Sandwich:
    """The sandwich of the half-line form, started from the empirical argmax."""
    return sandwich(stored, max_boxes=boxes, start_points=empirical.argmax[None, :])


def per_weight_fields(target: Network, pruned: Pruned) -> dict:
    """`max_weight_error_used` and `_unused` of `RunResult` (approx.measurement.per_weight)."""
    if pruned.copies is not None:  # depth l + 1: every copy's weights act on the inputs
        return {"max_weight_error_used": pruned.max_weight_error(target)}
    split = per_weight_error(target, pruned.layers)
    return {"max_weight_error_used": split.used, "max_weight_error_unused": split.unused}
