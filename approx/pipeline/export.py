"""A run's ticket as standalone models, written together (all files or none):

- `ticket.pt`: the compacted ticket (`approx.basics.ticket.compact`: dead hidden units removed)
  as an `nn.Sequential`; `approx.load_network` reads it, and so does
  `torch.load(path, weights_only=True)` under `torch.serialization.safe_globals` of its
  module classes (or plain `torch.load(path, weights_only=False)` for a trusted file);
- `ticket_sparse.pt`: `{"weights": [CSR tensors], "biases": [...], "activation": str}`, the
  compacted ticket's weights as `torch.sparse_csr` tensors;
- `random_pruned.pt`: the state dict of the whole random network with torch's own pruning
  (`torch.nn.utils.prune.custom_from_mask`: `weight_orig`, `weight_mask` per layer);
- `ticket.json`: widths, parameter counts and activation of each form.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from ..basics.files import write_files_atomic
from ..basics.loading import network_to_module
from ..basics.masks import Masks
from ..basics.network import Network
from ..basics.ticket import compact

# the files `export_ticket` writes (a caller checks its other outputs do not collide with them)
FILES = ("ticket.pt", "ticket_sparse.pt", "random_pruned.pt", "ticket.json")


def export_ticket(random_net: Network, masks: Masks, out: str | Path) -> list[Path]:
    """Write the four files of the module docstring into `out`; their paths."""
    small = compact(random_net, masks)
    module = network_to_module(small).cpu()
    with warnings.catch_warnings():  # torch calls its CSR support beta on first use
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
        csr = [w.cpu().to_sparse_csr() for w in small.weights]
    sparse = {
        "weights": csr,
        "biases": [None if b is None else b.cpu() for b in small.biases],
        "activation": str(small.activations[0]) if small.depth > 1 else "relu",
    }
    pruned = masks.prune_module(network_to_module(random_net).cpu())
    info = {
        "random_widths": list(random_net.widths),
        "random_params": random_net.n_params,
        "kept_weights": masks.n_kept,
        "ticket_widths": list(small.widths),
        "ticket_params": small.n_params,
        "ticket_nonzero_weights": sum(int(w.count_nonzero()) for w in small.weights),
        "activation": sparse["activation"],
    }
    text = json.dumps(info, indent=2) + "\n"
    writers = (
        lambda tmp: torch.save(module, tmp),
        lambda tmp: torch.save(sparse, tmp),
        lambda tmp: torch.save(pruned.state_dict(), tmp),
        lambda tmp: tmp.write_text(text, encoding="utf-8"),
    )
    return write_files_atomic(out, dict(zip(FILES, writers, strict=True)))
