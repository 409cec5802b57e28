"""Jupyter's display of a Trace and a Report: the page's tables (HTML, maths as MathML) or Markdown,
and a repr and print that read as a summary and as the terminal's tables.

The engine and grading do not know their renderers; the public API (lstm_trace/__init__.py) imports
this module with the engine, and it attaches the display to the Trace class, and to the Report
class (attach_report) once grading is used, so that tracing alone loads no sympy.
"""

from __future__ import annotations

import io
from typing import Any

from ..numeric.engine import Trace
from .markdown import render_markdown
from .text import notation

# the part of the page's CSS a notebook's output cell needs, scoped to the fragment
STYLE = (
    "<style>.lstm-trace .q{display:grid;grid-template-columns:max-content minmax(0,1fr);column-gap:.5em;"
    "margin:.2em 0}.lstm-trace .q>.lhs{grid-column:1;text-align:right;color:inherit;text-decoration:none}"
    ".lstm-trace .q>.eq{grid-column:2;overflow-x:auto;white-space:nowrap}.lstm-trace .rel{margin-right:.35em}"
    ".lstm-trace .note{opacity:.7;margin-left:.5em}.lstm-trace table.sheet td,.lstm-trace table.sheet th"
    "{text-align:left;vertical-align:top}.lstm-trace .v-correct{color:#2b8a3e}.lstm-trace .v-carried"
    "{color:#b35c00}.lstm-trace .v-wrong,.lstm-trace .v-invalid{color:#c92a2a}</style>"
)


def _repr_markdown_(trace: Trace) -> str:
    with notation(trace.scenario.notation):
        return render_markdown(trace)


def _repr_html_(trace: Trace) -> str:
    """The page's sections: the steps a screen shows (the first and last two of a long trace)."""
    from .html import header, loss_section, page_groups, sections

    T = trace.scenario.T  # noqa: N806 - the maths' name
    steps = None if T <= 4 else {0, 1, T - 2, T - 1}
    with notation(trace.scenario.notation):
        body = sections(page_groups(trace, steps))
        loss = loss_section(trace, trace.scenario.decimals, steps or set(range(T)))
        return f'<div class="lstm-trace">{STYLE}{header(trace)}{"".join(body)}{loss}</div>'


def _repr(trace: Trace) -> str:
    sc = trace.scenario
    name = f" {sc.name!r}" if sc.name else ""
    key = f"d{sc.shape.recurrent[0]}_0"  # a value this trace has: δstate_0, a GRU's δout_0, or out_0
    key = key if key in trace.values else "out_0"
    return (
        f"<Trace{name}: {sc.cell} cell, D={sc.D}, H={sc.H}, T={sc.T}, iteration {trace.iteration} of "
        f"{max(len(trace.losses), 1)}, E={trace.E:.6g}; {len(trace.values)} values: tr[{key!r}], print(tr)>"
    )


def _plain(renderable: Any, width: int = 100) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False, soft_wrap=False).print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def _str(trace: Trace) -> str:
    """The worked solution as the terminal's tables, plain text."""
    from .rows import grouped
    from .table import render_tables

    with notation(trace.scenario.notation):
        return _plain(render_tables(trace, grouped(trace)))


Trace._repr_markdown_ = _repr_markdown_  # type: ignore[attr-defined]
Trace._repr_html_ = _repr_html_  # type: ignore[attr-defined]
Trace.__repr__ = _repr  # type: ignore[method-assign]
Trace.__str__ = _str  # type: ignore[method-assign]


def attach_report() -> None:
    """A Report shows itself as the graded sheet (HTML in a notebook, tables in print) and a one-line repr."""
    from ..grading.verdicts import Report

    Report._repr_html_ = _report_html  # type: ignore[attr-defined]
    Report.__repr__ = _report_repr  # type: ignore[method-assign]
    Report.__str__ = _report_str  # type: ignore[method-assign]


def _report_html(report: Any) -> str:
    from .htmlreport import sheet

    with notation(report.trace.scenario.notation):
        return f'<div class="lstm-trace">{STYLE}{"".join(sheet(report, report.trace.scenario.decimals))}</div>'


def _report_repr(report: Any) -> str:
    from .report import summary

    sc = report.trace.scenario
    return f"<Report of {report.file!r} on {sc.name or sc.file!r}: {summary(report)}>"


def _report_str(report: Any) -> str:
    from .report import render_report

    with notation(report.trace.scenario.notation):
        return _plain(render_report(report))
