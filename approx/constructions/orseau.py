"""Orseau, Hutter, Rivasplata 2020 — "Logarithmic pruning is all you need", arXiv 2006.12156
(NeurIPS 2020).

What we could read of the paper (the `search` tool's stored copies: its abstract; the NeurIPS
2020 reviews; a review page quoting its Figure 1 caption) and therefore state as the paper's
(docs/references.md, Orseau et al. 2020, says which are confirmed):

- a random network needs only a logarithmic factor (in all variables but depth) more neurons
  per weight of the target, without Malach et al.'s most limiting assumptions (abstract);
- weights are drawn from a hyperbolic distribution; each target weight is simulated by about
  2 log(1/ε) intermediate neurons through a "binary" decomposition of the weight, so O(log 1/ε)
  sampled neurons suffice where one pair per weight needs 1/ε² (Figure 1 caption, restated);
- the decomposition is a bitwise representation in base 3/2; each intermediate neuron
  contributes a product b·a of two random weights through `b·a·x = b σ(a x) − b σ(−a x)`; one
  pass of sampling serves all neurons of a layer (a covering argument for a categorical
  distribution), and a union bound over the layers gives the result (a NeurIPS review).

Not available to us: the theorem's statement, the hyperbolic range, the constants, the target
class, and how exactly a digit is matched. Everything below those restatements is ours, with
constants explicit and proven for our own construction.

Ours:

- Layout: Pensia et al.'s depth-2l layout (`HalfLineLayout`): units `j·2n … (j+1)·2n − 1` serve
  input j and keep only their edge from it, every output picks its own units among them — one
  pool of units per input, drawn once for the whole layer ("batch sampling").
- Weights: every entry of `M_{2i-1}` and `M_{2i}` i.i.d. hyperbolic with a random sign:
  density ∝ 1/|w| on `[α_i, 1]`, `α_i = sqrt(q^{K_i} / 2)` so that the products `a·b` reach the
  smallest digit (`approx.basics.sampling.hyperbolic_magnitudes`).
- Digits (base 3/2, q = 2/3): target layer i needs per-weight precision
  `τ_i = ε / (2 l sqrt(2 d_{i-1} d_i))` (as Malach's η_i: then the layer error is at most
  `||[P − W, N − W]||_F ≤ ε/(2l)` and the certified error at most `e^{ε/2} − 1 ≤ ε`), hence
  `K_i = ⌈log_{3/2}(1/τ_i)⌉` digits with intervals `I_t = [q^t/2, q^t]`, t = 1..K_i.
- Matching (`digit_greedy`), per target weight w and half-line: r = |w|; for t = 1..K keep the
  largest unused product of w's sign in `I_t` that is ≤ r, if any, and r −= it.
  Lemma (ours): if every `I_t` holds an unused candidate when digit t is reached, then after
  digit t the residual is ≤ q^t, so the weight's error is ≤ q^K ≤ τ. Proof by induction from
  r_0 = |w| ≤ 1: a kept v ∈ I_t leaves r − v ≤ q^{t−1} − q^t/2 = q^t (as 1/q − 1/2 = 1); if every
  candidate in I_t exceeds r then r < q^t. Base 2 would need exact powers; base 3/2 leaves each
  digit a factor-2 window, which a hyperbolic law hits with a probability independent of t.
  Only digit t−1 can take a unit of I_t (I_s ∩ I_t = ∅ for |s − t| ≥ 2), so two candidates in
  every I_t (one in I_1) suffice. A weight keeps at most K units per half-line, 2K in all: the
  "2 log(1/ε) intermediate neurons", with log base 3/2 and τ in place of ε.
- Width (`orseau_samples_per_weight`, C = 1 proven): a drawn unit is a candidate of digit t
  for a given half-line and product sign w.p. `π_t = p_t / 4` (the signs of a and b), where
  `p_t = P(|ab| ∈ I_t)`: `ln(1/|a|), ln(1/|b|)` are i.i.d. Uniform[0, L], `L = ln(1/α)`, so
  `y = ln(1/|ab|)` is triangular on [0, 2L] and `I_t` is `y ∈ [t ln(3/2), t ln(3/2) + ln 2]`.
  A union bound over every layer, weight, half-line, product sign and digit of
  `P(Binomial(2n_i, π_t) < need_t)` (need 1 for t = 1, else 2), layer i's share of δ
  proportional to its `4 d_{i-1} d_i K_i` events, gives the smallest `n_i`; then w.p. ≥ 1 − δ
  one draw serves every target with `||W_i||_2 ≤ 1` (so `|w| ≤ 1`). C multiplies that n.
"""

from __future__ import annotations

import itertools
import math

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_open_unit, check_positive_number
from ..basics.masks import kept_sum
from ..basics.network import Network
from ..basics.safe_math import ceil_count
from ..basics.sampling import sample_weights
from ..basics.torch_threads import one_torch_thread
from .base import Theorem, Violation
from .layout import HalfLineLayout, norm_bound_violations

Q = 2 / 3  # digit ratio: base 3/2


def layer_precision(eps: float, depth: int, d_in: int, d_out: int) -> float:
    """`τ_i = ε / (2 l sqrt(2 d_{i-1} d_i))`: per-weight error that keeps layer i's error
    ≤ ε/(2l) (Frobenius bound), so that the certified error is ≤ ε."""
    return eps / (2 * depth * math.sqrt(2 * d_in * d_out))


def digit_count(tau: float) -> int:
    """The fewest base-3/2 digits K with `q^K ≤ τ`."""
    k = max(1, math.ceil(math.log(1 / tau) / math.log(1.5)))
    while Q**k > tau:
        k += 1
    while k > 1 and Q ** (k - 1) <= tau:
        k -= 1
    return k


def hyperbolic_low(k: int) -> float:
    """`α = sqrt(q^K / 2)`: the hyperbolic range [α, 1] whose products `|ab|` span exactly the
    digit intervals I_1 … I_K (from q^K/2 up to 1)."""
    return math.sqrt(Q**k / 2)


def digit_probability(t: int, k: int) -> float:
    """`p_t = P(|ab| ∈ I_t)` for a, b i.i.d. hyperbolic on [α, 1], `α = hyperbolic_low(k)`."""
    big_l = math.log(1 / hyperbolic_low(k))

    def cdf(y: float) -> float:  # of y = ln(1/|ab|): triangular on [0, 2L]
        y = min(max(y, 0.0), 2 * big_l)
        return y * y / (2 * big_l**2) if y <= big_l else 1 - (2 * big_l - y) ** 2 / (2 * big_l**2)

    lo = t * math.log(1.5)
    return cdf(lo + math.log(2)) - cdf(lo)


def _missing(n: int, pi: float, need: int) -> float:
    """P(Binomial(2n, π) < need), need ∈ {1, 2}."""
    none = math.exp(2 * n * math.log1p(-pi))
    return none if need == 1 else none + 2 * n * pi * none / (1 - pi)


def _layer_failure(n: int, k: int, weights: int) -> float:
    """Union bound on some (weight, half-line, product sign, digit) of a layer lacking its
    candidates: `4 · weights · Σ_t P(Binomial(2n, π_t) < need_t)`."""
    return (
        4
        * weights
        * sum(_missing(n, digit_probability(t, k) / 4, 1 if t == 1 else 2) for t in range(1, k + 1))
    )


def orseau_samples_per_weight(
    target_widths: tuple[int, ...], eps: float, delta: float, C: float = defaults.C["orseau"]
) -> tuple[int, ...]:
    """Samples per weight `n_i` (2n_i hyperbolic units per input) that give every weight of every
    target with `||W_i||_2 ≤ 1` its base-3/2 digits w.p. ≥ 1 − δ (module docstring): the
    smallest n with `_layer_failure(n) ≤ δ · E_i / Σ_j E_j`, `E_i = 4 d_{i-1} d_i K_i`, times C
    (C = 1 is what the union bound proves)."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_number("C", C)
    depth = len(target_widths) - 1
    shapes = list(itertools.pairwise(target_widths))
    taus = [layer_precision(eps, depth, a, b) for a, b in shapes]
    if not min(taus) > 0:
        raise InvalidArgument(
            f"eps={eps!r} is too small for Orseau's digits: the per-weight precision "
            "underflows to 0"
        )
    ks = [digit_count(tau) for tau in taus]
    events = [4 * a * b * k for (a, b), k in zip(shapes, ks, strict=True)]
    out = []
    for (d_in, d_out), k, e in zip(shapes, ks, events, strict=True):
        share = delta * e / sum(events)
        hi = 1
        while _layer_failure(hi, k, d_in * d_out) > share:
            hi *= 2
        lo = hi // 2  # fails (or 0)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if _layer_failure(mid, k, d_in * d_out) <= share else (mid, hi)
        out.append(ceil_count(C * hi, eps=eps, delta=delta, C=C))
    return tuple(out)


def digit_greedy(
    products: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Base-3/2 digits per row: for t = 1..k keep the largest unused valid candidate of the
    target's sign with `|v| ∈ [q^t/2, q^t]` and `|v| ≤ r`, and r −= |v| (r starts at |target|).
    `products`, `valid` `(R, c)`, `targets` `(R,)`; returns `chosen` `(R, c)` bool and `value`
    `(R,)` (the kept products' sum, in products' dtype). Error ≤ q^k where every digit
    interval holds a candidate (module docstring).

    One sort per row, then one binary search per digit: the largest candidate ≤ min(q^t, r)
    is the digit's choice if it is ≥ q^t/2. Only digit t − 1's unit can be ≤ q^t (windows two
    apart are disjoint), so "unused" means "not the previous digit's position"."""
    right = valid & (torch.sign(products) == torch.sign(targets)[:, None])
    key = torch.where(right, products.abs().to(torch.float64), -1.0)  # (R, c); -1: never kept
    asc, order = key.sort(1)  # (R, c) ascending
    r = targets.abs().to(torch.float64)  # (R,)
    chosen = torch.zeros_like(valid)
    rows = torch.arange(len(r), device=r.device)
    # the passes on one torch thread: ~15 small calls each, between which a pool's idle threads
    # spin (10x slower beside two busy loops where torch was imported before the `approx`
    # command could set OMP_WAIT_POLICY); the same values
    with one_torch_thread():
        chosen, r = _digit_passes(asc, order, r, chosen, rows, k, products.shape[1] > 0)
    return chosen, kept_sum(products, chosen)


def _digit_passes(asc, order, r, chosen, rows, k: int, any_candidate: bool):
    """`digit_greedy`'s passes, t = 1..k, over the sorted keys `asc` (their columns `order`):
    marks `chosen`, lowers the remainders `r`."""
    prev = torch.full_like(r, -1, dtype=torch.long)  # position the previous digit kept
    for t in range(1, k + 1 if any_candidate else 1):
        top = Q**t
        bound = torch.clamp(r, max=top)[:, None]  # (R, 1)
        idx = torch.searchsorted(asc, bound, right=True).squeeze(1) - 1  # last asc <= bound
        idx = torch.where(idx == prev, idx - 1, idx)
        val = asc.gather(1, idx.clamp(min=0)[:, None]).squeeze(1)  # (R,)
        take = (idx >= 0) & (val >= top / 2)
        chosen[rows[take], order[rows[take], idx[take]]] = True
        r = torch.where(take, r - val, r)
        prev = torch.where(take, idx, -1)
    return chosen, r


class Orseau(HalfLineLayout):
    name = "orseau"
    default_C = defaults.C["orseau"]  # proven for our width derivation (docstring)
    search = "base-3/2 digit greedy (the solver is not used)"
    theorem = Theorem(
        citation="Orseau et al. 2020, arXiv 2006.12156 (hyperbolic weights, base-3/2 digits)",
        statement=(
            "w.p. >= 1-delta over a depth-2l network with hyperbolic weights, every target with "
            "||W_i||_2 <= 1 has a subnetwork g with sup_{||x||<=1} ||f(x)-g(x)|| <= eps, each "
            "weight from <= 2 log_{3/2}(1/tau_i) units (our construction and constants)"
        ),
        width=(
            "paper: log factor in all but depth (constants not available); here: hidden width "
            "2*d_{i-1}*n_i, n_i from a union bound over K_i = ceil(log_{3/2}(1/tau_i)) digits, "
            "tau_i = eps/(2l*sqrt(2 d_{i-1} d_i))"
        ),
    )

    def __init__(self, eps: float = defaults.EPS):
        self.eps = check_open_unit("eps", eps)

    def for_run(self, widths: tuple[int, ...], eps: float, density: float | None) -> Orseau:
        """This construction for a run at `eps`: the hyperbolic range and the digits depend on
        it (`density` is not an option here; the plan refuses it)."""
        return Orseau(eps)

    def digits(self, depth: int, d_in: int, d_out: int) -> int:
        return digit_count(layer_precision(self.eps, depth, d_in, d_out))

    def check_target(self, target: Network) -> list[Violation]:
        return norm_bound_violations(target)

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        return tuple(1 / s if s > 1 + 1e-9 else 1.0 for s in target.spectral_norms())

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        return orseau_samples_per_weight(target_widths, eps, delta, C)

    def instance_size(self, n_i: int) -> int:
        return 0  # the digits are picked one by one; no subset-sum solver is called

    def digit_passes(
        self, target_widths: tuple[int, ...], n: tuple[int, ...]
    ) -> tuple[tuple[int, int, int], ...]:
        """Per target layer, `(rows, columns, digits)` of each of `match_layer`'s two
        `digit_greedy` calls (one per half-line): a row per weight, 2n_i candidates, K_i
        digit passes (the run's time estimate: each pass costs a few torch calls, so at tiny
        eps, K_i in the thousands, the passes dominate)."""
        depth = len(target_widths) - 1
        return tuple(
            (d_in * d_out, 2 * n_i, self.digits(depth, d_in, d_out))
            for (d_in, d_out), n_i in zip(itertools.pairwise(target_widths), n, strict=True)
        )

    def sample(
        self,
        target_widths: tuple[int, ...],
        n: tuple[int, ...],
        *,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float64,
    ) -> Network:
        depth = len(target_widths) - 1
        layers = []
        for (d_in, d_out), n_i in zip(itertools.pairwise(target_widths), n, strict=True):
            low = hyperbolic_low(self.digits(depth, d_in, d_out))
            for shape in ((2 * d_in * n_i, d_in), (d_out, 2 * d_in * n_i)):
                layers.append(
                    sample_weights(
                        shape,
                        generator=generator,
                        distribution="hyperbolic",
                        low=low,
                        device=device,
                        dtype=dtype,
                    )
                )
        return Network.dense(layers)

    def match_layer(
        self, target, i, products, pos, neg, *, solver, tolerance, prefix_tolerance=None
    ):
        """Digits per weight and half-line; `solver` and `tolerance` are not used."""
        w = target.weights[i]
        d_out, d_in, c = products.shape
        k = self.digits(target.depth, d_in, d_out)
        flat, wf = products.reshape(-1, c), w.reshape(-1)
        chosen_p, P = digit_greedy(flat, wf, pos.reshape(-1, c), k)
        chosen_n, N = digit_greedy(flat, wf, neg.reshape(-1, c), k)
        chosen = (chosen_p | chosen_n).view(d_out, d_in, c)
        return chosen, P.view(d_out, d_in), N.view(d_out, d_in), None


ORSEAU = Orseau()
