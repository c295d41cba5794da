"""Bias-free ReLU networks as immutable tuples of weight tensors.

`f(x) = W_l σ(W_{l-1} … σ(W_1 x))`: weights are `(d_out, d_in)` like torch, depth is the number
of linear maps, and there is a ReLU between consecutive maps but none after the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .errors import InvalidArgument, check_finite

# The only classes a target file may name besides tensors: the layers some construction can
# load. Anything else in a pickle (a `__reduce__` that calls a function, a custom class) is
# refused by torch's weights-only unpickler before it is built.
SAFE_MODULE_CLASSES: tuple[type[nn.Module], ...] = (nn.Sequential, nn.Linear, nn.ReLU)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass(frozen=True)
class ReLUNet:
    """A bias-free ReLU network; `weights[i]` has shape `(d_{i+1}, d_i)`.

    All weights share one device and dtype. Construction validates shapes (each layer's input
    width is the previous layer's output width) and finiteness.
    """

    weights: tuple[torch.Tensor, ...]

    def __post_init__(self) -> None:
        weights = tuple(self.weights)
        object.__setattr__(self, "weights", weights)
        if not weights:
            raise InvalidArgument("weights is empty: a network needs at least one layer")
        for i, w in enumerate(weights):
            if not isinstance(w, torch.Tensor):
                raise InvalidArgument(f"weights[{i}] is a {type(w).__name__}, not a torch.Tensor")
            if w.ndim != 2:
                raise InvalidArgument(
                    f"weights[{i}] has shape {tuple(w.shape)}; expected (d_out, d_in)"
                )
            if not w.is_floating_point():
                raise InvalidArgument(f"weights[{i}] has dtype {w.dtype}; expected a float dtype")
            if w.device != weights[0].device or w.dtype != weights[0].dtype:
                raise InvalidArgument(
                    f"weights[{i}] is {w.dtype} on {w.device} but weights[0] is "
                    f"{weights[0].dtype} on {weights[0].device}; all layers must match"
                )
            if min(w.shape) == 0:
                raise InvalidArgument(f"weights[{i}] has shape {tuple(w.shape)}: a zero width")
            check_finite(f"weights[{i}]", w)
        for i in range(1, len(weights)):
            if weights[i].shape[1] != weights[i - 1].shape[0]:
                raise InvalidArgument(
                    f"weights[{i}] has shape {tuple(weights[i].shape)} but weights[{i - 1}] "
                    f"outputs {weights[i - 1].shape[0]} features; expected d_in = "
                    f"{weights[i - 1].shape[0]}"
                )

    # ---- shape facts -------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of linear maps."""
        return len(self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """`(d_0, d_1, ..., d_l)`: input width, then each layer's output width."""
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    @property
    def n_params(self) -> int:
        return sum(w.numel() for w in self.weights)

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    @property
    def dtype(self) -> torch.dtype:
        return self.weights[0].dtype

    # ---- computation -------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x` `(batch, d_0)` -> `(batch, d_l)`."""
        if x.ndim != 2 or x.shape[1] != self.widths[0]:
            raise InvalidArgument(
                f"x has shape {tuple(x.shape)}; expected (batch, {self.widths[0]})"
            )
        h = x
        for i, w in enumerate(self.weights):
            h = h @ w.T  # (batch, d_{i+1})
            if i < self.depth - 1:
                h = torch.relu(h)
        return h

    __call__ = forward

    def spectral_norms(self) -> tuple[float, ...]:
        """`||W_i||_2` of each layer (largest singular value)."""
        return tuple(float(torch.linalg.matrix_norm(w, ord=2)) for w in self.weights)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None):
        return ReLUNet(tuple(w.to(device=device, dtype=dtype) for w in self.weights))

    # ---- conversion --------------------------------------------------------------------
    @classmethod
    def from_module(cls, module: nn.Module, *, dtype: torch.dtype | None = None) -> ReLUNet:
        """From an `nn.Sequential` of bias-free `nn.Linear` layers separated by `nn.ReLU`.

        The pattern must be exactly Linear (ReLU Linear)*: no ReLU after the last layer, no
        biases (a bias set to all zeros is accepted), no other module types.
        """
        if isinstance(module, nn.Linear):
            module = nn.Sequential(module)
        if not isinstance(module, nn.Sequential):
            raise InvalidArgument(
                f"module is a {type(module).__name__}; expected nn.Sequential of Linear/ReLU"
            )
        layers = list(module)
        weights = []
        for pos, layer in enumerate(layers):
            want_linear = pos % 2 == 0
            if want_linear and not isinstance(layer, nn.Linear):
                raise InvalidArgument(
                    f"module[{pos}] is {type(layer).__name__}; expected nn.Linear "
                    "(layers must alternate Linear, ReLU, Linear, …)"
                )
            if not want_linear and not isinstance(layer, nn.ReLU):
                raise InvalidArgument(
                    f"module[{pos}] is {type(layer).__name__}; expected nn.ReLU "
                    "(only ReLU activations are supported)"
                )
            if want_linear:
                if layer.bias is not None and bool(torch.any(layer.bias != 0)):
                    raise InvalidArgument(
                        f"module[{pos}] has a non-zero bias; the constructions here are for "
                        "bias-free networks (use nn.Linear(..., bias=False))"
                    )
                w = layer.weight.detach().clone()
                weights.append(w if dtype is None else w.to(dtype))
        if not layers or len(layers) % 2 == 0:
            raise InvalidArgument(
                "module must start and end with nn.Linear (no ReLU after the last layer)"
            )
        return cls(tuple(weights))

    def to_module(self) -> nn.Sequential:
        """The same network as an `nn.Sequential` of bias-free Linear and ReLU layers."""
        layers: list[nn.Module] = []
        for i, w in enumerate(self.weights):
            lin = nn.Linear(w.shape[1], w.shape[0], bias=False, device=w.device, dtype=w.dtype)
            with torch.no_grad():
                lin.weight.copy_(w)
            layers.append(lin)
            if i < self.depth - 1:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    @classmethod
    def from_state_dict(cls, state: dict, *, dtype: torch.dtype | None = None) -> ReLUNet:
        """From a state dict of a Linear/ReLU Sequential: keys `"<idx>.weight"` (and zero
        `"<idx>.bias"`), taken in index order."""
        weight_keys = [k for k in state if k.endswith("weight")]
        other = [k for k in state if not k.endswith(("weight", "bias"))]
        if other:
            raise InvalidArgument(f"state dict has unsupported entries {other[:3]}")
        for k in state:
            if k.endswith("bias") and bool(torch.any(torch.as_tensor(state[k]) != 0)):
                raise InvalidArgument(f"state dict entry {k!r} is a non-zero bias; unsupported")
        if not weight_keys:
            raise InvalidArgument("state dict has no '*.weight' entries")

        def order(key: str) -> tuple:
            head = key.rsplit(".", 1)[0]
            return tuple(int(p) if p.isdigit() else p for p in head.split("."))

        weights = [
            torch.as_tensor(state[k]).detach().clone() for k in sorted(weight_keys, key=order)
        ]
        if dtype is not None:
            weights = [w.to(dtype) for w in weights]
        return cls(tuple(weights))

    @classmethod
    def load(cls, path: str | Path, *, dtype: torch.dtype | None = torch.float64) -> ReLUNet:
        """From a file written by `torch.save`: an `nn.Sequential`, a state dict, or a list of
        weight tensors `[W_1, ..., W_l]`. Converted to `dtype` (float64 by default)."""
        path = Path(path)
        if not path.is_file():
            raise InvalidArgument(f"target={str(path)!r} is not a file")
        try:
            # weights_only=True refuses every global outside torch's tensor types and the
            # module classes allowed here, so a crafted pickle cannot run code. There is no
            # fallback to full unpickling.
            with torch.serialization.safe_globals(list(SAFE_MODULE_CLASSES)):
                obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise InvalidArgument(
                f"target={str(path)!r} could not be read safely by torch.load "
                f"(weights_only=True): {_first_line(e)}; save a state dict "
                "(torch.save(model.state_dict(), path)) or a list of weight tensors"
            ) from None
        if isinstance(obj, nn.Module):
            return cls.from_module(obj, dtype=dtype)
        if isinstance(obj, dict):
            return cls.from_state_dict(obj, dtype=dtype)
        if isinstance(obj, Sequence) and all(isinstance(w, torch.Tensor) for w in obj):
            ws = tuple(w if dtype is None else w.to(dtype) for w in obj)
            return cls(ws)
        raise InvalidArgument(
            f"target={str(path)!r} holds a {type(obj).__name__}; expected an nn.Sequential, "
            "a state dict, or a list of weight tensors"
        )
