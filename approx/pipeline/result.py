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
    artifacts: Artifacts | None = field(default=None, compare=False, repr=False)
    # The tightest upper and lower values of the error measured, and how: "certified" (the
    # certified bound, the empirical estimate), "sandwich" (approx.measurement.sandwich's
    # branch and bound, each side the tighter of it and the two above), or "exact" (the
    # sandwich's region enumeration, 1 or 2 inputs: upper = lower up to rounding).
    error_upper: float | None = None
    error_lower: float | None = None
    error_method: str | None = None

    def to_json(self) -> dict:
        """Plain JSON-able dict of every figure (no tensors)."""
        out = {}
        for f in fields(self):
            if f.name != "artifacts":  # tensors: network.pt, not JSON
                v = getattr(self, f.name)
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out
