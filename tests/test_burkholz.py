"""Burkholz 2022's depth-(l+1) construction beyond the shared suite (tests/test_constructions.py,
ReLU targets without biases): every activation it covers, targets with biases, the first
layer's linearisation remainder, the refusals, and `run`."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument, TargetAssumptionError
from approx.basics.network import Activation, Conv2d, Dense, Network
from approx.basics.sampling import random_target
from approx.constructions import check_covered
from approx.constructions.burkholz import BURKHOLZ, burkholz_random_widths
from approx.measurement.certified import certify
from approx.measurement.empirical import empirical_error
from approx.pipeline.run import hidden_activation, run

from .support import TOL, generator, seeds
from .test_theorem_properties import max_failures  # the claim tests' shared pass rule

ACTIVATIONS = ("relu", "leaky_relu(0.2)", "tanh", "sigmoid")
activations = st.sampled_from(ACTIVATIONS)
widths_st = st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple)
CHEAP = {"empirical_samples": 16, "ascent_steps": 0}


def build(widths, seed, n, activation, bias, solver="exact"):
    """A random target in the class (||W_i||_2 = 1, |b| <= 1) and its pruned random net."""
    target = random_target(widths, generator=generator(seed), activation=activation, bias=bias)
    net = BURKHOLZ.sample(
        widths,
        (n,) * (len(widths) - 1),
        generator=generator(seed + 1),
        activation=hidden_activation(target),
    )
    return target, net, BURKHOLZ.prune(target, net, solver=solver)


@settings(max_examples=16)  # the shared suite runs more (ReLU, no bias)
@given(seed=seeds, widths=widths_st, n=st.integers(1, 5), act=activations, bias=st.booleans())
def test_empirical_error_never_exceeds_the_certified_bound(seed, widths, n, act, bias):
    """For every activation, with and without biases, at widths where the error is of order 1:
    the largest error found in the ball (a lower estimate) is at most the certified bound."""
    target, net, pruned = build(widths, seed, n, act, bias)
    cert = certify(target, pruned)
    emp = empirical_error(
        target.forward,
        pruned.masks.apply(net).forward,
        widths[0],
        generator=generator(seed + 2),
        n_samples=128,
        ascent_steps=10,
        domain="ball",
    )
    assert emp.value <= cert.value * (1 + 1e-9) + TOL[torch.float64]


@given(seed=seeds, widths=widths_st, n=st.integers(1, 5), slope=st.sampled_from([0.0, 0.2, 0.9]))
def test_relu_family_masked_net_is_the_realised_copies_with_biases(seed, widths, n, slope):
    """The identity is exact for the ReLU family, biases included, for inputs of any size."""
    act = "relu" if slope == 0 else f"leaky_relu({slope})"
    _target, net, pruned = build(widths, seed, n, act, True)
    x = 3 * torch.randn(64, widths[0], generator=generator(seed + 2), dtype=torch.float64)
    assert torch.allclose(pruned.masks.apply(net)(x), pruned.forward(x), atol=1e-11)
    assert bool((pruned.copies.first.tau == 0).all())


@settings(max_examples=16)
@given(
    seed=seeds,
    widths=widths_st.filter(lambda w: len(w) > 2),  # one layer has no hidden activation
    n=st.integers(1, 6),
    act=st.sampled_from(["tanh", "sigmoid"]),
)
def test_smooth_first_layer_is_linear_up_to_the_cubic_remainder(seed, widths, n, act):
    """tanh, sigmoid: copy r of neuron k has the pre-activation `P x + bias + R(x)` with
    `|R_k(x)| ≤ Σ_j tau_kj |x_j|³` (points in the ball and beyond it). Sigmoid's offsets are
    of order 1/λ, so the comparison allows their float64 rounding."""
    _target, net, pruned = build(widths, seed, n, act, True)
    sub = pruned.masks.apply(net)
    x = 2 * torch.randn(64, widths[0], generator=generator(seed + 2), dtype=torch.float64)
    h = sub.layers[0].activation(sub.layers[0].linear(x))
    copies = pruned.copies.first.P.shape[0]
    d1 = widths[1]
    z = sub.layers[1].linear(h)[:, : d1 * copies].reshape(-1, d1, copies).transpose(1, 2)
    first = pruned.copies.first
    linear = torch.einsum("rkj,bj->brk", first.P, x) + first.bias  # (batch, copies, d1)
    bound = torch.einsum("rkj,bj->brk", first.tau, x.abs() ** 3)
    slack = 1e-12 * (1 + net.weights[1].abs().sum(1).max())
    # a copy no later layer reads is pruned whole (its incoming edges too): compare the others
    alive = pruned.masks.masks[1][: d1 * copies].any(1).reshape(d1, copies).T  # (copies, d1)
    assert bool(((z - linear).abs() <= bound + slack)[:, alive].all())
    assert bool((first.tau > 0).any()) or bool((first.P == 0).all())


def test_leaky_relu_subsets_target_w_over_one_plus_slope():
    """With slope 0.5 the realised first layer is W itself, not 1.5 W (proofs_check/burkholz.py,
    leaky_half_lines): checked at a width where the subset sums are accurate."""
    target, _net, pruned = build((3, 2, 2), 0, 16, "leaky_relu(0.5)", False)
    first, w = pruned.copies.first, target.weights[0]
    # the median: a rare subset sum may miss (a tail the width formula pays for), the
    # factor 1.5 would move every weight, by |w|/2 ~ 0.2 on average
    assert float((first.P - w).abs().median()) < 1e-3
    assert float((first.N - w).abs().median()) < 1e-3


def test_bias_free_relu_target_keeps_no_bias_but_sigmoid_cancels_its_offsets():
    """A bias-free ReLU target's subnetwork keeps no random bias (the bias instances target 0:
    empty subsets, so the pruned net is positively homogeneous like the target); a bias-free
    sigmoid target still needs the bias units, to cancel the offsets σ(0)·Σb."""
    _t, _n, relu = build((3, 3, 2), 0, 8, "relu", False)
    assert not bool(relu.masks.biases[0].any())
    _t, _n, sig = build((3, 3, 2), 0, 8, "sigmoid", False)
    assert bool(sig.masks.biases[0].any())


def test_random_target_same_weights_with_or_without_biases():
    a = random_target((3, 4, 2), generator=generator(5))
    b = random_target((3, 4, 2), generator=generator(5), activation="tanh", bias=True)
    assert all(torch.equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert a.biases == (None, None) and all(bool((v.abs() <= 1).all()) for v in b.biases)
    assert b.activations == (Activation("tanh"), Activation("identity"))


def test_layout_widths_and_random_net_ranges():
    widths = (3, 4, 5, 2)
    assert burkholz_random_widths(widths, (2, 3, 4)) == (3, 2 * 2 * 4, 3 * 5, 4 * 6, 2)
    for act, first, second in (("relu", 2.0, 1.0), ("tanh", 2e-4, 1e4)):
        net = BURKHOLZ.sample(widths, (2, 3, 4), generator=generator(0), activation=Activation(act))
        assert net.depth == len(widths) and net.biases[1:] == (None, None, None)
        assert float(net.weights[0].abs().max()) <= first
        assert 0 <= float(net.biases[0].min()) and float(net.biases[0].max()) <= first
        assert float(net.weights[1].abs().max()) <= second
        assert float(net.weights[2].abs().max()) <= 1


def _violations(net):
    return [v.message for v in BURKHOLZ.check_structure(net)]


def test_check_structure_names_what_it_does_not_cover():
    w = torch.eye(2, dtype=torch.float64)
    leaky = Activation("leaky_relu", 1.0)
    assert _violations(Network.dense((w, w), activation=Activation("tanh"))) == []
    assert "slope 1" in _violations(Network.dense((w, w), activation=leaky))[0]
    assert "covers relu" in _violations(Network.dense((w, w), activation=Activation("identity")))[0]
    mixed = Network((Dense(w, None, Activation("tanh")), Dense(w, None, Activation("relu")),
                     Dense(w)))  # fmt: skip
    assert "one activation between all layers" in _violations(mixed)[0]
    after = Network((Dense(w, None, Activation("relu")), Dense(w, None, Activation("relu"))))
    assert "needs none" in _violations(after)[0]
    conv = Network((Conv2d(torch.ones(1, 1, 1, 1, dtype=torch.float64)),), input_shape=(1, 2, 2))
    assert "convolution" in _violations(conv)[0]
    biased = Network.dense((w, w), biases=(torch.ones(2, dtype=torch.float64), None))
    assert check_covered(biased) is biased  # Pensia and Malach refuse it, Burkholz covers it


def test_prune_refuses_a_random_net_of_the_wrong_depth_or_activation():
    target = random_target((2, 2, 2), generator=generator(0), activation="tanh")
    relu_net = BURKHOLZ.sample((2, 2, 2), (2, 2), generator=generator(1))
    with pytest.raises(InvalidArgument, match="sample it with the target's activation"):
        BURKHOLZ.prune(target, relu_net)
    shallow = BURKHOLZ.sample((2, 2), (2,), generator=generator(1))
    with pytest.raises(InvalidArgument, match="depth"):
        BURKHOLZ.prune(target, shallow)


def test_run_refuses_what_the_chosen_construction_does_not_cover():
    biased = random_target((3, 2), generator=generator(0), bias=True)
    with pytest.raises(InvalidArgument, match="construction 'pensia' does not cover layer 1"):
        run(biased, construction="pensia", **CHEAP)
    with pytest.raises(InvalidArgument, match="construction 'malach' does not cover layer 1"):
        run(widths=(3, 3, 2), activation="tanh", construction="malach", **CHEAP)
    with pytest.raises(InvalidArgument, match="describe a random target"):
        run(biased, activation="tanh", construction="burkholz", **CHEAP)
    r = run(biased, construction="burkholz", eps=0.1, n=4, **CHEAP)
    assert r.target_biases and r.empirical_domain == "ball" and r.activation == "relu"


def test_a_bias_outside_the_class_is_refused_or_rescaled_with_its_layer():
    target = random_target((3, 3, 2), generator=generator(0), bias=True)
    big = target.with_biases((target.biases[0] * 0 + 2.0, target.biases[1]))
    with pytest.raises(TargetAssumptionError, match=r"layer 1 has bias entry \|b\[0\]\| = 2"):
        run(big, construction="burkholz", n=3, **CHEAP)
    r = run(big, construction="burkholz", n=3, rescale=True, **CHEAP)
    assert r.rescale_factors[0] == pytest.approx(0.5) and r.rescale_factors[1] == 1.0
    scaled = r.artifacts.target
    assert torch.equal(scaled.biases[0], big.biases[0] * 0.5)
    assert torch.equal(scaled.weights[0], big.weights[0] * 0.5)


CLAIM_EPS, CLAIM_DELTA = 0.1, 0.01


def claim_failures(target, seeds_) -> list[tuple[int, float]]:
    """(seed, certified error) of the random networks, at the theorem's width with the default
    C, whose certified error exceeds eps (the certified bound is ≥ the true error, so this
    over-counts failures)."""
    out = []
    for s in seeds_:
        r = run(target, construction="burkholz", eps=CLAIM_EPS, delta=CLAIM_DELTA, seed=s, **CHEAP)
        assert r.C == BURKHOLZ.default_C and r.n_source.startswith("theorem")
        if not r.certified_within_eps:
            out.append((s, r.certified_error))
    return out


FAST_EXAMPLES, FAST_SEEDS = 4, 10
wide_widths = st.lists(st.integers(2, 3), min_size=2, max_size=3).map(tuple)


@settings(max_examples=FAST_EXAMPLES)
@given(widths=wide_widths, seed=seeds, act=activations, bias=st.booleans())
def test_certified_error_within_eps_at_the_theorems_width(widths, seed, act, bias):
    """The claim: for a random target in the class (||W_i||_2 = 1, |b| <= 1), any activation,
    with or without biases, w.p. ≥ 1 − δ over the random network the certified error at the
    theorem's width (default C = 2.5, our calibration) is ≤ ε = 0.1, δ = 0.01. S = 10
    networks per target; more than k = 2 failures has probability ≤ 1e-3 / 5 for a
    correct construction (binomial), so the test fails one w.p. ≤ 1e-3. Layers of width 1 are
    a known failure (next test), so widths are 2-3 here."""
    target = random_target(widths, generator=generator(seed), activation=act, bias=bias)
    allowed = max_failures(FAST_SEEDS, CLAIM_DELTA, 1e-3 / (FAST_EXAMPLES + 1))
    failures = claim_failures(target, range(seed, seed + FAST_SEEDS))
    assert len(failures) <= allowed, (widths, act, bias, failures)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "C = 2.5 (our calibration) is too small for a layer of width 1 with its entry at the "
        "class boundary: W = [[1]], eps = 0.1, delta = 0.01, theorem n = 12 misses eps on 31 "
        "of 200 random nets (docs/burkholz.md, 'Findings')"
    ),
)
def test_width_one_layer_at_the_class_boundary_misses_more_often_than_delta():
    """W = [[1]] on seeds 0-99 (deterministic): more than k = 5 failures has probability
    ≤ 1e-3 if each net fails w.p. ≤ δ = 0.01; the construction fails more often."""
    target = Network.dense((torch.ones(1, 1, dtype=torch.float64),))
    failures = claim_failures(target, range(100))
    assert len(failures) <= max_failures(100, CLAIM_DELTA, 1e-3), failures


SLOW_EXAMPLES, SLOW_SEEDS = 20, 30


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES)
@given(
    widths=st.lists(st.integers(2, 4), min_size=2, max_size=4).map(tuple),
    seed=seeds,
    act=activations,
    bias=st.booleans(),
)
def test_certified_error_within_eps_at_the_theorems_width_many_seeds(widths, seed, act, bias):
    """The fast claim with S = 30 networks per target and depth up to 3 (pass rule: more than
    k failures has probability ≤ 1e-3 / 20 per target at δ = 0.01)."""
    target = random_target(widths, generator=generator(seed), activation=act, bias=bias)
    allowed = max_failures(SLOW_SEEDS, CLAIM_DELTA, 1e-3 / SLOW_EXAMPLES)
    failures = claim_failures(target, range(seed, seed + SLOW_SEEDS))
    assert len(failures) <= allowed, (widths, act, bias, failures)
