"""Progress bars for long commands: tqdm on stderr, with its estimate of the time left.

On a terminal the bar redraws in place; written to a file or pipe (a log, CI) it refreshes at
most every `LOG_INTERVAL` seconds, so a long job leaves a readable trace without flooding the
log; `enabled=False` (`--quiet`) draws nothing at all. A bar whose steps are long (a run's
phases) is redrawn by a ticker thread every `TICK` seconds, so its clock keeps moving.
"""

from __future__ import annotations

import sys
import threading
from typing import IO

from tqdm import tqdm

LOG_INTERVAL = 10.0  # seconds between refreshes when the stream is not a terminal
RUN_DELAY = 2.0  # a run's phase bar appears only once the run has taken this long
# phases differ in length by orders of magnitude: no rate, no ETA, just where and how long
PHASES_FORMAT = "{desc} (phase {n_fmt}/{total_fmt}, {elapsed} elapsed)"
TICK = 1.0  # seconds between redraws of a ticking bar


class _TickingBar(tqdm):
    """A tqdm bar redrawn every `interval` seconds by a daemon thread until it is closed."""

    def __init__(self, *args, interval: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        if not self.disable:
            threading.Thread(target=self._tick, args=(interval,), daemon=True).start()

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            now = self._time()
            if self.disable or now < self.start_t + self.delay:
                continue
            self.refresh()
            self.last_print_t = now  # so close() knows the bar was shown and finishes its line

    def close(self) -> None:
        self._stop.set()
        super().close()


def progress_bar(
    total: int | None,
    *,
    desc: str,
    unit: str,
    enabled: bool = True,
    stream: IO[str] | None = None,
    delay: float = 0.0,
    ticking: bool = False,
    bar_format: str | None = None,
) -> tqdm:
    """A tqdm bar of `total` `unit`s; update it with `.update(k)`, close it (or use it as a
    context manager) when done. `delay`: seconds before it first appears, so that work which
    finishes sooner prints nothing. `ticking`: redraw it every `TICK` seconds (for long steps)."""
    stream = sys.stderr if stream is None else stream
    tty = getattr(stream, "isatty", lambda: False)()
    options = {
        "total": total,
        "desc": desc,
        "unit": f" {unit}",
        "file": stream,
        "disable": not enabled,
        "mininterval": 0.1 if tty else LOG_INTERVAL,
        "dynamic_ncols": tty,
        "leave": True,
        "delay": delay,
        "bar_format": bar_format,
    }
    if ticking:
        return _TickingBar(interval=TICK if tty else LOG_INTERVAL, **options)
    return tqdm(**options)
