"""`approx run`: one target through a construction, the table (or JSON) and optional files."""

from __future__ import annotations

import argparse
import errno
import json
from pathlib import Path

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.files import check_writable_dir, write_files_atomic
from ..basics.loading import load_network
from ..pipeline.export import FILES as EXPORT_FILES
from ..pipeline.export import export_ticket
from ..pipeline.report import format_run
from ..pipeline.result import RunResult
from ..pipeline.run import run
from .common import given, one_or_list

# the files `write_out` writes into --out
OUT_FILES = ("result.json", "error.png", "network.pt")


def _check_apart(out: Path, export: Path) -> None:
    """Refuse --out and --export where one names (or lies inside) a file the other writes: the
    second write would fail after the first had left its files."""
    for flag, path, other, owner, names in (
        ("--export", export, out, "--out", OUT_FILES),
        ("--out", out, export, "--export", EXPORT_FILES),
    ):
        for name in names:
            file = (other / name).resolve()
            if path.resolve() == file or file in path.resolve().parents:
                raise InvalidArgument(
                    f"{flag}={str(path)!r} is (or lies inside) the file {name} that "
                    f"{owner}={str(other)!r} writes; give them apart"
                )


def write_out(result: RunResult, out: Path) -> None:
    """result.json, error.png and network.pt in `out`: all three, or (on any error, e.g. a full
    disk) none of them and no directory this call created."""
    # matplotlib (~0.5 s to import, more with the figure modules) only when a figure is drawn:
    # a run without --out never loads it
    from ..experiments.figures import plot_run

    art = result.artifacts
    network = {
        "target": [w.cpu() for w in art.target.weights],
        "random": [w.cpu() for w in art.random_net.weights],
        "masks": [m.cpu() for m in art.pruned.masks.masks],
        "row_methods": _row_methods(art.pruned.row_methods),
        # added with biases and activations (None where a layer has no bias)
        "target_biases": _cpu(art.target.biases),
        "random_biases": _cpu(art.random_net.biases),
        "bias_masks": _cpu(art.pruned.masks.biases or (None,) * art.random_net.depth),
        "activation": result.activation,
    }
    text = json.dumps(result.to_json(), indent=2) + "\n"
    writers = (
        lambda tmp: tmp.write_text(text, encoding="utf-8"),
        lambda tmp: plot_run(result, tmp),
        lambda tmp: _save_tensors(network, tmp),
    )
    write_files_atomic(out, dict(zip(OUT_FILES, writers, strict=True)))


def _cpu(tensors) -> list:
    return [None if t is None else t.cpu() for t in tensors]


def _row_methods(rows) -> list[dict] | None:
    """Per target layer, how each per-weight instance was solved (docs/outputs.md)."""
    if rows is None:
        return None
    return [
        {
            "names": list(r.names),
            "how": r.how.cpu(),
            "valid": r.valid.cpu(),
            "searched": r.searched.cpu(),
        }
        for r in rows
    ]


def _write_or_refuse(option: str, out: Path, write):
    """`write()`, its OSError (a full disk, an unwritable path) made one line naming `option`:
    the writers leave all their files or none."""
    try:
        return write()
    except OSError as e:
        raise InvalidArgument(
            f"{option}={str(out)!r}: could not write the files ({e.strerror or e}); none "
            "was left there (the result is printed above)"
        ) from None


def _save_tensors(obj, path: Path) -> None:
    """torch.save to a path; its C++ writer reports a full disk as a RuntimeError (and, given
    a Python file object instead, may not report it at all), made an OSError here."""
    try:
        torch.save(obj, path)
    except RuntimeError as e:
        first = (str(e).strip().splitlines() or ["RuntimeError"])[0]
        raise OSError(errno.EIO, f"torch.save failed: {first} (is the disk full?)") from None


def command(args: argparse.Namespace) -> int:
    if args.target is not None and (args.activation is not None or args.bias):
        raise InvalidArgument(
            "--activation and --bias describe a random target (--widths); a --target file "
            "carries its own"
        )
    if args.target is None and args.input_shape is not None:
        raise InvalidArgument("--input-shape describes a --target file's input")
    if args.out is not None:
        check_writable_dir(args.out, "--out")  # before any work: nothing computed is lost
    if args.export is not None:
        check_writable_dir(args.export, "--export")
    if args.out is not None and args.export is not None:
        _check_apart(args.out, args.export)
    # the file's own dtype: the class check allows for its rounding (run converts after)
    target = (
        None
        if args.target is None
        else load_network(args.target, dtype=None, input_shape=args.input_shape)
    )
    widths = None if target is not None else (args.widths or defaults.WIDTHS)
    result = run(
        target,
        widths=widths,
        n=one_or_list(args.n),
        C=args.C,
        rescale=args.rescale,
        weight_tolerance=args.weight_tol,
        progress=not args.quiet,
        density=args.density,
        max_memory_gib=args.max_memory,
        **given(
            eps=args.eps,
            delta=args.delta,
            construction=args.construction,
            solver=args.solver,
            seed=args.seed,
            device=args.device,
            dtype=args.dtype,
            empirical_samples=args.samples,
            ascent_steps=args.ascent_steps,
            activation=args.activation,
            error=args.error,
            sandwich_boxes=args.sandwich_boxes,
        ),
        **({"bias": True} if args.bias else {}),
    )
    # the result first: an output error below must not lose it
    print(json.dumps(result.to_json()) if args.json else format_run(result), flush=True)
    if args.out is not None:
        _write_or_refuse("--out", args.out, lambda: write_out(result, args.out))
        if not args.json:
            print(f"\n  wrote {args.out}/result.json, error.png, network.pt")
    if args.export is not None:
        art = result.artifacts
        written = _write_or_refuse(
            "--export",
            args.export,
            lambda: export_ticket(art.random_net, art.pruned.masks, args.export),
        )
        if not args.json:
            print(f"  wrote {', '.join(str(p) for p in written)}")
    return 0
