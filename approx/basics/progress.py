"""Progress bars for long commands: tqdm on stderr, with its estimate of the time left.

On a terminal the bar redraws in place; written to a file or pipe (a log, CI) it refreshes at
most every `LOG_INTERVAL` seconds, so a long job leaves a readable trace without flooding the
log; `enabled=False` (`--quiet`) draws nothing at all.
"""

from __future__ import annotations

import sys
from typing import IO

from tqdm import tqdm

LOG_INTERVAL = 10.0  # seconds between refreshes when the stream is not a terminal


def progress_bar(
    total: int | None,
    *,
    desc: str,
    unit: str,
    enabled: bool = True,
    stream: IO[str] | None = None,
) -> tqdm:
    """A tqdm bar of `total` `unit`s; update it with `.update(k)`, close it (or use it as a
    context manager) when done."""
    stream = sys.stderr if stream is None else stream
    tty = getattr(stream, "isatty", lambda: False)()
    return tqdm(
        total=total,
        desc=desc,
        unit=f" {unit}",
        file=stream,
        disable=not enabled,
        mininterval=0.1 if tty else LOG_INTERVAL,
        dynamic_ncols=tty,
        leave=True,
    )
