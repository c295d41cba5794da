import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from approx.errors import InvalidArgument
from approx.nets import ReLUNet
from approx.random_nets import random_target

from .support import generator, seeds


def dense_forward(weights, x):
    """The oracle: the same network as an explicit nn.Sequential."""
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
    back = ReLUNet.from_module(net.to_module())
    assert all(torch.equal(a, b) for a, b in zip(back.weights, net.weights, strict=True))


@given(seed=seeds)
def test_random_target_has_unit_spectral_norm(seed):
    net = random_target((5, 4, 3), generator=generator(seed))
    assert all(abs(s - 1) < 1e-12 for s in net.spectral_norms())


def test_load_sequential_state_dict_and_list(tmp_path):
    net = random_target((3, 4, 2), generator=generator(0))
    module = net.to_module()
    for name, obj in [
        ("seq.pt", module),
        ("sd.pt", module.state_dict()),
        ("list.pt", list(net.weights)),
    ]:
        torch.save(obj, tmp_path / name)
        loaded = ReLUNet.load(tmp_path / name)
        assert all(torch.equal(a, b) for a, b in zip(loaded.weights, net.weights, strict=True))


def test_zero_bias_is_accepted_nonzero_bias_is_not():
    seq = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(InvalidArgument, match="bias"):
        ReLUNet.from_module(seq)
    with torch.no_grad():
        for m in seq:
            if isinstance(m, nn.Linear):
                m.bias.zero_()
    assert ReLUNet.from_module(seq).widths == (3, 2, 1)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: ReLUNet(()), "empty"),
        (lambda: ReLUNet((torch.ones(2, 3), torch.ones(2, 3))), r"weights\[1\]"),
        (lambda: ReLUNet((torch.ones(3),)), r"weights\[0\]"),
        (lambda: ReLUNet((torch.tensor([[float("nan")]]),)), "non-finite"),
        (lambda: ReLUNet((torch.tensor([[float("inf")]]),)), "non-finite"),
        (lambda: ReLUNet((torch.ones(2, 2, dtype=torch.int64),)), "dtype"),
        (lambda: ReLUNet((torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64))), "match"),
        (
            lambda: ReLUNet.from_module(nn.Sequential(nn.Linear(2, 2, bias=False), nn.Tanh())),
            "ReLU",
        ),
        (
            lambda: ReLUNet.from_module(nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU())),
            "end with",
        ),
        (lambda: ReLUNet.from_module(nn.Conv1d(1, 1, 1)), "Sequential"),
        (lambda: ReLUNet.load("/nonexistent/file.pt"), "not a file"),
    ],
)
def test_invalid_networks_are_refused_by_name(build, match):
    with pytest.raises(InvalidArgument, match=match):
        build()


def test_forward_checks_input_shape():
    net = random_target((3, 2), generator=generator(0))
    with pytest.raises(InvalidArgument, match="x has shape"):
        net(torch.ones(4, 5, dtype=torch.float64))
