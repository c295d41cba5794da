"""Convolutional targets in a sweep: the `[runs]` keys that give one, checked, and the target
a grid point names, rebuilt in the worker.

A `[runs]` table gives its targets in one of three ways: dense `widths` (or `width` x `depth`,
`approx.experiments.axes.target_shapes`), or one of

- `target = "lenet.pt"` (or a list of paths): a file `torch.save` wrote (an `nn.Sequential` or
  a state dict; `approx.basics.loading.load_network`), with `input_shape = [c, H, W]`. The
  point records the file's SHA-256, so an edited file is a new point, never a stale row.
- `conv = [2, 2]` (or a list of such lists): a random CNN of stride-1 `kernel`×`kernel`
  convolutions with these output channels (`kernel`, default 3, and `padding`, default 0, are
  axes too), then `dense = [d, ...]` dense layers after a flatten (optional), on
  `input_shape = [c, H, W]`: `approx.basics.sampling.random_conv_target` (kernels scaled to
  ℓ1 norm 1), drawn from the point's seed like a random dense target.

A point's `target` is a JSON dict (`{"file", "sha256", "input_shape"}` or `{"input_shape",
"channels", "kernel", "padding", "dense"}`) and its `widths` the target's flattened feature
counts `c·H·W` (the widths a run reports). Every key is checked when the file is read, each
target built once there (a generated one from seed 0: its shapes do not depend on the seed),
and a construction that does not cover a target is refused naming both.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import torch

from ..basics.errors import InvalidArgument
from ..basics.loading import load_network
from ..basics.network import Network
from ..basics.sampling import random_conv_target, spawn_seeds
from ..constructions import CONSTRUCTIONS
from .axes import as_list, ints, shown

CONV_KEYS = {"target", "conv", "kernel", "padding", "dense", "input_shape"}
_GENERATED_ONLY = ("kernel", "padding", "dense")


def _input_shape(table: dict) -> list[int]:
    if "input_shape" not in table:
        raise InvalidArgument("input_shape= [c, H, W] is needed with target= or conv=")
    raw = table["input_shape"]
    shape = ints("input_shape", raw) if isinstance(raw, list) else []
    if len(shape) != 3:
        raise InvalidArgument(
            f"input_shape={shown(raw)} must be one list [c, H, W] of integers >= 1"
        )
    return shape


def _lists(name: str, raw: Any, minimum: int) -> list[list[int]]:
    """One list of integers, or a list of them (an axis)."""
    if not isinstance(raw, list) or not raw:
        raise InvalidArgument(f"{name}={shown(raw)} must be a non-empty list (or a list of lists)")
    nested = any(isinstance(v, list) for v in raw)
    return [ints(name, v, minimum) for v in raw] if nested else [ints(name, raw, minimum)]


def _file_spec(path: Any, shape: list[int]) -> dict:
    if not isinstance(path, str) or not path:
        raise InvalidArgument(f"target={shown(path)} must be a path string (or a list of them)")
    file = Path(path)
    if file.exists() and not file.is_file() and not file.is_dir():  # /dev/zero never ends
        raise InvalidArgument(f"target={path!r} is not a regular file (a device or pipe?)")
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError as e:
        raise InvalidArgument(f"target={path!r} cannot be read: {e.strerror}") from None
    return {"file": path, "sha256": digest, "input_shape": shape}


def conv_target_specs(table: dict) -> list[dict]:
    """The target axis of a `[runs]` table that gives `target=` or `conv=`: one JSON dict per
    target (module docstring), checked."""
    given = [k for k in ("target", "conv", "widths", "width", "depth") if k in table]
    if len(given) > 1 and ("target" in given or "conv" in given):
        raise InvalidArgument(f"give the target one way: {given} are exclusive")
    shape = _input_shape(table)
    if "target" in table:
        extra = [k for k in _GENERATED_ONLY if k in table]
        if extra:
            raise InvalidArgument(f"{extra} describe a generated target (conv=), not target=")
        return [_file_spec(p, shape) for p in as_list("target", table["target"])]
    channels = _lists("conv", table["conv"], 1)
    dense = _lists("dense", table["dense"], 1) if "dense" in table else [[]]
    return [
        {"input_shape": shape, "channels": c, "kernel": k, "padding": p, "dense": d}
        for c, k, p, d in itertools.product(
            channels,
            ints("kernel", table.get("kernel", 3)),
            ints("padding", table.get("padding", 0), minimum=0),
            dense,
        )
    ]


def build_conv_target(spec: dict, seed: int) -> Network:
    """The target of a point: the file (refused if its SHA-256 changed since the grid was
    made) or the random CNN drawn from `seed`'s target stream (`spawn_seeds(seed, 3)[0]`, the
    stream a random dense target of `approx.pipeline.run.run` is drawn from)."""
    if "file" in spec:
        data = Path(spec["file"]).read_bytes() if Path(spec["file"]).is_file() else b""
        if hashlib.sha256(data).hexdigest() != spec["sha256"]:
            raise InvalidArgument(
                f"target={spec['file']!r} changed (or vanished) since the sweep's grid was "
                "made: its SHA-256 differs; rerun the sweep config"
            )
        return load_network(spec["file"], input_shape=spec["input_shape"])
    gen = torch.Generator().manual_seed(spawn_seeds(seed, 3)[0])
    return random_conv_target(
        tuple(spec["input_shape"]),
        tuple(spec["channels"]),
        generator=gen,
        kernel=spec["kernel"],
        padding=spec["padding"],
        dense=tuple(spec["dense"]),
    )


def checked_conv_targets(
    table: dict, names: list[str], *, every: bool
) -> tuple[list[tuple[dict, list[int]]], list[str]]:
    """(spec, feature widths) per target of the table, each built once, and the constructions
    to run on them: `names`, each checked to cover every target (`check_structure`), or with
    `every` (construction = "all") those of `names` that cover them all."""
    targets, nets = [], []
    for spec in conv_target_specs(table):
        what = f"target={spec['file']!r}" if "file" in spec else f"conv={spec['channels']}"
        try:
            net = build_conv_target(spec, 0)
        except InvalidArgument as e:
            raise InvalidArgument(f"{what}: {e}") from None
        targets.append((spec, list(net.feature_widths)))
        nets.append((what, net))
    kept = []
    for name in names:
        problems = [
            (what, v[0]) for what, net in nets if (v := CONSTRUCTIONS[name].check_structure(net))
        ]
        if not problems:
            kept.append(name)
        elif not every:
            what, v = problems[0]
            raise InvalidArgument(
                f"{what}: construction {name!r} does not cover layer {v.layer} ({v.message})"
            )
    if not kept:
        raise InvalidArgument("construction='all': no construction covers these targets")
    return targets, kept
