"""Sweeps: a grid of runs (and of subset-sum Monte Carlo points) on all cores, stored as they
finish, resumable after any kill.

A grid point is a plain JSON dict (its *config*); its row key in the store is the hash of that
dict (`approx.store.point_key`). `Runner.run(configs)` computes the points the store lacks in a
process pool and writes each one from this (the parent) process, in its own transaction, the
moment it finishes: a kill loses at most the points in flight, and a rerun computes exactly
those. A point whose run raises `InvalidArgument` (e.g. a random net too large, a target
outside the theorem's class) is stored as a failed point with its message; any other exception
is a bug: it is reported, not stored, and so retried on the next run.

Two kinds of point:
- "run": one `approx.run.run(...)`; the row holds `RunResult.to_json()`.
- "subset_sum": one coefficient Monte Carlo (`approx.tightness.coefficient_success`): how often
  the best subset of n random coefficients lands within eps of a Uniform[-1, 1] target.

This module imports neither torch nor numba at the top: a worker limits both to one thread
before any computation, so that `workers` processes use `workers` cores, not workers² threads.
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
import tomllib
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import InvalidArgument
from .store import ResultStore, Row, point_key

# Widths factor -> n: the search stops here (no construction needs more samples per weight).
MAX_N = 10_000

RUN_DEFAULTS: dict[str, Any] = {
    "delta": 0.01,
    "solver": "exact",
    "dtype": "float64",
    "empirical_samples": 1024,
    "ascent_steps": 50,
    "rescale": False,
}
SUBSET_SUM_DEFAULTS: dict[str, Any] = {"trials": 2000}


# --------------------------------------------------------------------------- grid specification


def _as_list(name: str, value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ints(name: str, value: Any, minimum: int = 1) -> list[int]:
    out = _as_list(name, value)
    for v in out:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise InvalidArgument(f"{name}={value!r}: every entry must be an integer >= {minimum}")
    if not out:
        raise InvalidArgument(f"{name}=[] is empty")
    return out


def _floats(name: str, value: Any, lo: float, hi: float | None) -> list[float]:
    out = []
    for v in _as_list(name, value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidArgument(f"{name}={value!r}: every entry must be a finite number")
        if not (v > lo and (hi is None or v < hi)):
            rng = f"({lo:g}, {hi:g})" if hi is not None else f"> {lo:g}"
            raise InvalidArgument(f"{name}={value!r}: every entry must be {rng}")
        out.append(float(v))  # 4 and 4.0 must give one key
    if not out:
        raise InvalidArgument(f"{name}=[] is empty")
    return out


def _check_keys(section: str, table: dict, allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidArgument(
            f"[{section}] has unknown key(s) {unknown}; allowed: {sorted(allowed)}"
        )


def run_points(table: dict) -> list[dict]:
    """The "run" grid points of a `[runs]` table, in grid order.

    Axes (a scalar or a list each): `construction` (names, or "all" for every registered one),
    the target as `width` x `depth` (square hidden layers: widths `(width,) * (depth + 1)`) or
    `widths` (explicit lists `[d_0, ..., d_l]`), `eps`, exactly one of `n` (samples per weight),
    `width_factor` (random-net hidden width / target width, turned into the smallest n that
    reaches it) or `C` (n from the theorem's formula with this constant), and `seed`.
    Fixed settings: `delta`, `solver`, `dtype`, `empirical_samples`, `ascent_steps`, `rescale`.
    """
    from .constructions import CONSTRUCTIONS

    axes = {"construction", "width", "depth", "widths", "eps", "n", "width_factor", "C", "seed"}
    _check_keys("runs", table, axes | set(RUN_DEFAULTS))
    names = _as_list("construction", table.get("construction", "all"))
    if names == ["all"]:
        names = sorted(CONSTRUCTIONS)
    for name in names:
        if name not in CONSTRUCTIONS:
            raise InvalidArgument(f"construction={name!r} is not one of {sorted(CONSTRUCTIONS)}")
    if "widths" in table:
        if "width" in table or "depth" in table:
            raise InvalidArgument("give the target as widths= or as width= and depth=, not both")
        raw = table["widths"]
        shapes = [raw] if raw and not isinstance(raw[0], (list, tuple)) else raw
        shapes = [tuple(_ints("widths", s)) for s in shapes]
        if any(len(s) < 2 for s in shapes):
            raise InvalidArgument(f"widths={raw!r}: each target needs >= 2 widths")
    else:
        shapes = [
            (w,) * (d + 1)
            for w, d in itertools.product(
                _ints("width", table.get("width", 4)), _ints("depth", table.get("depth", 2))
            )
        ]
    sizing = [k for k in ("n", "width_factor", "C") if k in table]
    if len(sizing) != 1:
        raise InvalidArgument(f"give exactly one of n=, width_factor=, C= (got {sizing or 'none'})")
    size_key = sizing[0]
    if size_key == "n":
        sizes: list = _ints("n", table["n"])
    else:
        sizes = _floats(size_key, table[size_key], 0.0, None)
    eps = _floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = _ints("seed", table.get("seed", 0), minimum=0)
    fixed = {**RUN_DEFAULTS, **{k: table[k] for k in RUN_DEFAULTS if k in table}}
    fixed["delta"] = _floats("delta", fixed["delta"], 0.0, 1.0)[0]
    fixed["empirical_samples"] = _ints("empirical_samples", fixed["empirical_samples"])[0]
    fixed["ascent_steps"] = _ints("ascent_steps", fixed["ascent_steps"], minimum=0)[0]
    if not isinstance(fixed["rescale"], bool):
        raise InvalidArgument(f"rescale={fixed['rescale']!r} must be true or false")
    return [
        {
            "kind": "run",
            "construction": c,
            "widths": list(s),
            "eps": e,
            size_key: z,
            "seed": seed,
            **fixed,
        }
        for c, s, e, z, seed in itertools.product(names, shapes, eps, sizes, seeds)
    ]


def subset_sum_points(table: dict) -> list[dict]:
    """The "subset_sum" grid points of a `[subset_sum]` table: axes `distribution` (of
    `approx.tightness.DISTRIBUTIONS`), `n`, `eps`, `seed`; fixed `trials` (targets per point)."""
    from .tightness import DISTRIBUTIONS

    _check_keys("subset_sum", table, {"distribution", "n", "eps", "seed", "trials"})
    dists = _as_list("distribution", table.get("distribution", list(DISTRIBUTIONS)))
    for d in dists:
        if d not in DISTRIBUTIONS:
            raise InvalidArgument(f"distribution={d!r} is not one of {list(DISTRIBUTIONS)}")
    if "n" not in table:
        raise InvalidArgument("[subset_sum] needs n= (samples per weight)")
    ns = _ints("n", table["n"])
    eps = _floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = _ints("seed", table.get("seed", 0), minimum=0)
    trials = _ints("trials", table.get("trials", SUBSET_SUM_DEFAULTS["trials"]))[0]
    return [
        {"kind": "subset_sum", "distribution": d, "n": n, "eps": e, "seed": s, "trials": trials}
        for d, n, e, s in itertools.product(dists, ns, eps, seeds)
    ]


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep file: its grid points, and the store and worker count it names."""

    points: tuple[dict, ...]
    store: str | None
    workers: int | None


def load_config(path: str | Path) -> SweepConfig:
    """Parse a TOML sweep file: optional top-level `store` and `workers`, and a `[runs]` and/or
    `[subset_sum]` table (see `run_points`, `subset_sum_points`)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise InvalidArgument(f"config {str(path)!r} cannot be read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidArgument(f"config {str(path)!r} is not valid TOML: {e}") from None
    return config_from_dict(data, where=str(path))


def config_from_dict(data: dict, where: str = "config") -> SweepConfig:
    try:
        _check_keys("top level", data, {"store", "workers", "runs", "subset_sum"})
        if "runs" not in data and "subset_sum" not in data:
            raise InvalidArgument("needs a [runs] or a [subset_sum] table")
        points = run_points(data["runs"]) if "runs" in data else []
        if "subset_sum" in data:
            points += subset_sum_points(data["subset_sum"])
        workers = data.get("workers")
        if workers is not None:
            _ints("workers", workers)
        store = data.get("store")
        if store is not None and not isinstance(store, str):
            raise InvalidArgument(f"store={store!r} must be a path string")
    except InvalidArgument as e:
        raise InvalidArgument(f"{where}: {e}") from None
    return SweepConfig(points=tuple(points), store=store, workers=workers)


# ------------------------------------------------------------------------------ one grid point


def n_for_width_factor(construction: str, widths: Sequence[int], factor: float) -> int:
    """Smallest n (same for every layer) whose random net's widest hidden layer is at least
    `factor` times the target's widest layer, via the construction's own `random_widths`."""
    from .constructions import get_construction

    cons = get_construction(construction)
    widths = tuple(widths)
    want = factor * max(widths)
    for n in range(1, MAX_N + 1):
        if max(cons.random_widths(widths, (n,) * (len(widths) - 1))[1:-1]) >= want:
            return n
    raise InvalidArgument(f"width_factor={factor:g} needs n > {MAX_N} for widths {list(widths)}")


def evaluate(config: dict) -> dict:
    """Compute one grid point; the JSON dict the store keeps. Raises what the run raises."""
    if config["kind"] == "run":
        from .run import run

        n = config.get("n")
        if "width_factor" in config:
            n = n_for_width_factor(config["construction"], config["widths"], config["width_factor"])
        return run(
            widths=tuple(config["widths"]),
            eps=config["eps"],
            delta=config["delta"],
            construction=config["construction"],
            n=n,
            C=config.get("C"),
            solver=config["solver"],
            seed=config["seed"],
            rescale=config["rescale"],
            dtype=config["dtype"],
            empirical_samples=config["empirical_samples"],
            ascent_steps=config["ascent_steps"],
        ).to_json()
    if config["kind"] == "subset_sum":
        from .tightness import coefficient_success

        return coefficient_success(
            config["distribution"],
            config["n"],
            config["eps"],
            trials=config["trials"],
            seed=config["seed"],
        ).to_json()
    raise InvalidArgument(f"config kind={config.get('kind')!r} is not 'run' or 'subset_sum'")


def _worker_evaluate(config: dict) -> tuple[str, Any, float]:
    """("ok", result) | ("failed", InvalidArgument message) | ("crash", traceback); seconds."""
    t = time.perf_counter()
    try:
        out: tuple[str, Any] = ("ok", evaluate(config))
    except InvalidArgument as e:
        out = ("failed", str(e))
    except Exception:
        out = ("crash", traceback.format_exc())
    return (*out, time.perf_counter() - t)


def limit_threads() -> None:
    """One compute thread for torch and numba in this process (and libraries loaded later)."""
    # Not NUMBA_NUM_THREADS: numba re-reads its environment at each compile and refuses a
    # value different from the one its thread pool started with; set_num_threads is the way.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    import numba
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only settable before the first inter-op work; a fresh worker has none
        pass
    numba.set_num_threads(1)


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


# ------------------------------------------------------------------------------------- progress


def _clock(seconds: float) -> str:
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


class Progress:
    """A one-line progress bar with ETA on `stream` (stderr). On a terminal the line redraws in
    place; elsewhere (a log file, CI) each finished point prints one line."""

    def __init__(self, total: int, stream: IO[str] | None = None, label: str = "points") -> None:
        self.total, self.done, self.failed, self.label = total, 0, 0, label
        self.stream = sys.stderr if stream is None else stream
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.start = time.perf_counter()

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(24 * frac) + "." * (24 - int(24 * frac))
        eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        eta_text = _clock(eta) if math.isfinite(eta) else "?"
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"[{bar}] {self.done}/{self.total} {self.label} ({frac:4.0%}{failed})  "
            f"elapsed {_clock(elapsed)}  ETA {eta_text}"
        )

    def update(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        if self.tty:
            self.stream.write("\r" + self.line())
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()


# --------------------------------------------------------------------------------------- runner


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
    ) -> None:
        self.store = store
        if workers is None:
            workers = os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidArgument(f"workers={workers!r} must be a positive integer")
        self.workers = workers
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
        t0 = time.perf_counter()
        keys = [point_key(c) for c in configs]
        stored = self.store.keys()
        todo: dict[str, dict] = {}
        for k, c in zip(keys, configs, strict=True):
            if k not in stored:
                todo.setdefault(k, c)
        bar = Progress(len(todo), self.stream) if self.progress and todo else None
        if bar is not None and len(configs) > len(todo):
            bar.stream.write(
                f"{len(configs) - len(todo)} of {len(configs)} points already stored\n"
            )
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
                )
                failed += status == "failed"
            if bar is not None:
                bar.update(failed=status != "ok")

        if self.workers == 1 or len(todo) <= 1:
            for key, config in todo.items():
                finish(key, _worker_evaluate(config))
        else:
            pool = self._executor()
            futures = {pool.submit(_worker_evaluate, c): k for k, c in todo.items()}
            try:
                for fut in cf.as_completed(futures):
                    finish(futures[fut], fut.result())
            except BaseException:
                self.close(terminate=True)
                raise
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
        rows = {r.key: r for r in self.store.rows()}
        return [rows[k] for k in keys]


def sweep(
    configs: Sequence[dict],
    store: str | Path | None,
    *,
    workers: int | None = None,
    progress: bool = True,
    stream: IO[str] | None = None,
) -> tuple[list[Row], SweepSummary]:
    """Compute every grid point of `configs` into the store at `store` (None: in memory);
    return all their rows and a summary. Rerunning resumes: stored points are not recomputed."""
    with (
        ResultStore(store) as st,
        Runner(st, workers, progress=progress, stream=stream) as runner,
    ):
        rows = runner.run(configs)
        return rows, runner.last
