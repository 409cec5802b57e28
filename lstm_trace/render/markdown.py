"""Markdown tables, one per section, with the maths in $…$: a worked solution to publish or hand in."""

from __future__ import annotations

from ..numeric.engine import Trace
from .batchview import header_notes
from .rows import TRAINED, RowText, grouped, loss_parts
from .texchars import tex_prose
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
    lines += [
        f"{md_text(sc.cell)} cell, $D={sc.D}$, $H={sc.H}$, $T={sc.T}$, loss {md_text(sc.loss)}, "
        f"{md_text(sc.optimizer)} $\\lambda={sc.lr:g}$",
        "",
    ]
    lines += [line for note in header_notes(trace) for line in (typeset(note), "")]  # a source's layout, a batch
    for title, rows in groups:
        lines += [f"## {md_text(title)}", "", "| quantity | equation | with numbers | value |", "|---|---|---|---|"]
        for r in rows:
            shown = _math(r.substituted) if r.substituted else (f"({md_text(r.note)})" if r.note else "")
            lines.append(f"| {_math(r.lhs)} | {_math(r.symbolic)} | {shown} | {_math(r.value)} |")
        lines.append("")
    lines += loss_lines(trace) if sc.loss in TRAINED else []  # forward only, or a given upstream gradient: none
    lines += [f"\n> warning: {typeset(w)}" for w in trace.warnings]
    return "\n".join(lines) + "\n"


def loss_lines(trace: Trace) -> list[str]:
    """Loss: $E_{0} = …$, …; $E = \\sum_t E_{t} = …$ and, with iterations, E after each (a paragraph each)."""
    terms, total, each = loss_parts(trace, style=LatexStyle)
    out = [f"Loss: {', '.join(_math(t) if t else '…' for t in terms)}; {_math(total)}"]
    if each:
        per = ", ".join(f"{k}: {_math(e)}" for k, e in each)
        out += ["", f"Iteration {trace.iteration} of {len(each)} traced. Loss per iteration: {per}"]
    return out


def typeset(sentence: str) -> str:
    """A sentence of the tool's (a warning) with its maths in $…$ and its prose escaped."""
    return "".join(_math(text) if maths else md_text(text) for maths, text in tex_prose(sentence))
