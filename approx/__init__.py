"""approx: numerical checks of the strong lottery ticket theorems.

The public API, one import away (`from approx import run, Network, ...`); each name lives in
its layer's package (`approx.basics`, `approx.engine`, `approx.constructions`,
`approx.measurement`, `approx.pipeline`, `approx.experiments`; docs/architecture.md).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module. Resolved on first use (PEP 562): importing any submodule runs this file
# first, and an eager import of the pipeline here would load torch and numba for every
# `import approx.basics.errors` and make each layer import the ones above it.
_PUBLIC = {
    "run": "approx.pipeline.run",
    "RunResult": "approx.pipeline.result",
    "format_run": "approx.pipeline.report",
    "Network": "approx.basics.network",
    "Dense": "approx.basics.network",
    "Conv2d": "approx.basics.network",
    "Activation": "approx.basics.network",
    "Masks": "approx.basics.masks",
    "load_network": "approx.basics.loading",
    "as_network": "approx.basics.loading",
    "network_from_state_dict": "approx.basics.loading",
    "network_from_module": "approx.basics.loading",
    "network_to_module": "approx.basics.loading",
    "random_target": "approx.basics.sampling",
    "InvalidArgument": "approx.basics.errors",
    "solve": "approx.engine.subset_sum",
    "CONSTRUCTIONS": "approx.constructions",
    "get_construction": "approx.constructions",
    "certified_error": "approx.measurement.certified",
    "empirical_error": "approx.measurement.empirical",
    "compare": "approx.pipeline.search.compare",
    "sweep": "approx.experiments.runner",
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'approx' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
