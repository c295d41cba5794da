"""The results store: one SQLite file, one row per finished grid point, never lost or duplicated.

A row is keyed by its point's configuration (`point_key`: SHA-256 of the canonical JSON of the
config dict), so re-running a sweep finds what is already stored and computes only the rest,
and two writers of the same point cannot both insert it (the key is the primary key).

Safety:
- Each row is written in its own transaction (`add`), so a kill at any moment leaves either the
  whole row or nothing. WAL journal with `synchronous=FULL`: a committed row survives SIGKILL.
- Only the process that owns the `ResultStore` writes; sweep workers send their results back to
  it, so partial rows from different processes cannot interleave.
- An existing file is opened only if it is an approx store (the `meta` table says so); anything
  else (another SQLite database, a text file, a corrupt file, a device such as /dev/null)
  raises `InvalidArgument` naming the path, and the file is left untouched. A zero-byte file or
  a SQLite database without any table holds nothing to lose and is treated as new (it is what
  a kill between creating the file and committing its schema leaves).
- Every row is checked when a store is opened (its JSON parses, its key is its config's hash,
  its status matches what it holds), before anything is written: a store with a corrupt row
  is refused unchanged, naming the rows (docs/experiments.md says how to remove them).
- A store that cannot be written (a read-only file, directory or filesystem) is reported as
  read-only, not as corrupt. Readers (`load_rows`, `approx plot`) open it read-only and never
  write to it.
- Opening an existing store for writing changes nothing in its file until the first row is
  written (the switch to the WAL journal waits for it), so a command refused after opening its
  store (a bad argument, an unreachable scheduler) leaves the file byte for byte as it was.
- On a clean close the write-ahead log is folded back and the journal mode set to DELETE, so a
  closed store is one self-contained file (a plain copy of it is complete, and it can be read
  from read-only media); after a kill, the next open and close do the same. A copy of a store
  that is open for writing must be taken with SQLite's backup API (`sqlite3 FILE ".backup
  COPY"`), never by copying the file alone.

Schema (version 1):
    meta(key TEXT PRIMARY KEY, value TEXT)           format=approx-store, schema=1, created_by
    points(key TEXT PRIMARY KEY, kind TEXT, config TEXT, status TEXT, result TEXT,
           error TEXT, seconds REAL, version TEXT, finished_at TEXT)
`kind` is "run" (a `RunResult.to_json()`) or "subset_sum" (a coefficient Monte Carlo);
`status` is "ok" (`result` holds the JSON) or "failed" (`error` holds the InvalidArgument message).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..basics.errors import InvalidArgument
from .keys import canonical_json, point_key
from .store_path import check_magic, check_path

FORMAT = "approx-store"
SCHEMA_VERSION = "1"
KINDS = ("run", "subset_sum", "compare")  # the kinds of grid point (approx.experiments.grid)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE points (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    result TEXT,
    error TEXT,
    seconds REAL NOT NULL,
    version TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
"""


def _meta() -> dict[str, str]:
    return {"format": FORMAT, "schema": SCHEMA_VERSION, "created_by": __version__}


@dataclass(frozen=True)
class Row:
    """One stored point. `result` is the JSON dict for status "ok", else None."""

    key: str
    kind: str
    config: dict
    status: str
    result: dict | None
    error: str | None
    seconds: float
    version: str
    finished_at: str


class ResultStore:
    """An approx results store at `path` (created if absent), or in memory for `path=None`.

    Use as a context manager. Not shared between processes: one owner writes."""

    def __init__(self, path: str | Path | None, *, read_only: bool = False) -> None:
        self.path = None if path is None else Path(path)
        self.read_only = read_only
        self._wal = False  # whether the file is in WAL mode (this connection's writes are)
        if read_only and self.path is None:
            raise InvalidArgument("read_only=True needs a store path")
        self._conn = self._open_read_only() if read_only else self._open()

    def _open_read_only(self) -> sqlite3.Connection:
        """A connection that cannot write: `mode=ro`; on read-only media, where SQLite cannot
        create the shared-memory file a WAL store needs, `immutable=1` (nothing can change the
        file there)."""
        where = f"store {str(self.path)!r}"
        if not self.path.is_file() or self.path.stat().st_size == 0:
            raise InvalidArgument(f"{where} does not exist or is empty")
        check_magic(self.path, where)
        uri = self.path.resolve().as_uri()
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
        try:
            try:
                conn.execute("SELECT name FROM sqlite_master").fetchall()
            except sqlite3.OperationalError:
                if Path(f"{self.path}-wal").exists():
                    raise
                conn.close()
                conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
            self._check(conn, where)
            self._check_rows(conn)
        except sqlite3.DatabaseError as e:
            conn.close()
            raise InvalidArgument(f"{where} cannot be read: {e}") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_rows(self, conn: sqlite3.Connection) -> None:
        """Refuse a store with rows this code cannot read back, before anything is written."""
        bad = []
        for rowid, *row in conn.execute("SELECT rowid, * FROM points ORDER BY rowid"):
            why = _row_problem(tuple(row))
            if why is not None:
                bad.append((rowid, why))
        if bad:
            ids = ", ".join(str(r) for r, _ in bad[:10]) + (" ..." if len(bad) > 10 else "")
            raise InvalidArgument(
                f"store {str(self.path)!r} has {len(bad)} corrupt row(s) (rowid {ids}; first: "
                f'{bad[0][1]}); it was not changed: delete those rows (sqlite3 FILE "DELETE '
                'FROM points WHERE rowid IN (...)") or pass a new path'
            )

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None)
            conn.executescript(_SCHEMA)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", _meta().items())
            return conn
        where = check_path(self.path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per row.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.DatabaseError as e:
            raise InvalidArgument(f"{where} cannot be opened: {e}") from None
        try:
            if not conn.execute("SELECT name FROM sqlite_master").fetchall():
                # An empty database (new, or a kill before its schema committed): nothing to
                # lose. Schema and meta go in one transaction; IF NOT EXISTS / OR IGNORE make a
                # concurrent creator harmless.
                conn.executescript(
                    "BEGIN IMMEDIATE;"
                    + _SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
                    + "".join(
                        f"INSERT OR IGNORE INTO meta VALUES ('{k}', '{v}');"
                        for k, v in _meta().items()
                    )
                    + "COMMIT;"
                )
            self._check(conn, where)
            self._check_rows(conn)
            # Only now that the file and its rows are known to be ours: fsync per commit, and
            # the WAL journal from the first row written (`add`), not before: switching writes
            # the file's header, which a command refused after opening must leave as it was.
            # A file a kill left in WAL mode stays so, and is folded back on close.
            conn.execute("PRAGMA synchronous=FULL")
            self._wal = conn.execute("PRAGMA journal_mode").fetchall()[0][0] == "wal"
        except sqlite3.OperationalError as e:
            conn.close()
            if "readonly" in str(e) or "unable to open" in str(e):
                raise InvalidArgument(
                    f"{where} cannot be written ({e}); pass a writable path"
                ) from None
            raise InvalidArgument(f"{where} is corrupt or not an approx store: {e}") from None
        except sqlite3.DatabaseError as e:
            conn.close()
            raise InvalidArgument(f"{where} is corrupt or not an approx store: {e}") from None
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _check(conn: sqlite3.Connection, where: str) -> None:
        # fetchall, not fetchone: a statement left unfinished keeps a lock that makes `close`'s
        # switch back to the DELETE journal fail ("database table is locked")
        ok = next(iter(conn.execute("PRAGMA quick_check").fetchall()), None)
        if ok is None or ok[0] != "ok":
            raise InvalidArgument(f"{where} is corrupt (sqlite quick_check: {ok})")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "points"} <= tables:
            raise InvalidArgument(
                f"{where} is a SQLite database but not an approx results store "
                f"(tables {sorted(tables)}); refusing to touch it — pass a new path"
            )
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        if meta.get("format") != FORMAT:
            raise InvalidArgument(f"{where} is not an approx results store (meta {meta})")
        if meta.get("schema") != SCHEMA_VERSION:
            raise InvalidArgument(
                f"{where} has store schema {meta.get('schema')!r}; this approx reads "
                f"{SCHEMA_VERSION!r}"
            )

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close; a writable file store is left as one file (WAL folded back, journal mode
        DELETE) unless another connection still has it open."""
        if self.path is not None and not self.read_only and self._wal:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.OperationalError:
                pass  # busy: another connection is open; the last one to close folds it
        self._conn.close()

    def meta(self) -> dict[str, str]:
        """The `meta` table: format, schema, created_by."""
        return dict(self._conn.execute("SELECT key, value FROM meta"))

    def stored(self, keys: list[str], *, ok_only: bool = False) -> set[str]:
        """Which of `keys` are stored (`ok_only`: stored as computed, not as failed), queried in
        batches, not by loading every key."""
        found: set[str] = set()
        status = " AND status = 'ok'" if ok_only else ""
        for i in range(0, len(keys), 500):
            batch = keys[i : i + 500]
            marks = ",".join("?" * len(batch))
            query = f"SELECT key FROM points WHERE key IN ({marks}){status}"
            found.update(r[0] for r in self._conn.execute(query, batch))
        return found

    def rows_by_key(self, keys: list[str]) -> dict[str, Row]:
        """The stored rows among `keys`, by key (queried in batches)."""
        found: dict[str, Row] = {}
        for i in range(0, len(keys), 500):
            batch = keys[i : i + 500]
            marks = ",".join("?" * len(batch))
            cur = self._conn.execute(f"SELECT * FROM points WHERE key IN ({marks})", batch)
            found.update((r[0], _row(r)) for r in cur)
        return found

    def versions(self) -> dict[str, str]:
        """The approx version that created the store (`created_by`) and the versions its rows
        were computed with (`rows`, comma-separated, sorted)."""
        meta = dict(self._conn.execute("SELECT key, value FROM meta"))
        rows = sorted(r[0] for r in self._conn.execute("SELECT DISTINCT version FROM points"))
        return {"created_by": meta.get("created_by", "?"), "rows": ",".join(rows)}

    def keys(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT key FROM points")}

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]

    def add(
        self,
        kind: str,
        config: dict,
        *,
        result: dict | None = None,
        error: str | None = None,
        seconds: float,
        replace_failed: bool = False,
    ) -> bool:
        """Store one finished point in one transaction: `result` for a success, `error` (the
        message) for a failed point. Returns False (and changes nothing) if the key is stored,
        except that with `replace_failed` a row stored as failed is replaced (a retried point:
        one statement, so an interruption leaves the old row or the new one)."""
        if (result is None) == (error is None):
            raise InvalidArgument("give exactly one of result= and error=")
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0):
            raise InvalidArgument(f"seconds={seconds!r} must be a finite number >= 0")
        text = canonical_json(config)
        payload = None if result is None else canonical_json(result)
        version = (result or {}).get("versions", {}).get("approx", __version__)
        finished = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if not self._wal and self.path is not None:
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchall()[0][0]
            self._wal = mode == "wal"  # not switched (another connection busy): next row tries
        on_conflict = (
            "UPDATE SET status = excluded.status, result = excluded.result, error = "
            "excluded.error, seconds = excluded.seconds, version = excluded.version, "
            "finished_at = excluded.finished_at WHERE points.status = 'failed'"
            if replace_failed
            else "NOTHING"
        )
        cur = self._conn.execute(
            "INSERT INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO "
            + on_conflict,
            (
                point_key(config),
                kind,
                text,
                "ok" if error is None else "failed",
                payload,
                error,
                float(seconds),
                version,
                finished,
            ),
        )
        return cur.rowcount == 1

    def rows(self, kind: str | None = None) -> list[Row]:
        """Every stored row (of `kind`, if given), in insertion order."""
        return list(self._iter(kind))

    def _iter(self, kind: str | None) -> Iterator[Row]:
        if kind is None:
            cur = self._conn.execute("SELECT * FROM points ORDER BY rowid")
        else:
            cur = self._conn.execute("SELECT * FROM points WHERE kind = ? ORDER BY rowid", (kind,))
        for r in cur:
            yield _row(r)


def _row(r: tuple) -> Row:
    key, kind, config, status, result, error, seconds, version, finished = r
    return Row(
        key=key,
        kind=kind,
        config=json.loads(config),
        status=status,
        result=None if result is None else json.loads(result),
        error=error,
        seconds=seconds,
        version=version,
        finished_at=finished,
    )


def load_rows(path: str | Path, kind: str | None = None) -> list[Row]:
    """Every row of the store at `path`, which must exist (InvalidArgument otherwise), read
    through a read-only connection: reading never changes the file."""
    with ResultStore(path, read_only=True) as store:
        return store.rows(kind)


def check_store(path: str | Path) -> None:
    """Refuse (InvalidArgument naming the path) what `ResultStore(path)` would refuse, creating
    and changing nothing: an existing store is opened and closed, which writes nothing to it
    (module docstring); for a new one, its directory is checked."""
    path = Path(path)
    check_path(path)
    if path.is_file() and path.stat().st_size > 0:
        ResultStore(path).close()


def _row_problem(row: tuple) -> str | None:
    """What is wrong with a stored row (None if nothing): unreadable JSON, a key that is not
    its config's hash, a status that does not match what the row holds."""
    key, kind, config, status, result, error, seconds, _, _ = row
    try:
        parsed = json.loads(config)
        if not isinstance(parsed, dict) or point_key(parsed) != key:
            return f"key {str(key)[:12]}... is not the hash of its config"
        if status == "ok" and (result is None or not isinstance(json.loads(result), dict)):
            return "status ok without a result"
        if result is not None:  # a failed row's result is read back too (load_rows)
            json.loads(result)
        if status == "failed" and not isinstance(error, str):
            return "status failed without an error message"
    except (TypeError, ValueError, RecursionError, InvalidArgument) as e:
        return f"unreadable ({type(e).__name__}: {e})"
    if kind not in KINDS or not isinstance(seconds, (int, float)):
        return f"kind {kind!r} or seconds {seconds!r} is not what a row holds"
    return None
