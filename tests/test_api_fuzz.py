"""Fuzzing the public Python API (`from approx import ...`) with arguments drawn by Hypothesis.

Whatever the arguments, each public function returns normally or raises `InvalidArgument`
whose message names one of the arguments it was given (by name, or by the indexed name the
library uses for parts of it: ``weights[0]``, ``masks[1]``, ``state dict``); never another
exception type (TypeError, IndexError, RuntimeError from inside torch, numpy or numba).
Every argument is drawn either from junk (None, bools, strings, nested lists, huge and
negative integers, NaN, inf, subnormals, empty and odd-dtype tensors) or from plausible tiny
values, so valid calls run too; sizes stay tiny (widths <= 4, n <= 4, 16 samples, no ascent)
so an example takes milliseconds. The fast suite draws a few examples; `test_fuzz_api_many`
(slow) draws many.
"""

from __future__ import annotations

import itertools
import signal
import warnings
from dataclasses import dataclass, field

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn

import approx
from approx import InvalidArgument
from approx.basics.network import RELU, Activation, Conv2d, Dense, Network
from approx.constructions.base import HalfLineLayer

from .support import fuzz_settings, generator, seeds

NAN, INF = float("nan"), float("inf")
HUGE = 10**20
# scalars every argument may be given in place of a plausible value
JUNK = [
    None, True, False, "", "x", "pensia", -1, 0, 1, 2, HUGE, 2**63, -(2**63), 0.0, -0.0, 0.5,
    1.5, 1e-320, 5e-324, NAN, INF, -INF, 1e308, [], [2, 2], [[1]], (3, 2), [2, "a"], [2.5, 2],
    {}, b"x", 3 + 0j, [HUGE, 2], [0, 2],
]  # fmt: skip
TANH = Activation("tanh")
# for the counts of work (samples, steps): a huge count is a valid request for a long run
WORK_JUNK = [v for v in JUNK if not (isinstance(v, int | float) and v > 100)]
# how refusals name a target's parts: a state dict's entries, a module's layers, a network's
TARGET_PARTS = ("state dict", "module", "weights[", "biases[", "layer", "input_shape")
SECONDS = 60  # an example that runs longer than this is a hang


@dataclass
class Call:
    """One call of a public function: what `approx.<name>(*args, **kwargs)` is given, and the
    words a refusal's message may name the bad argument by."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    names: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"approx.{self.name}(*{self.args!r}, **{self.kwargs!r})"


def arg(draw, plausible, junk=JUNK, clean=False):
    """A plausible value half the time (always where `clean`: a call meant to be valid), junk
    the other half."""
    if clean or draw(st.booleans()):
        return draw(st.sampled_from(plausible))
    return draw(st.sampled_from(junk))


DTYPES = [
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32,
    torch.bool, torch.complex64, torch.uint8,
]  # fmt: skip


@st.composite
def tensors(draw, shape=None, dtype=None, g=None, special=True):
    """A small tensor: U[-1, 1] entries, maybe one NaN/inf/huge/subnormal, maybe an odd dtype,
    non-contiguous (a transposed view), expanded (stride 0) or requiring grad."""
    if shape is None:
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    g = g or generator(draw(seeds))
    t = torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1
    if special and t.numel() and draw(st.booleans()):
        t.view(-1)[0] = draw(st.sampled_from([NAN, INF, -INF, 1e300, 5e-324, 0.0, 1e6]))
    t = t.to(draw(st.sampled_from(DTYPES)) if dtype is None else dtype)
    how = draw(st.sampled_from(["plain", "plain", "transposed", "expanded", "grad"]))
    if how == "transposed" and t.ndim == 2:
        t = t.T.contiguous().T
    elif how == "expanded" and t.ndim >= 1 and t.shape[0]:
        t = t[:1].expand(t.shape)
    elif how == "grad" and t.is_floating_point():
        t = t.clone().requires_grad_(True)
    return t


def _dense_weights(g: torch.Generator, widths, dtype=torch.float64) -> list[torch.Tensor]:
    out = []
    for d_in, d_out in itertools.pairwise(widths):
        w = torch.rand(d_out, d_in, generator=g, dtype=torch.float64) * 2 - 1
        out.append((w / torch.linalg.matrix_norm(w, ord=2)).to(dtype))
    return out


@st.composite
def small_widths(draw):
    return tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=3)))


@st.composite
def networks(draw):
    """A tiny valid dense `Network` in the theorems' class (`||W_i||_2 = 1`)."""
    g = generator(draw(seeds))
    widths = draw(small_widths())
    ws = _dense_weights(g, widths, draw(st.sampled_from([torch.float64, torch.float32])))
    act = draw(st.sampled_from([RELU, TANH]))
    layers = [Dense(w, activation=act) for w in ws]
    layers[-1] = Dense(ws[-1])
    return Network(tuple(layers))


@st.composite
def modules(draw):
    """Torch modules, valid and odd: nested Sequentials, BatchNorm, Dropout, Flatten,
    convolutions without an input shape, zero-width layers, half-precision weights (integer
    weights come through `targets`' state dicts)."""
    seed = draw(seeds)
    torch.manual_seed(seed)  # the modules' own initialisation; tests only
    widths = draw(st.lists(st.integers(0, 3), min_size=2, max_size=4))
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        kind = draw(st.sampled_from(["linear", "linear", "conv", "odd"]))
        if kind == "linear":
            with warnings.catch_warnings():  # torch warns that it cannot initialise zero widths
                warnings.simplefilter("ignore", UserWarning)
                layers.append(nn.Linear(a, b, bias=draw(st.booleans())))
        elif kind == "conv":
            layers.append(nn.Conv2d(max(a, 1), max(b, 1), draw(st.integers(1, 2))))
        else:
            layers.append(
                draw(
                    st.sampled_from(
                        [nn.BatchNorm1d(max(a, 1)), nn.Dropout(0.5), nn.Flatten(), nn.Identity(),
                         nn.LayerNorm(max(a, 1)), nn.Softmax(dim=-1), nn.Sequential()]
                    )
                )
            )  # fmt: skip
        layers.append(draw(st.sampled_from([nn.ReLU(), nn.Tanh(), nn.Identity(), nn.GELU()])))
    layers = layers[: draw(st.integers(0, len(layers)))]
    if draw(st.booleans()) and layers:
        layers = [nn.Sequential(*layers[:1]), *layers[1:]]
    module = nn.Sequential(*layers)
    dtype = draw(st.sampled_from([None, torch.float16, torch.bfloat16, torch.float32]))
    if dtype is not None:
        module = module.to(dtype)
    if draw(st.booleans()):
        return module[0] if len(module) else module
    return module


@st.composite
def targets(draw):
    """What `as_network` takes, valid or not: Networks, modules, state dicts, weight lists,
    tensors, junk."""
    kind = draw(st.sampled_from(["network", "module", "state", "list", "tensor", "junk"]))
    if kind == "network":
        return draw(networks())
    if kind == "module":
        return draw(modules())
    if kind == "state":
        module = draw(modules())
        state = dict(module.state_dict())
        if draw(st.booleans()) and state:
            key = draw(st.sampled_from(sorted(state)))
            state[key] = draw(st.one_of(tensors(), st.sampled_from(JUNK)))
        return state
    if kind == "list":
        g = generator(draw(seeds))
        ws = _dense_weights(g, draw(small_widths()))
        if draw(st.booleans()):
            ws[draw(st.integers(0, len(ws) - 1))] = draw(tensors())
        return ws if draw(st.booleans()) else tuple(ws)
    if kind == "tensor":
        return draw(tensors())
    return draw(st.sampled_from(JUNK))


# --- approx.run --------------------------------------------------------------------------

RUN_PLAUSIBLE = {
    "widths": [[2, 2], (3, 2), [2, 3, 2], [1, 1]],
    "eps": [0.5, 0.3, 0.9, 5e-324, 0.999999],  # the extremes of (0, 1) reach the formulas' edges
    "delta": [0.1, 0.5, 5e-324],
    "construction": sorted(approx.CONSTRUCTIONS),
    "n": [2, 3, [2, 3], (3, 3)],
    "C": [0.5, 1.0, 2, 1e308, 5e-324],
    # not milp: HiGHS takes minutes on a Burkholz run at the theorem's n (a valid input)
    "solver": ["exact", "fewest", "greedy", "brute"],
    "seed": [0, 1, 2**32 - 1],
    "rescale": [True, False],
    "device": ["cpu", "meta", "cuda"],
    "dtype": ["float32", "float64", "float16"],
    "empirical_samples": [4, 16],
    "ascent_steps": [0, 1],
    "weight_tolerance": [None, 0.01, 0.3],
    "density": [None, 0.3, 0.9],
    "activation": [None, "tanh", "leaky_relu(0.1)", "sigmoid"],
    "bias": [True, False],
    "input_shape": [None, (1, 2, 2), [1, 1, 3]],
    "max_memory_gib": [None, 1, 0.001],
    "error": ["certified", "sandwich"],
    "sandwich_boxes": [10, 50],
}
WORK = {"empirical_samples", "ascent_steps", "sandwich_boxes", "steps", "samples", "max_steps"}
# fixed when not drawn, so a valid run stays tiny
RUN_FIXED = {"empirical_samples": 16, "ascent_steps": 0, "sandwich_boxes": 50, "n": 2}


@st.composite
def run_calls(draw):
    kwargs, clean = {}, draw(st.booleans())
    for key in draw(st.sets(st.sampled_from(sorted(RUN_PLAUSIBLE)), max_size=5)):
        kwargs[key] = arg(draw, RUN_PLAUSIBLE[key], WORK_JUNK if key in WORK else JUNK, clean)
    kwargs = {**RUN_FIXED, **kwargs}
    if draw(st.booleans()):
        kwargs.pop("n")  # the theorem's n: kept small by a large eps
        kwargs["eps"] = kwargs.get("eps", 0.9)
    if draw(st.booleans()):
        args = (draw(networks()) if clean else draw(targets()),)
        kwargs.pop("widths", None)
    else:
        args = ()
        kwargs.setdefault("widths", [2, 2])
    return Call("run", args, kwargs, ("target", *TARGET_PARTS, *kwargs))


# --- approx.solve -----------------------------------------------------------------------

SOLVE_METHODS = ["exact", "fewest", "fixed", "greedy", "brute", "milp"]


@st.composite
def solve_calls(draw):
    m, k = draw(st.integers(0, 3)), draw(st.integers(0, 6))
    g = generator(draw(seeds))
    clean = draw(st.booleans())
    dtype = draw(st.sampled_from([torch.float64, torch.float32]))
    if clean:
        scale = draw(st.sampled_from([1.0, 1.0, 1e15, 1e300]))  # float64 sums overflow at 1e300
        coeffs = (torch.rand(m, k, generator=g, dtype=torch.float64) * 2 - 1) * scale
        targets_ = (torch.rand(m, generator=g, dtype=torch.float64) * scale).to(dtype)
        coeffs = coeffs.to(dtype)
        valid = draw(st.sampled_from([None, torch.rand(m, k, generator=g) < 0.5]))
    else:
        shapes = draw(st.booleans())  # odd shapes
        dtype = draw(st.sampled_from([dtype, None]))
        coeffs = draw(tensors(None if shapes else (m, k), dtype, g))
        targets_ = draw(
            st.one_of(
                tensors(None if shapes else (m,), dtype, g),
                tensors((m,), dtype, g),
                st.sampled_from(JUNK),
            )
        )
        valid = draw(
            st.one_of(
                st.none(),
                tensors((m, k), torch.bool, g),
                tensors(None, None, g),
                st.sampled_from(JUNK),
            )
        )
    kwargs = {"method": arg(draw, SOLVE_METHODS, JUNK, clean)}
    if draw(st.booleans()):
        kwargs["memory_budget"] = arg(draw, [2**20, 2**30, 100], JUNK, clean)
    if kwargs["method"] == "fewest" or (not clean and draw(st.booleans())):
        kwargs["tolerance"] = arg(draw, [0.01, 0.1, 1e-12], JUNK, clean)
    if kwargs["method"] == "fixed" or (not clean and draw(st.booleans())):
        kwargs["size"] = arg(draw, [0, 1, 2, 7], JUNK, clean)
    args = (
        (coeffs, targets_) if valid is None and draw(st.booleans()) else (coeffs, targets_, valid)
    )
    return Call("solve", args, kwargs, ("coeffs", "targets", "valid", *kwargs))


# --- loading and the network types ------------------------------------------------------


@st.composite
def loading_calls(draw):
    name = draw(st.sampled_from(["as_network", "network_from_module", "network_from_state_dict"]))
    obj = {
        "as_network": lambda: draw(targets()),
        "network_from_module": lambda: draw(st.one_of(modules(), targets())),
        "network_from_state_dict": lambda: draw(targets()),
    }[name]()
    if name == "network_from_state_dict" and isinstance(obj, nn.Module):
        obj = dict(obj.state_dict())
    kwargs = {}
    if draw(st.booleans()):
        kwargs["dtype"] = arg(
            draw, [None, torch.float64, torch.float32, torch.float16, torch.int64]
        )
    if draw(st.booleans()):
        kwargs["input_shape"] = arg(draw, [None, (1, 2, 2), (3, 3, 3), (2,), (1, 0, 2)])
    if name == "network_from_state_dict" and draw(st.booleans()):
        kwargs["activation"] = arg(draw, [RELU, TANH, Activation("identity")])
    first = {"as_network": "target", "network_from_module": "module"}.get(name, "state")
    return Call(name, (obj,), kwargs, (first, "target", *kwargs, *TARGET_PARTS))


@st.composite
def layer_calls(draw):
    name = draw(st.sampled_from(["Dense", "Conv2d", "Network", "Masks", "Activation"]))
    g = generator(draw(seeds))
    if name == "Activation":
        args = (arg(draw, ["relu", "tanh", "leaky_relu", "identity", "sigmoid"]),)
        if draw(st.booleans()):
            args += (arg(draw, [0.1, None, -2]),)
        return Call(name, args, {}, ("activation", "negative_slope", "name"))
    if name == "Masks":
        masks = draw(st.lists(st.one_of(tensors(None, torch.bool, g), tensors()), max_size=3))
        kwargs = {}
        if draw(st.booleans()):
            kwargs["biases"] = draw(
                st.one_of(
                    st.lists(st.one_of(st.none(), tensors(None, None, g)), max_size=3),
                    st.sampled_from(JUNK),
                )
            )
        masks = draw(st.sampled_from([masks, tuple(masks), None, 3, "m", torch.ones(2, 2)]))
        return Call(name, (masks,), kwargs, ("masks", "biases"))
    if name == "Network":
        layers = []
        for _ in range(draw(st.integers(0, 3))):
            layers.append(draw(st.one_of(st.sampled_from(JUNK), _layers(g))))
        kwargs = {}
        if draw(st.booleans()):
            kwargs["input_shape"] = arg(draw, [None, (2,), (1, 3, 3), (1, 2, 2)])
        layers = draw(st.sampled_from([tuple(layers), layers, None, 3]))
        return Call(name, (layers,), kwargs, ("layers", "weights[", "biases[", "input_shape"))
    weight = draw(tensors((2, 2) if name == "Dense" else (2, 1, 2, 2), None, g))
    if draw(st.booleans()):
        weight = draw(tensors())
    kwargs = {}
    if draw(st.booleans()):
        kwargs["bias"] = draw(st.one_of(st.none(), tensors((2,), None, g), tensors()))
    if draw(st.booleans()):
        kwargs["activation"] = arg(draw, [RELU, TANH, "relu"])
    if name == "Conv2d":
        for key in draw(st.sets(st.sampled_from(["stride", "padding"]))):
            kwargs[key] = arg(draw, [0, 1, 2])
    call = Call(name, (weight,), kwargs, ("weight", "weights[0]", "bias", *kwargs))
    return call


@st.composite
def _layers(draw, g):
    """A valid Dense or Conv2d layer, in float64 or float32 (a network mixing them is junk)."""
    dtype = draw(st.sampled_from([torch.float64, torch.float32]))
    w = draw(tensors((2, 2), dtype, g, special=False))
    return Conv2d(w.reshape(1, 1, 2, 2)) if draw(st.booleans()) else Dense(w)


# --- random_target, get_construction ----------------------------------------------------


@st.composite
def random_target_calls(draw):
    widths = arg(draw, [(2, 2), (3, 2, 1), [1, 1]])
    kwargs = {"generator": arg(draw, [generator(draw(seeds))], [None, 3, "g"])}
    options = {
        "spectral_norm": [1.0, 0.5, 2],
        "device": ["cpu", torch.device("cpu"), "meta", "cuda"],
        "dtype": [torch.float64, torch.float32, torch.float16, torch.int64, torch.bool],
        "activation": [RELU, "tanh", "leaky_relu(0.1)"],
        "bias": [True, False],
    }
    for key in draw(st.sets(st.sampled_from(sorted(options)))):
        kwargs[key] = arg(draw, options[key])
    return Call("random_target", (widths,), kwargs, ("widths", *kwargs))


@st.composite
def construction_calls(draw):
    name = arg(draw, sorted(approx.CONSTRUCTIONS))
    return Call("get_construction", (name,), {}, ("name", "construction"))


# --- certified_error, empirical_error ---------------------------------------------------


@st.composite
def pruned_pairs(draw):
    """(target, its construction's random network, pruned) for a tiny Pensia run."""
    target = draw(networks())
    target = Network(tuple(Dense(ly.weight.to(torch.float64)) for ly in target.layers))
    cons = approx.get_construction("pensia")
    g = generator(draw(seeds))
    random_net = cons.sample(target.widths, (2,) * target.depth, generator=g)
    return target, random_net, cons.prune(target, random_net)


@st.composite
def certified_calls(draw):
    target, _, pruned = draw(pruned_pairs())
    t = target if draw(st.booleans()) else draw(st.one_of(targets(), networks()))
    layers = pruned.layers if draw(st.booleans()) else draw(st.sampled_from(JUNK))
    return Call("certified_error", (t, layers), {}, ("target", "layers"))


def _map(c: float):
    """A function of any number of inputs, in any dtype: `x ↦ c · sum(x)` `(batch, 1)`."""
    return lambda x: c * x.sum(1, keepdim=True)


EMPIRICAL_WORK = {"n_samples", "ascent_steps", "restarts", "polish_steps"}


@st.composite
def empirical_calls(draw):
    g = generator(draw(seeds))
    d_in = draw(st.integers(1, 3))
    f, h = _map(0.5), _map(draw(st.sampled_from([0.0, 1.0, NAN])))
    args = (
        f if draw(st.booleans()) else draw(st.sampled_from(JUNK)),
        h,
        arg(draw, [d_in], JUNK),
    )
    options = {
        "n_samples": [4, 16],
        "ascent_steps": [0],
        "n_ascent": [None, 1, 2],
        "batch_size": [4, 16],
        "dtype": [torch.float64, torch.float32, torch.int64],
        "device": ["cpu", "meta"],
        "chunk_rows": [4, 8],
        "search_chunk_rows": [None, 4, 8],
        "polish_steps": [None, 0, 1],
        "domain": ["sphere", "ball", "cube"],
        "restarts": [None, 0, 1],
    }
    kwargs = {"generator": arg(draw, [g], [None, 3, "g"]), "n_samples": 16, "ascent_steps": 0}
    for key in draw(st.sets(st.sampled_from(sorted(options)), max_size=4)):
        kwargs[key] = arg(draw, options[key], WORK_JUNK if key in EMPIRICAL_WORK else JUNK)
    return Call("empirical_error", args, kwargs, ("f", "g", "d_in", *kwargs))


# --- search, compare, plant -------------------------------------------------------------


@st.composite
def search_calls(draw):
    target, random_net, _ = draw(pruned_pairs())
    method = arg(draw, ["greedy", "edge-popup", "supermask", "annealing", "evolution"])
    options = {
        "density": [0.3, 0.5, 1.0],
        "steps": [1, 2],
        "lr": [0.01, 1.0],
        "samples": [4, 16],
        "max_steps": [1, 2],
    }
    kwargs = {"method": method}
    if draw(st.booleans()):
        kwargs["seed"] = arg(draw, [0, 1])
    fixed = {"samples": 16, "max_steps": 2} if method == "greedy" else {}
    for key in draw(st.sets(st.sampled_from(sorted(options)), max_size=2)):
        kwargs[key] = arg(draw, options[key], WORK_JUNK if key in WORK else JUNK)
    if method != "greedy" and "steps" not in kwargs:
        kwargs["steps"] = 2
    kwargs = {**fixed, **kwargs}
    args = (
        target if draw(st.booleans()) else draw(st.one_of(targets(), st.sampled_from(JUNK))),
        random_net if draw(st.booleans()) else draw(st.one_of(networks(), st.just(None))),
    )
    return Call("search", args, kwargs, ("target", "random_net", *kwargs))


@st.composite
def compare_calls(draw):
    options = {
        "widths": [[2, 2], (3, 2)],
        "construction": ["pensia", "malach", "burkholz"],
        "n": [2, 3],
        "methods": [("greedy",), ["edge-popup"], "greedy", ()],
        "seed": [0, 1],
        "density": [0.3, 0.9],
        "lr": [0.01],
        "rescale": [True, False],
    }
    kwargs = {
        "widths": [2, 2], "n": 2, "methods": ("greedy",), "steps": 2, "samples": 16,
        "max_steps": 2, "empirical_samples": 16, "ascent_steps": 0,
    }  # fmt: skip
    for key in draw(st.sets(st.sampled_from(sorted(options)), max_size=3)):
        kwargs[key] = arg(draw, options[key], WORK_JUNK if key in WORK else JUNK)
    if draw(st.booleans()):
        kwargs["target"] = draw(targets())
        kwargs.pop("widths")
    return Call("compare", (), kwargs, (*kwargs, *TARGET_PARTS))


@st.composite
def plant_calls(draw):
    target, random_net, _ = draw(pruned_pairs())
    g = generator(draw(seeds))
    ticket = [ly.weight for ly in target.layers]
    kind = draw(st.sampled_from(["ticket", "tensors", "junk"]))
    if kind == "tensors":
        ticket = draw(st.lists(tensors(None, None, g), max_size=3))
    elif kind == "junk":
        ticket = draw(st.sampled_from(JUNK))
    net = random_net if draw(st.booleans()) else draw(st.one_of(networks(), st.sampled_from(JUNK)))
    return Call("plant", (ticket, net), {}, ("ticket", "random_net"))


RUN_CONFIG = {
    "kind": "run", "construction": "pensia", "eps": 0.5, "delta": 0.5, "solver": "exact",
    "seed": 0, "rescale": False, "dtype": "float64", "empirical_samples": 16,
    "ascent_steps": 0, "widths": [2, 2], "n": 2,
}  # fmt: skip


@st.composite
def misc_calls(draw):
    """load_network, network_to_module, format_run, Activation.parse, benchmark, sweep."""
    name = draw(
        st.sampled_from(["load_network", "network_to_module", "format_run", "benchmark", "sweep"])
    )
    if name == "load_network":
        path = arg(draw, ["/nonexistent/net.pt", "/tmp", "x" * 300, "\x00"])
        return Call(name, (path,), {}, ("target", "path"))
    if name == "network_to_module":
        return Call(name, (draw(st.one_of(networks(), st.sampled_from(JUNK))),), {}, ("net",))
    if name == "format_run":
        return Call(name, (draw(st.sampled_from(JUNK)),), {}, ("r",))
    if name == "benchmark":
        options = {
            "widths": [[2, 2], (3, 2)],
            "construction": ["pensia", "malach"],
            "methods": [("greedy",), ["annealing"], "all", ()],
            "densities": [None, (0.5,), [0.3, 0.9]],
            "options": [None, {"greedy": {"max_steps": 2}}, {"x": {}}, {"greedy": 3}],
            "target": ["random", "relu-chain", "circle"],
            "planted": [True, False],
        }
        kwargs = {
            "widths": [2, 2], "n": 2, "methods": ("greedy",), "empirical_samples": 16,
            "ascent_steps": 0, "options": {"greedy": {"samples": 16, "max_steps": 2}},
        }  # fmt: skip
        for key in draw(st.sets(st.sampled_from(sorted(options)), max_size=2)):
            kwargs[key] = arg(draw, options[key])
        if kwargs["methods"] != ("greedy",):  # the other methods' default steps take seconds
            kwargs["methods"] = draw(st.sampled_from(JUNK))
        return Call(name, (), kwargs, (*kwargs, "method", *TARGET_PARTS))
    config = dict(RUN_CONFIG)
    for key in draw(st.sets(st.sampled_from(sorted(RUN_CONFIG)), max_size=2)):
        if draw(st.booleans()):
            config.pop(key)
        else:
            config[key] = draw(st.sampled_from(JUNK))
    configs = draw(st.sampled_from([[config], [config, 3], (config,), None, 3, config]))
    store = arg(draw, [None], [3, b"x", [], None])
    kwargs = {"workers": 1, "progress": False}
    return Call(name, (configs, store), kwargs, ("configs", "config[", "store", "workers"))


CALLS = st.one_of(
    run_calls(),
    solve_calls(),
    loading_calls(),
    layer_calls(),
    random_target_calls(),
    construction_calls(),
    certified_calls(),
    empirical_calls(),
    search_calls(),
    compare_calls(),
    plant_calls(),
    misc_calls(),
)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {SECONDS} s")


def check(call: Call) -> None:
    """`call` returns or raises InvalidArgument naming one of its arguments."""
    fn = getattr(approx, call.name)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS)
    try:
        fn(*call.args, **call.kwargs)
    except InvalidArgument as e:
        message = str(e)
        event(f"{call.name}: InvalidArgument")
        assert any(name in message for name in call.names), (call, message)
        assert message.strip() and "\n" not in message.strip(), (call, message)
    else:
        event(f"{call.name}: returned")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


FUZZ = fuzz_settings(40, all_health_checks=True)


@FUZZ
@given(CALLS)
def test_fuzz_api_returns_or_refuses_naming_an_argument(call):
    check(call)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(CALLS)
def test_fuzz_api_many(call):
    check(call)


# --- the inputs the fuzz found, each once as a plain test --------------------------------


def _net(act: str = "relu") -> Network:
    w1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    w2 = torch.tensor([[1.0, 1.0]], dtype=torch.float64) / 2**0.5
    return Network((Dense(w1, activation=Activation(act)), Dense(w2)))


def _empirical(d_in=1, f=None, **kwargs):
    kwargs = {"generator": torch.Generator(), "n_samples": 16, "ascent_steps": 0, **kwargs}
    return approx.empirical_error(_map(0.5) if f is None else f, _map(1.0), d_in, **kwargs)


def _g():
    return torch.Generator()


# (call, the words the refusal must hold); before, each raised the exception in the comment
REFUSALS = {
    "empirical f=None": (lambda: _empirical(f=0.0), "f is a float"),  # TypeError: not callable
    "empirical d_in=None": (lambda: _empirical(None), "d_in=None"),  # TypeError: '>'
    "empirical d_in=1.5": (lambda: _empirical(1.5), "d_in=1.5"),  # TypeError in torch.empty
    "empirical generator=3": (lambda: _empirical(generator=3), "generator=3"),  # in randn
    "empirical device=0.5": (lambda: _empirical(device=0.5), "device=0.5"),  # in torch.device
    "empirical device=meta": (lambda: _empirical(device="meta"), "device='meta'"),  # .item()
    "empirical batch_size=None": (lambda: _empirical(batch_size=None), "batch_size=None"),
    "empirical n_ascent=2**63": (  # RuntimeError: numel: integer multiplication overflow
        lambda: _empirical(2, ascent_steps=1, chunk_rows=2**63, n_ascent=2**63),
        "n_ascent=9223372036854775808",
    ),
    "plant ticket='x'": (lambda: approx.plant("x", _net()), "ticket='x'"),  # AttributeError
    "plant ticket=nan": (lambda: approx.plant(NAN, _net()), "ticket=nan"),  # TypeError: len
    "plant random_net=''": (lambda: approx.plant([torch.eye(2)], ""), "random_net"),
    "plant int ticket": (
        lambda: approx.plant([torch.zeros(1, 3, 1, dtype=torch.int32), torch.eye(1)], _net()),
        "ticket[0] must be a float",
    ),
    "random_target widths=None": (
        lambda: approx.random_target(None, generator=_g()),  # TypeError: no len()
        "widths=None",
    ),
    "random_target generator=3": (
        lambda: approx.random_target([1, 1], generator=3),  # TypeError in torch.rand
        "generator=3",
    ),
    "random_target dtype=0.0": (
        lambda: approx.random_target((3, 2, 1), generator=_g(), dtype=0.0),  # TypeError in .to
        "dtype=0.0",
    ),
    "random_target spectral_norm=None": (
        lambda: approx.random_target((2, 2), generator=_g(), spectral_norm=None),  # TypeError
        "spectral_norm=None",
    ),
    "random_target spectral_norm=1e308 float32": (  # named weights[0]'s inf entries
        lambda: approx.random_target(
            (2, 2), generator=_g(), spectral_norm=1e308, dtype=torch.float32
        ),
        "spectral_norm=1e+308",
    ),
    "random_target device=meta": (  # RuntimeError: .item() on meta tensors
        lambda: approx.random_target((2, 2), generator=_g(), device="meta"),
        "device='meta'",
    ),
    "random_target widths=(10**20, 2)": (  # RuntimeError in torch.rand
        lambda: approx.random_target((HUGE, 2), generator=_g()),
        "widths=(100000000000000000000, 2)",
    ),
    "state dict dtype=[0, 2]": (  # TypeError in Tensor.to
        lambda: approx.network_from_state_dict({"0.weight": torch.eye(2)}, dtype=[0, 2]),
        "dtype=[0, 2]",
    ),
    "state dict of a list": (  # AttributeError: 'list' object has no attribute 'items'
        lambda: approx.network_from_state_dict([torch.eye(2)]),
        "state is a list",
    ),
    "module input_shape=1e308": (  # TypeError: 'float' object is not iterable
        lambda: approx.network_from_module(nn.Sequential(nn.Linear(2, 1)), input_shape=1e308),
        "input_shape=1e+308",
    ),
    "certified layers=None": (lambda: approx.certified_error(_net(), None), "layers=None"),
    "certified layers=(3, 2)": (  # AttributeError: 'int' object has no attribute 'P'
        lambda: approx.certified_error(_net(), (3, 2)),
        "layers[0] is a int",
    ),
    "compare widths=-2**63": (  # TypeError: 'int' object is not iterable
        lambda: approx.compare(widths=-(2**63), n=3, methods=("greedy",)),
        "widths=-9223372036854775808",
    ),
    "compare methods=10**20": (lambda: approx.compare(widths=[2, 2], methods=HUGE), "methods="),
    "compare n=True": (lambda: approx.compare(widths=[2, 2], n=True), "n=True"),
    "Network(3)": (lambda: approx.Network(3), "layers=3"),  # TypeError: not iterable
    "Masks(3)": (lambda: approx.Masks(3), "masks=3"),
    "search target=list": (  # AttributeError: 'list' object has no attribute 'depth'
        lambda: approx.search([torch.eye(2)], _net(), method="greedy"),
        "target is a list",
    ),
    "search annealing without density": (  # TypeError: missing keyword argument
        lambda: approx.search(_net(), _net(), method="annealing", steps=2),
        "needs the option(s) ['density']",
    ),
    "search float32 target, float64 random_net": (  # RuntimeError from a matmul in greedy
        lambda: approx.search(_net().to(dtype=torch.float32), _net(), method="greedy", samples=16),
        "target is torch.float32 on cpu but random_net is torch.float64",
    ),
    "run eps=5e-324 C=0.5": (  # refused naming tolerance=0.0, an argument never passed
        lambda: approx.run(widths=[2, 2], eps=5e-324, C=0.5),
        "eps=5e-324 is too small for widths 2-2",
    ),
    "as_network complex weights to float64": (  # UserWarning: discards the imaginary part
        lambda: approx.as_network([torch.eye(2, dtype=torch.complex64)], dtype=torch.float64),
        "target holds torch.complex64 weights",
    ),
    "get_construction([2, 2])": (  # TypeError: unhashable type: 'list'
        lambda: approx.get_construction([2, 2]),
        "construction=[2, 2]",
    ),
    "run device=2**63": (  # ValueError: Overflow when unpacking long long
        lambda: approx.run(widths=[2, 2], device=2**63),
        "device=9223372036854775808",
    ),
    "run widths=True": (lambda: approx.run(widths=True, n=2), "widths=True"),  # TypeError
    "run dtype=[0, 2]": (lambda: approx.run(widths=[2, 2], dtype=[0, 2]), "dtype=[0, 2]"),
    "run input_shape=nan": (  # TypeError: 'float' object is not iterable
        lambda: approx.run([torch.eye(1, dtype=torch.float64)], input_shape=NAN),
        "input_shape=nan",
    ),
    "solve exact 1e308": (  # returned the empty subset at error 1e308; brute found error 0
        lambda: approx.solve(
            torch.tensor([[1e308, 1e308, -1e308, 5e-324]], dtype=torch.float64),
            torch.tensor([1e308], dtype=torch.float64),
        ),
        "coeffs: row 0's subset sums overflow float64",
    ),
    "load_network(None)": (lambda: approx.load_network(None), "target=None"),  # TypeError
    "load_network('x' * 300)": (  # OSError: File name too long
        lambda: approx.load_network("x" * 300),
        "File name too long",
    ),
    "network_to_module(3)": (lambda: approx.network_to_module(3), "net is a int"),
    "format_run(3)": (lambda: approx.format_run(3), "r is a int"),  # AttributeError
    "Activation.parse(3)": (lambda: approx.Activation.parse(3), "activation=3"),
    "benchmark widths=3": (  # TypeError: 'int' object is not iterable
        lambda: approx.benchmark(widths=3, methods=("greedy",)),
        "widths=3",
    ),
    "benchmark methods=3": (lambda: approx.benchmark(methods=3), "methods=3"),
    "benchmark densities=3": (
        lambda: approx.benchmark(densities=3, methods=("greedy",)),
        "densities=3",
    ),
    "benchmark options=3": (lambda: approx.benchmark(options=3, methods=("greedy",)), "options=3"),
    "benchmark options={'greedy': 3}": (  # TypeError: 'int' is not a mapping, after the run
        lambda: approx.benchmark(options={"greedy": 3}, methods=("greedy",)),
        "options['greedy']=3",
    ),
    "sweep(None, None)": (lambda: approx.sweep(None, None), "configs=None"),
    "sweep([3], None)": (lambda: approx.sweep([3], None), "configs[0] is a int"),  # SweepCrash
    "sweep([{}], None)": (lambda: approx.sweep([{}], None), "configs[0]['kind']=None"),
    "sweep(config without seed)": (
        lambda: approx.sweep([{k: v for k, v in RUN_CONFIG.items() if k != "seed"}], None),
        "configs[0] (kind 'run') lacks ['seed']",
    ),
    "sweep([], 3)": (lambda: approx.sweep([], 3), "store=3"),  # TypeError in Path(3)
    "run burkholz solver=brute n=11": (  # refused from inside solve, naming coeffs' 22 columns
        lambda: approx.run(widths=[2, 2], construction="burkholz", solver="brute", n=11),
        "n=[11] gives subset-sum instances of up to 22 coefficients; solver='brute'",
    ),
    # the theorems' sizes: OverflowError (math.ceil(inf)) or ZeroDivisionError from a formula
    **{
        f"run {c} eps={eps} delta={delta} C={C}": (
            lambda c=c, eps=eps, delta=delta, C=C: approx.run(
                widths=[2, 2], construction=c, eps=eps, delta=delta, C=C, n=2
            ),
            "eps=",
        )
        for c, eps, delta, C in [
            ("pensia", 0.5, 0.5, 1e308),
            ("malach", 0.999999, 0.5, 1e308),
            ("burkholz", 0.5, 0.5, 1e308),
            ("orseau", 0.5, 0.5, 1e308),
            ("natale", 5e-324, 0.5, None),
            ("orseau", 5e-324, 0.5, None),  # ZeroDivisionError in digit_count
        ]
    },
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_found_inputs_are_refused_naming_the_argument(case):
    call, words = REFUSALS[case]
    with pytest.raises(InvalidArgument) as info:
        call()
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_run_device_none_is_refused_on_one_line():
    """torch's message for torch.device(None) spans five lines; the refusal keeps the first."""
    with pytest.raises(InvalidArgument, match="device=None is not a torch device") as info:
        approx.run(widths=[2, 2], device=None)
    assert "\n" not in str(info.value)


def test_certified_error_refuses_a_tanh_target():
    """The bound's proof covers ReLU targets only: for a tanh target and exact half-line
    layers (`P = N = W`, so `g(x) = W_2 relu(W_1 x)`) it returned 0.0 while the functions
    differ by 0.169 at x = e_1."""
    target = _net("tanh")
    layers = tuple(HalfLineLayer(w, w) for w in target.weights)
    x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    gap = float((target(x) - layers[1](torch.relu(layers[0](x)))).abs())
    assert gap > 0.1
    with pytest.raises(InvalidArgument, match=r"target layer 0 .*tanh"):
        approx.certified_error(target, layers)


def test_solve_keeps_large_finite_instances_exact():
    """The overflow check refuses only what overflows: 1e300-sized rows still solve exactly.
    milp takes what it once refused (a coefficient of 1e15, where HiGHS's "Model error" came
    out as a RuntimeError; a target of 1e20, here one requiring grad, whose float() warned), to
    within HiGHS's 1e-6 gap at the instance's scale (HiGHS gets it scaled by 2^-50 and 2^-67:
    tests/test_milp.py)."""
    c = torch.tensor([[1e300, 1e300, -1e300, 1.0]], dtype=torch.float64)
    t = torch.tensor([1e300], dtype=torch.float64)
    for method in ("exact", "brute"):
        assert float(approx.solve(c, t, method=method).error[0]) == 0.0
    for c, t, scale in [
        ([[9e14, 1.0, -9e14]], [1.0], 2.0**50),
        ([[1e15, 1.0]], [1.0], 2.0**50),
        ([[1.0, 2.0]], [1e20], 2.0**67),
    ]:
        c = torch.tensor(c, dtype=torch.float64)
        t = torch.tensor(t, dtype=torch.float64, requires_grad=True)
        exact = float(approx.solve(c, t, method="exact").error[0])
        assert float(approx.solve(c, t, method="milp").error[0]) <= exact + 1e-6 * scale
