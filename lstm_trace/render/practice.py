"""The practice page of lstm-trace serve, and what its script is sent: the sheet's verdicts and hints.

The page is the worked solution's (render/html.py: typeset, a section per step, anchors) with each
quantity asked for shown by its equation and a box to type the answer in; the value is shown only in
instructor mode.  Verdicts are the check's, worded for a student still working: a wrong answer says
so, and its likely cause and the equation with the right numbers come only with a hint.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..grading.graph import Graph
from ..grading.verdicts import Report, Verdict
from ..numeric.engine import Trace
from .html import given_section, header, page_groups, section_id
from .mathml import MathStyle, esc, mathml, matrix
from .page import asset, page, script_json
from .report import cause_text, message
from .rows import row_text
from .text import display_name

INTRO = (
    '<p class="legend">Type each answer in its box as you work it out (a number, a vector [0.1, -0.2] or a '
    "matrix [[1, 2], [3, 4]]): it is graded at once and saved to the answers file, which "
    "<code>lstm-trace check</code> grades the same way. “hint” shows the equation with the right numbers.</p>"
)


def practice_page(trace: Trace, names: list[str], report: Report, texts: dict[str, str], instructor: bool) -> str:
    """The whole page: the given values, then every quantity asked for with its box, in the order worked."""
    sc, asked = trace.scenario, set(names)
    d = sc.decimals
    groups = [(t, [r for r in rows if r.name in asked]) for t, rows in page_groups(trace, decimals=d, max_items=8)]
    groups = [(t, rows) for t, rows in groups if rows]
    graph = report.graph  # the trace's, as grading made it
    given = [n for n in trace.values if n not in graph.nodes]  # parameters, inputs, labels: all of them
    body = [INTRO, _score_box(), given_section(trace, given, d)]
    toc = [("given", "Given")]
    for title, rows in groups:
        toc.append((section_id(rows[0]), title))
        cells = "".join(_quantity(r, texts.get(r.name, ""), instructor) for r in rows)
        body.append(f'<section id="{section_id(rows[0])}"><h2>{esc(title)}</h2>{cells}</section>')
    shown = {r.name for _, rows in groups for r in rows}
    others = [_other(trace, graph, n, d) for n in names if n not in shown]  # za_0, δgates_0, a source's dW_x
    if others:
        toc.append(("also", "Also asked"))
        cells = "".join(_quantity(r, texts.get(r.name, ""), instructor) for r in others)
        body.append(f'<section id="also"><h2>Also asked</h2>{cells}</section>')
    data = {"state": state(report, texts, instructor), "instructor": instructor}
    html = page(f"Practice: {sc.name or 'LSTM trace'}", header(trace), body, toc)
    extra = (
        f"<style>\n{asset('practice.css')}</style>"
        f'<script type="application/json" id="lstm-practice">{script_json(data)}</script>'
        f'<script type="module">\n{asset("practice.js")}</script>'
    )
    return html.replace("</body>", extra + "</body>", 1)


def _score_box() -> str:
    return '<aside class="score" aria-live="polite"><h2>Score</h2><ol class="parts"></ol></aside>'


def _other(trace: Trace, graph: Graph, name: str, d: int) -> Any:
    """A quantity asked for that the worked solution prints inside another (za_0, δW_a) or under a
    source's own name (dweight_hh_l0): its own row where the graph makes one, else its name and value."""
    row = graph.row(name)
    if row is not None and row.name == name:
        return row_text(trace, row, style=MathStyle)
    value = matrix(trace.values[name], d, True)
    return SimpleNamespace(name=name, lhs=MathStyle.display(name), symbolic="", substituted="", value=value)


def _quantity(r: Any, text: str, instructor: bool) -> str:
    eqs = [r.symbolic] if r.substituted else []
    if instructor:
        eqs.append(r.value)
    lines = "".join(f'<div class="eq"><span class="rel">=</span>{mathml(x)}</div>' for x in eqs)
    label = f"answer for {display_name(r.name)}"
    box = (
        f'<div class="answer"><input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" '
        f'name="{esc(r.name)}" aria-label="{esc(label)}" value="{esc(text)}">'
        f'<span class="verdict" aria-live="polite"></span>'
        f'<button class="hint" type="button">hint</button><div class="hint-body" hidden></div></div>'
    )
    head = f'<a class="lhs" href="#{esc(r.name)}">{mathml(r.lhs)}</a>'
    return f'<div class="q practice" id="{esc(r.name)}" data-q="{esc(r.name)}">{head}{lines}{box}</div>'


def _verdict(report: Report, v: Verdict, instructor: bool) -> dict[str, Any]:
    d = report.trace.scenario.decimals
    if v.verdict == "wrong" and not instructor:
        note = "not right yet: try again, or ask for a hint"
    elif v.verdict in ("invalid", "unknown"):
        note = v.problem  # no line number: the box is the line
    else:
        note = message(v, d, hide_expected=not instructor)
    out: dict[str, Any] = {
        "verdict": v.verdict,
        "message": note,
        "carried_from": [{"name": n, "shown": display_name(n)} for n in v.carried_from],
    }
    if instructor and v.expected is not None:
        out["expected"] = v.expected.tolist()
    return out


def state(report: Report, texts: dict[str, str], instructor: bool) -> dict[str, Any]:
    """The answers kept, each one's verdict, and the score of each part (what the page's script shows)."""
    verdicts = {v.name: _verdict(report, v, instructor) for v in report.verdicts if v.name in texts}
    return {
        "answers": dict(texts),
        "verdicts": verdicts,
        "parts": [
            {"id": p.id, "title": p.title, "score": round(p.score, 6), "max_score": p.max_score} for p in report.parts
        ],
        "score": round(report.score, 6),
        "max_score": report.max_score,
    }


def hint(report: Report, name: str, instructor: bool) -> dict[str, Any]:
    """The equation with the right numbers (MathML), and the likely cause of a wrong answer."""
    trace = report.trace
    row = report.graph.row(name)
    shown = row_text(trace, row, style=MathStyle) if row is not None else None
    v = next((v for v in report.verdicts if v.name == name), None)
    cause = cause_text(v.cause, v.expected if instructor else None) if v and v.verdict == "wrong" and v.cause else ""
    return {
        "name": name,
        "equation": mathml(shown.symbolic) if shown and shown.substituted else "",
        "numbers": mathml(shown.substituted) if shown and shown.substituted else "",
        "cause": cause,
        "value": mathml(shown.value) if shown and instructor else "",
    }


__all__ = ["hint", "practice_page", "state"]
