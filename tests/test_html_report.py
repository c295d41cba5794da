"""`approx report`: one HTML page that parses strictly, holds the store's numbers to the last
digit, embeds every figure the store supports, needs no network, and offers a sweep file whose
grid is exactly the store's points. (In a real browser: tests/test_html_report_browser.py.)"""

from __future__ import annotations

import base64
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import proofs_check.runner
from approx import __version__
from approx.cli import main
from approx.experiments.grid import config_from_dict
from approx.experiments.htmlreport import write_report
from approx.experiments.htmlreport.reproduce import sweep_toml
from approx.experiments.htmlreport.sections import success_rows
from approx.experiments.runner import Runner, sweep
from approx.experiments.store import ResultStore, load_rows, point_key
from approx.experiments.tightness import tightness, tightness_from_results
from proofs_check.result import CheckResult

GRID = {
    "runs": {
        "construction": "pensia",
        "width": 2,
        "depth": [1, 2],
        "n": [2, 3, 4],
        "seed": [0, 1],
        "eps": 0.1,
        "delta": 0.1,
        "empirical_samples": 16,
        "ascent_steps": 1,
    },
    "subset_sum": {"distribution": ["uniform", "pensia"], "n": [4, 8], "seed": [0, 1],
                   "trials": 200},
}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "grid.sqlite"
    failed, *points = config_from_dict(GRID).points
    sweep(points, path, workers=1, progress=False)
    with ResultStore(path) as st:  # one grid point stored as failed, as a sweep stores a refusal
        st.add("run", failed, error="too large", seconds=0.0)
    return path


@pytest.fixture(scope="module")
def page(store, tmp_path_factory) -> tuple[Path, ET.Element]:
    out = tmp_path_factory.mktemp("out") / "report"
    path = write_report(store, out)
    assert path == out / "index.html"
    return path, ET.fromstring(path.read_text(encoding="utf-8"))


def _by_id(root: ET.Element, id_: str) -> ET.Element:
    (el,) = [e for e in root.iter() if e.get("id") == id_]
    return el


def test_the_run_table_holds_every_run_row_to_the_last_digit(store, page):
    _, root = page
    rows = {r.key: r for r in load_rows(store, "run") if r.status == "ok"}
    trs = {tr.get("data-key"): tr for tr in _by_id(root, "run-table").iter("tr")}
    trs.pop(None)  # the header row
    assert set(trs) == set(rows) and len(rows) == 11
    for key, tr in trs.items():
        r = rows[key].result
        values = [td.get("data-value") for td in tr.iter("td")]
        texts = [td.text for td in tr.iter("td")]
        assert texts[0] == r["construction"] and texts[1] == "-".join(map(str, r["target_widths"]))
        assert values[9] == repr(r["certified_error"]) and values[10] == repr(r["empirical_error"])
        assert int(values[6]) == r["random_params"] and int(values[7]) == r["kept_params"]
        assert float(texts[9]) == pytest.approx(r["certified_error"], rel=1e-4)


def test_success_table_pools_seeds_with_wilson_intervals(store, page):
    _, root = page
    rows = load_rows(store)
    expected = success_rows(rows)
    mc = [r.result for r in rows if r.kind == "subset_sum"]
    assert len(expected) == 4  # 2 distributions x 2 n, seeds pooled
    for s in expected:
        same = [m for m in mc if (m["distribution"], m["n"]) == (s["distribution"], s["n"])]
        assert s["trials"] == 400 and s["successes"] == sum(m["successes"] for m in same)
        assert s["lo"] <= s["rate"] <= s["hi"]
    cells = [
        [td.get("data-value") or td.text for td in tr.iter("td")]
        for tr in _by_id(root, "success-table").iter("tr")
    ][1:]
    assert cells == [
        [s["distribution"], repr(s["eps"]), repr(s["n"]), repr(s["seeds"]), repr(s["successes"]),
         repr(s["trials"]), repr(s["rate"]), repr(s["lo"]), repr(s["hi"])]
        for s in expected
    ]  # fmt: skip


def test_every_figure_is_embedded_and_nothing_comes_from_the_network(page):
    path, root = page
    imgs = [e.get("src") for e in root.iter("img")]
    assert len(imgs) == 4  # error vs width, vs depth, success vs n, params vs eps
    for src in imgs:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64" and base64.b64decode(data).startswith(PNG)
    for e in root.iter():
        for attr in ("src", "href"):
            v = e.get(attr)
            assert v is None or v.startswith(("data:", "#")), (e.tag, v)
    assert not [e for e in root.iter() if e.tag in ("script", "link", "iframe", "object")]
    text = path.read_text()
    assert "url(" not in text and "@import" not in text


def test_failed_points_and_environment(page):
    _, root = page
    (_, row) = [[td.text for td in tr.iter("td")] for tr in _by_id(root, "failed-table").iter("tr")]
    assert row[0] == "run" and row[2] == "too large"
    assert json.loads(row[1]) == config_from_dict(GRID).points[0]
    env = ET.tostring(_by_id(root, "environment"), encoding="unicode")
    for needed in ("torch 2.", "numpy ", "python 3.", "matplotlib ", "CPU", "GPU", "cpu float64"):
        assert needed in env
    assert "<td>0,1</td>" in env  # the seeds


def test_the_sweep_file_on_the_page_reproduces_exactly_the_stores_grid(store, page):
    _, root = page
    pre = [e.text for e in _by_id(root, "reproduce").iter("pre")]
    toml = next(p for p in pre if p.startswith("[runs]"))
    points = config_from_dict(tomllib.loads(toml)).points
    grid = {r.key for r in load_rows(store)}  # the failed point is a grid point too
    assert {point_key(p) for p in points} == grid
    assert any(f"--store {store}" in p for p in pre)


def test_no_sweep_file_for_points_that_are_not_one_grid():
    grid = {"runs": {"construction": "pensia", "n": [2, 3], "seed": [0, 1]}}
    pts = list(config_from_dict(grid).points)
    assert sweep_toml(pts) is not None
    assert sweep_toml(pts[:-1]) is None  # a product grid minus one point
    assert sweep_toml([{**pts[0], "activation": "tanh"}]) is None  # a key grids do not write


def test_tightness_rows_from_a_store_equal_the_search_that_filled_it(tmp_path):
    with ResultStore(tmp_path / "t.sqlite") as st, Runner(st, 1, progress=False) as runner:
        row = tightness(runner, "pensia", (2, 2), 0.1, 0.1, seeds=3)
        results = [r.result for r in st.rows() if r.status == "ok"]
    (again,) = tightness_from_results(results)
    assert replace(again, n_max=row.n_max) == row  # the store does not know the search's reach
    # a store missing a seed's failure at N_s - 1 settles nothing
    s, n = max(enumerate(row.thresholds), key=lambda t: t[1])
    assert n > 1
    drop = [r for r in results if (r["seed"], r["n_per_layer"][0]) == (s, n - 1)]
    assert len(drop) == 1
    assert tightness_from_results([r for r in results if r is not drop[0]]) == []


def test_cli_writes_atomically_and_rejects_bad_paths(tmp_path, capsys):
    store = tmp_path / "one.sqlite"
    with ResultStore(store) as st:  # one failed point: no figure to draw, the page still says so
        st.add("run", config_from_dict(GRID).points[0], error="too large", seconds=0.0)
    out = tmp_path / "r"
    out.mkdir()
    (out / "index.html").write_text("old")
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.is_file()}
    assert main(["report", str(store), "--out", str(out), "--proofs-check", "none"]) == 0
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.is_file()} == before
    assert capsys.readouterr().out.strip() == f"wrote {out / 'index.html'}"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]  # no temporary left
    text = (out / "index.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and "error_vs_width: not drawn" in text
    assert main(["report", str(tmp_path / "missing.sqlite"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", str(store), "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "not a directory" in err


# Three fast symbolic checks and one with a finding, of proofs_check's own list, and a made-up
# check that fails: what the page's proofs_check table must show, in this order.
FEW_CHECKS = ("relu.scaling", "pensia.lemma3.parameter_count", "burkholz.leaky_half_lines")


def _made_up_failure() -> CheckResult:
    return CheckResult("made.up.failure", "(this test)", "1 = 2", "symbolic", "fail", "1 != 2")


@pytest.fixture
def few_checks(monkeypatch) -> SimpleNamespace:
    """proofs_check's checks cut to FEW_CHECKS and a failing one (the whole quick run takes
    half a minute: the browser test runs it): `names` it will run, `calls` its (quick, seed)
    per run."""
    every = proofs_check.runner.checks
    calls = []

    def few(quick, seed=0):
        calls.append((quick, seed))
        kept = [c for c in every(quick, seed) if c[0] in FEW_CHECKS]
        return [*kept, ("made.up.failure", _made_up_failure)]

    monkeypatch.setattr(proofs_check.runner, "checks", few)
    return SimpleNamespace(names=[*FEW_CHECKS, "made.up.failure"], calls=calls)


@pytest.fixture
def tiny_store(tmp_path) -> Path:
    """A store of one failed point: no figure to draw, so the page is written in milliseconds."""
    path = tmp_path / "one.sqlite"
    with ResultStore(path) as st:
        st.add("run", config_from_dict(GRID).points[0], error="too large", seconds=0.0)
    return path


def test_the_page_shows_the_proofs_check_run_and_when_and_with_what(
    tiny_store, few_checks, tmp_path, capsys
):
    out = tmp_path / "r"
    assert main(["report", str(tiny_store), "--out", str(out), "--quiet"]) == 0
    assert few_checks.calls == [(True, 0)]  # the quick checks, seed 0: the default
    root = ET.fromstring((out / "index.html").read_text(encoding="utf-8"))
    rows = [tr for tr in _by_id(root, "proofs-table").iter("tr") if tr.get("data-check")]
    assert [tr.get("data-check") for tr in rows] == few_checks.names
    cells = [[td.text for td in tr.iter("td")] for tr in rows]
    assert [c[0] for c in cells] == few_checks.names
    assert [c[3] for c in cells] == ["PASS", "PASS", "PASS", "FAIL"]
    assert [tr.get("class") for tr in rows] == [None, None, None, "fail"]
    findings = [li.find("b").text for li in _by_id(root, "proofs-findings").iter("li")]
    assert findings == ["burkholz.leaky_half_lines"]
    text = " ".join(_by_id(root, "proofs").itertext())
    assert "4 checks, 3 passed, 1 failed; quick mode, base seed 0" in text
    for needed in (f"approx {__version__}", "sympy ", "torch ", "numpy ", "python 3."):
        assert needed in text
    started = datetime.fromisoformat(re.search(r"started (\S+),", text).group(1))
    assert timedelta(0) <= datetime.now(UTC) - started < timedelta(minutes=10)
    assert "approx check-proofs --quick --seed 0 --report proofs_check.md" in text
    err = capsys.readouterr().err
    assert (
        err.strip() == "approx report: 1 proofs_check checks failed (on the page): made.up.failure"
    )


def test_proofs_check_full_none_and_no_run_before_the_paths_are_checked(
    tiny_store, few_checks, tmp_path
):
    store = tiny_store
    out = tmp_path / "r"
    assert main(["report", str(store), "--out", str(out), "--proofs-check", "full"]) == 0
    assert few_checks.calls == [(False, 0)]
    assert "full mode, base seed 0" in (out / "index.html").read_text(encoding="utf-8")
    assert main(["report", str(store), "--out", str(out), "--proofs-check", "none"]) == 0
    root = ET.fromstring((out / "index.html").read_text(encoding="utf-8"))
    assert not [e for e in root.iter() if e.get("id") == "proofs-table"]
    assert "Not included: the checks were not run" in " ".join(_by_id(root, "proofs").itertext())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", str(store), "--out", str(blocker)]) == 2
    assert main(["report", str(tmp_path / "missing.sqlite"), "--out", str(out)]) == 2
    assert few_checks.calls == [(False, 0)]  # neither bad path ran a check
