"""Networks from and to torch: `nn.Sequential` modules, state dicts, weight lists and files.

Everything the network model can hold converts (Linear and Conv2d layers with or without bias,
ReLU, LeakyReLU, Tanh, Sigmoid, Identity, a Flatten between convolutions and dense layers);
anything else is refused naming the module. Whether a theorem covers the network is checked a
layer up (`approx.constructions.registry.check_covered`).

Files are data, never code: `load_network` reads with `torch.load(weights_only=True)` only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from . import defaults
from .errors import InvalidArgument, as_tuple
from .files import readable_file
from .network import IDENTITY, RELU, Activation, Conv2d, Dense, Layer, Network
from .tensor_checks import check_float_dtype
from .units import format_bytes

# The only classes a target file may name besides tensors: the modules the network model can
# hold. Anything else in a pickle (a `__reduce__` that calls a function, a custom class) is
# refused by torch's weights-only unpickler before it is built.
# (The pooling layers are read only to be refused naming the layer: no construction covers
# pooling.)
SAFE_MODULE_CLASSES: tuple[type[nn.Module], ...] = (
    nn.Sequential, nn.Linear, nn.Conv2d, nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity,
    nn.Flatten, nn.MaxPool2d, nn.AvgPool2d,
)  # fmt: skip


def _activation_of(module: nn.Module) -> Activation | None:
    """The model's activation for an activation module; None if `module` is not one."""
    if isinstance(module, nn.ReLU):
        return RELU
    if isinstance(module, nn.LeakyReLU):
        return Activation("leaky_relu", float(module.negative_slope))
    if isinstance(module, nn.Tanh):
        return Activation("tanh")
    if isinstance(module, nn.Sigmoid):
        return Activation("sigmoid")
    return None


def _tensor(t: torch.Tensor | None, dtype: torch.dtype | None) -> torch.Tensor | None:
    if t is None:
        return None
    if dtype is not None and t.is_complex():  # .to(float) would drop the imaginary part
        raise InvalidArgument(f"target holds {t.dtype} weights; approx computes with real ones")
    t = t.detach().clone()
    return t if dtype is None else t.to(check_float_dtype("dtype", dtype))


def _bias(t: torch.Tensor | None, dtype: torch.dtype | None) -> torch.Tensor | None:
    """A bias of exact zeros is no bias: the same function, and bias-free theorems apply."""
    if t is None or not bool(torch.any(t != 0)):
        return None
    return _tensor(t, dtype)


def _conv_layer(pos: int, m: nn.Conv2d, dtype: torch.dtype | None) -> Conv2d:
    where = f"module[{pos}] (Conv2d {m.in_channels}->{m.out_channels})"
    if m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros":
        raise InvalidArgument(f"{where}: groups, dilation and non-zero padding modes unsupported")
    if isinstance(m.padding, str) or len(set(m.padding)) != 1 or len(set(m.stride)) != 1:
        raise InvalidArgument(
            f"{where}: padding={m.padding!r}, stride={m.stride!r}; one integer each is supported"
        )
    return Conv2d(
        _tensor(m.weight, dtype),
        _bias(m.bias, dtype),
        stride=int(m.stride[0]),
        padding=int(m.padding[0]),
    )


def network_from_module(
    module: nn.Module,
    *,
    dtype: torch.dtype | None = None,
    input_shape: Sequence[int] | None = None,
) -> Network:
    """From an `nn.Sequential` (or a single `nn.Linear`) of the layers and activations the
    model holds: each activation applies to the layer before it; `nn.Identity` is skipped;
    `nn.Flatten` may stand only between a convolution and a dense layer (the model flattens
    there by itself). `input_shape` `(c, H, W)` for a network that starts with a convolution."""
    if isinstance(module, nn.Linear):
        module = nn.Sequential(module)
    if not isinstance(module, nn.Sequential):
        raise InvalidArgument(
            f"module is a {type(module).__name__}; expected nn.Sequential of Linear/Conv2d "
            "layers and activations"
        )
    layers: list[Layer] = []
    activations: list[Activation] = []  # activations[i] follows layers[i]
    for pos, m in enumerate(module):
        act = _activation_of(m)
        if isinstance(m, nn.Linear):
            layers.append(Dense(_tensor(m.weight, dtype), _bias(m.bias, dtype)))
            activations.append(IDENTITY)
        elif isinstance(m, nn.Conv2d):
            layers.append(_conv_layer(pos, m, dtype))
            activations.append(IDENTITY)
        elif act is not None:
            if not layers or activations[-1] is not IDENTITY:
                raise InvalidArgument(
                    f"module[{pos}] is {type(m).__name__} "
                    + ("before any layer" if not layers else "right after another activation")
                    + "; expected one activation after a Linear or Conv2d"
                )
            activations[-1] = act
        elif isinstance(m, nn.Identity):
            continue
        elif isinstance(m, nn.Flatten):
            following = [
                x for x in list(module)[pos + 1 :] if isinstance(x, (nn.Linear, nn.Conv2d))
            ]
            if not (
                layers
                and layers[-1].kind == "conv2d"
                and following
                and isinstance(following[0], nn.Linear)
            ):
                raise InvalidArgument(
                    f"module[{pos}] is Flatten; supported only between a Conv2d and a Linear"
                )
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            raise InvalidArgument(
                f"module[{pos}] is {type(m).__name__}: pooling is not covered by any "
                "construction; supported: Linear, Conv2d, ReLU, LeakyReLU, Tanh, Sigmoid, "
                "Identity, Flatten"
            )
        else:
            raise InvalidArgument(
                f"module[{pos}] is {type(m).__name__}; supported: Linear, Conv2d, ReLU, "
                "LeakyReLU, Tanh, Sigmoid, Identity, Flatten"
            )
    if not layers:
        raise InvalidArgument("module has no Linear or Conv2d layer")
    built = tuple(
        type(layer)(**{**_layer_fields(layer), "activation": act})
        for layer, act in zip(layers, activations, strict=True)
    )
    return Network(built, input_shape)


def _layer_fields(layer: Layer) -> dict:
    if layer.kind == "dense":
        return {"weight": layer.weight, "bias": layer.bias}
    return {
        "weight": layer.weight,
        "bias": layer.bias,
        "stride": layer.stride,
        "padding": layer.padding,
    }


def network_to_module(net: Network) -> nn.Sequential:
    """The same network as an `nn.Sequential` (a Flatten where a dense layer follows a
    convolution; each non-identity activation as its module)."""
    if not isinstance(net, Network):
        raise InvalidArgument(f"net is a {type(net).__name__}, not an approx.Network")
    modules: list[nn.Module] = []
    for i, layer in enumerate(net.layers):
        w, b = layer.weight, layer.bias
        if layer.kind == "dense":
            if i and net.layers[i - 1].kind == "conv2d":
                modules.append(nn.Flatten())
            lin = nn.Linear(
                w.shape[1], w.shape[0], bias=b is not None, device=w.device, dtype=w.dtype
            )
        else:
            lin = nn.Conv2d(
                w.shape[1],
                w.shape[0],
                tuple(w.shape[2:]),
                stride=layer.stride,
                padding=layer.padding,
                bias=b is not None,
                device=w.device,
                dtype=w.dtype,
            )
        with torch.no_grad():
            lin.weight.copy_(w)
            if b is not None:
                lin.bias.copy_(b)
        modules.append(lin)
        act = layer.activation
        if act.name == "relu":
            modules.append(nn.ReLU())
        elif act.name == "leaky_relu":
            modules.append(nn.LeakyReLU(act.negative_slope))
        elif act.name == "tanh":
            modules.append(nn.Tanh())
        elif act.name == "sigmoid":
            modules.append(nn.Sigmoid())
    return nn.Sequential(*modules)


def network_from_state_dict(
    state: dict,
    *,
    dtype: torch.dtype | None = None,
    activation: Activation = RELU,
    input_shape: Sequence[int] | None = None,
) -> Network:
    """From the state dict of an `nn.Sequential`: keys `"<idx>.weight"` (and `"<idx>.bias"`),
    taken in index order, `activation` between layers (a state dict does not record it; ReLU
    by default) and none after the last. A 4-d weight is a convolution with stride 1 and no
    padding — a state dict records neither, so that is the convention (save the module itself
    for others) — and needs `input_shape` `(c, H, W)`; a dense layer after one reads its
    input flattened."""
    if not isinstance(state, dict):
        raise InvalidArgument(f"state is a {type(state).__name__}, not a state dict")
    for k, v in state.items():
        if not isinstance(k, str) or (
            not k.endswith((".weight", ".bias")) and k not in ("weight", "bias")
        ):
            raise InvalidArgument(f"state dict has unsupported entry {k!r}")
        if not isinstance(v, torch.Tensor):
            raise InvalidArgument(f"state dict entry {k!r} is a {type(v).__name__}, not a tensor")

    def head(key: str) -> str:
        return key.rsplit(".", 1)[0] if "." in key else ""

    def order(h: str) -> tuple:
        return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in h.split("."))

    heads = sorted({head(k) for k in state if k.endswith("weight")}, key=order)
    if not heads:
        raise InvalidArgument("state dict has no '*.weight' entries")
    orphans = sorted(head(k) for k in state if k.endswith("bias") and head(k) not in heads)
    if orphans:
        raise InvalidArgument(f"state dict has biases without weights: {orphans[:3]}")
    weights, biases = [], []
    for h in heads:
        w = state[f"{h}.weight" if h else "weight"]
        if w.ndim not in (2, 4) or (w.ndim == 4 and input_shape is None):
            raise InvalidArgument(
                f"state dict entry {h + '.weight'!r} has shape {tuple(w.shape)}; it loads dense "
                "(d_out, d_in) weights, and (c_out, c_in, k, k) convolutions with stride 1, no "
                "padding and an input shape (--input-shape C,H,W of run, compare, tightness)"
            )
        weights.append(_tensor(w, dtype))
        biases.append(_bias(state.get(f"{h}.bias" if h else "bias"), dtype))
    if all(w.ndim == 2 for w in weights):
        net = Network.dense(weights, biases=biases, activation=activation)
        return net if input_shape is None else Network(net.layers, input_shape)
    last = len(weights) - 1
    layers = tuple(
        (Dense if w.ndim == 2 else Conv2d)(w, b, activation if i < last else IDENTITY)
        for i, (w, b) in enumerate(zip(weights, biases, strict=True))
    )
    return Network(layers, input_shape)


def _tensors_in(obj) -> list[tuple[str, torch.Tensor]]:
    """(where, tensor) for every tensor a loaded object holds (module parameters and buffers,
    dict values, list entries), without copying any."""
    if isinstance(obj, torch.Tensor):
        return [("tensor", obj)]
    if isinstance(obj, nn.Module):
        return list(obj.named_parameters()) + list(obj.named_buffers())
    if isinstance(obj, dict):
        return [(repr(k), v) for k, v in obj.items() if isinstance(v, torch.Tensor)]
    if isinstance(obj, (list, tuple)):
        return [(f"[{i}]", v) for i, v in enumerate(obj) if isinstance(v, torch.Tensor)]
    return []


def check_loaded_tensors(where: str, obj) -> None:
    """Refuse, before any tensor is copied or converted: tensors on the meta device (they hold
    no numbers), sparse or other non-strided layouts, complex dtypes (never silently reduced to
    their real part), non-numeric dtypes, and a total that would exceed
    `defaults.MAX_TARGET_BYTES` as float64 — counted from the shapes, so an expanded tensor
    stored in a few bytes is refused before it is materialised."""
    total = 0
    for name, t in _tensors_in(obj):
        what = f"{where}: entry {name} ({tuple(t.shape)}, {t.dtype})"
        if t.is_meta:
            raise InvalidArgument(f"{what} is a meta tensor: it holds no values")
        if t.layout != torch.strided:
            raise InvalidArgument(f"{what} has layout {t.layout}; only dense tensors load")
        if t.is_complex():
            raise InvalidArgument(f"{what} is complex; approx computes with real weights only")
        if t.is_quantized:
            raise InvalidArgument(f"{what} is quantized; save it dequantized")
        if t.dtype == torch.bool:
            raise InvalidArgument(f"{what} holds booleans, not weights")
        total += t.numel()
    if total * 8 > defaults.MAX_TARGET_BYTES:
        raise InvalidArgument(
            f"{where} holds {total:,} numbers ({format_bytes(total * 8)} as float64), more than "
            f"the {format_bytes(defaults.MAX_TARGET_BYTES)} a target may take (its random "
            "network would be thousands of times larger)"
        )


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def load_network(
    path: str | Path,
    *,
    dtype: torch.dtype | None = torch.float64,
    input_shape: Sequence[int] | None = None,
) -> Network:
    """From a file written by `torch.save`: an `nn.Sequential`, a state dict, or a list of
    weight tensors `[W_1, ..., W_l]` (a dense ReLU network). Converted to `dtype` (float64 by
    default; None keeps the file's)."""
    if readable_file(path, "target") is None:
        raise InvalidArgument(f"target={str(path)!r} is not a file")
    path = Path(path)
    try:
        # weights_only=True refuses every global outside torch's tensor types and the module
        # classes allowed here, so a crafted pickle cannot run code. There is no fallback to
        # full unpickling.
        with torch.serialization.safe_globals(list(SAFE_MODULE_CLASSES)):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise InvalidArgument(
            f"target={str(path)!r} could not be read safely by torch.load "
            f"(weights_only=True): {_first_line(e)}; save a state dict "
            "(torch.save(model.state_dict(), path)) or a list of weight tensors"
        ) from None
    check_loaded_tensors(f"target={str(path)!r}", obj)
    if isinstance(obj, nn.Module):
        return network_from_module(obj, dtype=dtype, input_shape=input_shape)
    if isinstance(obj, dict):
        return network_from_state_dict(obj, dtype=dtype, input_shape=input_shape)
    if isinstance(obj, Sequence) and obj and all(isinstance(w, torch.Tensor) for w in obj):
        return with_input_shape(Network.dense(tuple(_tensor(w, dtype) for w in obj)), input_shape)
    raise InvalidArgument(
        f"target={str(path)!r} holds a {type(obj).__name__}; expected an nn.Sequential, "
        "a state dict, or a list of weight tensors"
    )


# What `approx.run(target=...)` takes: the network model itself, a torch module, a state dict, a
# list of weight tensors, or the path of a file holding any of those.
TargetLike = Network | nn.Module | dict | Sequence[torch.Tensor] | str | os.PathLike


def with_input_shape(net: Network, input_shape: Sequence[int] | None) -> Network:
    """`net` with `input_shape` `(c, H, W)` (or `(d,)`); None leaves it as it is. Refused
    (InvalidArgument naming input_shape) where it contradicts the network's own."""
    if input_shape is None:
        return net
    shape = as_tuple("input_shape", input_shape, "a list of positive integers")
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape):
        raise InvalidArgument(f"input_shape={list(shape)} must be positive integers")
    if net.input_shape is not None and net.input_shape != shape:
        raise InvalidArgument(
            f"input_shape={list(shape)} (--input-shape) but the network reads "
            f"{list(net.input_shape)}"
        )
    return Network(net.layers, shape)


def as_network(
    target: TargetLike,
    *,
    dtype: torch.dtype | None = None,
    input_shape: Sequence[int] | None = None,
) -> Network:
    """`target` as the network model: a `Network` as it is; an `nn.Sequential` (or one
    `nn.Linear`) by `network_from_module`; a state dict by `network_from_state_dict`; a list or
    tuple of weight tensors `[W_1, …, W_l]` as a dense ReLU network; a `str` or path by
    `load_network`. Tensors are copied (detached from autograd) in their own dtype unless
    `dtype` is given. `input_shape` `(c, H, W)`: the input of a network that starts with a
    convolution (`with_input_shape`)."""
    if isinstance(target, Network):
        net = target if dtype is None else target.to(dtype=check_float_dtype("dtype", dtype))
        return with_input_shape(net, input_shape)
    if isinstance(target, nn.Module):
        return with_input_shape(network_from_module(target, dtype=dtype), input_shape)
    if isinstance(target, str | os.PathLike):
        return with_input_shape(load_network(target, dtype=dtype), input_shape)
    if isinstance(target, dict):
        return network_from_state_dict(target, dtype=dtype, input_shape=input_shape)
    if (
        isinstance(target, list | tuple)
        and target
        and all(isinstance(w, torch.Tensor) for w in target)
    ):
        return with_input_shape(
            Network.dense(tuple(_tensor(w, dtype) for w in target)), input_shape
        )
    raise InvalidArgument(
        f"target is a {type(target).__name__}; expected an approx.Network, an nn.Sequential, "
        "a state dict, a list of weight tensors, or the path of a torch.save file"
    )
