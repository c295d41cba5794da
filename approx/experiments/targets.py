"""Targets the experiments ask questions about, beyond the random targets of `random_target`:
a network trained on scikit-learn's handwritten digits, Telgarsky's sawtooth written as a
bias-free ReLU network, and the scalar ReLU chain.

Each is a bias-free dense ReLU `Network` (no activation after the last layer), the class that
Pensia et al.'s and Malach et al.'s theorems cover; a target outside their norm class is
scaled into it by `run(..., rescale=True)`, never here.
"""

from __future__ import annotations

import math

import torch

from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.network import Network

# The sawtooth's constant channel is carried as KAPPA·c. A larger KAPPA makes the middle
# layers' norms approach their floor of 4 but the first layer's norm grow like KAPPA; 2
# minimises the product of the norms for depths 2 to 12 among {1, 2, 4, 8}.
KAPPA = 2.0
DIGITS_TRAIN = 1347  # of scikit-learn's 1,797 digits; the other 450 are the test set
DIGITS_STEPS = 400  # full-batch Adam steps


def digits_target(hidden: int, seed: int, pool: int = 1):
    """A bias-free d-`hidden`-10 ReLU network trained on scikit-learn's handwritten digits
    (8×8 images, shipped inside the package: no download), each image average-pooled over
    `pool`×`pool` blocks (`pool` 1, 2 or 4: d = 64, 16 or 4 inputs) and scaled to unit norm.
    Full-batch Adam (lr 1e-2, `DIGITS_STEPS` steps, cross-entropy) from a seeded init on a
    seeded split. Returns the network and the (train, test) pairs `(x (N, 64), y (N,))`."""
    check_positive_int("hidden", hidden)
    if pool not in (1, 2, 4):
        raise InvalidArgument(f"pool={pool!r} must be 1, 2 or 4 (it divides the 8x8 images)")
    # scikit-learn is an optional dependency (the `experiments` extra): imported here so that
    # the rest of the package loads without it
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float64)
    side = 8 // pool
    x = x.view(-1, side, pool, side, pool).mean(dim=(2, 4)).reshape(-1, side * side)
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)  # (1797, d), unit norm
    d = side * side
    y = torch.tensor(y)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(y), generator=gen)
    tr, te = perm[:DIGITS_TRAIN], perm[DIGITS_TRAIN:]
    w1 = (torch.rand(hidden, d, generator=gen, dtype=torch.float64) * 2 - 1) / 8
    w2 = (torch.rand(10, hidden, generator=gen, dtype=torch.float64) * 2 - 1) / hidden**0.5
    params = [w1.requires_grad_(), w2.requires_grad_()]
    opt = torch.optim.Adam(params, lr=1e-2)
    for _ in range(DIGITS_STEPS):
        opt.zero_grad()
        logits = torch.relu(x[tr] @ w1.T) @ w2.T  # (N_train, 10)
        torch.nn.functional.cross_entropy(logits, y[tr]).backward()
        opt.step()
    net = Network.dense((w1.detach().clone(), w2.detach().clone()))
    return net, (x[tr], y[tr]), (x[te], y[te])


def tent_power(x: torch.Tensor, l: int) -> torch.Tensor:
    """Telgarsky's sawtooth `t^l(x)`, `t(x) = 1 − |2x − 1|` on [0, 1] (the tent map; equal
    there to his mirror map `2σ(x) − 4σ(x − ½)`): `2^l` linear pieces, 0 at even and 1 at odd
    multiples of `2^-l`."""
    check_positive_int("l", l)
    for _ in range(l):
        x = 1 - (2 * x - 1).abs()
    return x


def sawtooth_target(l: int, dtype: torch.dtype = torch.float64) -> Network:
    """`t^l` as a bias-free ReLU network of depth l + 1 and width 3 on inputs `(x, c)`.

    The theorems cover bias-free networks on the unit ball, and `t` needs a bias; so the
    constant is an input coordinate: the network is positively homogeneous and computes
    `c · t^l(x / c)` for c > 0, hence `t^l(x) / √2` at `(x, 1) / √2` (which lies in the unit
    ball for x ∈ [0, 1]). Hidden units carry `σ(2y − c)`, `σ(c − 2y)` and `KAPPA·c` (so
    `|2y − c|` is their sum, and c survives the ReLU since c > 0):

        W_1 = [[2, −1], [−2, 1], [0, κ]]
        W_i = [[−2, −2, 1/κ], [2, 2, −1/κ], [0, 0, 1]]       i = 2 … l
        W_{l+1} = [[−1, −1, 1/κ]]

    (`t(y) = c − |2y − c|`). Its layers' norms exceed 1; `run(..., rescale=True)` divides each
    by its norm, which scales the function by `1 / Π ||W_i||_2` (at least `2^-l`: `t^l` has
    slope `2^l`)."""
    check_positive_int("l", l)
    k = KAPPA
    first = torch.tensor([[2.0, -1.0], [-2.0, 1.0], [0.0, k]], dtype=dtype)
    middle = torch.tensor([[-2.0, -2.0, 1 / k], [2.0, 2.0, -1 / k], [0.0, 0.0, 1.0]], dtype=dtype)
    last = torch.tensor([[-1.0, -1.0, 1 / k]], dtype=dtype)
    return Network.dense([first] + [middle.clone() for _ in range(l - 1)] + [last])


def segment_points(x: torch.Tensor) -> torch.Tensor:
    """The points `(x, 1) / √2` of the unit ball at which `sawtooth_target` computes
    `t^l(x) / √2`: `x` `(S,)` -> `(S, 2)`."""
    return torch.stack([x, torch.ones_like(x)], dim=1) / math.sqrt(2)


def chain_target(l: int, dtype: torch.dtype = torch.float64) -> Network:
    """The scalar ReLU chain `W_i = [[1]]`, i = 1 … l: `f(x) = σ(x)` for l ≥ 2 (x for l = 1).
    Every layer has norm 1 and the signal never shrinks, so errors compound as in the worst
    case of the composition bound (docs/references.md, Findings, 3)."""
    check_positive_int("l", l)
    return Network.dense([torch.ones((1, 1), dtype=dtype) for _ in range(l)])
