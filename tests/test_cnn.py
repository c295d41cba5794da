"""The CNN construction (da Cunha et al. 2022) on convolutional targets: the shared
construction suite's properties on conv targets, the conv operator-norm bounds against the
explicit matrix of the convolution, and the refusals."""

import json

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom
from torch import nn

from approx.basics.errors import InvalidArgument
from approx.basics.loading import network_from_state_dict
from approx.basics.network import RELU, Conv2d, Network
from approx.cli import main
from approx.constructions import CONSTRUCTIONS
from approx.constructions.base import HalfLineLayer
from approx.constructions.cnn import cnn_samples_per_weight, layer_specs
from approx.measurement.certified import certified_error, certify
from approx.measurement.conv_norm import (
    conv_matrix,
    conv_norm_2,
    fft_norm_bound,
    max_norm,
    schur_norm_bound,
)
from approx.measurement.empirical import empirical_error, flat_forward
from approx.measurement.max_norm import certified_error_max_norm, max_norm_errors
from approx.pipeline.run import run

from .support import TOL, conv_targets, generator, seeds

CNN = CONSTRUCTIONS["cnn"]
FAST = ["--samples", "128", "--ascent-steps", "3"]
CERTIFIED_ONLY = {"empirical_samples": 1, "ascent_steps": 0}


def build(target, seed, n):
    cons = CNN.for_target(target)
    widths = target.feature_widths
    net = cons.sample(widths, (n,) * target.depth, generator=generator(seed + 1))
    return cons, net, cons.prune(target, net)


@settings(max_examples=15)
@given(case=conv_targets(), n=st.integers(1, 4))
def test_masked_net_equals_realised_construction_and_masks_only_prune(case, n):
    """The construction identity on inputs of both signs: the masked random CNN computes
    `P * σ(h) − N * σ(−h)` per layer; masks are bool, shaped like the weights, and keep each
    kept weight bit for bit; a 1×1 channel keeps at most its one input channel."""
    target, seed = case
    cons, net, pruned = build(target, seed, n)
    assert net.depth == 2 * target.depth
    assert net.n_params == cons.random_params(target.feature_widths, (n,) * target.depth)
    x = torch.randn(16, *target.input_shape, generator=generator(seed + 2), dtype=torch.float64)
    sub = pruned.masks.apply(net)
    assert torch.allclose(sub(x), pruned.forward(x), atol=TOL[torch.float64])
    for m, w, s in zip(pruned.masks, net.weights, sub.weights, strict=True):
        assert m.dtype == torch.bool and m.shape == w.shape
        assert torch.equal(s[m], w[m]) and bool((s[~m] == 0).all())
    for i, layer in enumerate(target.layers):
        first = pruned.masks[2 * i].flatten(1)  # (hidden, c_in): the 1x1 (or unit) weights
        assert bool((first.sum(1) <= 1).all())
        if layer.kind == "conv2d":
            assert pruned.layers[i].P.shape == layer.weight.shape
    assert pruned.n_instances == 2 * sum(w.numel() for w in target.weights)


@settings(max_examples=10)
@given(case=conv_targets(), n=st.integers(1, 4))
def test_empirical_error_never_exceeds_certified(case, n):
    target, seed = case
    _, net, pruned = build(target, seed, n)
    cert = certify(target, pruned)
    sub = pruned.masks.apply(net)
    emp = empirical_error(
        flat_forward(target.forward, target.input_shape),
        flat_forward(sub.forward, target.input_shape),
        target.feature_widths[0],
        generator=generator(seed + 3),
        n_samples=128,
        ascent_steps=5,
        restarts=0,  # restarts and polish only add points of the same map: this check needs
        polish_steps=70,  # neither at the default budget (as tests/test_constructions.py)
    )
    assert emp.value <= cert.value + TOL[torch.float64]
    # the theorem's max-norm: its own recursion, and sqrt(d_0) x the l2 bound
    g = flat_forward(sub.forward, target.input_shape)
    direct = certified_error_max_norm(target, pruned.layers).value
    cert_max, emp_max = max_norm_errors(
        target,
        g,
        pruned.layers,
        generator=generator(seed + 4),
        n_samples=128,
        ascent_steps=5,
        certified_l2=cert.value,
    )
    assert emp_max <= cert_max + TOL[torch.float64]
    assert cert_max == min(direct, target.feature_widths[0] ** 0.5 * cert.value)


@settings(max_examples=5)
@given(case=conv_targets(), n=st.integers(1, 3))
def test_certified_bound_of_a_cnn_is_that_of_its_explicit_dense_equivalent(case, n):
    """Oracle: every convolution written out as its explicit matrix gives a dense target and
    dense half-line layers; the dense certified bound (SVD norms) must agree with the conv
    one (exact norms at these sizes), l2 and max-norm."""
    target, seed = case
    _, _, pruned = build(target, seed, n)

    def matrix(t, layer, shape):
        return conv_matrix(t, shape[1:], layer.padding) if layer.kind == "conv2d" else t

    shapes = target.shapes()
    dense = Network.dense(
        tuple(matrix(lay.weight, lay, s) for lay, s in zip(target.layers, shapes, strict=False))
    )
    layers = tuple(
        HalfLineLayer(matrix(r.P, lay, s), matrix(r.N, lay, s))
        for r, lay, s in zip(pruned.layers, target.layers, shapes, strict=False)
    )
    assert certify(target, pruned).value == pytest.approx(
        certified_error(dense, layers).value, rel=1e-8, abs=1e-15
    )
    # max-norm: the matrix's row sums can only be smaller than the kernel's (border rows)
    assert certified_error_max_norm(dense, layers).value <= (
        certified_error_max_norm(target, pruned.layers).value + 1e-15
    )


CLAIM = {"eps": 0.1, "delta": 0.1, "targets": 3, "nets": 5}


def boundary_conv_target(seed: int) -> Network:
    """Conv 3×3 1→2, ReLU, conv 3×3 2→2 on 1×5×5 inputs, every kernel's l1 norm exactly 1."""
    g = generator(seed)
    kernels = [torch.rand(2, c, 3, 3, generator=g, dtype=torch.float64) * 2 - 1 for c in (1, 2)]
    return Network(
        (
            Conv2d(kernels[0] / kernels[0].abs().sum(), activation=RELU),
            Conv2d(kernels[1] / kernels[1].abs().sum()),
        ),
        (1, 5, 5),
    )


@pytest.mark.slow
def test_certified_max_norm_error_within_eps_at_the_theorems_width():
    """The theorem's claim in its own norm, at its width with the default C: on the class
    boundary, the certified max-norm error is ≤ ε except with probability ≤ δ over the random
    network. Pass rule: failures ≤ the binomial(trials, δ) quantile at 1 − 1e-3, so a correct
    construction fails this test with probability ≤ 1e-3."""
    eps, delta = CLAIM["eps"], CLAIM["delta"]
    failures = trials = 0
    for t in range(CLAIM["targets"]):
        target = boundary_conv_target(t)
        for s in range(CLAIM["nets"]):
            r = run(target, construction="cnn", eps=eps, delta=delta, seed=s, **CERTIFIED_ONLY)
            assert r.n_source.startswith("theorem formula")
            failures += r.certified_error_max_norm > eps
            trials += 1
    assert failures <= binom.ppf(1 - 1e-3, trials, delta)


def test_on_a_dense_target_it_is_pensias_construction_draw_for_draw():
    target = Network.dense(
        (torch.eye(3, dtype=torch.float64) * 0.5, torch.ones(2, 3, dtype=torch.float64) / 3)
    )
    pensia = CONSTRUCTIONS["pensia"]
    cons = CNN.for_target(target)
    assert cons.size((3, 3, 2), 0.01, 0.01, 2.5) == pensia.size((3, 3, 2), 0.01, 0.01, 2.5)
    assert cons.random_widths((3, 3, 2), (4, 5)) == pensia.random_widths((3, 3, 2), (4, 5))
    a = cons.sample((3, 3, 2), (4, 5), generator=generator(7))
    b = pensia.sample((3, 3, 2), (4, 5), generator=generator(7))
    assert all(torch.equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    pa, pb = cons.prune(target, a), pensia.prune(target, b)
    assert all(torch.equal(x, y) for x, y in zip(pa.masks, pb.masks, strict=True))


def test_width_formula_counts_kernel_entries_and_channels():
    """`n_i = ⌈C ln(k² c_{i-1} c_i l / min(ε, δ))⌉`: a 1×1 kernel on a 1×1 image is Pensia's."""
    conv = Network((Conv2d(torch.ones(4, 2, 3, 3)),), (2, 5, 5))
    (spec,) = layer_specs(conv)
    assert cnn_samples_per_weight((spec,), 0.01, 0.1, 1.0) == (
        int(torch.tensor(9 * 2 * 4 / 0.01).log().ceil()),
    )
    one = Network((Conv2d(torch.ones(4, 2, 1, 1)),), (2, 1, 1))
    assert CNN.for_target(one).size((2, 4), 0.01, 0.1, 2.5) == CONSTRUCTIONS["pensia"].size(
        (2, 4), 0.01, 0.1, 2.5
    )


@settings(max_examples=25)
@given(
    seed=seeds,
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    k=st.integers(1, 3),
    h=st.integers(3, 6),
    w=st.integers(3, 6),
    pad=st.integers(0, 2),
)
def test_conv_norm_bounds_against_the_explicit_matrix(seed, c_in, c_out, k, h, w, pad):
    """The explicit matrix is the convolution (column j = image of basis tensor j, checked on a
    random input); the FFT, Schur and combined bounds are >= its SVD norm; the FFT bound is the
    exact norm of the circular convolution on the padded torus (its own explicit matrix)."""
    g = generator(seed)
    kernel = torch.rand(c_out, c_in, k, k, generator=g, dtype=torch.float64) * 2 - 1
    M = conv_matrix(kernel, (h, w), pad)
    x = torch.randn(c_in, h, w, generator=g, dtype=torch.float64)
    assert torch.allclose(M @ x.flatten(), F.conv2d(x[None], kernel, padding=pad).flatten())
    exact = float(torch.linalg.matrix_norm(M, ord=2))
    fft = fft_norm_bound(kernel, (h, w), pad)
    assert exact <= fft and exact <= schur_norm_bound(kernel)
    assert exact <= conv_norm_2(kernel, (h, w), pad) <= exact * (1 + 1e-9)
    n_h, n_w = h + 2 * pad, w + 2 * pad
    basis = torch.eye(c_in * n_h * n_w, dtype=torch.float64).reshape(-1, c_in, n_h, n_w)
    wrapped = F.pad(basis, (0, k - 1, 0, k - 1), mode="circular")  # torus, no zero padding
    circular = F.conv2d(wrapped, kernel).flatten(1).T  # (c_out·N_h·N_w, c_in·N_h·N_w)
    assert fft == pytest.approx(float(torch.linalg.matrix_norm(circular, ord=2)), rel=1e-9)
    sup = float(M.abs().sum(1).max())  # ||T||_{∞→∞}: the largest absolute row sum
    assert sup <= max_norm(kernel)


def test_conv_state_dict_loads_with_an_input_shape_and_is_refused_without():
    seq = nn.Sequential(
        nn.Conv2d(1, 2, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3, bias=False)
    ).double()
    net = network_from_state_dict(seq.state_dict(), input_shape=(1, 5, 5))
    x = torch.randn(4, 1, 5, 5, dtype=torch.float64)
    assert torch.allclose(net(x), seq(x))
    with pytest.raises(InvalidArgument, match="input shape"):
        network_from_state_dict(seq.state_dict())


def _save(tmp_path, name, module):
    path = tmp_path / f"{name}.pt"
    torch.save(module, path)
    return str(path)


def test_cli_runs_a_conv_target_with_the_table_and_json_contract(tmp_path, capsys):
    torch.manual_seed(0)
    seq = nn.Sequential(
        nn.Conv2d(1, 2, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3, bias=False)
    )
    path = _save(tmp_path, "conv", seq)
    argv = ["run", "--construction", "cnn", "--target", path, "--input-shape", "1,5,5"]
    assert main([*argv, "--rescale", "--n", "6", "--json", *FAST]) == 0
    d = json.loads(capsys.readouterr().out)
    dense = run(widths=(3, 3, 2), n=2, empirical_samples=16, ascent_steps=1).to_json()
    assert set(d) == set(dense)  # one JSON contract
    assert d["construction"] == "cnn" and d["input_shape"] == [1, 5, 5]
    assert d["target_widths"] == [25, 18, 3] and d["target_layers"][0] == "Conv2d 1->2 3x3"
    assert d["empirical_error"] <= d["certified_error"]
    assert d["empirical_error_max_norm"] <= d["certified_error_max_norm"]
    assert dense["certified_error_max_norm"] is None  # pensia: the l2 error only
    assert main([*argv, "--rescale", "--n", "6", *FAST]) == 0
    table = capsys.readouterr().out
    assert "Conv2d 1->2 3x3" in table and "certified upper bound" in table


SHAPE = ["--input-shape", "1,5,5"]
CNN_ARG = ["--construction", "cnn"]


@pytest.mark.parametrize(
    ("module", "args", "match"),
    [
        (nn.Conv2d(1, 2, 3, stride=2, bias=False), [*SHAPE, *CNN_ARG], "stride 2"),
        (nn.Conv2d(1, 2, 3, dilation=2, bias=False), [*SHAPE, *CNN_ARG], "dilation"),
        (nn.Conv2d(1, 2, 3, bias=False, padding_mode="reflect"), [*SHAPE, *CNN_ARG], "padding"),
        (nn.Conv2d(1, 2, 3, padding="same", bias=False), [*SHAPE, *CNN_ARG], "padding='same'"),
        (nn.Conv2d(1, 2, 3), [*SHAPE, *CNN_ARG], "bias"),
        (nn.Conv2d(1, 2, 3, bias=False), CNN_ARG, "--input-shape"),
        (nn.Conv2d(1, 2, 3, bias=False), ["--input-shape", "3,5,5", *CNN_ARG], "channels"),
        (nn.Conv2d(1, 2, 3, bias=False), ["--input-shape", "1,0,5", *CNN_ARG], "--input-shape"),
        (nn.Conv2d(1, 2, 3, bias=False), SHAPE, "construction 'pensia' does not cover layer 1"),
        (nn.Conv2d(1, 2, 3, bias=False), [*SHAPE, *CNN_ARG, "--error", "sandwich"], "sandwich"),
    ],
)
def test_refusals_are_one_line_exit_2(module, args, match, tmp_path, capsys):
    path = _save(tmp_path, "bad", nn.Sequential(module))
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["run", "--target", path, *args, *FAST]))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0], err
    assert "Traceback" not in "\n".join(err)


@pytest.mark.parametrize(
    ("modules", "match"),
    [
        ((nn.Conv2d(1, 2, 3, bias=False), nn.MaxPool2d(2)), "module[1] is MaxPool2d: pooling"),
        ((nn.Conv2d(1, 2, 3, bias=False), nn.AvgPool2d(2)), "module[1] is AvgPool2d: pooling"),
        (
            (nn.Conv2d(1, 2, 3, bias=False), nn.Tanh(), nn.Conv2d(2, 1, 1, bias=False)),
            "cnn: layer 1 (Conv2d 1->2 3x3) is followed by tanh",
        ),
    ],
)
def test_layers_no_construction_covers_are_refused_naming_them(modules, match, tmp_path, capsys):
    path = _save(tmp_path, "bad", nn.Sequential(*modules))
    assert main(["run", "--target", path, *SHAPE, *CNN_ARG, *FAST]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0], err


def test_input_shape_without_a_target_is_refused(capsys):
    assert main(["run", "--input-shape", "1,5,5", *FAST]) == 2
    assert "--input-shape" in capsys.readouterr().err
