"""The certified bound is an upper bound; the empirical estimate is a lower one, and both are
exact where the answer is known in closed form."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.network import Network
from approx.basics.sampling import random_target
from approx.constructions import HalfLineLayer, realised_forward
from approx.measurement.certified import certified_error
from approx.measurement.empirical import empirical_error

from .support import TOL, generator, seeds


def perturbed_layers(target, scale, g, same_halves=False):
    layers = []
    for w in target.weights:
        P = w + scale * torch.randn(w.shape, generator=g, dtype=w.dtype)
        N = P if same_halves else w + scale * torch.randn(w.shape, generator=g, dtype=w.dtype)
        layers.append(HalfLineLayer(P, N))
    return tuple(layers)


@given(
    seed=seeds,
    widths=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
    log_scale=st.floats(-6, 0.5),
    norm=st.floats(0.2, 1.5),
)
def test_empirical_never_exceeds_certified(seed, widths, log_scale, norm):
    g = generator(seed)
    target = random_target(widths, generator=g, spectral_norm=norm)
    layers = perturbed_layers(target, 10**log_scale, g)
    cert = certified_error(target, layers)
    emp = empirical_error(
        target,
        lambda x: realised_forward(layers, x),
        widths[0],
        generator=g,
        n_samples=512,
        ascent_steps=4,
        n_ascent=8,
        restarts=2,  # both move lengths: the bound is tested on many nets, not on one's last 1%
    )
    # f(x) − g(x) is a difference of O(1) outputs: TOL absolute slack for its rounding
    assert emp.value <= cert.value * (1 + 1e-9) + TOL[torch.float64]
    assert abs(float(emp.argmax.norm()) - 1) < 1e-9


@given(seed=seeds, d_in=st.integers(1, 5), d_out=st.integers(1, 5), log_scale=st.floats(-6, 0))
def test_both_are_exact_for_one_linear_layer(seed, d_in, d_out, log_scale):
    """Depth 1 with P = N: the error map is linear, sup = ||P − W||_2 exactly; the certified
    bound must equal it and gradient ascent on the sphere must find it."""
    g = generator(seed)
    target = random_target((d_in, d_out), generator=g)
    layers = perturbed_layers(target, 10**log_scale, g, same_halves=True)
    true_sup = float(torch.linalg.matrix_norm(layers[0].P - target.weights[0], ord=2))
    cert = certified_error(target, layers).value
    emp = empirical_error(
        target,
        lambda x: realised_forward(layers, x),
        d_in,
        generator=g,
        n_samples=256,
        ascent_steps=8,
        n_ascent=8,
        restarts=0,  # one linear piece: no other local maximum to restart towards
    ).value
    assert true_sup <= cert <= true_sup * (1 + 1e-9)
    assert true_sup * (1 - 1e-4) <= emp <= true_sup + TOL[torch.float64]


def test_certified_bound_is_zero_for_an_exact_realisation():
    target = random_target((3, 4, 2), generator=generator(0))
    layers = tuple(HalfLineLayer(w, w) for w in target.weights)
    assert certified_error(target, layers).value == 0.0


def test_a_planted_error_is_found():
    """A realisation wrong by 0.3 in one weight: the empirical estimate must see ~0.3."""
    w = torch.eye(2, dtype=torch.float64)
    target = Network.dense((w,))
    P = w.clone()
    P[0, 1] += 0.3
    layers = (HalfLineLayer(P, P),)
    emp = empirical_error(
        target,
        lambda x: realised_forward(layers, x),
        2,
        generator=generator(0),
        n_samples=64,
        ascent_steps=20,
        n_ascent=16,
        restarts=0,  # the local search alone must find it
    )
    assert abs(emp.value - 0.3) < 1e-6


@given(seed=seeds, d=st.integers(1, 5))
def test_ball_domain_finds_an_error_inside_the_ball_that_the_sphere_misses(seed, d):
    """f − g = 1 − ||x||² peaks at the centre (a target with a bias is not homogeneous): on the
    sphere the error is 0; the ball's points and ascent find ≥ 0.5 (half the points lie at
    radius U^(1/d): one within radius 0.7 has probability ≥ 1 − (1 − 0.7^d)^64 ≥ 1 − 1e-4 at
    d ≤ 5), and every point stays in the ball."""

    def f(x):
        return (1 - (x * x).sum(1, keepdim=True)).expand(-1, 2)

    def g(x):
        return torch.zeros(x.shape[0], 2, dtype=x.dtype)

    sphere = empirical_error(  # (restarts only add points of the same map: 0 keeps it fast)
        f, g, d, generator=generator(seed), n_samples=128, ascent_steps=5, restarts=0
    )
    ball = empirical_error(
        f, g, d, generator=generator(seed), n_samples=128, ascent_steps=5, domain="ball"
    )
    assert sphere.value < 1e-12
    assert ball.value >= 0.5 * 2**0.5 and float(ball.argmax.norm()) <= 1 + 1e-12
    with pytest.raises(InvalidArgument, match="domain='cube'"):
        empirical_error(f, g, d, generator=generator(seed), domain="cube")
