"""Device and dtype names from the user, checked once: the run computes on CPU or CUDA, in
float64 (default) or float32."""

from __future__ import annotations

import os

import torch

from .errors import InvalidArgument

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def parse_dtype(name: str) -> torch.dtype:
    if not isinstance(name, str) or name not in DTYPES:
        raise InvalidArgument(f"dtype={name!r} is not one of {sorted(DTYPES)}")
    return DTYPES[name]


def parse_device(name: str | torch.device) -> torch.device:
    """A torch device this machine can compute on: cpu, or cuda[:k] where CUDA is available.
    What torch cannot read (None, 2**63, "gpu") is refused with torch's reason's first line."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InvalidArgument(f"device={name!r} is not a torch device: {reason}") from None
    if device.type not in ("cpu", "cuda"):
        raise InvalidArgument(f"device={name!r}: approx computes on cpu or cuda only")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidArgument(f"device={name!r}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InvalidArgument(
                f"device={name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    return device


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_room() -> int | None:
    """Bytes this process's memory cgroup (a container's limit) still allows, or None when
    there is no limit: a container sees the host's MemAvailable, not its own limit."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),  # cgroup v1
    ):
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 2**60:
            return max(0, limit - usage)
    return None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def available_memory(device: torch.device) -> int | None:
    """Bytes that can still be allocated on `device` without swapping, or None where this
    cannot be read: on CUDA the driver's free memory; on CPU the kernel's MemAvailable (free
    memory plus what the page cache would give back; Linux, else free physical pages), capped
    by what a container's memory limit still allows."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    known = [v for v in (_meminfo_available(), _cgroup_room()) if v is not None]
    return min(known) if known else None
