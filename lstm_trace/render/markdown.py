"""Markdown tables, one per section, with the maths in $…$: a worked solution to publish or hand in."""

from __future__ import annotations

from ..numeric.engine import Trace
from .rows import RowText, grouped, loss_text
from .text import LatexStyle, safe_text

# Text outside the maths, as written: no table cell ends at a |, no HTML (<script>) or entity
# (&amp;), no code span, no maths begun by a $, no link made by ](; backslashes kept as such.
MARKDOWN = str.maketrans(
    {
        **{c: "\\" + c for c in "\\`|$"},
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
    }
)


def md_text(text: str) -> str:
    """Text (a scenario's name, a note, a table cell) shown as written in Markdown: control
    characters and newlines written as escapes (safe_text), Markdown's active characters escaped."""
    return safe_text(text).translate(MARKDOWN).replace("](", "]\\(")


def _math(s: str) -> str:
    return f"${s}$".replace("|", r"\vert ") if s else ""


def render_markdown(trace: Trace, groups: list[tuple[str, list[RowText]]] | None = None) -> str:
    """groups: rows in LaTeX notation (grouped(..., style=LatexStyle)); all of them by default."""
    sc = trace.scenario
    groups = grouped(trace, style=LatexStyle) if groups is None else groups
    lines = [f"# {md_text(sc.name or 'LSTM trace')}", ""]
    if sc.source:
        lines += [f"Source: {md_text(sc.source)}", ""]
    lines += [f"{sc.cell} cell, D={sc.D}, H={sc.H}, T={sc.T}, loss {sc.loss}, {sc.optimizer} λ={sc.lr:g}", ""]
    for title, rows in groups:
        lines += [f"## {md_text(title)}", "", "| quantity | equation | with numbers | value |", "|---|---|---|---|"]
        for r in rows:
            shown = _math(r.substituted) if r.substituted else (f"({md_text(r.note)})" if r.note else "")
            lines.append(f"| {_math(r.lhs)} | {_math(r.symbolic)} | {shown} | {_math(r.value)} |")
        lines.append("")
    lines.append(loss_text(trace))  # numbers only; with iterations, two lines
    lines += [f"\n> warning: {md_text(w)}" for w in trace.warnings]
    return "\n".join(lines) + "\n"
