"""The results store: round trips, one row per key, and refusing files that are not ours."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.experiments.store import ResultStore, canonical_json, load_rows, point_key

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
configs = st.dictionaries(st.text(min_size=1, max_size=6), json_scalars, max_size=6)


@given(configs)
def test_key_does_not_depend_on_key_order(config):
    reordered = dict(reversed(list(config.items())))
    assert point_key(reordered) == point_key(config)
    assert canonical_json(reordered) == canonical_json(config)


@given(configs, configs)
def test_different_configs_have_different_keys(a, b):
    assert (point_key(a) == point_key(b)) == (canonical_json(a) == canonical_json(b))


def test_non_json_config_is_refused_naming_the_entry():
    with pytest.raises(InvalidArgument, match=r"^config\['eps'\]=nan is not plain JSON"):
        point_key({"eps": float("nan")})
    # a result with one non-finite entry among many: the message names it, not the whole dict
    big = {f"k{i}": i for i in range(200)} | {"bounds": [1.0, float("inf")]}
    with pytest.raises(InvalidArgument, match=r"^config\['bounds'\]\[1\]=inf is") as e:
        canonical_json(big)
    assert len(str(e.value)) < 200


@given(st.lists(configs, max_size=8))
def test_round_trip_and_no_duplicates(cfgs):
    with ResultStore(None) as store:
        for i, c in enumerate(cfgs):
            store.add("run", c, result={"value": i}, seconds=0.5)
        # adding any of them again changes nothing
        for c in cfgs:
            assert not store.add("run", c, error="again", seconds=0.0)
        distinct = {point_key(c): c for c in cfgs}
        assert len(store) == len(distinct) == len(store.keys())
        for row in store.rows():
            assert row.config == distinct[row.key]
            assert row.status == "ok" and row.error is None and row.seconds == 0.5


def test_failed_point_keeps_its_message(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as store:
        assert store.add("run", {"n": 1}, error="n=1 is too small", seconds=0.1)
        assert store.add("subset_sum", {"n": 2}, result={"rate": 0.5}, seconds=0.2)
    rows = load_rows(path)  # reopened: the rows survived the close
    assert [(r.status, r.error, r.result) for r in rows] == [
        ("failed", "n=1 is too small", None),
        ("ok", None, {"rate": 0.5}),
    ]
    assert [r.config for r in load_rows(path, kind="subset_sum")] == [{"n": 2}]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seconds": 1.0}, "exactly one of"),
        ({"result": {}, "error": "x", "seconds": 1.0}, "exactly one of"),
        ({"result": {}, "seconds": -1.0}, "seconds=-1.0"),
        ({"result": {"x": float("inf")}, "seconds": 1.0}, "not plain JSON"),
    ],
)
def test_add_validates(kwargs, match):
    with ResultStore(None) as store, pytest.raises(InvalidArgument, match=match):
        store.add("run", {"n": 1}, **kwargs)


def _refused(path, match):
    before = path.read_bytes()
    with pytest.raises(InvalidArgument, match=match) as info:
        ResultStore(path)
    assert str(path) in str(info.value)  # names the file
    assert path.read_bytes() == before  # and leaves it as it was


def test_text_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("my precious notes\n")
    _refused(path, "not a SQLite file")


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE points (x)")
    conn.execute("INSERT INTO points VALUES (1)")
    conn.commit()
    conn.close()
    _refused(path, "not an approx results store")


def test_other_schema_version_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    ResultStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    _refused(path, "schema '99'")


def test_corrupt_store_is_refused_untouched(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as store:
        for i in range(300):  # several pages of rows
            store.add("run", {"i": i}, result={"pad": "x" * 200}, seconds=0.0)
    # fold the WAL into the main file so that the damage below hits committed data
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 4 * page] = b"\xa5" * (2 * page)
    path.write_bytes(bytes(data))
    _refused(path, "corrupt")


def test_empty_file_and_directory(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()  # what a kill before the first commit leaves: nothing to lose
    with ResultStore(empty) as store:
        assert len(store) == 0
    with pytest.raises(InvalidArgument, match="is a directory"):
        ResultStore(tmp_path)
    with pytest.raises(InvalidArgument, match="does not exist"):
        ResultStore(tmp_path / "missing" / "s.sqlite")
    with pytest.raises(InvalidArgument, match="does not exist or is empty"):
        load_rows(tmp_path / "nothing.sqlite")


def test_two_writers_never_duplicate(tmp_path):
    """Two connections (as two sweeps on one store would hold) adding overlapping points: every
    key once, and the first writer's row wins."""
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as a, ResultStore(path) as b:
        for i in range(20):
            (a if i % 2 else b).add("run", {"i": i}, result={"by": "first"}, seconds=0.0)
            (b if i % 2 else a).add("run", {"i": i}, result={"by": "second"}, seconds=0.0)
    rows = load_rows(path)
    assert len(rows) == 20 and {r.result["by"] for r in rows} == {"first"}
