"""Is the ticket useful as a model? Size on disk and CPU inference time of six forms of one
run's networks: the target, the whole random network, the masked random network (pruned
weights as zeros, dense), the compacted ticket (dead hidden units removed:
`approx.basics.ticket.compact`), the compacted ticket's weights as torch sparse CSR tensors,
and the random network pruned with torch's `prune.custom_from_mask` (a mask multiplied in on
every call).

    python scripts/ticket_inference.py            # the built-in default run and 100-100-10
    python scripts/ticket_inference.py --full     # adds 784-500-10 at n = 21 (~1 min)
    python scripts/ticket_inference.py --smoke    # the test's setting (seconds)

Every form runs in float32 on one CPU thread (`torch.set_num_threads(1)`: timings that do not
depend on the machine's other load as much), batch 1 and 256, median of 7 repeats of as many
calls as fill ~50 ms. Every form's output is checked against the masked network's. Prints one
Markdown table per network; the last line is one JSON object with every number.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
import warnings

import torch
from torch import nn

from approx import run
from approx.basics import defaults
from approx.basics.loading import network_to_module
from approx.basics.ticket import compact
from approx.cli.common import Parser

SETTINGS = {
    "smoke": [{"widths": (6, 6, 3), "n": 6}],
    "quick": [{"widths": defaults.WIDTHS, "n": None}, {"widths": (100, 100, 10), "n": 10}],
    "full": [
        {"widths": defaults.WIDTHS, "n": None},
        {"widths": (100, 100, 10), "n": 10},
        {"widths": (784, 500, 10), "n": 21},
    ],
}
BATCHES = (1, 256)
TIMING = {"smoke": (1, 0.001), "quick": (7, 0.05), "full": (7, 0.05)}  # repeats, seconds each


class SparseTicket(nn.Module):
    """The compacted ticket with CSR weights: `h ↦ act(W h + b)` by `torch.sparse.mm`."""

    def __init__(self, net):
        super().__init__()
        with warnings.catch_warnings():  # torch calls its CSR support beta on first use
            warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
            self.weights = [w.to_sparse_csr() for w in net.weights]
        self.biases = list(net.biases)
        self.acts = list(net.activations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.T  # (d_in, batch): sparse @ dense
        for w, b, act in zip(self.weights, self.biases, self.acts, strict=True):
            h = torch.sparse.mm(w, h)
            if b is not None:
                h = h + b[:, None]
            h = act(h)
        return h.T


def _bytes(obj) -> int:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.tell()


def _seconds(f, x: torch.Tensor, repeats: int, fill: float) -> float:
    """Median seconds per call over `repeats` repeats of as many calls as fill `fill` s."""
    with torch.no_grad():
        f(x)
        calls, t = 1, 0.0
        while t < fill:
            t0 = time.perf_counter()
            for _ in range(calls):
                f(x)
            t = time.perf_counter() - t0
            calls *= 2
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(calls):
                f(x)
            times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def forms(result) -> dict:
    """name -> (callable, the object whose size on disk is measured, nonzero weights)."""
    art = result.artifacts
    target, net = art.target.to(dtype=torch.float32), art.random_net.to(dtype=torch.float32)
    masks = art.pruned.masks
    small = compact(net, masks)
    masked = masks.apply(net)
    pruned = masks.prune_module(network_to_module(net))
    sparse = SparseTicket(small)
    sparse_state = {"weights": sparse.weights, "biases": sparse.biases}

    def nonzero(n):
        return sum(int((w != 0).sum()) for w in n.weights)

    return {
        "target": (network_to_module(target), network_to_module(target).state_dict(), None),
        "random network": (network_to_module(net), network_to_module(net).state_dict(), None),
        "masked (dense, zeros)": (
            network_to_module(masked),
            network_to_module(masked).state_dict(),
            nonzero(masked),
        ),
        "compacted ticket": (
            network_to_module(small),
            network_to_module(small).state_dict(),
            nonzero(small),
        ),
        "compacted, sparse CSR": (sparse, sparse_state, nonzero(small)),
        "prune.custom_from_mask": (pruned, pruned.state_dict(), masks.n_kept),
    }


def measure(widths, n, timing: tuple[int, float]) -> dict:
    result = run(widths=widths, n=n, empirical_samples=256, ascent_steps=0, progress=True)
    x = torch.randn(
        max(BATCHES), result.target_widths[0], generator=torch.Generator().manual_seed(0)
    )
    x = x / x.norm(dim=1, keepdim=True)
    table = forms(result)
    reference = table["masked (dense, zeros)"][0]
    with torch.no_grad():
        want = reference(x)
    rows = []
    for name, (f, saved, nonzero) in table.items():
        with torch.no_grad():
            gap = float((f(x) - want).abs().max()) if name != "target" else None
        params = sum(t.numel() for t in saved.values() if isinstance(t, torch.Tensor))
        rows.append(
            {
                "form": name,
                "bytes": _bytes(saved),
                "stored_entries": params if not isinstance(f, SparseTicket) else None,
                "nonzero_weights": nonzero,
                "max_output_gap_vs_masked": gap,
                **{f"seconds_batch_{b}": _seconds(f, x[:b], *timing) for b in BATCHES},
            }
        )
    small = compact(result.artifacts.random_net, result.artifacts.pruned.masks)
    return {
        "target_widths": list(result.target_widths),
        "random_widths": list(result.random_widths),
        "ticket_widths": list(small.widths),
        "n": list(result.n_per_layer),
        "rows": rows,
    }


def markdown(m: dict) -> str:
    lines = [
        f"target {'-'.join(map(str, m['target_widths']))}, n = {m['n']}: random "
        f"{'-'.join(map(str, m['random_widths']))}, compacted ticket "
        f"{'-'.join(map(str, m['ticket_widths']))}",
        "",
        "| form | size on disk | nonzero weights | batch 1 | batch 256 | max |out − masked| |",
        "|---|---|---|---|---|---|",
    ]
    for r in m["rows"]:
        gap = (
            "—" if r["max_output_gap_vs_masked"] is None else f"{r['max_output_gap_vs_masked']:.1e}"
        )
        nz = "all" if r["nonzero_weights"] is None else f"{r['nonzero_weights']:,}"
        lines.append(
            f"| {r['form']} | {r['bytes'] / 1024:,.1f} KiB | {nz} | "
            f"{r['seconds_batch_1'] * 1e6:,.1f} µs | {r['seconds_batch_256'] * 1e6:,.1f} µs "
            f"| {gap} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = Parser(prog="ticket_inference.py", description=__doc__.split("\n\n")[0])
    scale = p.add_mutually_exclusive_group()
    scale.add_argument("--full", action="store_true", help="add 784-500-10 at n = 21")
    scale.add_argument("--smoke", action="store_true", help="one tiny network (the test's)")
    args = p.parse_args(argv)
    setting = "full" if args.full else "smoke" if args.smoke else "quick"
    torch.set_num_threads(1)
    out = []
    for case in SETTINGS[setting]:
        m = measure(case["widths"], case["n"], TIMING[setting])
        print(markdown(m), end="\n\n", flush=True)
        out.append(m)
    print(json.dumps({"setting": setting, "threads": 1, "dtype": "float32", "networks": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
