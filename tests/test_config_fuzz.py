"""Fuzzing what approx reads from files: sweep configuration files (TOML) and result stores.

`approx sweep CONFIG.toml` is run on TOML files drawn by Hypothesis (the keys of `[runs]`,
`[subset_sum]`, `[compare]` and the top level, each given a junk value — a wrong type, a table,
a huge or negative integer, `nan`/`inf`, an empty or nested list, unicode — or a tiny valid
one, so that valid sweeps run too and stay tiny), and `approx plot`, `report`, `export`,
`tightness --store` and `sweep` are run on stores drawn from a small valid store made once
(`_template`) and damaged: a row's JSON malformed or one of its values odd, the meta table
of another format or schema version, foreign SQLite files, truncated or overwritten bytes,
empty files, a directory or /dev/null as the store; and with outputs that cannot be written.

Whatever the input, `approx` exits 0 or 2, prints at most one line on stderr when it exits 2,
lets no exception escape, creates no file outside the outputs it was given, and leaves an
existing store as it was when it refuses the command (and keeps every row it held when a sweep
or tightness adds to it). The fast suite draws a few examples; `test_fuzz_many` (slow) draws
many. The regression tests below name the inputs that failed before.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import io
import json
import math
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.cli import main
from approx.experiments.store import load_rows, point_key

from .support import fuzz_settings, run_cli

# ---- TOML written by hand (the standard library only reads it) ------------------------------


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        out = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in v)
        return f'"{out}"'
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _key(k: str) -> str:
    return k if k.replace("_", "").isalnum() and k.isascii() else json.dumps(k)


def toml_text(data: dict) -> str:
    top = [f"{_key(k)} = {_toml_value(v)}" for k, v in data.items() if not _is_table(v)]
    tables = [
        f"[{_key(k)}]\n" + "".join(f"{_key(kk)} = {_toml_value(vv)}\n" for kk, vv in v.items())
        for k, v in data.items()
        if _is_table(v)
    ]
    return "\n".join(top) + "\n" + "\n".join(tables)


def _is_table(v) -> bool:
    return isinstance(v, dict) and bool(v) and all(isinstance(k, str) for k in v)


# ---- drawn sweep files -----------------------------------------------------------------------

JUNK = [
    0, -1, 1, 2, 10**20 - 1, 2**63 - 1, -(2**63), 99999999999, 1.5, -0.0, 1e308, 5e-324,
    math.nan, math.inf, -math.inf, True, False, "", "x", "all", "é☃\x00", "float16", "nosuch",
    [], [[]], [1, "a"], [[2, 2], [3]], [[[[[[[[1]]]]]]]], {"a": 1}, {}, [{"a": 1}],
    datetime.date(2020, 1, 2), list(range(40)), "/dev/zero", "/",
]  # fmt: skip
# tiny valid values per key: a drawn valid sweep takes milliseconds per point
PLAUSIBLE = {
    "construction": ["pensia", "malach", ["pensia", "malach"]],
    "width": [2, 3],
    "depth": [1, 2],
    "widths": [[2, 2], [2, 3, 2], [[2, 2], [3, 2]]],
    "eps": [0.5, 0.3, [0.5, 0.3]],
    "n": [2, 3, 4, [2, 3]],
    "width_factor": [2, 4.0],
    "C": [0.5, 1],
    "seed": [0, 1, [0, 1]],
    "delta": [0.1, 0.5],
    "solver": ["exact", "greedy"],
    "dtype": ["float64", "float32"],
    "empirical_samples": [16],
    "ascent_steps": [0],
    "rescale": [False, True],
    "input_shape": [[1, 4, 4], [1, 3, 3]],
    "conv": [[2], [1, 1]],
    "kernel": [2, 3],
    "padding": [0, 1],
    "dense": [[2]],
    "distribution": ["uniform", "pensia", ["product", "uniform"]],
    "trials": [10, 20],
    "method": ["greedy"],
    "target": ["random", "circle", "relu-chain"],
    "density": [0.3, 1],
    "planted": [True, False],
    "directions": [3, 4],
    "workers": [1],
}
TABLES = {
    "runs": ["construction", "width", "depth", "widths", "eps", "n", "width_factor", "C", "seed",
             "delta", "solver", "dtype", "empirical_samples", "ascent_steps", "rescale",
             "input_shape", "conv", "kernel", "padding", "dense", "target", "bogus"],
    "subset_sum": ["distribution", "n", "eps", "seed", "trials", "bogus"],
    "compare": ["method", "target", "widths", "n", "density", "seed", "construction", "planted",
                "depth", "directions", "empirical_samples", "ascent_steps", "bogus"],
}  # fmt: skip
# where a table leaves them out, a valid tiny value (the defaults are sized for real sweeps)
BASE = {
    "runs": {"construction": "pensia", "width": 2, "depth": 1, "n": 3,
             "empirical_samples": 16, "ascent_steps": 0},
    "subset_sum": {"n": 3, "trials": 10},
    "compare": {"method": "greedy", "widths": [2, 2], "n": 3, "empirical_samples": 16,
                "ascent_steps": 0},
}  # fmt: skip


def _value(draw, key: str):
    """A plausible value of `key` or junk. Junk integers are small or far beyond what any
    point can take (refused, or a failed point, in milliseconds): a valid 70,000 would make a
    slow example, not a finding. `ascent_steps` has no such limit — a huge count is a run of
    years, announced by `approx run` — so it draws no large integer."""
    if key in PLAUSIBLE and draw(st.booleans()):
        return draw(st.sampled_from(PLAUSIBLE[key]))
    value = draw(st.one_of(st.sampled_from(JUNK), st.integers(-3, 3), st.text(max_size=4)))
    if key == "ascent_steps" and isinstance(value, int) and value > 50:
        return -value
    return value


@st.composite
def sweep_files(draw) -> str:
    """TOML text: one to three tables over a tiny base, some keys drawn, the top level too;
    sometimes cut short or with a junk line."""
    data: dict = {}
    for table in draw(st.lists(st.sampled_from(sorted(TABLES)), max_size=3, unique=True)):
        t = dict(BASE[table]) if draw(st.booleans()) else {}
        for key in draw(st.lists(st.sampled_from(TABLES[table]), max_size=3, unique=True)):
            if key in ("width", "depth", "widths", "conv", "target") and table == "runs":
                for k in ("width", "depth", "widths"):
                    t.pop(k, None)
            if key in ("width_factor", "C") and table == "runs":
                t.pop("n", None)
            t[key] = _value(draw, key)
        data[table] = t if t or draw(st.booleans()) else draw(st.sampled_from(JUNK))
    for key in draw(st.lists(st.sampled_from(["workers", "store", "bogus"]), max_size=2)):
        data[key] = _value(draw, key)
    text = toml_text(data)
    damage = draw(st.sampled_from(["none"] * 6 + ["cut", "junk", "bytes"]))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "junk":
        text += draw(st.sampled_from(["x", "[runs]\n", "a = ", "= 1", "[[runs]]\n", "\x01"]))
    elif damage == "bytes":
        text = text.encode("utf-8", "surrogatepass")[:40].decode("latin-1") + "\udcff"
    return text


# ---- stores: one valid tiny store, then damaged copies ---------------------------------------

TEMPLATE_TOML = """
[runs]
construction = "pensia"
width = 2
depth = 1
n = 3
seed = [0, 1]
eps = 0.5
empirical_samples = 16
ascent_steps = 0
[subset_sum]
distribution = "uniform"
n = 2
trials = 20
[compare]
method = "greedy"
widths = [2, 2]
n = 3
empirical_samples = 16
ascent_steps = 0
"""
TIGHTNESS = ["--construction", "pensia", "--widths", "2,2", "--eps", "0.5", "--seeds", "1",
             "--n-max", "2", "--workers", "1", "--quiet"]  # fmt: skip


@functools.cache
def _template() -> bytes:
    """A store with run, subset_sum, compare and failed rows, made once per session."""
    with tempfile.TemporaryDirectory() as d:
        cfg, store = Path(d) / "t.toml", Path(d) / "t.sqlite"
        cfg.write_text(TEMPLATE_TOML)
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            assert (
                main(["sweep", str(cfg), "--store", str(store), "--workers", "1", "--quiet"]) == 0
            )
        with sqlite3.connect(store) as conn:  # a failed row too
            conn.execute(
                "INSERT INTO points VALUES (?, 'run', ?, 'failed', NULL, 'n=0 is too small', "
                "0.0, '0.1.0', '2026-01-01T00:00:00')",
                (point_key({"n": 0}), json.dumps({"n": 0})),
            )
        conn.close()
        return store.read_bytes()


ODD = [None, "x", "", -1, 10**30, 1e308, True, [], {}, [None], ["x"], {"a": []}, "NaN"]
STORE_KINDS = ["valid", "valid", "empty_file", "fresh", "schema", "format", "no_meta",
               "foreign_db", "text", "truncated", "overwritten", "row_json", "row_value",
               "row_config", "row_kind", "row_deleted_field", "row_deep", "directory", "devnull",
               "missing", "wal_junk"]  # fmt: skip


def _odd_json(value) -> str:
    return json.dumps(value).replace('"NaN"', "NaN")


@st.composite
def store_damage(draw) -> tuple:
    kind = draw(st.sampled_from(STORE_KINDS))
    return kind, draw(st.integers(0, 10**6)), draw(st.sampled_from(ODD))


def _set_path(obj, steps: list[int], value):
    """Replace one value somewhere inside `obj` (a JSON dict), chosen by `steps`."""
    cur = obj
    for s in steps:
        items = list(cur.items()) if isinstance(cur, dict) else list(enumerate(cur))
        if not items:
            break
        k, v = items[s % len(items)]
        if isinstance(v, (dict, list)) and v and s % 3:
            cur = v
            continue
        cur[k] = value
        return
    if isinstance(cur, dict):
        cur["extra"] = value
    elif cur:
        cur[0] = value


def make_store(root: Path, damage: tuple) -> Path:
    """The store path for `damage` (kind, a number choosing where, an odd value)."""
    kind, where, odd = damage
    path = root / "store.sqlite"
    if kind == "directory":
        path.mkdir()
        return path
    if kind == "devnull":
        return Path("/dev/null")
    if kind == "missing":
        return path
    data = _template()
    if kind == "empty_file":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a store\n")
    elif kind == "truncated":
        path.write_bytes(data[: where % len(data)])
    elif kind == "overwritten":
        i = where % len(data)
        path.write_bytes(data[:i] + bytes(64) + data[i + 64 :])
    elif kind == "foreign_db":
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE t (x)")
        c.close()
    elif kind == "wal_junk":
        path.write_bytes(data)
        Path(f"{path}-wal").write_bytes(b"junk" * 10)
    else:
        path.write_bytes(data)
        if kind != "valid":
            _damage_rows(path, kind, where, odd)
    return path


def _damage_rows(path: Path, kind: str, where: int, odd) -> None:
    with sqlite3.connect(path) as c:
        rows = c.execute("SELECT rowid, key, config, result FROM points").fetchall()
        rowid, key, config, result = rows[where % len(rows)]
        steps = [where >> (4 * i) for i in range(4)]
        if kind == "fresh":
            c.execute("DELETE FROM points")
        elif kind == "schema":
            c.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(where % 3 + 2),))
        elif kind == "format":
            c.execute("UPDATE meta SET value = 'other' WHERE key = 'format'")
        elif kind == "no_meta":
            c.execute("DROP TABLE meta")
        elif kind == "row_json":
            text = (config, result)[where % 2] or "{}"
            c.execute(
                f"UPDATE points SET {('config', 'result')[where % 2]} = ? WHERE rowid = ?",
                (text[: where % max(1, len(text))], rowid),
            )
        elif kind == "row_value" and result is not None:
            value = json.loads(result)
            _set_path(value, steps, odd)
            c.execute("UPDATE points SET result = ? WHERE rowid = ?", (_odd_json(value), rowid))
        elif kind == "row_config":  # odd config values under a key that matches them
            value = json.loads(config)
            _set_path(value, steps, odd)
            try:
                new_key = point_key(value)
            except InvalidArgument:
                new_key = key
            c.execute(
                "UPDATE points SET config = ?, key = ? WHERE rowid = ?",
                (_odd_json(value), new_key, rowid),
            )
        elif kind == "row_deep":  # JSON nested deeper than the parser recurses
            column = ("config", "result")[where % 2]
            deep = "[" * 100_000 + "]" * 100_000
            c.execute(f"UPDATE points SET {column} = ? WHERE rowid = ?", (deep, rowid))
        elif kind == "row_kind":
            c.execute("UPDATE points SET kind = ? WHERE rowid = ?", (str(odd), rowid))
        elif kind == "row_deleted_field" and result is not None:
            value = json.loads(result)
            value.pop(sorted(value)[where % len(value)], None)
            c.execute("UPDATE points SET result = ? WHERE rowid = ?", (json.dumps(value), rowid))
    c.close()


# ---- the property ---------------------------------------------------------------------------


@st.composite
def invocations(draw):
    """(command, config text or None, store damage, output kind, extra args)."""
    command = draw(st.sampled_from(["sweep", "sweep", "plot", "report", "export", "tightness"]))
    config = draw(sweep_files()) if command == "sweep" else None
    damage = draw(store_damage())
    out = draw(st.sampled_from(["new", "deep", "file", "dir", "proc", "none"]))
    extra: list[str] = []
    if command == "export":
        extra += draw(st.sampled_from([[], ["--format", "json"], ["--format", "csv"]]))
        extra += draw(st.sampled_from([[], ["--kind", "run"], ["--kind", "compare"]]))
    if command == "plot":
        extra += ["--format", draw(st.sampled_from(["png", "svg"]))]
    return command, config, damage, out, extra


def _snapshot(root: Path) -> dict[Path, bytes | None]:
    return {p: (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


def _argv(command, config, store, out, extra, root) -> list[str]:
    if command == "sweep":
        cfg = root / "sweep.toml"
        cfg.write_bytes(config.encode("utf-8", "surrogateescape"))
        return ["sweep", str(cfg), "--store", str(store), "--workers", "1", "--quiet"]
    if command == "tightness":
        return ["tightness", "--store", str(store), *TIGHTNESS, *extra] + (
            ["--out", str(out)] if out is not None else []
        )
    argv = [command, str(store), *extra]
    if command in ("plot", "report"):
        argv += ["--out", str(out if out is not None else root / "figs")]
        if command == "report":
            argv += ["--proofs-check", "none"]
    elif out is not None:
        argv += ["--out", str(out)]
    return argv


def _rows(path: Path) -> dict | None:
    try:
        return {r.key: r for r in load_rows(path)}
    except InvalidArgument:
        return None


def _check(command: str, config, damage: tuple, out_kind: str, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        cwd = root / "cwd"
        cwd.mkdir()
        existing_file, existing_dir = root / "a_file", root / "a_dir"
        existing_file.write_text("x")
        existing_dir.mkdir()
        out = {
            "new": root / "out",
            "deep": root / "n" / "e" / "out",
            "file": existing_file,
            "dir": existing_dir,
            "proc": Path("/proc/approx-fuzz"),
            "none": None,
        }[out_kind]
        store = make_store(root, damage)
        argv = _argv(command, config, store, out, extra, root)
        rows_before = _rows(store) if store.is_file() and store.stat().st_size else None
        before = _snapshot(root)
        code, _, err = run_cli(argv, cwd)
        event(f"{command} {damage[0]} exit {code}")
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err, (argv, err)
        after = _snapshot(root)
        if code == 2:
            assert len(err.strip().splitlines()) <= 1, (argv, err)
            assert len(err) < 1500, (argv, err)  # one readable line, not a whole list
            # refused: nothing written, nothing changed (the store included)
            changed = {p for p in after if before.get(p, b"") != after[p]}
            changed |= {p for p in before if p not in after}
            assert not changed, (argv, err, sorted(map(str, changed)))
        allowed = [p for p in (out, root / "figs") if p is not None]
        new = {
            p
            for p in set(after) - set(before)
            if p != store and not any(a == p or a in p.parents or p in a.parents for a in allowed)
        }
        assert not new, (argv, sorted(map(str, new)))
        if command in ("plot", "report", "export") and store.is_file():
            assert after.get(store) == before.get(store), (argv, "a reader changed the store")
        if rows_before is not None and code == 0:
            rows_after = _rows(store)
            assert rows_after is not None, (argv, "the store no longer opens")
            assert all(repr(rows_after.get(k)) == repr(r) for k, r in rows_before.items()), argv


FUZZ = fuzz_settings(10)


@FUZZ
@given(invocations())
def test_fuzz_exit_0_or_2_one_line_no_traceback_store_kept(inv):
    _check(*inv)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invocations())
def test_fuzz_many(inv):
    _check(*inv)


# ---- regressions: inputs the fuzzing found ----------------------------------------------------


def _run(argv: list[str], cwd: Path) -> tuple[int, str]:
    code, _, err = run_cli(argv, cwd)
    return code, err


def _sweep(tmp_path: Path, text: str) -> tuple[int, str]:
    cfg = tmp_path / "s.toml"
    cfg.write_text(text)
    argv = ["sweep", str(cfg), "--store", str(tmp_path / "s.sqlite"), "--workers", "1", "--quiet"]
    return _run(argv, tmp_path)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def test_a_device_as_a_conv_target_file_is_refused_not_read(tmp_path):
    # target = "/dev/zero" was read to its (missing) end to hash it, until memory ran out; in
    # a child with 4 GiB of address space and a time limit, so that a regression fails here
    cfg = tmp_path / "s.toml"
    cfg.write_text('[runs]\nconstruction = "cnn"\ntarget = "/dev/zero"\ninput_shape = [1, 4, 4]\n'
                   "n = 3\n")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "approx.cli", "sweep", str(cfg), "--store", str(tmp_path / "s.db")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert done.returncode == 2, done.stderr
    assert "target='/dev/zero' is not a regular file" in done.stderr
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("extra", ["conv = [99999999999]", "conv = [2]\ndense = [99999999999]"])
def test_a_huge_generated_conv_target_is_refused_before_it_is_drawn(tmp_path, extra):
    # conv = [99999999999] asked the allocator for 7 TB while the file was read (exit 2 as
    # "out of memory ... lower --n", the wrong advice); now counted from the shapes first
    text = f"[runs]\n{extra}\ninput_shape = [1, 4, 4]\nn = 3\n"
    code, err = _sweep(tmp_path, text)
    assert code == 2
    assert "weights, more than the 134,217,728 a target may have" in err
    assert "out of memory" not in err


@pytest.mark.parametrize(
    ("target", "key"), [("circle", "directions"), ("relu-chain", "depth")]
)  # fmt: skip
def test_a_huge_builtin_compare_target_is_a_failed_point_not_a_crash(tmp_path, target, key):
    # [compare] directions = 99999999999 (or relu-chain depth) raised RuntimeError/MemoryError
    # in the point: "raised an unexpected error", a traceback and exit 1
    text = f'[compare]\nmethod = "greedy"\ntarget = "{target}"\n{key} = 99999999999\nn = 3\n'
    code, err = _sweep(tmp_path, text)
    assert code == 0, err
    (row,) = load_rows(tmp_path / "s.sqlite")
    assert row.status == "failed"
    assert f"{key}=99999999999 gives a target of" in row.error


def test_compare_with_a_huge_circle_target_is_refused_naming_it(tmp_path):
    # exit 2 before, but as "out of memory (... 799999999992 bytes); lower --n", wrong advice
    argv = ["compare", "--target", "circle", "--directions", "99999999999", "--methods",
            "greedy", "--samples", "16", "--ascent-steps", "0", "--quiet"]  # fmt: skip
    code, err = _run(argv, tmp_path)
    assert code == 2
    assert "directions=99999999999 gives a target" in err and "memory" not in err


def test_arrays_nested_too_deeply_for_the_toml_parser_are_refused(tmp_path):
    # n = [[[[...]]]] 5000 deep: tomllib's RecursionError escaped as a traceback
    code, err = _sweep(tmp_path, "[runs]\nn = " + "[" * 5000 + "]" * 5000 + "\n")
    assert code == 2
    assert "nests arrays or tables too deeply" in err
    code, err = _sweep(tmp_path, "[runs]\nn = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n")
    assert code == 2


def _store_with(tmp_path: Path, edit) -> Path:
    path = tmp_path / "store.sqlite"
    path.write_bytes(_template())
    with sqlite3.connect(path) as c:
        edit(c)
    c.close()
    return path


def _set_run_result(c, field: str, value) -> None:
    rowid, result = c.execute("SELECT rowid, result FROM points WHERE kind = 'run'").fetchone()
    r = json.loads(result)
    r[field] = value
    c.execute("UPDATE points SET result = ? WHERE rowid = ?", (json.dumps(r), rowid))


@pytest.mark.parametrize(
    ("field", "value"),
    [("certified_error", None), ("certified_error", "x"), ("construction", []), ("seed", "0"),
     ("device", None), ("dtype", 3)],
)  # fmt: skip
def test_report_refuses_a_run_row_whose_result_it_cannot_read(tmp_path, field, value):
    # "certified_error": null in a stored run: TypeError in the run table (traceback); "x":
    # ValueError formatting it; "construction": []: unhashable in the tightness rows
    store = _store_with(tmp_path, lambda c: _set_run_result(c, field, value))
    before = store.read_bytes()
    argv = ["report", str(store), "--out", str(tmp_path / "r"), "--proofs-check", "none"]
    code, err = _run(argv, tmp_path)
    assert code == 2
    assert "row(s) hold results approx did not write" in err and field in err
    assert store.read_bytes() == before
    assert not (tmp_path / "r").exists()


def test_report_of_a_row_whose_config_has_no_kind_writes_the_page(tmp_path):
    # the template holds a failed row stored with config {"n": 0} (no "kind"): the report's
    # reproduce section raised KeyError: 'kind'
    store = _store_with(tmp_path, lambda c: None)
    assert any("kind" not in r.config for r in load_rows(store))
    argv = ["report", str(store), "--out", str(tmp_path / "r"), "--proofs-check", "none"]
    assert _run(argv, tmp_path)[0] == 0
    assert (tmp_path / "r" / "index.html").is_file()


def test_plot_of_a_store_without_rows_creates_no_directory(tmp_path):
    # exit 2 (nothing to draw) left the empty --out directory behind
    store = _store_with(tmp_path, lambda c: c.execute("DELETE FROM points"))
    code, _ = _run(["plot", str(store), "--out", str(tmp_path / "figs")], tmp_path)
    assert code == 2
    assert not (tmp_path / "figs").exists()


def test_tightness_refuses_a_stored_probe_whose_result_it_cannot_read(tmp_path):
    # a stored probe row with "certified_error": null was compared with eps: TypeError
    store = tmp_path / "t.sqlite"
    assert _run(["tightness", "--store", str(store), *TIGHTNESS], tmp_path)[0] == 0
    with sqlite3.connect(store) as c:
        _set_run_result(c, "certified_error", None)
    c.close()
    before = [repr(r) for r in load_rows(store)]
    code, err = _run(["tightness", "--store", str(store), *TIGHTNESS], tmp_path)
    assert code == 2
    assert "row(s) hold results approx did not write" in err
    assert [repr(r) for r in load_rows(store)] == before


def test_a_long_list_or_many_unknown_keys_give_a_short_error_line(tmp_path):
    # n = [-1, 0, ..., 9999] printed all 10,001 entries on the error line (58,960 characters);
    # 3,000 unknown keys printed every one (26,179)
    code, err = _sweep(tmp_path, f"[runs]\nn = {list(range(-1, 10000))}\n")
    assert code == 2
    assert "n=[-1, 0, 1," in err and "(10,001 entries): every entry must be an integer" in err
    assert len(err) < 400
    code, err = _sweep(tmp_path, "[runs]\n" + "".join(f"k{i} = 1\n" for i in range(3000)))
    assert code == 2
    assert "unknown key(s) ['k0'" in err and "(3,000 entries)" in err
    assert len(err) < 800


@pytest.mark.parametrize(
    ("column", "text"), [("result", "{"), ("result", "[" * 100_000), ("config", "[" * 100_000)]
)
def test_a_row_whose_json_cannot_be_read_back_is_refused_by_every_reader(tmp_path, column, text):
    # a failed row whose result held "{" passed the opening check (only "ok" results were
    # parsed) and raised JSONDecodeError in load_rows: tracebacks from plot, report, export;
    # JSON nested 100,000 deep raised RecursionError in the check itself
    def edit(c):
        c.execute(f"UPDATE points SET {column} = ? WHERE status = 'failed'", (text,))

    store = _store_with(tmp_path, edit)
    before = store.read_bytes()
    for argv in (["export", str(store)], ["plot", str(store), "--out", str(tmp_path / "f")]):
        code, err = _run(argv, tmp_path)
        assert code == 2
        assert "corrupt row(s)" in err and len(err.splitlines()) == 1
    assert store.read_bytes() == before
