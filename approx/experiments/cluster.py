"""Sweeps on a Dask cluster: the same points, store and resume contract as `Runner`, computed by
the workers of a `dask.distributed` scheduler.

The driver (this process) submits every point the store lacks (`Client.submit`, one task per
point, keyed by the point's key) and stores each result the moment it arrives
(`as_completed`), one transaction per row, as `Runner` does: workers never touch the store.
A worker that dies mid-task loses nothing: the scheduler gives its tasks to another worker
(after `distributed.scheduler.allowed-failures` deaths a point raises `KilledWorker`, which is
reported as a crash, not stored, and so retried by the next run). A killed driver loses at most
the points in flight; rerunning computes exactly those.

Each task limits torch and numba to one compute thread in the thread that runs it
(`limit_threads`), so a worker started with `--nthreads k` uses k cores.

`scheduler="local"` starts a `LocalCluster` of `workers` processes with one thread each (what
the measurements in docs/experiments.md compare with the process pool); any other value is the
address of a running scheduler (`tcp://host:8786`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from dask.system import CPU_COUNT
from distributed import Client, LocalCluster, as_completed

from .. import __version__
from ..basics import defaults
from ..basics.errors import InvalidArgument
from .runner import Runner, worker_evaluate
from .store import ResultStore
from .threads import limit_threads


def cluster_evaluate(config: dict) -> tuple[str, Any, float]:
    """One point on a Dask worker: one compute thread for this task, then `worker_evaluate`."""
    limit_threads()
    return worker_evaluate(config)


def _approx_version() -> str:
    return __version__


def connect(scheduler: str) -> Client:
    """A client of the running Dask scheduler at address `scheduler`, whose workers are checked
    to run this approx version (InvalidArgument naming --scheduler otherwise)."""
    try:
        client = Client(scheduler, timeout=defaults.SCHEDULER_CONNECT_SECONDS)
    except (OSError, ValueError, TimeoutError, AssertionError) as e:
        # AssertionError: distributed's IO-loop thread did not start within its own 10 s
        # (seen once in a full test run, after earlier failed connections in the process)
        why = str(e) or type(e).__name__
        raise InvalidArgument(
            f"--scheduler={scheduler!r}: cannot connect to a Dask scheduler: {why}"
        ) from None
    versions = set(client.run(_approx_version).values())
    if versions - {__version__}:
        client.close()
        raise InvalidArgument(
            f"--scheduler={scheduler!r}: its workers run approx {sorted(versions)}, "
            f"this driver {__version__}; install the same approx on every worker"
        )
    return client


def check_scheduler(scheduler) -> None:
    """Refuse a `scheduler` that is neither "local" nor the address of a running scheduler
    whose workers run this approx: connected to and disconnected at once, so that a sweep
    refuses it before its store is opened or created (measured: 18 ms to a LocalCluster's
    scheduler; the first connection, 3.4 s, has each worker import approx to report its
    version, which the sweep's own connection then finds done)."""
    _check_address(scheduler)
    if scheduler != "local":
        connect(scheduler).close()


def _check_address(scheduler) -> None:
    if not isinstance(scheduler, str) or not scheduler:
        raise InvalidArgument(f"scheduler={scheduler!r} must be an address or 'local'")


def cluster_threads(scheduler: str, workers: int | None = None) -> int:
    """How many points the cluster computes at once: the total worker threads of the running
    scheduler at `scheduler` now (each task runs one compute thread; 0 if no worker has joined
    yet), or for "local" the `workers` processes of one thread `DaskRunner` starts (None: one
    per core, LocalCluster's own choice)."""
    if scheduler == "local":
        return workers or CPU_COUNT
    client = connect(scheduler)
    try:
        return int(sum(client.nthreads().values()))
    finally:
        client.close()


class DaskRunner(Runner):
    """A `Runner` whose points run on a Dask cluster at `scheduler` ("local": a LocalCluster of
    `workers` processes started here and stopped by `close`)."""

    def __init__(
        self,
        store: ResultStore,
        scheduler: str,
        workers: int | None = None,
        *,
        progress: bool = True,
        stream: IO[str] | None = None,
        retry_failed: bool = False,
    ) -> None:
        super().__init__(
            store, workers, progress=progress, stream=stream, retry_failed=retry_failed
        )
        _check_address(scheduler)
        self.scheduler = scheduler
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Client:
        if self.scheduler == "local":
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            return Client(self._cluster)
        return connect(self.scheduler)

    def close(self, terminate: bool = False) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _outcomes(self, todo: dict[str, dict]) -> Iterator[tuple[str, tuple[str, Any, float]]]:
        client = self.client
        futures = {
            client.submit(cluster_evaluate, c, key=f"approx-point-{k}", pure=False): k
            for k, c in todo.items()
        }
        try:
            for fut in as_completed(futures):
                key = futures[fut]
                try:
                    outcome = fut.result()
                except Exception as e:  # KilledWorker, a lost connection: retried next run
                    outcome = ("crash", f"{type(e).__name__}: {e}", 0.0)
                fut.release()
                yield key, outcome
        except BaseException:
            client.cancel(list(futures))
            raise
