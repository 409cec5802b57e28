"""An answer's equation re-evaluated with one slip made, on any numbers: the student's or the true ones.

Each slip comes as (kind, the fields its words need, at): at(values) is the quantity's value with
the slip made, its inputs read from values. The slips: a term of the equation left out or with the
wrong sign, a rewrite of its expression (rewrites.py), an input read one step early or late, also
inside an unanswered pre-activation (za_t in a_t = tanh(za_t)), Mᵀ used untransposed, steps left
out of a Σ_t. causes.py decides which, if any, explains an answer.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import sympy as sp

from ..numeric.models import apply, compiled
from ..refs import ref_of
from ..symbolic.cells.base import shifted
from ..symbolic.model import Equation
from .graph import JOIN, Graph, Node, term_equations
from .rewrites import LR, Rewrite, expression_slips, is_bias, left_out, step_terms, untransposed, without

Values = Mapping[str, np.ndarray]
Slipped = tuple[str, dict[str, object], Callable[[Values], np.ndarray]]


class Eqs:
    """A node's equation, or each part's of a composite, evaluated on some numbers with a slip made."""

    def __init__(self, graph: Graph, node: Node) -> None:
        self.graph, self.node = graph, node
        parts = [graph[p] for p in node.parts] if node.parts else [node]
        self.pairs = [(p.equation, p.stacked) for p in parts]
        self.ok = all(eq is not None for eq, _ in self.pairs) and node.join != "sum"
        self.exprs = [eq.stacked if st else eq.expr for eq, st in self.pairs] if self.ok else []
        self.kind = self.pairs[0][0].kind if self.ok else ""
        self.step, self.T = node.step or 0, graph.trace.scenario.T
        self.shape = graph.trace.values[node.name].shape
        self._memo: dict[tuple[int, str], object] = {}

    def memo(self, values: Values, what: str, make: Callable[[], object]) -> object:
        """What make() gives on these numbers, worked out once per set of numbers."""
        key = (id(values), what)
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def value(self, values: Values, rewrite: Rewrite | None = None, override: Values | None = None) -> np.ndarray:
        """The value with each expression rewritten (None: as it is), reading values (override first)."""
        fetch = self.graph.fetch(ChainMap(dict(override), values) if override else values)  # type: ignore[arg-type]
        vals = []
        for (eq, st), expr in zip(self.pairs, self.exprs, strict=True):
            new = expr if rewrite is None else rewrite(expr)
            same = new == expr
            vals.append(apply(eq if same else Equation(eq.name, new, eq.kind), fetch, self.step, self.T, st and same))
        return self.join(vals)

    def plain(self, values: Values) -> np.ndarray:
        return self.memo(values, "", lambda: self.value(values))  # type: ignore[return-value]

    def join(self, vals: list[np.ndarray]) -> np.ndarray:
        out = JOIN[self.node.join](vals) if self.node.parts else vals[0]
        return np.array([out.sum()]) if self.node.reduce else out.reshape(self.shape)


def slips(graph: Graph, node: Node, world: Values) -> Iterator[Slipped]:
    """Every slip of the node's equation (world: the student's numbers, to see what they answered)."""
    ev = Eqs(graph, node)
    if not ev.ok:
        return
    yield from _terms(ev)
    for kind, fields, rewrite in expression_slips(ev.exprs, graph.trace.scenario.lr):
        if any(rewrite(e) != e for e in ev.exprs):
            if kind in ("update-sign", "missing-lr") and not node.parts:  # named with the update's equation
                fields = {"other": node.name, "term": ev.exprs[0]}
            yield kind, {"step": ev.step, **fields}, lambda values, r=rewrite: ev.value(values, r)
    for fields, rewrite in moves(graph, ev.exprs, ev.step, ev.kind):
        used = ref_of(fields["used"])
        if used.shift is not None and f"{used.base}_{ev.step + used.shift}" in (node.name, *node.parts):
            continue  # the quantity itself, read in its own equation: no one computes it so
        yield "input-step", fields, lambda values, r=rewrite: ev.value(values, r)
    yield from _inner(ev, world)
    if not node.parts and ev.kind == "linear":
        fetch = graph.fetch(world)
        found = untransposed(ev.exprs[0], lambda sym: fetch(ref_of(sym), ev.step))
        if found is not None:
            yield "untransposed", {"other": found[0]}, lambda values: _untransposed(ev, values)
    if all(eq.kind == "sum" for eq, _ in ev.pairs):
        yield from _sums(ev)


def _terms(ev: Eqs) -> Iterator[Slipped]:
    """A term of the equation left out, or with the wrong sign (+ for − in an update is update-sign)."""
    if ev.node.parts:
        return
    eq, st = ev.pairs[0]
    for term, teq in term_equations(eq, st):

        def tv(values: Values, teq: Equation = teq) -> np.ndarray:
            return ev.join([apply(teq, ev.graph.fetch(values), ev.step, ev.T)])

        kind = "missing-bias" if is_bias(term) and eq.kind == "linear" else "missing-term"
        yield kind, {"term": term, "step": ev.step}, lambda values, tv=tv: ev.plain(values) - tv(values)
        if LR not in term.free_symbols:
            yield (
                "flipped-term",
                {"term": term, "step": ev.step},
                lambda values, tv=tv: ev.plain(values) - 2 * tv(values),
            )


def _per_step(expr: sp.Basic) -> list[sp.Basic]:
    return [a for a in expr.atoms(sp.Symbol, sp.MatrixSymbol) if ref_of(a).shift is not None]


def moves(graph: Graph, exprs: list[sp.Basic], step: int, kind: str) -> Iterator[tuple[dict[str, object], Rewrite]]:
    """Each per-step input read one step early or late: (term: the symbol needed, used: the one used; the rewrite)."""
    reads = [ref_of(a) for e in exprs for a in _per_step(e)]
    for base in sorted({r.base for r in reads}):
        for k in (-1, 1):
            if kind != "sum" and not all(graph.exists(r.at(k), step) for r in reads if r.base == base):
                continue  # beyond the sequence's ends there is no value to have used

            def moved(expr: sp.Basic, base: str = base, k: int = k) -> sp.Basic:
                return expr.xreplace({a: shifted(a, k) for a in _per_step(expr) if ref_of(a).base == base})

            sym = next(a for e in exprs for a in _per_step(e) if ref_of(a).base == base)
            yield {"term": sym, "used": shifted(sym, k), "step": step}, moved


def _inner(ev: Eqs, world: Values) -> Iterator[Slipped]:
    """Slips inside an unanswered pre-activation the equation reads (za_t in a_t = tanh(za_t)):
    an input read at the wrong step, the bias left out."""
    graph = ev.graph
    if ev.node.parts:
        return
    fetch = graph.fetch(world)
    for a in sorted(_per_step(ev.exprs[0]), key=str):
        name = f"{ref_of(a).base}_{ev.step + ref_of(a).shift}"
        inner = graph[name]
        if inner.equation is None or inner.stacked or inner.equation.kind != "linear" or name not in world:
            continue
        if not np.array_equal(graph.evaluate(inner, fetch, world), world[name]):
            continue  # answered: the student's own number was used, not worked out again
        eq, at = inner.equation, inner.step or 0

        def outer(values: Values, rewrite: Rewrite, eq: Equation = eq, at: int = at, name: str = name) -> np.ndarray:
            x = apply(Equation(eq.name, rewrite(eq.expr), eq.kind), graph.fetch(values), at, ev.T)
            return ev.value(values, override={name: x})

        for term, _ in term_equations(eq, False):
            if is_bias(term):
                fields = {"other": name, "term": term, "step": at}
                gone = without(term)
                yield "missing-bias", fields, lambda values, r=gone, o=outer: o(values, r)
        for fields, rewrite in moves(graph, [eq.expr], at, "linear"):
            yield "inner-input-step", {"other": name, **fields}, lambda values, r=rewrite, o=outer: o(values, r)


def _untransposed(ev: Eqs, values: Values) -> np.ndarray:
    fetch = ev.graph.fetch(values)
    found = untransposed(ev.exprs[0], lambda sym: fetch(ref_of(sym), ev.step))
    return np.full(ev.shape, np.nan) if found is None else found[1].reshape(ev.shape)


def _sums(ev: Eqs) -> Iterator[Slipped]:
    """Steps left out of a Σ_t (rewrites.left_out), each set's value from running sums: linear in T."""

    def running(values: Values) -> list[np.ndarray]:
        fetch = ev.graph.fetch(values)
        per_part = [step_terms(compiled(eq, st), fetch, ev.T) for eq, st in ev.pairs]
        out = [np.zeros(ev.shape)]
        for t in range(ev.T):  # out[k]: the sum of the terms of steps 0 … k-1
            out.append(out[-1] + ev.join([p[t] for p in per_part]))
        return out

    def at(values: Values, steps: tuple[int, ...], kept: int | None) -> np.ndarray:
        run: list[np.ndarray] = ev.memo(values, "Σ", lambda: running(values))  # type: ignore[assignment]
        if kept is not None:
            return run[kept + 1] - run[kept]
        return run[-1] - sum(run[t + 1] - run[t] for t in steps)

    for steps, kept in left_out(ev.T):
        if len(steps) == 1:
            yield "sum-term", {"step": steps[0]}, lambda values, s=steps: at(values, s, None)
        else:
            yield "sum-terms", {"steps": steps, "step": kept}, lambda values, s=steps, k=kept: at(values, s, k)
