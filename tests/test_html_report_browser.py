"""The report in a real headless browser (Debian's chromium driven by playwright through
`executable_path`, no browser download): it loads from a file with no console error and no
network request, every figure is rendered with a non-zero size, and the tables read back from
the DOM hold the store's numbers and the proofs_check run's rows. A full-page screenshot is
kept for a person to look at (in $APPROX_BROWSER_ARTIFACTS, else the test's temporary
directory).

Marked `browser`: `make test-browser` runs them (.ci/run does, after installing chromium and
playwright); elsewhere they skip, saying what is missing."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest

import proofs_check.runner
from approx.cli.report import run_proofs
from approx.experiments.grid import config_from_dict
from approx.experiments.htmlreport import write_report
from approx.experiments.htmlreport.sections import success_rows
from approx.experiments.runner import sweep
from approx.experiments.store import load_rows

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("APPROX_CHROMIUM") or shutil.which("chromium")
try:
    from playwright import sync_api
except ImportError:
    sync_api = None
MISSING = [
    *(["playwright (pip install -e '.[browser]')"] if sync_api is None else []),
    *(["chromium (apt-get install chromium, or set APPROX_CHROMIUM)"] if CHROMIUM is None else []),
]
if MISSING:
    why = "the browser test needs " + " and ".join(MISSING)
    if os.environ.get("APPROX_REQUIRE_BROWSER"):  # CI: a missing browser is a failure
        pytest.fail(why, pytrace=False)
    pytest.skip(why, allow_module_level=True)

GRID = {
    "runs": {"construction": ["pensia", "malach"], "width": 2, "depth": [1, 2], "n": [2, 4],
             "seed": [0, 1], "eps": 0.1, "delta": 0.1, "empirical_samples": 16,
             "ascent_steps": 1},
    "subset_sum": {"distribution": "uniform", "n": [4, 8], "seed": [0, 1], "trials": 200},
}  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """(the store, the browser page with the report loaded, what the page logged)."""
    tmp = tmp_path_factory.mktemp("browser")
    store = tmp / "grid.sqlite"
    sweep(config_from_dict(GRID).points, store, workers=1, progress=False)
    proofs = run_proofs("quick", progress=False)  # what `approx report` shows by default
    index = write_report(store, tmp / "report", lambda: proofs)
    log: dict[str, list] = {"console": [], "errors": [], "requests": []}
    # chromium refuses to run as root with its sandbox (containers, CI)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: log["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
        page.on("request", lambda r: log["requests"].append(r.url))
        page.route("http*://**", lambda route: route.abort())  # no network, should it ask
        page.goto(index.as_uri(), wait_until="load")
        artifacts = Path(os.environ.get("APPROX_BROWSER_ARTIFACTS") or tmp)
        artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=artifacts / "report.png", full_page=True)
        yield store, page, log, artifacts / "report.png", proofs
        browser.close()


def test_loads_with_no_console_error_and_no_network(loaded):
    _, page, log, shot, _ = loaded
    assert page.title().startswith("approx report:")
    assert [m for m in log["console"] if m[0] in ("error", "warning")] == []
    assert log["errors"] == []
    assert [u for u in log["requests"] if not u.startswith(("file:", "data:"))] == []
    assert shot.stat().st_size > 10_000


def test_every_figure_is_rendered_with_a_non_zero_size(loaded):
    _, page, _, _, _ = loaded
    sizes = page.eval_on_selector_all(
        "figure img",
        "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight,"
        " e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
    )
    assert len(sizes) == 4
    for complete, nw, nh, w, h in sizes:
        assert complete and nw > 100 and nh > 100 and w > 100 and h > 50


def test_the_tables_in_the_dom_hold_the_stores_numbers(loaded):
    store, page, _, _, _ = loaded
    rows = {r.key: r.result for r in load_rows(store, "run")}
    dom = page.eval_on_selector_all(
        "#run-table tbody tr",
        "trs => trs.map(tr => [tr.dataset.key, [...tr.cells].map(c => c.innerText),"
        " [...tr.cells].map(c => c.dataset.value ?? null)])",
    )
    assert {k for k, _, _ in dom} == set(rows) and len(rows) == 16
    for key, texts, values in dom:
        r = rows[key]
        assert texts[0] == r["construction"] and int(texts[3]) == r["seed"]
        assert float(values[9]) == r["certified_error"]  # the stored float, to the last digit
        assert float(values[10]) == r["empirical_error"]
        assert math.isclose(float(texts[9]), r["certified_error"], rel_tol=1e-4)
        assert int(texts[6].replace(",", "")) == r["random_params"]
    success = page.eval_on_selector_all(
        "#success-table tbody tr", "trs => trs.map(tr => [...tr.cells].map(c => c.innerText))"
    )
    expected = success_rows(load_rows(store))
    assert [[int(s[2]), int(s[4]), int(s[5])] for s in success] == [
        [e["n"], e["successes"], e["trials"]] for e in expected
    ]


def test_the_proofs_check_table_in_the_dom_is_every_check_of_the_run(loaded):
    """One row per check proofs_check's quick mode runs, in its order, each with the run's
    status and detail; failed rows (none expected) marked; the findings listed; the run's time
    and software above the table."""
    _, page, _, _, proofs = loaded
    dom = page.eval_on_selector_all(
        "#proofs-table tbody tr",
        "trs => trs.map(tr => [tr.dataset.check, tr.className,"
        " [...tr.cells].map(c => c.innerText)])",
    )
    expected = [r.name for r in proofs.results]  # a result may name its case: step.q2/3
    assert [d[0] for d in dom] == expected
    assert len(expected) == len(proofs_check.runner.checks(True, 0)) >= 40
    for (name, cls, cells), r in zip(dom, proofs.results, strict=True):
        assert cells[0] == name == r.name and cells[2] == r.method
        assert cells[3] == r.status.upper() and cells[4] == r.detail.strip()
        assert cls == ("fail" if r.status != "pass" else "")
    assert all(r.status == "pass" for r in proofs.results), [
        r.name for r in proofs.results if r.status != "pass"
    ]
    findings = page.eval_on_selector_all("#proofs-findings li b", "bs => bs.map(b => b.innerText)")
    assert findings == [r.name for r in proofs.results if r.finding] and findings
    head = page.inner_text("#proofs p")
    assert f"{len(expected)} checks, {len(expected)} passed, 0 failed; quick mode" in head
    assert proofs.started_at in head and "sympy " in head
    box = page.eval_on_selector("#proofs-table", "t => t.getBoundingClientRect().height")
    assert box > 100  # laid out, not hidden
