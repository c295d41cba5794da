"""da Cunha, Natale, Viennot 2022 — "Proving the lottery ticket hypothesis for convolutional
neural networks", ICLR 2022 (OpenReview Vjki79-619-), main theorem.

Target: a CNN `f(X) = K_l * σ(… σ(K_1 * X))` (stride 1, zero padding, no biases, ReLU between
layers), kernels `K_i` `(c_i, c_{i-1}, d_i, d_i)` with `||K_i||_1 ≤ 1` (entrywise, over the
whole kernel) [recalled: the paper's text was not available to us, docs/cnn.md], inputs
`X ∈ [−1, 1]^{c_0 × H × W}` (max-norm), error in max-norm.
Random network: depth 2l, i.i.d. Uniform[−1, 1]; for target layer i

    1×1 convolution c_{i-1} -> 2·n_i·c_{i-1} channels, ReLU, then
    d_i×d_i convolution 2·n_i·c_{i-1} -> c_i channels (the target's padding),
    n_i = C · ln(d_i² · c_{i-1} · c_i · l / min(ε, δ))                              (width)

The paper states `n_i = O(log(d_i² c_{i-1} c_i l / ε))` and gives no constant; C is explicit
here and its default is Pensia's calibration carried over (`approx.basics.defaults.C`): a
dense layer is a 1×1 convolution on a 1×1 image, where both formulas agree.

Construction (Pensia et al.'s half lines, one per input channel): intermediate channels
`j·2n … (j+1)·2n − 1` serve input channel j and keep only their 1×1 weight `a` from channel j;
channel u then carries `σ(a_u h_j)`, i.e. `a_u σ(h_j)` for `a_u > 0` and `|a_u| σ(−h_j)` for
`a_u < 0`. Kernel entry `K[t, j, p, q]` has the 2n candidate products `b[t, (j,u), p, q] · a_u`;
output channel t keeps, per kernel position, the subset of j's positive units whose products
sum closest to `K[t, j, p, q]`, and likewise for the negative units. Every kernel entry is two
subset-sum instances, all of a layer solved in one batch; the realised layer is
`h ↦ P * σ(h) − N * σ(−h)` with kernels `P ≈ K ≈ N` (`HalfLineLayer` with 4-d P, N).
A dense layer of the target (after a flatten) gets Pensia et al.'s pair of dense layers.

Also covered (ours): rectangular kernels and zero padding (σ(0) = 0, so the padded zeros pass
the 1×1 layer unchanged). Not covered: strides other than 1, biases, pooling, other
activations (refused, naming the layer).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_open_unit, check_positive_number
from ..basics.masks import Masks
from ..basics.network import IDENTITY, RELU, Conv2d, Dense, Network
from ..basics.safe_math import ceil_count, log_ratio
from ..basics.sampling import sample_weights
from ..basics.tensor_checks import rounding_slack
from .base import HalfLineLayer, Pruned, RowMethods, Theorem, Violation
from .layout import dense_relu_violations, unit_input_weights
from .pensia import Pensia

__all__ = ["CNN", "CNN_CONSTRUCTION", "LayerSpec", "cnn_samples_per_weight"]


@dataclass(frozen=True)
class LayerSpec:
    """One target layer's geometry: `kind` "conv2d" or "dense", input channels (features),
    output channels (features), kernel size (1×1 for dense), zero padding, and the layer's
    input shape `(c, H, W)` or `(d,)`."""

    kind: str
    c_in: int
    c_out: int
    kernel: tuple[int, int]
    padding: int
    in_shape: tuple[int, ...]

    def out_shape(self) -> tuple[int, ...]:
        if self.kind == "dense":
            return (self.c_out,)
        _, h, w = self.in_shape
        kh, kw = self.kernel
        return (self.c_out, h + 2 * self.padding - kh + 1, w + 2 * self.padding - kw + 1)


def layer_specs(target: Network) -> tuple[LayerSpec, ...]:
    """The geometry of each layer of `target` (its input shape must be known)."""
    shapes = target.shapes()
    out = []
    for layer, shape in zip(target.layers, shapes, strict=False):
        if layer.kind == "dense":
            out.append(LayerSpec("dense", layer.d_in, layer.d_out, (1, 1), 0, (layer.d_in,)))
        else:
            c_out, c_in, kh, kw = layer.weight.shape
            out.append(LayerSpec("conv2d", c_in, c_out, (kh, kw), layer.padding, tuple(shape)))
    return tuple(out)


def dense_specs(widths: tuple[int, ...]) -> tuple[LayerSpec, ...]:
    return tuple(LayerSpec("dense", a, b, (1, 1), 0, (a,)) for a, b in itertools.pairwise(widths))


def cnn_samples_per_weight(
    specs: tuple[LayerSpec, ...], eps: float, delta: float, C: float = defaults.C["cnn"]
) -> tuple[int, ...]:
    """`n_i = ⌈C · ln(k_h k_w · c_{i-1} · c_i · l / min(ε, δ))⌉` per target layer (natural
    log; a dense layer is `k_h = k_w = 1`, Pensia et al.'s formula)."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_number("C", C)
    depth = len(specs)
    return tuple(
        ceil_count(
            C * log_ratio(math.prod(s.kernel) * s.c_in * s.c_out * depth, min(eps, delta)),
            eps=eps,
            delta=delta,
            C=C,
        )
        for s in specs
    )


class CNN(Pensia):
    name = "cnn"
    default_C = defaults.C["cnn"]  # Pensia's calibration carried over; the paper gives none
    theorem = Theorem(
        citation="da Cunha, Natale, Viennot 2022, ICLR (SLTH for CNNs), main theorem",
        statement=(
            "w.p. >= 1-delta over a depth-2l Uniform[-1,1] CNN (1x1 then kxk convolutions), "
            "every target CNN with ||K_i||_1 <= 1 has a subnetwork g with "
            "sup_{||X||_max<=1} ||f(X)-g(X)||_max <= eps"
        ),
        width=(
            "1x1 conv to 2*n_i*c_{i-1} channels, then the kxk conv; "
            "n_i = C*log(k^2*c_{i-1}*c_i*l/min(eps,delta))"
        ),
    )

    # the theorem bounds inputs and error in max-norm: runs also report that error
    # (approx.measurement.max_norm) next to the l2 one
    max_norm_error = True

    def __init__(self, specs: tuple[LayerSpec, ...] | None = None) -> None:
        self.specs = specs  # None: a dense target, described by its widths

    @property
    def difference_form(self) -> bool:
        """Whether a run searches the exact difference form of the realised layers (a dense
        target: its stored sums) rather than the masked random network (convolutions)."""
        return self.specs is None

    def for_target(self, target: Network) -> CNN:
        """A copy that knows `target`'s layer geometry (kernels, channels, input shape)."""
        return CNN(None if target.is_dense else layer_specs(target))

    def _specs(self, widths: tuple[int, ...]) -> tuple[LayerSpec, ...]:
        if self.specs is None:
            return dense_specs(widths)
        flat = (math.prod(self.specs[0].in_shape), *(math.prod(s.out_shape()) for s in self.specs))
        if tuple(widths) != flat:
            raise InvalidArgument(
                f"target widths {list(widths)} do not match the target this construction was "
                f"configured for ({list(flat)})"
            )
        return self.specs

    # ---- what the theorem covers -------------------------------------------------------
    def check_structure(self, target: Network) -> list[Violation]:
        out = []
        for v in dense_relu_violations(target, self.name):
            if "is a convolution" not in v.message:
                out.append(v)
        for i, layer in enumerate(target.layers, start=1):
            if layer.kind == "conv2d" and layer.stride != 1:
                out.append(
                    Violation(
                        i,
                        f"layer {i} ({layer.describe()}) has stride {layer.stride}; "
                        f"{self.name} covers stride 1",
                    )
                )
        return sorted(out, key=lambda v: v.layer)

    def check_target(self, target: Network) -> list[Violation]:
        out = []
        for i, layer in enumerate(target.layers, start=1):
            w = layer.weight
            slack = rounding_slack(w.dtype, w.numel())
            if layer.kind == "conv2d":
                norm, what = float(w.double().abs().sum()), "l1 norm (sum of |entries|)"
            else:
                norm, what = float(torch.linalg.matrix_norm(w.double(), ord=2)), "spectral norm"
            if norm > 1 + slack:
                out.append(
                    Violation(
                        i,
                        f"layer {i} has {what} {norm:.12g} > 1 (+ {slack:.2g} allowed for "
                        f"{str(w.dtype).removeprefix('torch.')} rounding)",
                    )
                )
        return out

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        out = []
        for layer in target.layers:
            w = layer.weight.double()
            s = float(
                w.abs().sum() if layer.kind == "conv2d" else torch.linalg.matrix_norm(w, ord=2)
            )
            out.append(1 / s if s > 1 + 1e-9 else 1.0)
        return tuple(out)

    # ---- sizes ---------------------------------------------------------------------------
    def size(self, target_widths, eps, delta, C):
        return cnn_samples_per_weight(self._specs(tuple(target_widths)), eps, delta, C)

    def random_widths(self, target_widths, n):
        """Flattened features `c·H·W` between the random layers (widths for dense layers)."""
        widths = [target_widths[0]]
        for s, n_i in zip(self._specs(tuple(target_widths)), n, strict=True):
            hw = math.prod(s.in_shape[1:]) if s.kind == "conv2d" else 1
            widths += [2 * n_i * s.c_in * hw, math.prod(s.out_shape())]
        return tuple(widths)

    def random_layer_params(self, target_widths, n) -> tuple[int, ...]:
        """Weights of each random layer (the 1×1 then the k×k one per target layer)."""
        out = []
        for s, n_i in zip(self._specs(tuple(target_widths)), n, strict=True):
            out += [2 * n_i * s.c_in * s.c_in, s.c_out * 2 * n_i * s.c_in * math.prod(s.kernel)]
        return tuple(out)

    def random_layer_work(self, target_widths, n) -> tuple[int, ...]:
        """Numbers per input row that a forward pass of each random layer holds at once: its
        input, its output twice (before and after the activation) and, for a k×k convolution
        (k > 1 or padding), the unfolded input `c_in·k_h·k_w` per output pixel (CPU
        convolutions go through im2col; a 1×1 one without padding reads its input in place).
        For the memory estimate (`approx.pipeline.estimate`)."""
        out = []
        for s, n_i in zip(self._specs(tuple(target_widths)), n, strict=True):
            hidden = 2 * n_i * s.c_in
            pixels = math.prod(s.in_shape[1:]) if s.kind == "conv2d" else 1
            out_size = math.prod(s.out_shape())
            columns = 0
            if s.kind == "conv2d" and (math.prod(s.kernel) > 1 or s.padding):
                columns = hidden * math.prod(s.kernel) * math.prod(s.out_shape()[1:])
            # input, pre-activation and activation (both alive at once), unfolded input
            out += [s.c_in * pixels + 2 * hidden * pixels, hidden * pixels + 2 * out_size + columns]
        return tuple(out)

    def target_layer_work(self, target_widths) -> tuple[int, ...]:
        """As `random_layer_work`, for the target's own layers (evaluated beside the random
        network on every point of the empirical search)."""
        out = []
        for s in self._specs(tuple(target_widths)):
            size, out_size = math.prod(s.in_shape), math.prod(s.out_shape())
            columns = 0
            if s.kind == "conv2d" and (math.prod(s.kernel) > 1 or s.padding):
                columns = s.c_in * math.prod(s.kernel) * math.prod(s.out_shape()[1:])
            out.append(size + 2 * out_size + columns)
        return tuple(out)

    def target_layer_params(self, target_widths) -> tuple[int, ...]:
        """Weights of each target layer: `c_i · c_{i-1} · k_h k_w` (`d_i · d_{i-1}` dense)."""
        return tuple(
            s.c_out * s.c_in * math.prod(s.kernel) for s in self._specs(tuple(target_widths))
        )

    def random_params(self, target_widths, n) -> int:
        """Weights of the random network, per layer `2n c_{i-1}² + c_i · 2n c_{i-1} · k_h k_w`."""
        return sum(self.random_layer_params(target_widths, n))

    # ---- sample and prune ------------------------------------------------------------------
    def sample(self, target_widths, n, *, generator, device="cpu", dtype=torch.float64):
        """The whole random network, drawn up front layer by layer (1×1 then k×k weights; for
        a dense target the same draws as Pensia's)."""
        specs = self._specs(tuple(target_widths))
        layers = []
        for i, (s, n_i) in enumerate(zip(specs, n, strict=True)):
            hidden = 2 * n_i * s.c_in
            last = IDENTITY if i == len(specs) - 1 else RELU
            if s.kind == "dense":
                shapes = ((hidden, s.c_in), (s.c_out, hidden))
            else:
                shapes = ((hidden, s.c_in, 1, 1), (s.c_out, hidden, *s.kernel))
            w1, w2 = (
                sample_weights(shape, generator=generator, device=device, dtype=dtype)
                for shape in shapes
            )
            if s.kind == "dense":
                layers += [Dense(w1, activation=RELU), Dense(w2, activation=last)]
            else:
                layers += [
                    Conv2d(w1, activation=RELU),
                    Conv2d(w2, activation=last, padding=s.padding),
                ]
        return Network(tuple(layers), specs[0].in_shape)

    def prune(self, target, random_net, *, solver="exact", tolerance=None, prefix_tolerance=None):
        if random_net.depth != 2 * target.depth:
            raise InvalidArgument(
                f"random_net has depth {random_net.depth}; the {self.name} construction needs "
                f"2 x target depth = {2 * target.depth}"
            )
        masks, layers, rows = [], [], []
        for i, layer in enumerate(target.layers):
            prune_layer = self.prune_dense_layer if layer.kind == "dense" else self.prune_conv_layer
            mask1, mask2, realised, how = prune_layer(
                target,
                i,
                random_net.weights[2 * i],
                random_net.weights[2 * i + 1],
                solver=solver,
                tolerance=tolerance,
                prefix_tolerance=prefix_tolerance,
            )
            masks += [mask1, mask2]
            layers.append(realised)
            rows.append(how)
        return Pruned(
            masks=Masks(tuple(masks)),
            layers=tuple(layers),
            n_instances=2 * sum(w.numel() for w in target.weights),
            search=self.describe_search(solver, tolerance),
            row_methods=None if None in rows else tuple(rows),
        )

    def prune_conv_layer(
        self, target, i, m1, m2, *, solver, tolerance, prefix_tolerance
    ) -> tuple[torch.Tensor, torch.Tensor, HalfLineLayer, RowMethods | None]:
        """Conv target layer i from its 1×1 and k×k random layers: every kernel entry two
        subset-sum instances over its input channel's units (one per sign of `a`)."""
        K = target.weights[i]
        c_out, c, kh, kw = K.shape
        hidden = m1.shape[0]
        if m1.shape != (hidden, c, 1, 1) or hidden % (2 * c) or m2.shape != (c_out, hidden, kh, kw):
            raise InvalidArgument(
                f"random_net layers {2 * i + 1},{2 * i + 2} have shapes {tuple(m1.shape)}, "
                f"{tuple(m2.shape)}; not the 1x1-then-kxk layout for a {tuple(K.shape)} kernel"
            )
        n = hidden // (2 * c)
        a = unit_input_weights(m1.reshape(hidden, c), c, n)  # (c, 2n)
        b = m2.reshape(c_out, c, 2 * n, kh, kw)
        products = b * a[None, :, :, None, None]  # (c_out, c, 2n, kh, kw): b·a per candidate
        products = products.permute(0, 1, 3, 4, 2).reshape(c_out, c * kh * kw, 2 * n)
        sign = a[None, :, None, None, :].expand(c_out, c, kh, kw, 2 * n)
        pos = (sign > 0).reshape(c_out, c * kh * kw, 2 * n)
        neg = (sign < 0).reshape(c_out, c * kh * kw, 2 * n)
        chosen, P, N, how = self.match_rows(
            products,
            K.reshape(c_out, c * kh * kw),
            pos,
            neg,
            solver=solver,
            tolerance=tolerance,
            prefix_tolerance=prefix_tolerance,
        )
        chosen = chosen.reshape(c_out, c, kh, kw, 2 * n)
        mask2 = chosen.permute(0, 1, 4, 2, 3).reshape(c_out, hidden, kh, kw)
        # a unit no output channel keeps at any kernel position loses its 1x1 weight too
        mask1 = torch.zeros((hidden, c), dtype=torch.bool, device=m1.device)
        unit_input_weights(mask1, c, n).copy_(chosen.any(dim=(0, 2, 3)))  # view into mask1
        realised = HalfLineLayer(
            P=P.reshape(K.shape), N=N.reshape(K.shape), padding=target.layers[i].padding
        )
        return mask1.reshape(hidden, c, 1, 1), mask2, realised, how


CNN_CONSTRUCTION = CNN()
