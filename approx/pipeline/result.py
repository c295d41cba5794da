"""`RunResult`: one run's configuration, seed, versions, timings and every figure — the single
thing that tables, JSON, stores and plots read. Its tensors ride along in `Artifacts`, which
`to_json` leaves out (they go to `network.pt`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..basics.network import Network
from ..constructions import Pruned


@dataclass(frozen=True)
class Artifacts:
    target: Network
    random_net: Network
    pruned: Pruned


@dataclass(frozen=True)
class RunResult:
    construction: str
    theorem: str
    target_widths: tuple[int, ...]
    target_depth: int
    target_params: int
    random_widths: tuple[int, ...]
    random_depth: int
    n_per_layer: tuple[int, ...]
    n_source: str
    C: float | None
    theorem_n_per_layer: tuple[int, ...]
    random_params: int
    theorem_random_params: int
    kept_params: int
    kept_per_layer: tuple[int, ...]
    density: float
    n_instances: int
    search: str
    max_weight_error: float
    certified_error: float
    certified_layer_errors: tuple[float, ...]
    empirical_error: float
    empirical_samples: int
    ascent_steps: int
    eps: float
    delta: float
    certified_within_eps: bool
    empirical_within_eps: bool
    lower_bound_params_per_layer: tuple[float, ...]
    rescale_factors: tuple[float, ...] | None
    seed: int
    solver: str
    weight_tolerance: float | None
    device: str
    dtype: str
    seconds: float
    phase_seconds: dict[str, float]
    versions: dict[str, str]
    # the ticket density the construction was asked for (None: it takes no density option)
    requested_density: float | None = None
    artifacts: Artifacts | None = field(default=None, compare=False, repr=False)
    # Per target layer, how many per-weight subset-sum instances were solved how: "meet in the
    # middle" (one exact pass), "enumeration" (exact, over the excess choices of an instance
    # too large for one pass), "prefix" (exact over the instance's first p valid coefficients,
    # p widened until the error is within `prefix_tolerance`); None where the construction
    # does not route instances by size. Which instance was which: network.pt's "row_methods".
    row_methods: tuple[dict[str, int], ...] | None = None
    prefix_tolerance: float | None = None
    # Per target layer, the most valid (right-signed) coefficients any instance had.
    max_valid_per_layer: tuple[int, ...] | None = None
    # The per-weight error split by the half-lines a layer's inputs take
    # (approx.measurement.per_weight): max |P - W| or |N - W| where they act on inputs the layer
    # sees (P and N in layer 1, P after a ReLU), and max |N_i - W_i| for i >= 2, which no input
    # reaches (None for one layer). `max_weight_error` above is the larger of the two.
    max_weight_error_used: float | None = None
    max_weight_error_unused: float | None = None
    # Factors the drawn random target was scaled by to enter the construction's class (Malach's
    # entry bound |w| <= 1/sqrt(fan-in)); None when the target was given or needed none.
    drawn_target_factors: tuple[float, ...] | None = None
    activation: str = "relu"  # between the target's layers
    target_biases: bool = False  # whether any target layer has a bias
    empirical_domain: str = "sphere"  # where the empirical search looked: "sphere" or "ball"
    # The tightest upper and lower values of the error measured, and how: "certified" (the
    # certified bound, the empirical estimate), "sandwich" (approx.measurement.sandwich's
    # branch and bound, each side the tighter of it and the two above), or "exact" (the
    # sandwich's region enumeration, 1 or 2 inputs: upper = lower up to rounding).
    error_upper: float | None = None
    error_lower: float | None = None
    error_method: str | None = None
    # The target's input shape ((d_0,) dense, (c, H, W) convolutional) and one description per
    # layer ("Linear 64->16", "Conv2d 1->4 3x3 pad 1"). For a convolutional target the widths
    # above are flattened feature counts c·H·W and the errors are norms of flattened tensors.
    input_shape: tuple[int, ...] | None = None
    target_layers: tuple[str, ...] | None = None
    # The error in the CNN theorem's norm, sup_{||x||_max <= 1} ||f(x) - g(x)||_max
    # (approx.measurement.max_norm): certified and empirical; None for other constructions.
    certified_error_max_norm: float | None = None
    empirical_error_max_norm: float | None = None

    def to_json(self) -> dict:
        """Plain JSON-able dict of every figure (no tensors)."""
        out = {}
        for f in fields(self):
            if f.name != "artifacts":  # tensors: network.pt, not JSON
                v = getattr(self, f.name)
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out
