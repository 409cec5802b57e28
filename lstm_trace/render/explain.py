"""Why a number is what it is: its equation, its inputs, and the tree of what feeds it, back to the loss."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..grading.graph import Graph
from ..numeric.engine import Trace
from .rows import row_text
from .table import plain
from .text import display_name, fmt_array

GIVEN = "given"


def _line(trace: Trace, graph: Graph, name: str, d: int) -> Text:
    """δstate_0 = -0.05348   δout_0 ⊙ o_0 ⊙ (1 − tanh²(state_0)) + δstate_1 ⊙ f_1"""
    value = fmt_array(trace.values[name], d, bare_scalar=True)
    text = Text.assemble((display_name(name), "bold cyan"), f" = {value}")
    row = graph.row(name)
    if row is not None and row.equation is not None:
        text.append(f"   {row_text(trace, row, d).symbolic}", style="dim")
    elif graph[name].given:
        text.append(f"   ({row.note if row is not None else GIVEN})", style="dim")
    return text


def dependency_tree(trace: Trace, name: str, decimals: int | None = None, depth: int = 4) -> Tree:
    """What name is computed from, recursively; a quantity shown once, later as 'see above'."""
    d = trace.scenario.decimals if decimals is None else decimals
    graph = Graph(trace)
    seen: set[str] = set()

    def grow(tree: Tree, n: str, level: int) -> None:
        for k in graph.feeds(n):
            if k in seen:
                tree.add(Text.assemble((display_name(k), "cyan"), (" (see above)", "dim")))
                continue
            seen.add(k)
            branch = tree.add(_line(trace, graph, k, d))
            if level < depth:
                grow(branch, k, level + 1)
            elif graph.feeds(k):
                branch.add(Text("…", style="dim"))

    seen.add(name)
    root = Tree(_line(trace, graph, name, d))
    grow(root, name, 1)
    return root


def render_explain(trace: Trace, name: str, decimals: int | None = None, depth: int = 4) -> Group:
    """The quantity's equation, each input with its value, the substitution and the result; then the tree."""
    d = trace.scenario.decimals if decimals is None else decimals
    graph = Graph(trace)
    parts: list[RenderableType] = []
    row = graph.row(name)
    if row is not None and row.equation is not None:
        rt = row_text(trace, row, d)
        pad = " " * len(rt.lhs)
        parts.append(Text(f"{rt.lhs} = {rt.symbolic}", style="bold"))
        parts.append(Text(f"{pad} = {rt.substituted}"))
        parts.append(Text(f"{pad} = {rt.value}", style="bold"))
    else:
        parts.append(_line(trace, graph, name, d))
    inputs = graph.feeds(name)
    if not inputs:
        return Group(*parts)
    table = Table(title="inputs", title_justify="left", show_header=True)
    table.add_column("quantity", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for k in inputs:
        table.add_row(plain(display_name(k)), plain(fmt_array(trace.values[k], d, bare_scalar=True)))
    parts.append(table)
    parts.append(Text("what it is computed from:", style="bold"))
    parts.append(dependency_tree(trace, name, d, depth))
    return Group(*parts)
