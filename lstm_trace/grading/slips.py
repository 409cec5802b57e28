"""An answer's equation re-evaluated with one slip made, on any numbers: the student's or the true ones.

Each slip comes as (kind, the fields its words need, at): at(values) is the quantity's value with
the slip made, its inputs read from values. The slips: a term of the equation left out or with the
wrong sign, a rewrite of its expression (symbolic/rewrites.py; each slip is compiled with the
model, symbolic/slipcode.py, so that no sympy is needed here), an input read one step early or late, also
inside an unanswered pre-activation (za_t in a_t = tanh(za_t)), Mᵀ used untransposed, steps left
out of a Σ_t. causes.py decides which, if any, explains an answer.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from ..numeric.models import compiled, slip_code, slips_for
from ..refs import Ref
from ..symbolic.codegen import call
from ..symbolic.slipcode import FormSlips
from .graph import JOIN, Graph, Node
from .rewrites import left_out, step_terms, untransposed

Values = Mapping[str, np.ndarray]
Slipped = tuple[str, dict[str, object], Callable[[Values], np.ndarray]]
Specs = list  # per part: a slip's compiled spec, or None (the part as it is)


class Eqs:
    """A node's equation, or each part's of a composite, evaluated on some numbers with a slip made."""

    def __init__(self, graph: Graph, node: Node) -> None:
        self.graph, self.node = graph, node
        parts = [graph[p] for p in node.parts] if node.parts else [node]
        self.pairs = [(p.equation, p.stacked) for p in parts]
        self.ok = all(eq is not None for eq, _ in self.pairs) and node.join != "sum"
        self.table = slips_for(graph.trace.scenario) if self.ok else {}
        self.forms: list[FormSlips] = [self.table[pair] for pair in self.pairs] if self.ok else []
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

    def value(self, values: Values, specs: Specs | None = None, override: Values | None = None) -> np.ndarray:
        """The value with each part's slip made (specs; None: as it is), reading values (override first)."""
        fetch = self.graph.fetch(ChainMap(dict(override), values) if override else values)  # type: ignore[arg-type]
        vals = []
        for (eq, st), spec in zip(self.pairs, specs or [None] * len(self.pairs), strict=True):
            c = compiled(eq, st) if spec is None else slip_code(spec)
            vals.append(call(c, fetch, self.step, self.T))
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
    for kind, fields, specs in _rewrites(ev, graph.trace.scenario.lr):
        if kind in ("update-sign", "missing-lr") and not node.parts:  # named with the update's equation
            fields = {"other": node.name, "term": ev.forms[0].whole}
        yield kind, {"step": ev.step, **fields}, lambda values, s=specs: ev.value(values, s)
    for fields, used, specs in moves(graph, ev.forms, ev.step, ev.kind):
        if used.shift is not None and f"{used.base}_{ev.step + used.shift}" in (node.name, *node.parts):
            continue  # the quantity itself, read in its own equation: no one computes it so
        yield "input-step", fields, lambda values, s=specs: ev.value(values, s)
    yield from _inner(ev, world)
    if not node.parts and ev.kind == "linear" and ev.forms[0].untransposed is not None:
        if _untransposed(ev, world) is not None:
            yield "untransposed", {"other": ev.forms[0].untransposed[0]}, lambda values: _untransposed(ev, values, True)
    if all(eq.kind == "sum" for eq, _ in ev.pairs):
        yield from _sums(ev)


def _rewrites(ev: Eqs, lr: float) -> Iterator[tuple[str, dict[str, object], Specs]]:
    """The rewrites of every part, each once (in the order of symbolic/rewrites.py), with each part's code:
    λ's slips worded with the scenario's λ, and none that makes λ 1."""
    merged: dict[tuple, tuple[str, dict[str, object], Specs]] = {}
    for category in sorted({r.category for f in ev.forms for r in f.rewrites}):
        for j, form in enumerate(ev.forms):
            for r in form.rewrites:
                if r.category == category:
                    merged.setdefault(r.identity, (r.kind, dict(r.fields), [None] * len(ev.forms)))[2][j] = r.spec
    for kind, fields, specs in merged.values():
        if kind == "wrong-lr":
            factor = float(fields["factor"])  # type: ignore[arg-type]
            if np.isclose(lr * factor, 1.0):
                continue  # λ = 1 is λ left out, said as such
            fields = {"term": float(lr), "used": float(f"{lr * factor:.12g}")}
        if kind == "missing-lr" and np.isclose(lr, 1.0):
            continue
        yield kind, fields, specs


def _terms(ev: Eqs) -> Iterator[Slipped]:
    """A term of the equation left out, or with the wrong sign (+ for − in an update is update-sign)."""
    if ev.node.parts:
        return
    for ts in ev.forms[0].terms:

        def tv(values: Values, spec: tuple = ts.spec) -> np.ndarray:
            return ev.join([call(slip_code(spec), ev.graph.fetch(values), ev.step, ev.T)])

        kind = "missing-bias" if ts.bias and ev.kind == "linear" else "missing-term"
        yield kind, {"term": ts.term, "step": ev.step}, lambda values, tv=tv: ev.plain(values) - tv(values)
        if not ts.lr:
            yield (
                "flipped-term",
                {"term": ts.term, "step": ev.step},
                lambda values, tv=tv: ev.plain(values) - 2 * tv(values),
            )


def moves(graph: Graph, forms: list[FormSlips], step: int, kind: str) -> Iterator[tuple[dict[str, object], Ref, Specs]]:
    """Each per-step input read one step early or late: (term: the symbol needed, used: the one used;
    the moved symbol; each part's code)."""
    for base in sorted({r.base for f in forms for r in f.reads}):
        for k in (-1, 1):
            if kind != "sum" and not all(graph.exists(r.at(k), step) for f in forms for r in f.reads if r.base == base):
                continue  # beyond the sequence's ends there is no value to have used
            found = [next((m for m in f.moves if m.base == base and m.k == k), None) for f in forms]
            first = next(m for m in found if m is not None)
            specs = [None if m is None else m.spec for m in found]
            yield {"term": first.term, "used": first.used, "step": step}, first.used_ref, specs


def _inner(ev: Eqs, world: Values) -> Iterator[Slipped]:
    """Slips inside an unanswered pre-activation the equation reads (za_t in a_t = tanh(za_t)):
    an input read at the wrong step, the bias left out."""
    graph = ev.graph
    if ev.node.parts:
        return
    fetch = graph.fetch(world)
    for r in ev.forms[0].reads:
        name = f"{r.base}_{ev.step + r.shift}"
        inner = graph[name]
        if inner.equation is None or inner.stacked or inner.equation.kind != "linear" or name not in world:
            continue
        if not np.array_equal(graph.evaluate(inner, fetch, world), world[name]):
            continue  # answered: the student's own number was used, not worked out again
        form, at = ev.table[(inner.equation, False)], inner.step or 0

        def outer(values: Values, spec: tuple, at: int = at, name: str = name) -> np.ndarray:
            x = call(slip_code(spec), graph.fetch(values), at, ev.T)
            return ev.value(values, override={name: x})

        for ts in form.terms:
            if ts.bias:
                fields = {"other": name, "term": ts.term, "step": at}
                yield "missing-bias", fields, lambda values, s=ts.without, o=outer: o(values, s)
        for fields, _, specs in moves(graph, [form], at, "linear"):
            yield "inner-input-step", {"other": name, **fields}, lambda values, s=specs[0], o=outer: o(values, s)


def _untransposed(ev: Eqs, values: Values, filled: bool = False) -> np.ndarray | None:
    """Mᵀ·v evaluated as M·v on values (filled: NaN where the slip is not possible, else None)."""
    _, matrix, vector = ev.forms[0].untransposed  # type: ignore[misc]
    fetch = ev.graph.fetch(values)
    found = untransposed(fetch(matrix, ev.step), fetch(vector, ev.step))
    if found is None:
        return np.full(ev.shape, np.nan) if filled else None
    return found.reshape(ev.shape)


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
