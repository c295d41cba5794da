"""The network model: a sequence of layers, each a dense map or a 2-d convolution with an
optional bias, followed by its named activation.

    f(x) = a_l(L_l(… a_2(L_2(a_1(L_1(x)))))),   L_i(h) = W_i h + b_i  (or a convolution)

Weights are `(d_out, d_in)` like torch (`(c_out, c_in, k_h, k_w)` for a convolution), depth is
the number of layers (linear maps), and each layer names the activation applied to its output;
the targets of the theorems have one activation between layers and none (`identity`) after the
last. A dense layer that follows a convolution reads its input flattened, as `nn.Flatten` would.
All tensors of a network share one device and dtype; a network is immutable.

Which networks a theorem covers is the construction's business (`approx.constructions`): the
model holds any such network, and loading a file (`approx.basics.loading`) builds one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .errors import InvalidArgument, as_tuple
from .tensor_checks import check_finite

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "identity")


@dataclass(frozen=True)
class Activation:
    """A named activation; `negative_slope` is leaky ReLU's slope for h < 0 (its only
    parameter; None for every other activation)."""

    name: str
    negative_slope: float | None = None

    def __post_init__(self) -> None:
        if self.name not in ACTIVATIONS:
            raise InvalidArgument(f"activation={self.name!r} is not one of {list(ACTIVATIONS)}")
        if self.name == "leaky_relu":
            a = self.negative_slope
            if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a):
                raise InvalidArgument(f"leaky_relu negative_slope={a!r} must be a finite number")
            object.__setattr__(self, "negative_slope", float(a))
        elif self.negative_slope is not None:
            raise InvalidArgument(f"activation {self.name!r} takes no negative_slope")

    @classmethod
    def parse(cls, text: str) -> Activation:
        """`"relu"`, `"tanh"`, `"sigmoid"`, `"identity"`, `"leaky_relu(0.1)"` (`"leaky_relu"`
        alone takes torch's default slope 0.01)."""
        if not isinstance(text, str):
            raise InvalidArgument(f"activation={text!r} must be a name such as 'relu'")
        text = text.strip()
        if text.startswith("leaky_relu(") and text.endswith(")"):
            try:
                slope = float(text[len("leaky_relu(") : -1])
            except ValueError:
                raise InvalidArgument(f"activation={text!r}: slope is not a number") from None
            return cls("leaky_relu", slope)
        if text == "leaky_relu":
            return cls("leaky_relu", 0.01)
        return cls(text)

    def __str__(self) -> str:
        return f"leaky_relu({self.negative_slope:g})" if self.name == "leaky_relu" else self.name

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        if self.name == "relu":
            return torch.relu(h)
        if self.name == "leaky_relu":
            return F.leaky_relu(h, self.negative_slope)
        if self.name == "tanh":
            return torch.tanh(h)
        if self.name == "sigmoid":
            return torch.sigmoid(h)
        return h


RELU = Activation("relu")
IDENTITY = Activation("identity")


@dataclass(frozen=True)
class Dense:
    """`h ↦ activation(W h + b)`; `weight` `(d_out, d_in)`, `bias` `(d_out,)` or None."""

    weight: torch.Tensor
    bias: torch.Tensor | None = None
    activation: Activation = IDENTITY

    kind = "dense"

    @property
    def d_in(self) -> int:
        return self.weight.shape[1]

    @property
    def d_out(self) -> int:
        return self.weight.shape[0]

    def linear(self, h: torch.Tensor) -> torch.Tensor:
        """The pre-activation: `h` `(batch, d_in)` -> `(batch, d_out)`."""
        out = h @ self.weight.T
        return out if self.bias is None else out + self.bias

    def describe(self) -> str:
        return f"Linear {self.d_in}->{self.d_out}"


@dataclass(frozen=True)
class Conv2d:
    """`h ↦ activation(conv2d(h, W) + b)`; `weight` `(c_out, c_in, k_h, k_w)`, `bias`
    `(c_out,)` or None, one `stride` and one zero `padding` for both spatial axes."""

    weight: torch.Tensor
    bias: torch.Tensor | None = None
    activation: Activation = IDENTITY
    stride: int = 1
    padding: int = 0

    kind = "conv2d"

    def linear(self, h: torch.Tensor) -> torch.Tensor:
        """The pre-activation: `h` `(batch, c_in, H, W)` -> `(batch, c_out, H', W')`."""
        return F.conv2d(h, self.weight, self.bias, stride=self.stride, padding=self.padding)

    def output_shape(self, shape: Sequence[int]) -> tuple[int, int, int]:
        """`(c_out, H', W')` for an input `(c_in, H, W)`."""
        _, h, w = shape
        kh, kw = self.weight.shape[2:]
        out_h = (h + 2 * self.padding - kh) // self.stride + 1
        out_w = (w + 2 * self.padding - kw) // self.stride + 1
        return (self.weight.shape[0], out_h, out_w)

    def describe(self) -> str:
        c_out, c_in, kh, kw = self.weight.shape
        extra = (f" stride {self.stride}" if self.stride != 1 else "") + (
            f" pad {self.padding}" if self.padding else ""
        )
        return f"Conv2d {c_in}->{c_out} {kh}x{kw}{extra}"


Layer = Dense | Conv2d


def _check_tensor(name: str, t: torch.Tensor, ndim: int, ref: torch.Tensor) -> None:
    if not isinstance(t, torch.Tensor):
        raise InvalidArgument(f"{name} is a {type(t).__name__}, not a torch.Tensor")
    if t.ndim != ndim:
        raise InvalidArgument(f"{name} has shape {tuple(t.shape)}; expected {ndim} dimensions")
    if not t.is_floating_point():
        raise InvalidArgument(f"{name} has dtype {t.dtype}; expected a float dtype")
    if t.device != ref.device or t.dtype != ref.dtype:
        raise InvalidArgument(
            f"{name} is {t.dtype} on {t.device} but weights[0] is {ref.dtype} on {ref.device}; "
            "all tensors must match"
        )
    if t.numel() == 0:
        raise InvalidArgument(f"{name} has shape {tuple(t.shape)}: a zero size")
    check_finite(name, t)


def _check_layer(i: int, layer: Layer, ref: torch.Tensor) -> None:
    if not isinstance(layer, (Dense, Conv2d)):
        raise InvalidArgument(f"layers[{i}] is a {type(layer).__name__}, not Dense or Conv2d")
    if not isinstance(layer.activation, Activation):
        raise InvalidArgument(f"layers[{i}].activation must be an Activation")
    _check_tensor(f"weights[{i}]", layer.weight, 2 if layer.kind == "dense" else 4, ref)
    if layer.bias is not None:
        _check_tensor(f"biases[{i}]", layer.bias, 1, ref)
        if layer.bias.shape[0] != layer.weight.shape[0]:
            raise InvalidArgument(
                f"biases[{i}] has shape {tuple(layer.bias.shape)}; expected "
                f"({layer.weight.shape[0]},)"
            )
    if layer.kind == "conv2d":
        for name in ("stride", "padding"):
            v = getattr(layer, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (name == "stride"):
                raise InvalidArgument(f"layers[{i}].{name}={v!r} must be an integer >= 0")


@dataclass(frozen=True)
class Network:
    """Layers in order; `input_shape` is `(d_0,)` for a dense network (filled in) and
    `(c, H, W)` for one that starts with a convolution (None when unknown: shapes are then
    checked at the first forward pass)."""

    layers: tuple[Layer, ...]
    input_shape: tuple[int, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        layers = as_tuple("layers", self.layers, "a list of Dense or Conv2d layers")
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise InvalidArgument("layers is empty: a network needs at least one layer")
        if not isinstance(layers[0], (Dense, Conv2d)):
            raise InvalidArgument(f"layers[0] is a {type(layers[0]).__name__}, not a layer")
        ref = layers[0].weight
        for i, layer in enumerate(layers):
            _check_layer(i, layer, ref)
        shape = self.input_shape
        if shape is None and layers[0].kind == "dense":
            shape = (layers[0].d_in,)
        if shape is not None:
            shape = as_tuple("input_shape", shape, "a list of positive integers")
            if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape):
                raise InvalidArgument(f"input_shape={list(shape)} must be positive integers")
            object.__setattr__(self, "input_shape", shape)
        self._check_chain(shape)

    def _check_chain(self, shape: tuple[int, ...] | None) -> None:
        """Each layer's input size is its predecessor's output size (flattened before a dense
        layer); `shape` is the input shape, None if unknown."""
        for i, layer in enumerate(self.layers):
            if layer.kind == "conv2d":
                if shape is not None and len(shape) != 3:
                    raise InvalidArgument(
                        f"weights[{i}] is a convolution but its input has shape {shape}; "
                        "a convolution reads (channels, height, width)"
                    )
                if shape is not None and shape[0] != layer.weight.shape[1]:
                    raise InvalidArgument(
                        f"weights[{i}] has shape {tuple(layer.weight.shape)} but its input has "
                        f"{shape[0]} channels; expected c_in = {shape[0]}"
                    )
                shape = None if shape is None else layer.output_shape(shape)
                if shape is not None and min(shape) < 1:
                    raise InvalidArgument(f"weights[{i}]: the kernel is larger than its input")
                continue
            d_in = None if shape is None else math.prod(shape)
            if d_in is not None and layer.d_in != d_in:
                raise InvalidArgument(
                    f"weights[{i}] has shape {tuple(layer.weight.shape)} but its input has "
                    f"{d_in} features; expected d_in = {d_in}"
                )
            shape = (layer.d_out,)

    @classmethod
    def dense(
        cls,
        weights: Sequence[torch.Tensor],
        *,
        biases: Sequence[torch.Tensor | None] | None = None,
        activation: Activation = RELU,
    ) -> Network:
        """A dense network from weight matrices `(d_out, d_in)` (and optional biases):
        `activation` between layers, none after the last."""
        weights = tuple(weights)
        if not weights:
            raise InvalidArgument("weights is empty: a network needs at least one layer")
        biases = (None,) * len(weights) if biases is None else tuple(biases)
        if len(biases) != len(weights):
            raise InvalidArgument(f"biases has {len(biases)} entries; weights has {len(weights)}")
        last = len(weights) - 1
        return cls(
            tuple(
                Dense(w, b, activation if i < last else IDENTITY)
                for i, (w, b) in enumerate(zip(weights, biases, strict=True))
            )
        )

    # ---- shape facts -------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of layers (linear maps)."""
        return len(self.layers)

    @property
    def weights(self) -> tuple[torch.Tensor, ...]:
        return tuple(layer.weight for layer in self.layers)

    @property
    def biases(self) -> tuple[torch.Tensor | None, ...]:
        return tuple(layer.bias for layer in self.layers)

    @property
    def activations(self) -> tuple[Activation, ...]:
        return tuple(layer.activation for layer in self.layers)

    @property
    def is_dense(self) -> bool:
        return all(layer.kind == "dense" for layer in self.layers)

    @property
    def widths(self) -> tuple[int, ...]:
        """`(d_0, d_1, ..., d_l)` of a dense network: input width, then each layer's output."""
        if not self.is_dense:
            raise InvalidArgument("widths: the network has convolutions; use input_shape")
        return (self.layers[0].d_in, *(layer.d_out for layer in self.layers))

    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """`(input shape, each layer's output shape)`: `(c, H, W)` around convolutions,
        `(d,)` around dense layers; needs `input_shape` (InvalidArgument if unknown)."""
        if self.input_shape is None:
            raise InvalidArgument(
                "input_shape is unknown: a network that starts with a convolution needs its "
                "input shape (c, H, W) (--input-shape C,H,W)"
            )
        out = [self.input_shape]
        for layer in self.layers:
            shape = out[-1]
            out.append(layer.output_shape(shape) if layer.kind == "conv2d" else (layer.d_out,))
        return tuple(out)

    @property
    def feature_widths(self) -> tuple[int, ...]:
        """Features (entries) of the input and of each layer's output, flattened: `widths` for
        a dense network; `c·H·W` around a convolution. Each layer is a linear map between
        consecutive entries."""
        return tuple(math.prod(s) for s in self.shapes())

    @property
    def n_params(self) -> int:
        """Weights and biases."""
        return sum(
            t.numel() for layer in self.layers for t in (layer.weight, layer.bias) if t is not None
        )

    @property
    def device(self) -> torch.device:
        return self.layers[0].weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.layers[0].weight.dtype

    # ---- computation -------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x` `(batch, *input_shape)` -> `(batch, *output shape)`."""
        if self.input_shape is not None and tuple(x.shape[1:]) != self.input_shape:
            raise InvalidArgument(
                f"x has shape {tuple(x.shape)}; expected (batch, "
                f"{', '.join(map(str, self.input_shape))})"
            )
        h = x
        for layer in self.layers:
            if layer.kind == "dense" and h.ndim > 2:
                h = h.flatten(1)  # (batch, c·H·W), as nn.Flatten
            h = layer.activation(layer.linear(h))
        return h

    __call__ = forward

    def spectral_norms(self) -> tuple[float, ...]:
        """`||W_i||_2` of each layer of a dense network (largest singular value, in float64)."""
        if not self.is_dense:
            raise InvalidArgument("spectral_norms: defined here for dense layers only")
        return tuple(float(torch.linalg.matrix_norm(w.double(), ord=2)) for w in self.weights)

    def with_weights(self, weights: Sequence[torch.Tensor]) -> Network:
        """The same layers (biases, activations, strides) with other weights."""
        weights = tuple(weights)
        if len(weights) != self.depth:
            raise InvalidArgument(f"weights has {len(weights)} entries; the network {self.depth}")
        layers = tuple(
            type(layer)(**{**_fields(layer), "weight": w})
            for layer, w in zip(self.layers, weights, strict=True)
        )
        return Network(layers, self.input_shape)

    def with_biases(self, biases: Sequence[torch.Tensor | None]) -> Network:
        """The same layers with other biases (None: no bias)."""
        biases = tuple(biases)
        if len(biases) != self.depth:
            raise InvalidArgument(f"biases has {len(biases)} entries; the network {self.depth}")
        layers = tuple(
            type(layer)(**{**_fields(layer), "bias": b})
            for layer, b in zip(self.layers, biases, strict=True)
        )
        return Network(layers, self.input_shape)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None):
        def move(t):
            return None if t is None else t.to(device=device, dtype=dtype)

        layers = tuple(
            type(layer)(
                **{**_fields(layer), "weight": move(layer.weight), "bias": move(layer.bias)}
            )
            for layer in self.layers
        )
        return Network(layers, self.input_shape)


def _fields(layer: Layer) -> dict:
    if layer.kind == "dense":
        return {"weight": layer.weight, "bias": layer.bias, "activation": layer.activation}
    return {
        "weight": layer.weight,
        "bias": layer.bias,
        "activation": layer.activation,
        "stride": layer.stride,
        "padding": layer.padding,
    }
