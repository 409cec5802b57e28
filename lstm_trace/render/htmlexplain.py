"""explain as a web page: the quantity's equation, numbers and value; its inputs; the tree of what feeds it."""

from __future__ import annotations

from ..grading.graph import Graph
from ..numeric.engine import Trace
from .html import header
from .mathml import MathStyle, esc, mathml, matrix
from .page import page, quantity
from .rows import row_text
from .text import display_name


def render_explain_page(trace: Trace, name: str, decimals: int | None = None, depth: int = 4) -> str:
    """name: canonical. The tree follows explain's (render/explain.py): a quantity once, later 'see above'."""
    d = trace.scenario.decimals if decimals is None else decimals
    graph = Graph(trace)
    inputs = graph.feeds(name)
    sections = [("quantity", f"Why {display_name(name)} has its value", _block(trace, graph, name, d))]
    heading = {"quantity": f"Why {mathml(MathStyle.display(name))} has its value"}
    if inputs:
        sections.append(("inputs", "Its inputs", "".join(_block(trace, graph, k, d, short=True) for k in inputs)))
        sections.append(("tree", "What it is computed from", _tree(trace, graph, name, d, depth)))
    body = [
        f'<section id="{anchor}"><h2>{heading.get(anchor, esc(title))}</h2>{html}</section>'
        for anchor, title, html in sections
    ]
    toc = [(anchor, title) for anchor, title, _ in sections]
    return page(f"{display_name(name)}: {trace.scenario.name or 'LSTM trace'}", header(trace), body, toc)


def _block(trace: Trace, graph: Graph, name: str, d: int, short: bool = False) -> str:
    """The quantity's lines: = equation, = numbers (unless short), = value; a given value alone."""
    value = matrix(trace.values[name], d, True)
    row = graph.row(name)
    if row is None or row.equation is None:
        note = row.note if row is not None else "given"
        return quantity(name, MathStyle.display(name), [value], note=note, why=False)
    rt = row_text(trace, row, d, style=MathStyle)
    lines = [rt.symbolic, rt.value] if short else [rt.symbolic, rt.substituted, rt.value]
    return quantity(name, MathStyle.display(name), lines, why=False)


def _entry(trace: Trace, name: str, d: int) -> str:
    inner = rf"{MathStyle.display(name)} = {matrix(trace.values[name], d, True)}"
    return mathml(inner)


def _tree(trace: Trace, graph: Graph, name: str, d: int, depth: int) -> str:
    seen = {name}

    def grow(n: str, level: int) -> str:
        items = []
        for k in graph.feeds(n):
            if k in seen:
                items.append(f'<li>{mathml(MathStyle.display(k))} <span class="off">(see above)</span></li>')
                continue
            seen.add(k)
            below = grow(k, level + 1) if level < depth else ("<ul><li>…</li></ul>" if graph.feeds(k) else "")
            items.append(f"<li>{_entry(trace, k, d)}{below}</li>")
        return f"<ul>{''.join(items)}</ul>" if items else ""

    return f'<div class="tree"><ul><li>{_entry(trace, name, d)}{grow(name, 1)}</li></ul></div>'
