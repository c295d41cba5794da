"""Whether numba's on-disk cache holds the compiled code of a kernel.

approx's numba kernels are compiled on their first use on a machine (seconds to tens of
seconds each) and loaded from numba's cache afterwards (`cache=True`: next to the module, or
in `NUMBA_CACHE_DIR`). A run about to compile them says so first, instead of sitting silent
in its prune phase. The check reads the kernel's cache index, as numba itself does before it
compiles: an index written for other source (an edited kernel) counts as missing.
"""

from __future__ import annotations

from collections.abc import Iterable


def uncached(dispatchers: Iterable) -> tuple[str, ...]:
    """The names of the numba dispatchers whose on-disk cache holds no compiled code for
    their current source. Relies on numba's cache internals: where they are not what this
    numba version has (or caching is off), a dispatcher counts as cached, so that at worst
    the notice is missing, never wrong."""
    missing = []
    for d in dispatchers:
        try:
            if d.signatures:  # compiled (or loaded) in this process already
                continue
            overloads = d._cache._cache_file._load_index()
        except Exception:  # numba internals: any failure means "cannot tell"
            continue
        if not overloads:
            missing.append(d.__name__)
    return tuple(missing)
