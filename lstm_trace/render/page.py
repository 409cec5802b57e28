"""One self-contained HTML page: the head, the inline CSS and JavaScript (assets/), a table of contents.

Nothing on the page is fetched: the styles and the script are inline, the maths is MathML and the
pictures inline SVG, so the file works offline and makes no network request. Text a user wrote
reaches the page through mathml.esc; the data for the script is JSON that cannot close its tag.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .mathml import esc, mathml

# what a page's rows show about the graph: the legend of the highlight colours
LEGEND = (
    '<p class="legend">Hover over, focus or click a quantity: <span class="k-self">it</span>, '
    '<span class="k-in">what it is computed from</span>, <span class="k-out">what is computed from it</span>; '
    "“why?” opens its tree, back to the given values.</p>"
)


@cache
def asset(name: str) -> str:
    """A file of render/assets/ (the page's CSS and script), shipped as package data."""
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON inside <script>: ASCII, and no <, > or & that could end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(
    title: str, header: str, body: list[str], toc: list[tuple[str, str]] = (), graph: dict[str, Any] | None = None
) -> str:
    """The whole page. title: as the user wrote it (escaped here); header, body: HTML; toc: (anchor, title)."""
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="generator" content="lstm-trace">',
        f"<title>{esc(title)}</title>",
        f"<style>\n{asset('page.css')}</style>",
        "</head>",
        "<body>",
    ]
    nav = []
    if toc:
        links = "".join(f'<li><a href="#{esc(anchor)}">{esc(text)}</a></li>' for anchor, text in toc)
        nav = [f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{links}</ol></nav>']
    tail = ["</body>", "</html>", ""]
    if graph is not None:
        tail[:0] = [
            f'<script type="application/json" id="lstm-graph">{script_json(graph)}</script>',
            f'<script type="module">\n{asset("page.js")}</script>',
        ]
    return "\n".join([*head, f"<header>{header}</header>", *nav, "<main>", *body, "</main>", *tail])


def quantity(anchor: str, lhs: str, lines: list[str], note: str = "", why: bool = True) -> str:
    """A quantity as a worked solution writes it: its name, then = equation, = numbers, = value, aligned.

    anchor: its canonical name (the id a teacher links to); lhs and lines: LaTeX printed by the project;
    note: plain text (escaped here) after the value.
    """
    rows = []
    for k, latex in enumerate(lines):
        last = k == len(lines) - 1
        extra = f'<span class="note">({esc(note)})</span>' if last and note else ""
        rows.append(f'<div class="eq{" val" if last else ""}"><span class="rel">=</span>{mathml(latex)}{extra}</div>')
    button = '<button class="why" type="button" aria-expanded="false">why?</button>' if why else ""
    return (
        f'<div class="q" id="{esc(anchor)}" data-q="{esc(anchor)}">'
        f'<a class="lhs" href="#{esc(anchor)}">{mathml(lhs)}</a>{"".join(rows)}{button}</div>'
    )
