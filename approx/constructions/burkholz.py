"""Burkholz 2022 — "Most activation functions can win the lottery without excessive depth",
arXiv 2205.02321 (NeurIPS 2022): a random network of depth l + 1 (not 2l) contains a subnetwork
approximating a depth-l target, for ReLU and other activations. docs/burkholz.md says in full
what is the paper's, what is the authors' code's and what is ours; in short:

- The paper's (abstract, confirmed): depth l + 1 suffices, with a logarithmic
  over-parameterisation, for a large class of activation functions. Its theorem's width
  formula, constants and the exact activation class were not available to us.
- The authors' code's (RelationalML/LT-existence, `Utils/pruning.py`, `prune_conv`), which this
  module's layout follows: target layer 1 becomes two random layers — a first layer of
  `ρ_in (d_0 + 1)` units, ρ_in per input coordinate keeping only that coordinate's edge
  (weights Uniform[-2, 2]) and ρ_in *bias units* keeping no edge but their bias (Uniform[0, 2]),
  then a layer whose units are ρ copies of each target neuron, matched by subset sums of the
  products of the two layers' weights (ReLU: the positive and the negative first-layer weights
  separately), plus ρ *constant units* pruned to the pre-activation 1. A later target layer t
  becomes one random layer of ρ copies of each neuron (+ ρ constant units): each target weight
  `W_t[k', k]` is a subset sum of the random weights from the ρ copies of neuron k, each bias a
  subset sum over the constant units. The last layer has exactly d_l units. ρ_in = 2ρ for
  ReLU and leaky ReLU. Random biases only in the first layer.
- Ours: everything numbered below — the activation class and how each activation is handled,
  the scaling for smooth activations, the width formula and its constant C, pruning against one
  random network drawn up front (the authors' code redraws a subset's coefficients when none is
  within ε), exact subset sums, and the certified bound
  (`approx.measurement.certified.certified_error_copies`, derived there).

Layout (ours in the numbers; n_t = samples per weight of target layer t):

    widths  d_0 → 2 n_1 (d_0 + 1) → n_2 (d_1 + 1) → … → n_l (d_{l-1} + 1) → d_l      (depth l+1)

Random layer 1: unit `j·2n_1 + u` serves input j, unit `d_0·2n_1 + v` is bias unit v. Random
layer t + 1 (1 ≤ t < l): unit `k·n_{t+1} + r` is copy r of target neuron k of layer t, unit
`d_t·n_{t+1} + q` constant unit q. The n_{t+1} copies of a neuron are the n_{t+1} coefficients
of every subset sum of target layer t + 1. ρ_in = 2 n_1 for every activation, so that the
layout does not depend on it; every subset sum has at most n_t coefficients (ReLU family: the
first n_1 units of each sign; tanh, sigmoid: the first n_1 units, as the authors' code draws
ρ_in = ρ for them; bias instances the first n_1 bias units, constant units the other n_1).

Activations (1–4 ours): the construction needs, at the first random layer, `φ(a·x)` to be a
known linear function of x. It covers targets whose hidden layers all use one φ of:

1. ReLU / leaky ReLU (slope 0 ≤ α < 1), positively homogeneous: a unit with weight a > 0 gives
   `a·φ(x)`, one with a < 0 gives `|a|·φ(−x)`, and `P φ(x) − N φ(−x) = (P + αN) x⁺ − (N + αP) x⁻`,
   so both signs' subset sums target `W / (1 + α)` and the identity is exact.
2. tanh, sigmoid: `φ(t) = φ(0) + m t + r(t)`, `|r(t)| ≤ K |t|³` (tanh: m = 1, K = 1/3; sigmoid:
   φ(0) = ½, m = ¼, K = 1/48; `proofs_check/burkholz.py`). The first random layer is drawn λ
   times smaller (`defaults.BURKHOLZ_LINEAR_SCALE`) and the second 1/(λm) times larger, so the
   products `m·a·b` have the same law as for ReLU and the remainder is O(λ²); it is bounded in
   the certified error, not neglected. Sigmoid's φ(0) = ½ adds a constant `½ Σ b` to each copy,
   which its bias subset sum cancels (so a sigmoid target needs that bias instance even with
   zero biases). Other activations are refused: the smooth ones need their m and K.
3. Biases: every target layer may have one (Burkholz 2022's construction covers biases; so do
   Fischer & Burkholz 2022, arXiv 2110.11150, whose construction is not implemented here).
4. Class (`check_target`): `||W_t||_2 ≤ 1` and every bias entry in [-1, 1] — the range the
   subset sums reach; the paper's own assumptions were not available to us.
"""

from __future__ import annotations

import itertools
import math

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_open_unit, check_positive_number
from ..basics.network import RELU, Activation, Network
from ..basics.safe_math import ceil_count, half_binomial_pmf, log_ratio
from ..basics.sampling import sample_uniform
from ..basics.tensor_checks import rounding_slack
from .base import Pruned, Theorem, Violation
from .burkholz_prune import Profile, Search, prune_copies
from .layout import norm_bound_violations

__all__ = [
    "BURKHOLZ",
    "Burkholz",
    "burkholz_random_params",
    "burkholz_random_widths",
    "burkholz_samples_per_weight",
    "profile",
]

# φ(t) = φ(0) + m t + r(t), |r(t)| ≤ K |t|³ for all real t (proofs_check/burkholz.py).
_SMOOTH = {"tanh": (0.0, 1.0, 1.0 / 3.0), "sigmoid": (0.5, 0.25, 1.0 / 48.0)}


def profile(activation: Activation) -> Profile:
    """What the construction uses of `activation` (refuses one it does not cover)."""
    name = activation.name
    if name == "relu":
        return Profile(activation, value0=0.0, slope=1.0, negative_slope=0.0, K=0.0, scale=1.0)
    if name == "leaky_relu":
        a = activation.negative_slope
        if not 0.0 <= a < 1.0:
            raise InvalidArgument(f"leaky_relu slope {a:g}: burkholz covers 0 <= slope < 1")
        return Profile(activation, value0=0.0, slope=1.0, negative_slope=a, K=0.0, scale=1.0)
    if name in _SMOOTH:
        value0, slope, K = _SMOOTH[name]
        scale = defaults.BURKHOLZ_LINEAR_SCALE[name]
        return Profile(
            activation, value0=value0, slope=slope, negative_slope=None, K=K, scale=scale
        )
    raise InvalidArgument(
        f"activation {activation}: burkholz covers relu, leaky_relu (0 <= slope < 1), tanh and "
        "sigmoid"
    )


def burkholz_samples_per_weight(
    target_widths: tuple[int, ...], eps: float, delta: float, C: float = defaults.C["burkholz"]
) -> tuple[int, ...]:
    """Ours: from the last layer back,

        n_l = ⌈C · ln(d_{l-1} · d_l · l / min(ε, δ))⌉,
        n_t = ⌈C · ln(n_{t+1} · d_{t-1} · d_t · l / min(ε, δ))⌉   (t < l),

    Pensia et al.'s log term with the n_{t+1} copies of every target neuron of layer t in the
    union bound: target layer t is solved n_{t+1} times over. C is our calibration
    (`defaults.C`); the paper's formula was not available to us. What the layout makes
    quadratic in these logarithms is the parameter count, `n_t n_{t+1} (d_{t-1}+1)(d_t+1)`."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_number("C", C)
    depth = len(target_widths) - 1
    out, copies = [], 1
    for d_in, d_out in reversed(list(itertools.pairwise(target_widths))):
        n = ceil_count(
            C * log_ratio(copies * d_in * d_out * depth, min(eps, delta)), eps=eps, delta=delta, C=C
        )
        out.append(n)
        copies = n
    return tuple(reversed(out))


def burkholz_random_widths(target_widths: tuple[int, ...], n: tuple[int, ...]) -> tuple[int, ...]:
    """`(d_0, 2 n_1 (d_0+1), n_2 (d_1+1), …, n_l (d_{l-1}+1), d_l)`: depth l + 1."""
    tw, n = tuple(target_widths), tuple(n)
    if len(n) != len(tw) - 1:
        raise InvalidArgument(f"n={list(n)} has {len(n)} entries; the target has {len(tw) - 1}")
    hidden = [2 * n[0] * (tw[0] + 1)] + [n[t] * (tw[t] + 1) for t in range(1, len(n))]
    return (tw[0], *hidden, tw[-1])


def burkholz_random_params(target_widths: tuple[int, ...], n: tuple[int, ...]) -> int:
    """Weights and biases of the random network before pruning: every weight of the layout,
    plus the first layer's 2 n_1 (d_0 + 1) biases."""
    widths = burkholz_random_widths(target_widths, n)
    return sum(a * b for a, b in itertools.pairwise(widths)) + widths[1]


def burkholz_instances(
    target_widths: tuple[int, ...], n: tuple[int, ...], homogeneous: bool = True
) -> tuple[tuple[tuple[int, int, tuple[tuple[int, float], ...]], ...], ...]:
    """Per target layer, the subset-sum instances `prune` solves on a ReLU-family target, as
    groups `(count, columns, ((valid coefficients, probability), ...))` (the run's time
    estimate; `burkholz_prune.prune_copies` solves exactly these). Target layer t is solved
    R = n_{t+1} times (once for the last). Layer 1: `2 R d_1 d_0` sign-split instances over
    2 n_1 columns, each keeping the first n_1 units of its sign: min(n_1, Binomial(2 n_1,
    1/2)) valid; `R d_1` bias instances and (but for the last layer) R constant instances
    over n_1 units. Later layers: `R d_t d_{t-1}` weight and `R d_t` bias instances over all
    n_t copies, plus R constant instances. Not `homogeneous` (tanh, sigmoid): no sign split,
    `R d_1 d_0` first-layer weight instances over exactly the first n_1 units."""
    tw, n = tuple(target_widths), tuple(n)
    depth = len(tw) - 1
    out = []
    for t, (d_in, d_out) in enumerate(itertools.pairwise(tw)):
        last = t == depth - 1
        copies = 1 if last else n[t + 1]
        every = ((n[t], 1.0),)
        consts = () if last else ((copies, n[t], every),)
        if t == 0:
            two_n = 2 * n[0]
            split = tuple((min(n[0], b), p) for b, p in half_binomial_pmf(two_n))
            weights = (
                (2 * copies * d_out * d_in, two_n, split)
                if homogeneous
                else (copies * d_out * d_in, two_n, every)
            )
            groups = (weights, (copies * d_out, two_n, every))
        else:
            groups = ((copies * d_out * d_in, n[t], every), (copies * d_out, n[t], every))
        out.append(groups + consts)
    return tuple(out)


def _bias_violations(target: Network) -> list[Violation]:
    out = []
    for i, b in enumerate(target.biases, start=1):
        if b is None:
            continue
        big = float(b.abs().max())
        if big > 1 + rounding_slack(b.dtype, 1):
            k = int(b.abs().argmax())
            out.append(Violation(i, f"layer {i} has bias entry |b[{k}]| = {big:.12g} > 1"))
    return out


class Burkholz:
    name = "burkholz"
    default_C = defaults.C["burkholz"]  # our calibration; the paper's value was not available
    theorem = Theorem(
        citation="Burkholz 2022, arXiv 2205.02321, depth-(l+1) construction (layout of the "
        "authors' code)",
        statement=(
            "w.p. >= 1-delta over a depth-(l+1) random network, a target with relu, leaky_relu, "
            "tanh or sigmoid activations, biases, ||W_i||_2 <= 1 and |b_i| <= 1 has a "
            "subnetwork g with sup_{||x||<=1} ||f(x)-g(x)|| <= eps"
        ),
        width=(
            "hidden widths 2*n_1*(d_0+1), n_{t+1}*(d_t+1); n_t = C*log(n_{t+1}*d_{t-1}*d_t*l/"
            "min(eps,delta)), n_{l+1} = 1 (ours; the paper's formula was not available)"
        ),
    )
    search_kind = "subset sum over copies"
    realises_copies = True  # Pruned.copies, not half-line layers (Construction's docstring)

    def check_structure(self, target: Network) -> list[Violation]:
        out = []
        hidden = target.activations[0] if target.depth > 1 else RELU
        for i, layer in enumerate(target.layers, start=1):
            what = f"layer {i} ({layer.describe()})"
            if layer.kind != "dense":
                out.append(Violation(i, f"{what} is a convolution; burkholz covers dense layers"))
            act = layer.activation
            if i == target.depth:
                if act.name != "identity":
                    out.append(Violation(i, f"{what} is followed by {act}; burkholz needs none"))
                continue
            try:
                profile(act)
            except InvalidArgument as e:
                out.append(Violation(i, f"{what}: {e}"))
                continue
            if act != hidden:
                out.append(
                    Violation(
                        i,
                        f"{what} is followed by {act}, layer 1 by {hidden}; burkholz "
                        "needs one activation between all layers",
                    )
                )
        return out

    def check_target(self, target: Network) -> list[Violation]:
        out = norm_bound_violations(target) + _bias_violations(target)
        return sorted(out, key=lambda v: v.layer)

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        factors = []
        for norm, b in zip(target.spectral_norms(), target.biases, strict=True):
            excess = max(norm, 0.0 if b is None else float(b.abs().max()))
            factors.append(1 / excess if excess > 1 + 1e-9 else 1.0)
        return tuple(factors)

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        return burkholz_samples_per_weight(target_widths, eps, delta, C)

    def random_widths(self, target_widths: tuple[int, ...], n: tuple[int, ...]) -> tuple[int, ...]:
        return burkholz_random_widths(target_widths, n)

    def random_params(self, target_widths: tuple[int, ...], n: tuple[int, ...]) -> int:
        return burkholz_random_params(target_widths, n)

    def solver_instances(
        self, target_widths: tuple[int, ...], n: tuple[int, ...], *, homogeneous: bool = True
    ):
        return burkholz_instances(target_widths, n, homogeneous)

    def instance_size(self, n_i: int) -> int:
        # every instance keeps at most n valid coefficients (burkholz_prune): the solver's limit
        # is on valid coefficients
        return n_i

    def instance_columns(self, n_i: int) -> int:
        # ... of 2n columns, all of which ``brute`` enumerates (its limit is on columns)
        return 2 * n_i

    def sample(
        self,
        target_widths: tuple[int, ...],
        n: tuple[int, ...],
        *,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float64,
        activation: Activation = RELU,
    ) -> Network:
        """Layer 1: weights Uniform[-2λ, 2λ], biases Uniform[0, 2λ] (every unit; the input
        units' biases are pruned); layer 2: Uniform[-1/(λm), 1/(λm)]; later layers
        Uniform[-1, 1] without biases. λ = 1, m = 1 for ReLU and leaky ReLU."""
        prof = profile(activation)
        widths = self.random_widths(target_widths, n)
        lam, big = prof.scale, defaults.BURKHOLZ_FIRST_RANGE * prof.scale
        draw = {"generator": generator, "device": device, "dtype": dtype}
        weights = [sample_uniform((widths[1], widths[0]), -big, big, **draw)]
        biases = [sample_uniform((widths[1],), 0.0, big, **draw)]
        for i, (d_in, d_out) in enumerate(itertools.pairwise(widths[1:])):
            s = 1.0 / (lam * prof.slope) if i == 0 else 1.0
            weights.append(sample_uniform((d_out, d_in), -s, s, **draw))
            biases.append(None)
        if prof.value0 != 0:  # the bias units must cancel the offsets φ(0)·Σb (module doc)
            offsets = defaults.BURKHOLZ_OFFSET_RANGE * math.sqrt(widths[0])
            weights[1][:, widths[0] * (widths[1] // (widths[0] + 1)) :] *= offsets
        return Network.dense(weights, biases=biases, activation=activation)

    def prune(
        self,
        target: Network,
        random_net: Network,
        *,
        solver: str = "exact",
        tolerance: float | None = None,
        prefix_tolerance: float | None = None,
    ) -> Pruned:
        act = target.activations[0] if target.depth > 1 else RELU
        if random_net.depth != target.depth + 1:
            raise InvalidArgument(
                f"random_net has depth {random_net.depth}; burkholz needs target depth + 1 = "
                f"{target.depth + 1}"
            )
        if target.depth > 1 and random_net.activations[0] != act:
            raise InvalidArgument(
                f"random_net uses {random_net.activations[0]} but the target {act}: sample it "
                "with the target's activation"
            )
        search = Search(solver, tolerance, prefix_tolerance)
        masks, copies, count = prune_copies(target, random_net, profile(act), search)
        text = self.describe_search(solver, tolerance)
        _, enumerated, prefix = search.routed
        if enumerated or prefix:  # instances beyond one meet in the middle (n > its cap)
            text += (
                f"; of {sum(search.routed)} instances {enumerated} enumerated and {prefix} "
                "solved over a prefix of their units (beyond one meet in the middle)"
            )
        return Pruned(masks=masks, layers=(), n_instances=count, search=text, copies=copies)

    def describe_search(self, solver: str, tolerance: float | None) -> str:
        text = f"{solver} subset sum over copies"
        return text if tolerance is None else f"{text}, per-weight tolerance {tolerance:.3g}"


BURKHOLZ = Burkholz()
