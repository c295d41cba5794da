"""The page's markup: escaped text, tables whose numeric cells carry their exact value, embedded
figures, and the page around them (plain HTML + CSS, nothing loaded from anywhere).

The output is also well-formed XML (every element closed, only XML's entities), so a strict
parser reads it back; numeric cells hold the rounded number as text and the stored value, to
the last digit, in `data-value`.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fff0f0; }
.scroll { max-height: 30em; overflow: auto; border: 1px solid #eee; display: inline-block; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.note { color: #555; font-size: 0.9em; }
nav a { margin-right: 1em; }
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Num:
    """A numeric cell: `text` shown, `value` (the stored number) kept in data-value."""

    value: float | int
    text: str


def num(value: float | int | None, fmt: str = ".4g") -> Num | str:
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return Num(value, "unbounded" if value > 0 else "-")
    return Num(value, f"{value:{fmt}}")


def _cell(value: object) -> str:
    if isinstance(value, Num):
        return f'<td class="num" data-value="{esc(repr(value.value))}">{esc(value.text)}</td>'
    return f"<td>{esc(value)}</td>"


def table(
    table_id: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    row_attrs: Iterable[dict[str, str]] | None = None,
    scroll: bool = False,
) -> str:
    """A table with id `table_id`; `row_attrs` adds attributes to each <tr> (e.g. its key)."""
    rows = list(rows)
    attrs = list(row_attrs) if row_attrs is not None else [{} for _ in rows]
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "\n".join(
        "<tr" + "".join(f' {k}="{esc(v)}"' for k, v in a.items()) + ">"
        + "".join(_cell(c) for c in row) + "</tr>"
        for row, a in zip(rows, attrs, strict=True)
    )  # fmt: skip
    out = (
        f'<table id="{esc(table_id)}"><thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table>"
    )
    return f'<div class="scroll">{out}</div>' if scroll else out


def figure(stem: str, png: bytes, caption: str, commands: str) -> str:
    """An embedded PNG (base64 data URI) with its caption and the commands that redraw it."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="fig-{esc(stem)}"><img src="data:image/png;base64,{data}" '
        f'alt="{esc(caption)}" />\n<figcaption>{esc(caption)}</figcaption></figure>\n'
        f'<p class="note">Redraw it:</p><pre>{esc(commands)}</pre>'
    )


def paragraph(text: str, cls: str | None = None) -> str:
    return f'<p class="{esc(cls)}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def page(title: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document; `sections` are (anchor, heading, inner html) in order, each a
    <section id=anchor> linked from the nav."""
    nav = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = "\n".join(
        f'<section id="{esc(a)}"><h2>{esc(t)}</h2>\n{h}\n</section>' for a, t, h in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style></head>\n"
        f"<body><h1>{esc(title)}</h1>\n<nav>{nav}</nav>\n{body}\n</body></html>\n"
    )
