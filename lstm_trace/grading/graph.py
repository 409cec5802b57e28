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

from ..numeric.engine import Row, Trace
from ..numeric.models import Compiled, Fetch, apply, at, compiled, fetcher
from ..refs import Ref, split_weights
from ..scenario import layouts
from ..symbolic.model import Equation

# how a composite is made of its parts
JOIN: dict[str, Callable[[list[np.ndarray]], np.ndarray]] = {
    "concat": np.concatenate,
    "vstack": np.vstack,
    "sum": lambda parts: np.array([sum(float(np.sum(p)) for p in parts)]),
    # a source's own layout of the same parts (scenario/layouts.py): CS231n's D×4H, deeplearning.ai's [U | W], …
    "cols": lambda parts: np.vstack(parts).T,
    "hstack": np.hstack,
    "column": lambda parts: parts[0].reshape(-1, 1),
    "tfkernel": lambda parts: np.vstack([np.vstack(parts[:4]).T, np.vstack(parts[4:]).T]),
    # a bidirectional network's weights on [out_t; out_t reverse]: V = [Vf Vr]; PyTorch's weight_ih_l1, per gate
    "halves": np.hstack,
    "gatehalves": lambda parts: np.vstack([np.hstack(parts[k : k + 2]) for k in range(0, len(parts), 2)]),
}
# a source layout's composite cut back into its parts
SPLIT: dict[str, Callable[[np.ndarray, int], list[np.ndarray]]] = {
    "cols": lambda v, n: np.split(v.T, n),
    "hstack": lambda v, n: [v[:, : v.shape[0]], v[:, v.shape[0] :]],
    "column": lambda v, n: [v.reshape(-1)],
    "halves": lambda v, n: np.split(v, 2, axis=1),
    "gatehalves": lambda v, n: [b for rows in np.split(v, n // 2) for b in np.split(rows, 2, axis=1)],
    "tfkernel": lambda v, n: [
        *np.split(v[: v.shape[0] - v.shape[1] // 4].T, 4),
        *np.split(v[v.shape[0] - v.shape[1] // 4 :].T, 4),
    ],
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
        self._rows: dict[str, Row] = {}  # the trace's rows by name (the first that prints it)
        self._reads: dict[str, tuple[str, ...]] = {}
        for r in trace.rows:
            self._rows.setdefault(r.name, r)
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
        gates = tr.scenario.shape.gates
        for row in tr.rows:
            t = row.step
            if row.section == "forward" and row.name == f"{model.forward[0].name}_{t}" and model.linear:
                # the stacked pre-activations, computed at once and shown through the gates they feed
                for eq in model.linear:
                    self._add(Node(f"{eq.name}_{t}", eq, t), f"{model.forward[0].name}_{t}")
                self._add(Node(f"z_{t}", parts=tuple(f"z{g}_{t}" for g in gates), join="concat"), row.name)
            if row.section == "gradients" and row.stacked:
                parts = tuple(f"{row.name}_{g}" for g in gates)
                for p in parts:
                    self._add(Node(p, gradients[p], None), row.name)
                self._add(Node(row.name, parts=parts, join="vstack" if row.name != "db" else "concat"))
                continue
            self._add(Node(row.name, row.equation, t, row.stacked))
            if row.section == "forward" and row.name == f"{(model.head or model.forward)[-1].name}_{t}":
                self._add(Node(f"E_{t}", model.loss_eq, t, reduce=True), row.name)
                if t == T - 1 and not model.sweeps:
                    self._add(Node("E", parts=tuple(f"E_{k}" for k in range(T)), join="sum"), row.name)
            adjoints = tuple(f"d{g}_{t}" for g in gates)
            if gates and f"dgates_{t}" not in self.nodes and all(p in self.nodes for p in adjoints):
                # δgates_t = [δa_t; δi_t; δf_t; δo_t], once all four exist (δo_t comes first with peepholes)
                self._add(Node(f"dgates_{t}", parts=adjoints, join="concat"), row.name)
        self._bidirectional()
        for p in ("W", "U", "b"):
            if gates and f"{p}_{gates[0]}_new" in tr.values:
                parts = tuple(f"{p}_{g}_new" for g in gates)
                self._add(Node(f"{p}_new", parts=parts, join="concat" if p == "b" else "vstack"), parts[0])
        for name, parts, join in layouts.check_names(
            tr.scenario.layout, dict(tr.scenario.given), tr.scenario.cell, *tr.scenario.stack
        ):
            if all(p in self.nodes for p in parts):  # a source's own names: dWx, dweight_ih_l0, kernel_new
                self._add(Node(name, parts=parts, join=join), self.row_of[parts[0]])

    def _bidirectional(self) -> None:
        """A bidirectional network's wholes: its E once every E_t exists (the reverse sweep writes E_{T-1}
        first), out_t as PyTorch returns it, and the weights on both directions as the file gave them."""
        tr, model, T = self.trace, self.trace.model, self.trace.scenario.T
        for whole, parts in split_weights(tr.scenario.params):  # V = [Vf Vr], dV, V_new
            if all(p in self.nodes for p in parts) or all(p in tr.values for p in parts):
                self._add(Node(whole, parts=parts, join="halves"), self.row_of.get(parts[-1], parts[-1]))
        if model.sweeps:
            self._add(Node("E", parts=tuple(f"E_{k}" for k in range(T)), join="sum"), self.row_of[f"E_{T - 1}"])
            for t in range(T):
                parts = tuple(f"out{o}_{t}" for o in model.outputs)
                self._add(Node(f"out_{t}", parts=parts, join="concat"), self.row_of[parts[-1]])

    def reads(self, node: Node) -> tuple[str, ...]:
        """The names a node is computed from, composites (δgates_t) opened into their parts."""
        found = self._reads.get(node.name)
        if found is None:
            out: list[str] = []
            for name in self.feeds(node.name):
                out += self.nodes[name].parts if name in self.nodes and self.nodes[name].parts else [name]
            found = self._reads[node.name] = tuple(dict.fromkeys(out))
        return found

    def printed(self, name: str) -> Row | None:
        """The trace's own row that prints name (trace.row, in constant time)."""
        return self._rows.get(name)

    def row(self, name: str) -> Row | None:
        """The row that prints name: the trace's own, or one made for an implicit quantity (za_t, δW_a)."""
        found = self.printed(name)
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
        values = self.trace.values
        for base, shift, _ in compiled(node.equation, node.stacked).plan:  # type: ignore[attr-defined]
            if shift is None:
                out += [] if base in ("lr", "eps") else [base]
                continue
            for t in steps:
                if f"{base}_{t + shift}" in values:  # exists(), inline: a traced value, not beyond the ends
                    out.append(f"{base}_{t + shift}")
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

    def value_on(self, node: Node, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """evaluate() on a mapping of values, by the engine's per-step path (no fetch per argument)."""
        if node.parts or node.equation is None or node.equation.kind == "sum":
            return self.evaluate(node, self.fetch(values), values)
        out = at(compiled(node.equation, node.stacked), values, self.trace.scenario, node.step or 0)
        return np.array([out.sum()]) if node.reduce else out

    def fetch(self, values: Mapping[str, np.ndarray]) -> Fetch:
        return fetcher(values, self.trace.scenario)

    def split(self, name: str, value: np.ndarray) -> dict[str, np.ndarray]:
        """A composite's value cut into its parts (δgates_t -> δa_t … δo_t)."""
        node = self[name]
        if not node.parts or node.join == "sum":
            return {}
        if node.join in SPLIT:
            return dict(zip(node.parts, SPLIT[node.join](value, len(node.parts)), strict=True))
        n = len(value) // len(node.parts)
        return {p: value[k * n : (k + 1) * n] for k, p in enumerate(node.parts)}

    def composites_of(self, name: str) -> list[Node]:
        return [n for n in self.nodes.values() if name in n.parts]

    def step_terms(self, node: Node, values: Mapping[str, np.ndarray]) -> Iterator[tuple[int, np.ndarray]]:
        """(t, the t-th term) of a Σ_t node (a composite's parts joined), on values, in the node's shape.

        Each per-step input is fetched once for all steps; a vector Σ_t gives every term in one
        call, a matrix one (an outer product per step) one small call per step: linear in T, so
        that leaving out each step in turn (t ↦ value − term_t) costs one subtraction per step.
        """
        parts = [self[p] for p in node.parts] if node.parts else [node]
        if any(p.equation is None or p.equation.kind != "sum" for p in parts) or node.join == "sum":
            return
        shape = self.trace.values[node.name].shape
        each = [_step_terms(compiled(p.equation, p.stacked), self.fetch(values), self.trace.scenario.T) for p in parts]
        for t, terms in enumerate(zip(*each, strict=True)):
            out = JOIN[node.join](list(terms)) if node.parts else terms[0]
            yield t, out.reshape(shape)


def _step_terms(c: Compiled, fetch: Fetch, T: int) -> Iterator[np.ndarray]:  # noqa: N803
    """The per-step terms of a compiled Σ_t (codegen.call's sum, its steps kept apart)."""
    steps, consts = {}, {}
    for a in c.args:
        if a.ref.shift is not None:
            steps[a.ref] = np.stack([fetch(a.ref, t) for t in range(T)], axis=1)
        else:
            v = fetch(a.ref, 0)
            consts[a.ref] = v.reshape(-1, 1) if a.column and v.ndim == 1 else v
    if c.cols == 1:  # a vector per step: the function maps the stacked columns to the stacked terms
        out = np.asarray(c.fn(*(steps[a.ref] if a.ref in steps else consts[a.ref] for a in c.args)), dtype=np.float64)
        yield from (out[:, t] for t in range(T))
        return
    for t in range(T):
        vals = [steps[a.ref][:, t : t + 1] if a.ref in steps else consts[a.ref] for a in c.args]
        yield np.asarray(c.fn(*vals), dtype=np.float64)
