"""Torch on one thread for a stretch of work.

Many short parallel regions (LAPACK's SVD on a few hundred rows, a loop of small torch calls)
make torch's OpenMP pool spend more time at barriers, or spinning between regions, than
computing whenever another process holds a core: on two shared cores, four SVDs of 500 x 784
and 500 x 1,568 matrices took 1.1-3.4 s wall and as many CPU-seconds on two threads against
0.39-0.45 s on one (docs/performance.md). The certified bound's norms run on one thread; so do
the empirical search's products, whose chunks run in parallel threads of their own
(`approx.measurement.empirical.single_threaded_products`), and Orseau's digit passes.
(`approx.basics.threads` sets the process's thread policy and must not import torch.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_torch_thread() -> Iterator[int]:
    """For the duration torch computes on one CPU thread; yields the count it had."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)
