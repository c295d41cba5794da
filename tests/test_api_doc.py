"""docs/api.md names only what exists: every `approx.…` name on the page resolves, every
`approx.f(a, b, …)` it shows names f's leading parameters, and its list of exports is
`approx.__all__`. Imports and introspection only (no run): well under a second."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import approx

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
DOTTED = re.compile(r"\bapprox(?:\.[A-Za-z_]\w*)+")
# `approx.name(arg, arg, ...)` or, in the exports table, `name(arg, arg, ...)` at a cell's start
CALL = re.compile(r"`(?:approx\.)?((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\(([^`]*)\)`")


def _text() -> str:
    return API_DOC.read_text(encoding="utf-8")


def _resolve(dotted: str):
    """The object a dotted name names: its longest importable module, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def test_every_dotted_approx_name_on_the_page_exists():
    names = set(DOTTED.findall(_text()))
    assert "approx.engine.subset_sum.any_size.solve_any_size" in names  # the pattern finds them
    missing = []
    for name in sorted(names):
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, f"docs/api.md names what does not exist: {missing}"


def test_every_name_imported_from_approx_on_the_page_exists():
    imported = re.findall(r"^from approx import (.+)$", _text(), re.M)
    assert imported, "docs/api.md's example imports from approx"
    for line in imported:
        for name in (n.strip() for n in line.split(",")):
            assert name in approx.__all__, name


def _top_level_args(shown: str) -> list[str]:
    """`shown` split at the commas outside brackets."""
    args, depth, current = [], 0, ""
    for ch in shown:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    return [*args, current.strip()]


def _shown_parameters(shown: str) -> tuple[list[str], list[str]]:
    """The positional and keyword parameter names a call shown in the text spells out
    (a bare `*` and a `...` standing for the parameters not shown are dropped)."""
    kept = [a for a in _top_level_args(shown.replace("…", "...")) if a not in ("*", "...", "")]
    code = ", ".join(a.replace("=...", "=None") for a in kept)
    call = ast.parse(f"f({code})", mode="eval").body
    assert isinstance(call, ast.Call), shown
    positional = [a.id for a in call.args if isinstance(a, ast.Name)]
    keywords = [k.arg for k in call.keywords if k.arg is not None]
    return positional, keywords


def test_calls_shown_on_the_page_name_the_real_parameters():
    checked = 0
    for name, shown in CALL.findall(_text()):
        head = name.split(".")[0]
        if head not in approx.__all__ and head not in ("engine", "Masks", "Network"):
            continue  # a method of a result (`r.to_json()`) or torch's own function
        obj = _resolve(f"approx.{name}")
        params = [
            p.name
            for p in inspect.signature(obj).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
        ]
        positional, keywords = _shown_parameters(shown)
        where = f"docs/api.md shows {name}({shown}); the parameters are {params}"
        assert positional == params[: len(positional)], where
        assert set(keywords) <= set(params), where
        checked += 1
    assert checked >= 15, checked  # the pattern still finds the page's calls


def test_the_page_lists_every_export():
    table = _text().split("## Every name `approx` exports", 1)
    assert len(table) == 2, "docs/api.md has its list of exports"
    listed = set(re.findall(r"`([A-Za-z_]\w*)[(`]", table[1]))
    exported = set(approx.__all__) - {"__version__"}
    assert exported <= listed, f"not on docs/api.md's list: {sorted(exported - listed)}"
