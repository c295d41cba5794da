"""Sweeps: grid points computed on all cores, stored as they finish, resumable after any kill.

`Runner.run(configs)` computes the points the store lacks in a process pool and writes each
one from this (the parent) process, in its own transaction, the moment it finishes: a kill
loses at most the points in flight, and a rerun computes exactly those. A point whose run
raises `InvalidArgument` (e.g. a random net too large, a target outside the theorem's class)
is stored as a failed point with its message; any other exception is a bug: it is reported,
not stored, and so retried on the next run.

Workers are spawned processes that limit torch and numba to one thread each before any
computation (`approx.experiments.threads`), so that `workers` processes use `workers` cores.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..basics import defaults
from ..basics.errors import InvalidArgument, as_tuple, check_positive_int
from ..basics.progress import progress_bar
from ..basics.threads import available_cores
from .points import check_config, evaluate
from .rowcheck import check_results
from .store import ResultStore, Row, point_key
from .threads import limit_threads


def _check_workers(workers) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument(f"workers={workers!r} must be a positive integer")
    return workers


def check_runner(workers: int | None, scheduler: str | None) -> None:
    """What can refuse a runner, checked before its store is opened (or created), so that a
    refused sweep leaves no file: `workers` (None: one per core), and a `scheduler` (an address
    is connected to: `approx.experiments.cluster.check_scheduler`)."""
    if workers is not None:
        _check_workers(workers)
    if scheduler is not None:
        # Imported here: dask.distributed takes seconds to import (as in `make_runner`).
        from .cluster import check_scheduler

        check_scheduler(scheduler)


def worker_evaluate(config: dict) -> tuple[str, Any, float]:
    """("ok", result) | ("failed", InvalidArgument message) | ("crash", traceback); seconds."""
    t = time.perf_counter()
    try:
        out: tuple[str, Any] = ("ok", evaluate(config))
    except InvalidArgument as e:
        out = ("failed", str(e))
    except Exception:
        out = ("crash", traceback.format_exc())
    return (*out, time.perf_counter() - t)


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group: the parent decides, workers just get terminated.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        # If the parent is SIGKILLed nobody terminates us and our task pipe never closes (we hold
        # its write end too): exit as soon as the parent is gone instead of lingering.
        def watch() -> None:
            parent.join()
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    limit_threads()


class SweepCrash(RuntimeError):
    """Some points raised an unexpected exception (a bug); they were not stored."""


@dataclass(frozen=True)
class SweepSummary:
    total: int
    already_stored: int
    computed: int
    failed: int
    seconds: float


class Runner:
    """Computes grid points into a `ResultStore`, skipping stored ones; keeps its process pool
    alive across `run` calls (a worker's start costs seconds: imports of torch and numba).

    workers=1 computes in this process (no pool, no thread limit). Workers are started with
    `spawn`, which re-imports the calling script: a script that uses workers > 1 must guard its
    entry point with `if __name__ == "__main__":`."""

    def __init__(
        self,
        store: ResultStore,
        workers: int | None = None,
        *,
        progress: bool = True,
        stream: IO[str] | None = None,
        retry_failed: bool = False,
    ) -> None:
        self.store = store
        self.retry_failed = retry_failed  # recompute the points stored as failed
        if workers is None:
            workers = available_cores()  # its affinity mask: one worker per core it may use
        self.workers = _check_workers(workers)
        self.progress, self.stream = progress, stream
        self._pool: cf.ProcessPoolExecutor | None = None
        self.last: SweepSummary | None = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close(terminate=exc[0] is not None)

    def close(self, terminate: bool = False) -> None:
        if self._pool is None:
            return
        if terminate:
            # Points in flight are lost (not stored), so the next run recomputes them.
            # ProcessPoolExecutor has no public terminate(); its worker table is the only
            # handle on the processes it started (stable since Python 3.8).
            processes = list((self._pool._processes or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                p.terminate()
            for p in processes:
                p.join()
        else:
            self._pool.shutdown(wait=True)
        self._pool = None

    def _executor(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of a process that has started torch's or numba's threads can deadlock.
            self._pool = cf.ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
        return self._pool

    def run(self, configs: Sequence[dict]) -> list[Row]:
        """Compute the points of `configs` the store lacks; return every point's row, in order.

        Raises SweepCrash after all other points are stored if some raised an unexpected error;
        KeyboardInterrupt terminates the workers (the stored rows stay)."""
        self.compute(configs)
        keys = [point_key(c) for c in configs]
        rows = self.store.rows_by_key(list(dict.fromkeys(keys)))
        check_results(list(rows.values()), f"store {str(self.store.path)!r}")
        return [rows[k] for k in keys]

    def compute(self, configs: Sequence[dict], *, desc: str = "points") -> SweepSummary:
        """Compute the points of `configs` the store lacks (as `run`, without reading the rows
        back); the summary is also kept in `self.last`."""
        t0 = time.perf_counter()
        keys = [point_key(c) for c in configs]
        stored = self.store.stored(list(dict.fromkeys(keys)), ok_only=self.retry_failed)
        todo: dict[str, dict] = {}
        for k, c in zip(keys, configs, strict=True):
            if k not in stored:
                todo.setdefault(k, c)
        show = self.progress and bool(todo)
        if show and len(configs) > len(todo):
            print(
                f"{len(configs) - len(todo)} of {len(configs)} points already stored",
                file=self.stream or sys.stderr,
            )
        with progress_bar(
            len(todo), desc=desc, unit="point", enabled=show, stream=self.stream
        ) as bar:
            failed, crashes = self._compute(todo, bar)
        self.last = SweepSummary(
            total=len(configs),
            already_stored=len(configs) - len(todo),
            computed=len(todo) - len(crashes),
            failed=failed,
            seconds=time.perf_counter() - t0,
        )
        if crashes:
            raise SweepCrash(
                f"{len(crashes)} point(s) raised an unexpected error (not stored; a rerun "
                "retries them):\n" + "\n".join(crashes)
            )
        return self.last

    def _compute(self, todo: dict[str, dict], bar) -> tuple[int, list[str]]:
        """Compute `todo` (key -> config), storing each point as it finishes; returns the
        number of failed points and the crash reports."""
        crashes: list[str] = []
        failed = 0

        def finish(key: str, outcome: tuple[str, Any, float]) -> None:
            nonlocal failed
            status, payload, seconds = outcome
            config = todo[key]
            if status == "crash":
                crashes.append(f"point {config}:\n{payload}")
            else:
                self.store.add(
                    config["kind"],
                    config,
                    result=payload if status == "ok" else None,
                    error=payload if status == "failed" else None,
                    seconds=seconds,
                    replace_failed=self.retry_failed,
                )
                failed += status == "failed"
            if status != "ok":
                bar.set_postfix(failed=failed + len(crashes), refresh=False)
            bar.update(1)

        outcomes = self._outcomes(todo)
        try:
            for key, outcome in outcomes:
                finish(key, outcome)
        finally:
            outcomes.close()  # an error while storing stops the workers too (GeneratorExit)
        return failed, crashes

    def _outcomes(self, todo: dict[str, dict]) -> Iterator[tuple[str, tuple[str, Any, float]]]:
        """(key, outcome) of every point of `todo`, as each finishes (in this process for one
        worker or one point, else in the pool)."""
        if self.workers == 1 or len(todo) <= 1:
            for key, config in todo.items():
                yield key, worker_evaluate(config)
            return
        pool = self._executor()
        futures = {pool.submit(worker_evaluate, c): k for k, c in todo.items()}
        try:
            for fut in cf.as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            self.close(terminate=True)
            raise


def sweep_blocks(
    configs: Iterable[dict],
    store: str | Path | None,
    *,
    total: int,
    workers: int | None = None,
    progress: bool = True,
    stream: IO[str] | None = None,
    block: int = defaults.SWEEP_BLOCK,
    scheduler: str | None = None,
    retry_failed: bool = False,
) -> SweepSummary:
    """`sweep` for a grid of any size: `configs` (an iterable of `total` points, e.g. a lazy
    grid) is computed `block` points at a time, so memory does not grow with the grid; returns
    the summary only (read the rows from the store). `scheduler` and `retry_failed` as in
    `sweep`."""
    check_positive_int("block", block)
    t0 = time.perf_counter()
    done = SweepSummary(0, 0, 0, 0, 0.0)
    blocks = math.ceil(total / block) if total else 0
    check_runner(workers, scheduler)
    with (
        ResultStore(store) as st,
        make_runner(
            st, workers, scheduler, progress=progress, stream=stream, retry_failed=retry_failed
        ) as runner,
    ):
        it = iter(configs)
        for b in range(blocks):
            chunk = list(itertools.islice(it, block))
            desc = "points" if blocks == 1 else f"points (block {b + 1}/{blocks})"
            s = runner.compute(chunk, desc=desc)
            done = SweepSummary(
                done.total + s.total,
                done.already_stored + s.already_stored,
                done.computed + s.computed,
                done.failed + s.failed,
                time.perf_counter() - t0,
            )
    return done


def sweep(
    configs: Sequence[dict],
    store: str | Path | None,
    *,
    workers: int | None = None,
    progress: bool = True,
    stream: IO[str] | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
) -> tuple[list[Row], SweepSummary]:
    """Compute every grid point of `configs` into the store at `store` (None: in memory);
    return all their rows and a summary. Rerunning resumes: stored points are not recomputed.
    `scheduler`: None computes in a local process pool; an address (or "local") on a Dask
    cluster (`approx.experiments.cluster`), with the same store and the same rows.
    `retry_failed`: also recompute the points stored as failed (a refusal that depended on
    the machine, such as its memory), each row replaced as its point finishes."""
    configs = as_tuple("configs", configs, "a list of grid points (dicts)")
    for i, config in enumerate(configs):
        check_config(i, config)
    if store is not None and not isinstance(store, str | os.PathLike):
        raise InvalidArgument(f"store={store!r} must be a path or None")
    check_runner(workers, scheduler)
    with (
        ResultStore(store) as st,
        make_runner(
            st, workers, scheduler, progress=progress, stream=stream, retry_failed=retry_failed
        ) as runner,
    ):
        rows = runner.run(configs)
        return rows, runner.last


def make_runner(
    store: ResultStore,
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    progress: bool = True,
    stream: IO[str] | None = None,
    retry_failed: bool = False,
) -> Runner:
    """The local pool's `Runner` (scheduler None), or a `DaskRunner` on `scheduler`;
    `retry_failed`: recompute the points stored as failed."""
    options = {"progress": progress, "stream": stream, "retry_failed": retry_failed}
    if scheduler is None:
        return Runner(store, workers, **options)
    # Imported here, not at the top: dask.distributed takes seconds to import, and only a
    # sweep on a cluster needs it (every `approx` command imports this module).
    from .cluster import DaskRunner

    return DaskRunner(store, scheduler, workers, **options)
