"""Why an answer is wrong: the slips of hand derivations, each tried on the student's own numbers.

Each test re-evaluates the quantity with one slip made (a sign flipped, the
point moved, a term left out, an input read at the wrong step, one step left
out of a Σ_t) and asks whether that gives the student's number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..numeric.models import apply
from ..refs import GATES, Ref, ref_of
from ..symbolic.cells.base import shifted
from ..symbolic.model import Equation
from .graph import JOIN, Graph, Node, term_equations

STEP_NAME = re.compile(r"(.+)_(-?\d+)")
SCALES = (1, -1, 2, -2, 3, -3)


@dataclass(frozen=True)
class Cause:
    """kind: transposed | sign | scale | step | missing-term | flipped-term | input-step | sum-term."""

    kind: str
    other: str = ""  # step: the quantity whose value the answer is
    term: sp.Basic | None = None  # the term left out or flipped; input-step: the symbol the equation needs
    used: sp.Basic | None = None  # input-step: the symbol the student's number was computed with
    step: int | None = None  # the step the term is printed at; sum-term: the step left out of Σ_t
    factor: int = 0  # scale: the answer is 10^factor times the value


@dataclass(frozen=True)
class Entry:
    """One wrong entry of a vector or matrix answer."""

    index: tuple[int, ...]
    label: str  # canonical: db_o, dW_i[1], dx_0[1]
    given: float
    expected: float
    cause: Cause | None


def _simple(v: np.ndarray, s: np.ndarray, written: np.ndarray, carried: np.ndarray) -> Cause | None:
    """A flipped sign or a misplaced decimal point, over the whole answer.

    written: the rounding of the student's number; carried: the rounding carried into s,
    which moves with s when the point moves.
    """
    if not np.any(np.abs(s) > written + carried):
        return None
    if np.all(np.abs(v + s) <= written + carried):
        return Cause("sign")
    if not np.any(np.abs(v) > written):  # 0 is not the value with its point moved
        return None
    for k in SCALES:
        if np.all(np.abs(v - s * 10.0**k) <= written + carried * 10.0**k):
            return Cause("scale", factor=k)
    return None


def find_cause(
    graph: Graph,
    node: Node,
    v: np.ndarray,
    s: np.ndarray,
    tols: tuple[np.ndarray, np.ndarray],
    world: dict[str, np.ndarray],
) -> Cause | None:
    """The first slip that reproduces the student's number v (s: the value on their own inputs).

    tols: (the rounding the student wrote, the rounding carried into s).
    """
    tol = tols[0] + tols[1]

    def near(x: np.ndarray) -> bool:
        return bool(np.all(np.abs(v - x) <= tol))

    found = _simple(v, s, *tols)
    if found:
        return found
    match = STEP_NAME.fullmatch(node.name)
    if match:
        base, step = match[1], int(match[2])
        for u in range(-1, graph.trace.scenario.T + 1):
            other = f"{base}_{u}"
            if u != step and other in graph.trace.values:
                x = _value(graph, other, world)
                if x.shape == v.shape and near(x) and not near(s):
                    return Cause("step", other=other)
    for cause, x in _slips(graph, node, world):
        if near(x) and not near(s):
            return cause
    return None


def _value(graph: Graph, name: str, world: dict[str, np.ndarray]) -> np.ndarray:
    node = graph[name]
    if node.parts:
        return JOIN[node.join]([_value(graph, p, world) for p in node.parts])
    return world[name]


def _slips(graph: Graph, node: Node, world: dict[str, np.ndarray]) -> Iterator[tuple[Cause, np.ndarray]]:
    """(slip, the value it gives) for the node's equation, or each part's equation of a composite."""
    tr = graph.trace
    fetch = graph.fetch(world)
    eqs = [(graph[p].equation, graph[p].stacked) for p in node.parts] if node.parts else [(node.equation, node.stacked)]
    if any(eq is None for eq, _ in eqs) or node.join == "sum":
        return
    step, T = node.step or 0, tr.scenario.T

    def each(transform: Callable[[Equation, sp.Basic], Equation]) -> np.ndarray:
        vals = [apply(transform(eq, eq.stacked if st else eq.expr), fetch, step, T) for eq, st in eqs]
        out = JOIN[node.join](vals) if node.parts else vals[0]
        return out.reshape(tr.values[node.name].shape)

    s = each(lambda eq, expr: Equation(eq.name, expr, eq.kind))
    if not node.parts:
        eq, st = eqs[0]
        for term, teq in term_equations(eq, st):
            tv = apply(teq, fetch, step, T).reshape(s.shape)
            yield Cause("missing-term", term=term, step=step), s - tv
            yield Cause("flipped-term", term=term, step=step), s - 2 * tv
    reads = [ref_of(a) for eq, st in eqs for a in _per_step(eq.stacked if st else eq.expr)]
    for base in sorted({r.base for r in reads}):
        for k in (-1, 1):
            if eqs[0][0].kind != "sum" and not all(graph.exists(r.at(k), step) for r in reads if r.base == base):
                continue  # beyond the sequence's ends there is no value to have used

            def moved(eq: Equation, expr: sp.Basic, base: str = base, k: int = k) -> Equation:
                subs = {a: shifted(a, k) for a in _per_step(expr) if ref_of(a).base == base}
                return Equation(eq.name, expr.xreplace(subs), eq.kind)

            sym = next(a for eq, st in eqs for a in _per_step(eq.stacked if st else eq.expr) if ref_of(a).base == base)
            yield Cause("input-step", term=sym, used=shifted(sym, k), step=step), each(moved)
    if all(eq.kind == "sum" for eq, _ in eqs):
        for t in range(T):
            only_t = _only_step(fetch, t)
            vals = [apply(eq, only_t, 0, T, st) for eq, st in eqs]
            tv = (JOIN[node.join](vals) if node.parts else vals[0]).reshape(s.shape)
            yield Cause("sum-term", step=t), s - tv


def _per_step(expr: sp.Basic) -> list[sp.Basic]:
    return [a for a in expr.atoms(sp.Symbol, sp.MatrixSymbol) if ref_of(a).shift is not None]


def _only_step(fetch: Callable[[Ref, int], np.ndarray], t: int) -> Callable[[Ref, int], np.ndarray]:
    """Per-step values at step t only, zero at every other step: one term of a Σ_t."""

    def f(r: Ref, k: int) -> np.ndarray:
        v = fetch(r, k)
        return v if r.shift is None or k == t else np.zeros_like(v)

    return f


def wrong_entries(
    graph: Graph,
    node: Node,
    v: np.ndarray,
    t: np.ndarray,
    s: np.ndarray,
    tols: tuple[np.ndarray, np.ndarray],
    ok: np.ndarray,
) -> tuple[Entry, ...]:
    """The entries of a vector or matrix answer that are wrong, each named and, where it can be, explained."""
    if v.size == 1:
        return ()
    out = []
    for idx in zip(*np.nonzero(~ok), strict=True):
        idx = tuple(int(i) for i in idx)
        cause = _simple(np.array(v[idx]), np.array(s[idx]), *(np.broadcast_to(x, v.shape)[idx] for x in tols))
        out.append(Entry(idx, entry_label(graph, node, idx), float(v[idx]), float(t[idx]), cause))
    return tuple(out)


def entry_label(graph: Graph, node: Node, idx: tuple[int, ...]) -> str:
    """db[3] -> db_o (H = 1); dW[2][1] -> dW_f[1]; dx_0[1] stays dx_0[1]."""
    name, rest = node.name, idx
    if node.parts and len(node.parts) == len(GATES) and node.join != "sum":
        H = graph.trace.scenario.H
        name, rest = node.parts[idx[0] // H], (idx[0] % H, *idx[1:])
    shape = graph.trace.values[name].shape
    return name + "".join(f"[{i}]" for i, n in zip(rest, shape, strict=True) if n > 1)
