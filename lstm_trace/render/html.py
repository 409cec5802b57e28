"""The worked solution as a web page: given values, a section per step, the loss, pictures; all typeset.

Each quantity has its anchor (#dstate_0) and knows, through the graph grading walks (grading/graph.py),
what it is computed from; the page's script lights those up and opens the tree explain prints.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..grading.graph import Graph
from ..numeric.engine import Trace
from . import MAX_ITEMS
from .mathml import MathStyle, esc, mathml, matrix
from .page import LEGEND, page, quantity
from .rows import RowText, grouped
from .text import display_name, fmt_number

DEPTH = 4  # levels of a "why?" tree, as explain's default


def page_groups(trace: Trace, steps: set[int] | None = None, **kw) -> list[tuple[str, list[RowText]]]:
    """The rows grouped as on screen (rows.grouped), in MathStyle: numbers as matrices."""
    return grouped(trace, steps, style=MathStyle, **kw)


def render_page(
    trace: Trace,
    groups: list[tuple[str, list[RowText]]] | None = None,
    decimals: int | None = None,
    units: int = 8,
    left_out: str = "",
) -> str:
    """groups: rows in MathStyle (page_groups); all of them by default. left_out: what the page leaves out."""
    sc = trace.scenario
    d = sc.decimals if decimals is None else decimals
    groups = page_groups(trace, decimals=d, max_items=units) if groups is None else groups
    graph = Graph(trace)
    shown = [r.name for _, rows in groups for r in rows]
    given = [n for n in _given(graph, shown)]
    body = [LEGEND]
    toc = [("given", "Given")] if given else []
    if given:
        body.append(given_section(trace, given, d, units))
    for title, rows in groups:
        toc.append((section_id(rows[0]), title))
    body += sections(groups)
    toc.append(("loss", "Loss"))
    body.append(loss_section(trace, d, {r.step for _, rows in groups for r in rows if r.step is not None}))
    if left_out:
        body.append(f'<p class="hint">{esc(left_out)}</p>')
    from .pictures import pictures_section

    toc.append(("pictures", "Pictures"))
    body.append(pictures_section(trace, sorted({r.step for _, rows in groups for r in rows if r.step is not None})))
    on_page = [*given, *shown]
    return page(sc.name or "LSTM trace", header(trace), body, toc, graph_data(graph, on_page))


def given_section(trace: Trace, names: Iterable[str], d: int, units: int = MAX_ITEMS) -> str:
    """The given values named (parameters, inputs, labels), each typeset with its anchor."""
    cells = "".join(
        quantity(n, MathStyle.display(n), [matrix(trace.values[n], d, True, units)], why=False) for n in names
    )
    return f'<section id="given"><h2>Given</h2><div class="given">{cells}</div></section>'


def sections(groups: list[tuple[str, list[RowText]]]) -> list[str]:
    """A <section> per group (forward-0, backward-0, …, gradients, update): each quantity typeset."""
    return [
        f'<section id="{section_id(rows[0])}"><h2>{esc(title)}</h2>{"".join(_row(r) for r in rows)}</section>'
        for title, rows in groups
    ]


def header(trace: Trace) -> str:
    sc = trace.scenario
    out = [f"<h1>{esc(sc.name or 'LSTM trace')}</h1>"]
    if sc.source:
        out.append(f'<p class="source">Source: {esc(sc.source)}</p>')
    out.append(
        f'<p class="meta">{esc(sc.cell)} cell, D = {sc.D}, H = {sc.H}, T = {sc.T}, '
        f"{'with' if sc.bias else 'no'} bias, loss {esc(sc.loss)}, {esc(sc.optimizer)} λ = {sc.lr:g}</p>"
    )
    return "".join(out)


def section_id(row: RowText) -> str:
    """forward-0, backward-1, gradients, update: a section's anchor (a bidirectional network's forward-2-l0r)."""
    return row.section if row.step is None else f"{row.section}-{row.step}" + (f"-{row.sweep}" if row.sweep else "")


def _row(r: RowText) -> str:
    if r.substituted:
        return quantity(r.name, r.lhs, [r.symbolic, r.substituted, r.value])
    return quantity(r.name, r.lhs, [r.value], note=r.note)


def _given(graph: Graph, shown: Iterable[str]) -> list[str]:
    """The given values (x_t, W_a, out_{-1}, …) the shown rows read, in the scenario's order."""
    read = {k for n in shown for k in page_inputs(graph, n, set())}
    return [n for n in graph.trace.values if n in read and n not in graph.nodes]


def page_inputs(graph: Graph, name: str, rows: set[str]) -> list[str]:
    """What a row is computed from, as the page shows it: a quantity the row writes out (za_t) or
    that is no row of its own (δgates_t, δW_a) is opened into what it reads."""
    out: list[str] = []
    todo, seen = list(graph.reads(graph[name])), {name}
    while todo:
        k = todo.pop(0)
        if k in seen:
            continue
        seen.add(k)
        if k in rows or k not in graph.nodes or graph.printed(k) is not None and graph.row_of.get(k) == k:
            out.append(k)
        else:
            todo[:0] = graph.reads(graph[k])
    return out


def graph_data(graph: Graph, on_page: list[str], depth: int = DEPTH) -> dict:
    """For the page's script: each quantity's inputs, the names of those not on the page, the tree's depth."""
    rows = set(on_page)
    inputs = {n: page_inputs(graph, n, rows) for n in on_page}
    off = {k for ins in inputs.values() for k in ins if k not in rows}
    return {"inputs": inputs, "names": {k: display_name(k) for k in sorted(off)}, "depth": depth}


def loss_section(trace: Trace, d: int, steps: set[int]) -> str:
    """E_t of the steps shown, E = Σ_t E_t, the loss of every iteration, and the trace's warnings."""
    shown = [t for t in range(trace.scenario.T) if t in steps] or list(range(trace.scenario.T))
    terms = [rf"E_{{{t}}} = {fmt_number(trace.values[f'E_{t}'].item(), d)}" for t in shown]
    total = rf"E = \sum_t E_t = {fmt_number(trace.E, d)}"
    out = [
        '<section id="loss"><h2>Loss</h2>',
        f"<p>{', '.join(mathml(t) for t in terms)}</p>",
        f"<p>{mathml(total)}</p>",
    ]
    if len(trace.losses) > 1:
        mark = {trace.iteration: "← traced"}
        cells = "".join(
            f"<tr><td>{k}</td><td>{mathml(fmt_number(e, d))}</td><td>{mark.get(k, '')}</td></tr>"
            for k, e in enumerate(trace.losses, start=1)
        )
        out.append(
            '<div class="wide"><table class="sheet"><caption>Loss per iteration</caption>'
            f"<tr><th>iteration</th><th>E</th><th></th></tr>{cells}</table></div>"
        )
    out += [f'<p class="warning">warning: {esc(w)}</p>' for w in trace.warnings]
    return "".join(out) + "</section>"


def norms(trace: Trace, base: str) -> np.ndarray:
    """‖δstate_t‖ (or any per-step quantity's Euclidean size) for t = 0 … T−1."""
    return np.array([float(np.linalg.norm(trace.values[f"{base}_{t}"])) for t in range(trace.scenario.T)])
