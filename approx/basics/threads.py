"""The process's thread policy, applied before torch or numba load (no torch import here).

Torch's intra-op pool and numba's parallel kernels each run on an OpenMP runtime (two copies
of libgomp in a pip install), each with one thread per core. Left to their defaults, the
threads of a pool that finished a parallel region spin for a while before they sleep: on a
machine where every core is busy (another pool, another process) that spinning takes the
cycles the working threads need, and CPU-seconds grow with the load. `quiet_thread_pools`
makes idle threads sleep at once; both runtimes read the setting once, when they load, so it
must run before the first `import torch` (the `approx` command calls it first thing).
docs/performance.md says what this costs and saves.
"""

from __future__ import annotations

import os

from .defaults import THREAD_ENVIRONMENT


def available_cores() -> int:
    """The cores this process may run on (its affinity mask: `taskset`, a cgroup's cpuset),
    not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def quiet_thread_pools(environ=os.environ) -> None:
    """Idle OpenMP threads sleep instead of spinning (`THREAD_ENVIRONMENT`), in this process
    and the workers it spawns; a variable the user set is left as it is."""
    for name, value in THREAD_ENVIRONMENT.items():
        if not environ.get(name):
            environ[name] = value
