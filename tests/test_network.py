"""The network model: forward passes against torch's own modules (dense and convolutional
layers, biases, every activation), conversion both ways, files, and refusals by name."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from approx.basics.errors import InvalidArgument
from approx.basics.loading import (
    load_network,
    network_from_module,
    network_from_state_dict,
    network_to_module,
)
from approx.basics.network import Activation, Conv2d, Dense, Network
from approx.basics.sampling import random_target
from approx.constructions import check_covered

from .support import generator, seeds

ACTIVATION_MODULES = {
    "relu": nn.ReLU(),
    "leaky_relu(0.2)": nn.LeakyReLU(0.2),
    "tanh": nn.Tanh(),
    "sigmoid": nn.Sigmoid(),
}


def dense_forward(weights, x):
    """The oracle: the same bias-free ReLU network as an explicit nn.Sequential."""
    layers = []
    for i, w in enumerate(weights):
        lin = nn.Linear(w.shape[1], w.shape[0], bias=False, dtype=w.dtype)
        lin.weight.data.copy_(w)
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(nn.ReLU())
    with torch.no_grad():
        return nn.Sequential(*layers)(x)


@given(seed=seeds, widths=st.lists(st.integers(1, 5), min_size=2, max_size=5))
def test_forward_matches_sequential_and_roundtrips(seed, widths):
    net = random_target(tuple(widths), generator=generator(seed))
    assert net.widths == tuple(widths) and net.depth == len(widths) - 1
    x = torch.randn(7, widths[0], generator=generator(seed + 1), dtype=torch.float64)
    assert torch.equal(net(x), dense_forward(net.weights, x))
    back = network_from_module(network_to_module(net))
    assert all(torch.equal(a, b) for a, b in zip(back.weights, net.weights, strict=True))


@given(seed=seeds, activation=st.sampled_from(sorted(ACTIVATION_MODULES)), bias=st.booleans())
def test_biases_and_activations_match_torch(seed, activation, bias):
    torch.manual_seed(seed % 2**31)  # torch's own initialisation of the oracle's layers
    seq = nn.Sequential(
        nn.Linear(3, 5, bias=bias, dtype=torch.float64),
        ACTIVATION_MODULES[activation],
        nn.Linear(5, 2, bias=bias, dtype=torch.float64),
    )
    net = network_from_module(seq)
    assert str(net.layers[0].activation) == activation
    assert net.layers[1].activation.name == "identity"
    assert (net.biases[0] is not None) == bias
    x = torch.randn(6, 3, generator=generator(seed), dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(net(x), seq(x), rtol=0, atol=1e-14)
        assert torch.allclose(network_to_module(net)(x), seq(x), rtol=0, atol=1e-14)


def test_conv_layers_flatten_into_dense_like_torch():
    torch.manual_seed(0)
    seq = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, dtype=torch.float64),
        nn.ReLU(),
        nn.Conv2d(3, 2, 3, stride=2, bias=False, dtype=torch.float64),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(2 * 3 * 3, 4, dtype=torch.float64),
    )
    net = network_from_module(seq, input_shape=(1, 8, 8))
    assert [layer.kind for layer in net.layers] == ["conv2d", "conv2d", "dense"]
    assert net.layers[0].output_shape((1, 8, 8)) == (3, 8, 8)
    assert net.layers[1].stride == 2 and net.layers[1].bias is None
    assert not net.is_dense and net.n_params == sum(p.numel() for p in seq.parameters())
    x = torch.randn(5, 1, 8, 8, generator=generator(1), dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(net(x), seq(x), rtol=0, atol=1e-13)
        assert torch.allclose(network_to_module(net)(x), seq(x), rtol=0, atol=1e-13)
    with pytest.raises(InvalidArgument, match="convolutions"):
        _ = net.widths


def test_load_sequential_state_dict_and_list(tmp_path):
    net = random_target((3, 4, 2), generator=generator(0))
    module = network_to_module(net)
    for name, obj in [
        ("seq.pt", module),
        ("sd.pt", module.state_dict()),
        ("list.pt", list(net.weights)),
    ]:
        torch.save(obj, tmp_path / name)
        loaded = load_network(tmp_path / name)
        assert all(torch.equal(a, b) for a, b in zip(loaded.weights, net.weights, strict=True))
        assert all(b is None for b in loaded.biases)


def test_a_zero_bias_is_no_bias_a_nonzero_one_is_kept():
    seq = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    with_bias = network_from_module(seq)
    assert all(b is not None for b in with_bias.biases)
    with torch.no_grad():
        for m in seq:
            if isinstance(m, nn.Linear):
                m.bias.zero_()
    assert network_from_module(seq).biases == (None, None)
    sd = network_from_state_dict(seq.state_dict())
    assert sd.biases == (None, None) and sd.widths == (3, 2, 1)


@pytest.mark.parametrize(
    ("module", "layer", "match"),
    [
        # biases and tanh/sigmoid alone are Burkholz's (tests/test_burkholz.py); mixing two
        # activations is no construction's
        (
            nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)),
            1,
            "non-zero bias",
        ),
        (nn.Sequential(nn.Linear(2, 2, bias=False), nn.Tanh()), 1, "tanh"),
        (nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU()), 1, "no activation"),
        (
            nn.Sequential(
                nn.Linear(2, 2, bias=False),
                nn.Sigmoid(),
                nn.Linear(2, 2),
                nn.Tanh(),
                nn.Linear(2, 1),
            ),
            1,
            "sigmoid",
        ),
        (
            nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(1.5), nn.Linear(2, 1)),
            1,
            "burkholz covers 0 <= slope < 1",
        ),
    ],
)
def test_what_no_construction_covers_is_refused_naming_the_layer(module, layer, match):
    net = network_from_module(module)  # the model holds it ...
    with pytest.raises(
        InvalidArgument, match=rf"covers (layer {layer} |all its layers).*layer {layer} .*{match}"
    ):
        check_covered(net)  # ... no registered construction covers it


def test_conv_targets_the_cnn_construction_does_not_cover_are_refused_naming_the_layer():
    plain = nn.Sequential(nn.Conv2d(1, 2, 3, bias=False))
    assert check_covered(network_from_module(plain, input_shape=(1, 5, 5)))  # cnn covers it
    net = network_from_module(
        nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, bias=False)), input_shape=(1, 5, 5)
    )
    with pytest.raises(
        InvalidArgument, match=r"layer 1 .*Conv2d 1->2 3x3 stride 2.*cnn: .*covers stride 1"
    ):
        check_covered(net)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Network.dense(()), "empty"),
        (lambda: Network.dense((torch.ones(2, 3), torch.ones(2, 3))), r"weights\[1\]"),
        (lambda: Network.dense((torch.ones(3),)), r"weights\[0\]"),
        (lambda: Network.dense((torch.tensor([[float("nan")]]),)), "non-finite"),
        (lambda: Network.dense((torch.tensor([[float("inf")]]),)), "non-finite"),
        (lambda: Network.dense((torch.ones(2, 2, dtype=torch.int64),)), "dtype"),
        (lambda: Network.dense((torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64))), "match"),
        (lambda: Network.dense((torch.ones(2, 2),), biases=(torch.ones(3),)), r"biases\[0\]"),
        (lambda: Network((Conv2d(torch.ones(2, 1, 3, 3)),), (1, 2, 2)), "larger than its input"),
        (lambda: Network((Conv2d(torch.ones(2, 1, 3, 3)),), (3, 5, 5)), "channels"),
        (
            lambda: Network((Conv2d(torch.ones(2, 1, 3, 3)), Dense(torch.ones(4, 7))), (1, 5, 5)),
            "18 features",
        ),
        (lambda: Activation("softplus"), "softplus"),
        (lambda: Activation("leaky_relu"), "negative_slope"),
        (lambda: Activation.parse("leaky_relu(x)"), "not a number"),
        (lambda: network_from_module(nn.Sequential(nn.ReLU(), nn.Linear(2, 2))), "before any"),
        (lambda: network_from_module(nn.Sequential(nn.Linear(2, 2), nn.GELU())), "GELU"),
        (lambda: network_from_module(nn.Conv1d(1, 1, 1)), "Sequential"),
        (lambda: network_from_module(nn.Sequential(nn.Flatten(), nn.Linear(2, 2))), "Flatten"),
        (
            lambda: network_from_module(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2))),
            "dilation",
        ),
        (lambda: network_from_state_dict({"0.weight": torch.ones(2, 1, 3, 3)}), "stride"),
        (lambda: network_from_state_dict({"0.weight": torch.ones(2, 2), "x": 1}), "'x'"),
        (lambda: network_from_state_dict({"0.weight": [[1.0]]}), "not a tensor"),
        (lambda: load_network("/nonexistent/file.pt"), "not a file"),
    ],
)
def test_invalid_networks_are_refused_by_name(build, match):
    with pytest.raises(InvalidArgument, match=match):
        build()


def test_forward_checks_input_shape():
    net = random_target((3, 2), generator=generator(0))
    with pytest.raises(InvalidArgument, match="x has shape"):
        net(torch.ones(4, 5, dtype=torch.float64))
