"""A graded sheet as a web page: a table per part with verdict colours, carried answers linked to the
mistake they follow from, the score, and the first mistake with its equation typeset."""

from __future__ import annotations

from ..grading.verdicts import Report, Verdict
from .mathml import MathStyle, esc, mathml, matrix
from .page import page, quantity
from .report import MARK, groups, message, min_significant, summary
from .rows import row_text

HEADINGS = ("quantity", "your answer", "expected", "verdict", "note")


def render_report_page(report: Report, decimals: int | None = None) -> str:
    sc = report.trace.scenario
    d = sc.decimals if decimals is None else decimals
    head = f"the printed answers (expected:) of {sc.file}" if report.file == sc.file else report.file
    title = f"Checking {head}: {sc.name}" if sc.name else f"Checking {head}"
    body = sheet(report, d)
    toc = [(f"part-{k}", heading) for k, (heading, _) in enumerate(groups(report))] + [("score", "Score")]
    if report.first_mistake is not None:
        toc.append(("first-mistake", "First mistake"))
    return page(title, f"<h1>{esc(title)}</h1>", body, toc)


def sheet(report: Report, d: int) -> list[str]:
    """The graded tables, a <section> per part, the score, and the first mistake."""
    first = report.first_mistake
    body = []
    for k, (heading, verdicts) in enumerate(groups(report)):
        rows = "".join(answer_row(report, v, d, v is first) for v in verdicts)
        cols = "".join(f'<th scope="col">{h}</th>' for h in HEADINGS)
        body.append(
            f'<section id="part-{k}"><h2>{esc(heading)}</h2><div class="wide"><table class="sheet">'
            f"<thead><tr>{cols}</tr></thead><tbody>{rows}</tbody></table></div></section>"
        )
    body.append(f'<section id="score"><h2>Score</h2><p class="score">{esc(summary(report))}</p></section>')
    if first is not None:
        body.append(first_mistake(report, first, d))
    return body


def answer_row(report: Report, v: Verdict, d: int, first: bool) -> str:
    label, _ = MARK[v.verdict]
    name = mathml(MathStyle.display(v.name)) if v.name else f'<span class="text">{esc(v.given_name)}</span>'
    anchor = f' id="{esc(v.name)}"' if v.name else ""
    expected = "" if v.expected is None else mathml(matrix(v.expected, d, True))
    cells = [
        f'<th scope="row">{name}</th>',
        f'<td class="text">{esc(v.text)}</td>',
        f"<td>{expected}</td>",
        f'<td class="verdict v-{v.verdict}">{esc(label)}</td>',
        f"<td>{note(report, v, d, first)}</td>",
    ]
    return f'<tr{anchor} class="r-{v.verdict}{" first" if first else ""}">{"".join(cells)}</tr>'


def note(report: Report, v: Verdict, d: int, first: bool = False) -> str:
    """The teacher's note; a carried answer links each mistake it follows from."""
    if v.verdict == "carried":
        links = ", ".join(f'<a href="#{esc(n)}">{mathml(MathStyle.display(n))}</a>' for n in v.carried_from)
        return f"follows from your {links}"
    text = esc(message(v, d, min_significant(report)))
    return text + (' (<a href="#first-mistake">the first mistake</a>)' if first else "")


def first_mistake(report: Report, v: Verdict, d: int) -> str:
    """The first real mistake: its equation, the correct numbers substituted, the value; what was written."""
    assert v.name is not None
    tr = report.trace
    out = ['<section id="first-mistake" class="mistake"><h2>First mistake</h2>']
    where = f" (line {v.line})" if v.line else ""
    out.append(f'<p><a href="#{esc(v.name)}">{mathml(MathStyle.display(v.name))}</a>{esc(where)}</p>')
    row = tr.row(report.graph.row_of.get(v.name, v.name))
    if row is not None:
        rt = row_text(tr, row, d, style=MathStyle)
        lines = [rt.symbolic, rt.substituted, rt.value] if rt.substituted else [rt.value]
        out.append(quantity(f"equation-{rt.name}", rt.lhs, lines, note="" if rt.substituted else rt.note, why=False))
    said = message(v, d, min_significant(report))
    out.append(f'<p>you wrote <span class="text">{esc(v.text)}</span>{esc(": " + said if said else "")}</p>')
    return "".join(out) + "</section>"
