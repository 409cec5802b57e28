"""The traced quantities as one graph: each node's equation, step and inputs.

A trace's rows are what a worked solution prints; the graph also holds what
it leaves implicit (za_t, δgates_t, the per-gate δW_a, E_t), so that any of
them can be answered, re-evaluated on other numbers (a student's own), and
followed back to what it was computed from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..numeric.engine import Row, Trace
from ..numeric.models import Fetch, apply, compiled, fetcher
from ..refs import GATES, Ref
from ..symbolic.model import Equation

# how a composite is made of its parts
JOIN: dict[str, Callable[[list[np.ndarray]], np.ndarray]] = {
    "concat": np.concatenate,
    "vstack": np.vstack,
    "sum": lambda parts: np.array([sum(float(np.sum(p)) for p in parts)]),
}


@dataclass(frozen=True)
class Node:
    """name = equation at step (stacked form if stacked), or join(parts), or a given value (neither)."""

    name: str
    equation: Equation | None = None
    step: int | None = None
    stacked: bool = False
    parts: tuple[str, ...] = ()
    join: str = ""
    reduce: bool = False  # E_t: the loss summed over units

    @property
    def given(self) -> bool:
        return self.equation is None and not self.parts


class Graph:
    """Nodes in evaluation order, for one trace."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.nodes: dict[str, Node] = {}
        self.row_of: dict[str, str] = {}  # a node -> the row a worked solution prints it in
        self._build()
        self.position = {name: k for k, name in enumerate(self.nodes)}  # evaluation order

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name] if name in self.nodes else Node(name)

    def _add(self, node: Node, row: str | None = None) -> None:
        self.nodes[node.name] = node
        self.row_of[node.name] = row or node.name

    def _build(self) -> None:
        tr, model = self.trace, self.trace.model
        T = tr.scenario.T
        gradients = {e.name: e for e in model.gradients}
        for row in tr.rows:
            t = row.step
            if row.section == "forward" and row.name == f"{model.forward[0].name}_{t}":
                for eq in model.linear:
                    self._add(Node(f"{eq.name}_{t}", eq, t), f"{model.forward[0].name}_{t}")
                self._add(Node(f"z_{t}", parts=tuple(f"z{g}_{t}" for g in GATES), join="concat"), row.name)
            if row.section == "gradients" and row.stacked:
                parts = tuple(f"{row.name}_{g}" for g in GATES)
                for p in parts:
                    self._add(Node(p, gradients[p], None), row.name)
                self._add(Node(row.name, parts=parts, join="vstack" if row.name != "db" else "concat"))
                continue
            self._add(Node(row.name, row.equation, t, row.stacked))
            if row.section == "forward" and row.name == f"{(model.head or model.forward)[-1].name}_{t}":
                self._add(Node(f"E_{t}", model.loss_eq, t, reduce=True), row.name)
                if t == T - 1:
                    self._add(Node("E", parts=tuple(f"E_{k}" for k in range(T)), join="sum"), row.name)
            gates = tuple(f"d{g}_{t}" for g in GATES)
            if f"dgates_{t}" not in self.nodes and all(p in self.nodes for p in gates):
                # δgates_t = [δa_t; δi_t; δf_t; δo_t], once all four exist (δo_t comes first with peepholes)
                self._add(Node(f"dgates_{t}", parts=gates, join="concat"), row.name)
        for p in ("W", "U", "b"):
            if f"{p}_a_new" in tr.values:
                parts = tuple(f"{p}_{g}_new" for g in GATES)
                self._add(Node(f"{p}_new", parts=parts, join="concat" if p == "b" else "vstack"), parts[0])

    def reads(self, node: Node) -> tuple[str, ...]:
        """The names a node is computed from, composites (δgates_t) opened into their parts."""
        out: list[str] = []
        for name in self.feeds(node.name):
            out += self.nodes[name].parts if name in self.nodes and self.nodes[name].parts else [name]
        return tuple(dict.fromkeys(out))

    def row(self, name: str) -> Row | None:
        """The row that prints name: the trace's own, or one made for an implicit quantity (za_t, δW_a)."""
        found = self.trace.row(name)
        node = self[name]
        if found is not None or node.equation is None:
            return found
        section = {"sum": "gradients"}.get(node.equation.kind, "forward" if name[0] in "zE" else "backward")
        return Row(section, node.step, name, node.equation, node.stacked)

    def feeds(self, name: str) -> tuple[str, ...]:
        """The quantities a name is computed from, as a worked solution names them (δgates_t, not δa_t … δo_t)."""
        node = self[name]
        if node.equation is None:
            return node.parts
        steps = range(self.trace.scenario.T) if node.equation.kind == "sum" else (node.step or 0,)
        out = []
        for a in compiled(node.equation, node.stacked).args:
            r = a.ref
            for t in steps:
                if r.shift is None:
                    out += [] if r.base in ("lr", "eps") else [r.base]
                elif self.exists(r, t):
                    out.append(f"{r.base}_{t + r.shift}")
        return tuple(dict.fromkeys(out))

    def exists(self, r: Ref, step: int) -> bool:
        """Whether a symbol names a traced value at a step (not a zero beyond the sequence's ends)."""
        return r.shift is None or f"{r.base}_{step + r.shift}" in self.trace.values

    def evaluate(self, node: Node, fetch: Fetch, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The node's value with its inputs read through fetch (parts from values)."""
        if node.parts:
            return JOIN[node.join]([values[p] for p in node.parts])
        if node.equation is None:
            return self.trace.values[node.name]
        out = apply(node.equation, fetch, node.step or 0, self.trace.scenario.T, node.stacked)
        return np.array([out.sum()]) if node.reduce else out

    def fetch(self, values: Mapping[str, np.ndarray]) -> Fetch:
        return fetcher(values, self.trace.scenario)

    def split(self, name: str, value: np.ndarray) -> dict[str, np.ndarray]:
        """A composite's value cut into its parts (δgates_t -> δa_t … δo_t)."""
        node = self[name]
        if not node.parts or node.join == "sum":
            return {}
        return dict(zip(node.parts, np.split(value, len(node.parts)), strict=True))

    def composites_of(self, name: str) -> list[Node]:
        return [n for n in self.nodes.values() if name in n.parts]


def term_equations(eq: Equation, stacked: bool) -> list[tuple[sp.Basic, Equation]]:
    """Each top-level term of an equation as an equation of its own (for 'a term is missing')."""
    expr = eq.stacked if stacked else eq.expr
    if not isinstance(expr, sp.Add | sp.MatAdd):
        return []
    return [(term, Equation(eq.name, term, eq.kind, eq.shift)) for term in expr.args]
