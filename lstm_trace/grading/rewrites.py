"""Slips as rewrites of an equation's sympy expression, and the other pieces slips.py re-evaluates.

Each rewrite applies to any expression (a no-op where its pattern is absent), so that the same slip
can be made in every part of a composite (δgates_t, W^new): tanh for tanh² in 1 − tanh²(s),
(1 − a) for (1 − a²), σ′ written as tanh′, a missing σ′ or tanh′ factor, tanh and σ swapped, a
wrong or missing λ, + for − in the update, a bias left out. Also: Mᵀ·v evaluated untransposed, a
Σ_t's per-step terms in one pass, and the sets of steps a Σ_t may have left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import combinations

import numpy as np
import sympy as sp

from ..numeric.models import Compiled, Fetch
from ..refs import GATES, ref_of
from ..symbolic.cells.base import q, sigmoid

Rewrite = Callable[[sp.Basic], sp.Basic]
# (kind, the Cause's fields, the rewrite)
Slip = tuple[str, dict[str, object], Rewrite]

LR = q("lr", None)
SMALL_T = 6  # a Σ_t over at most this many steps is tried with every set of steps left out


def _one_minus(f: sp.Basic) -> sp.Basic | None:
    """y for a factor 1 − y, else None."""
    if isinstance(f, sp.Add) and len(f.args) == 2 and sp.S.One in f.args:
        rest = f.args[0] if f.args[1] == sp.S.One else f.args[1]
        return -rest
    return None


def _factors(expr: sp.Basic) -> Iterator[tuple[str, sp.Basic, sp.Basic, tuple[sp.Basic, ...]]]:
    """(σ or tanh, its derivative factor as written, the activation, the Mul's factors it takes), each once."""
    seen: set[sp.Basic] = set()
    for mul in sp.preorder_traversal(expr):
        if not isinstance(mul, sp.Mul):
            continue
        for f in mul.args:
            y = _one_minus(f)
            if y is None:
                continue
            if isinstance(y, sp.Pow) and y.exp == 2 and y not in seen:  # 1 − y²: tanh′
                seen.add(y)
                yield "tanh", f, y.base, (f,)
            elif y in mul.args and y not in seen:  # y ⊙ (1 − y): σ′
                seen.add(y)
                yield "σ", y * f, y, (y, f)


def _swap(factors: tuple[sp.Basic, ...], new: sp.Basic) -> Rewrite:
    """The product of factors, in any Mul that has them all, replaced by new (1: left out)."""

    def rewrite(expr: sp.Basic) -> sp.Basic:
        subs = {}
        for mul in sp.preorder_traversal(expr):
            if isinstance(mul, sp.Mul) and all(f in mul.args for f in factors):
                rest = list(mul.args)
                for f in factors:
                    rest.remove(f)
                subs[mul] = sp.Mul(*rest) * new
        return expr.xreplace(subs)

    return rewrite


def _replace(old: sp.Basic, new: sp.Basic) -> Rewrite:
    return lambda expr: expr.xreplace({old: new})


def derivative_slips(exprs: list[sp.Basic]) -> Iterator[Slip]:
    """The derivative of tanh or σ written wrong, or left out."""
    seen: set[sp.Basic] = set()
    for expr in exprs:
        for fn, factor, y, taken in _factors(expr):
            if factor in seen:
                continue
            seen.add(factor)
            # tanh: 1 − tanh(s) for 1 − tanh²(s), 1 − a for 1 − a²;  σ: 1 − i² for i ⊙ (1 − i), tanh′ for σ′
            used = 1 - y if fn == "tanh" else 1 - y**2
            yield "derivative", {"other": fn, "term": factor, "used": used}, _swap(taken, used)
            yield "missing-derivative", {"other": fn, "term": factor}, _swap(taken, sp.S.One)


def activation_slips(exprs: list[sp.Basic]) -> Iterator[Slip]:
    """tanh where the equation needs σ, and σ where it needs tanh."""
    seen: set[sp.Basic] = set()
    for expr in exprs:
        for f in sp.preorder_traversal(expr):
            if isinstance(f, sigmoid | sp.tanh) and f not in seen:
                seen.add(f)
                other = sp.tanh(f.args[0]) if isinstance(f, sigmoid) else sigmoid(f.args[0])
                yield "activation", {"term": f, "used": other}, _replace(f, other)


def update_slips(exprs: list[sp.Basic], lr: float) -> Iterator[Slip]:
    """+ for − in the update, λ ten times too small or too large, λ left out."""
    if not any(LR in e.free_symbols for e in exprs):
        return
    yield "update-sign", {}, _replace(LR, -LR)
    for factor in (0.1, 10.0, 0.01):
        if not np.isclose(lr * factor, 1.0):  # λ = 1 is λ left out, said as such below
            used = sp.Float(float(f"{lr * factor:.12g}"))
            yield "wrong-lr", {"term": sp.Float(lr), "used": used}, _replace(LR, sp.Float(factor) * LR)
    if not np.isclose(lr, 1.0):
        yield "missing-lr", {}, _replace(LR, sp.S.One)


def expression_slips(exprs: list[sp.Basic], lr: float) -> Iterator[Slip]:
    """Every rewrite above for exprs (an equation, or each part's of a composite); a rewrite that changes
    none of them is the caller's to skip."""
    yield from update_slips(exprs, lr)
    yield from derivative_slips(exprs)
    yield from activation_slips(exprs)


def untransposed(expr: sp.Basic, fetch: Callable[[sp.Basic], np.ndarray]) -> tuple[str, np.ndarray] | None:
    """Mᵀ·v evaluated as M·v, gate by gate (Σ_g M_g·v_g), where each gate's block M_g is square.

    fetch: a symbol's value. Returns (M's name, the value), or None when the slip is not possible.
    """
    while isinstance(expr, sp.MatAdd) and len(expr.args) == 1:  # derived sums of one term stay wrapped
        expr = expr.args[0]
    if not (isinstance(expr, sp.MatMul) and len(expr.args) == 2 and isinstance(expr.args[0], sp.Transpose)):
        return None
    matrix, vector = expr.args[0].arg, expr.args[1]
    if not isinstance(matrix, sp.MatrixSymbol):
        return None
    m, v = fetch(matrix), fetch(vector).ravel()
    blocks = len(GATES)
    if m.ndim != 2 or m.shape[0] % blocks or m.shape[0] // blocks != m.shape[1] or v.size != m.shape[0]:
        return None
    h = m.shape[1]
    out = sum(m[g * h : (g + 1) * h] @ v[g * h : (g + 1) * h] for g in range(blocks))
    return matrix.name, np.asarray(out, dtype=np.float64)


def is_bias(term: sp.Basic) -> bool:
    """Whether a term of a pre-activation is its bias (b_a, or b stacked)."""
    return isinstance(term, sp.MatrixSymbol) and ref_of(term).shift is None and ref_of(term).base[0] == "b"


def without(term: sp.Basic) -> Rewrite:
    """A sum with one of its terms left out."""
    return lambda expr: expr.func(*(a for a in expr.args if a != term))


def step_terms(c: Compiled, fetch: Fetch, T: int) -> list[np.ndarray]:  # noqa: N803
    """Each step's term of a compiled Σ_t equation, in one pass over the steps (linear in T): a vector
    term for all steps in one call (the function maps stacked columns to stacked terms), a matrix
    term (an outer product) one small call per step."""
    cols = {a.ref: np.stack([fetch(a.ref, t) for t in range(T)], axis=1) for a in c.args if a.ref.shift is not None}
    fixed = {a.ref: fetch(a.ref, 0) for a in c.args if a.ref.shift is None}
    fixed = {r: v.reshape(-1, 1) if v.ndim == 1 else v for r, v in fixed.items()}
    if c.cols == 1:
        out = np.asarray(c.fn(*(cols[a.ref] if a.ref in cols else fixed[a.ref] for a in c.args)), dtype=np.float64)
        return [np.broadcast_to(out, (out.shape[0], T))[:, t] for t in range(T)]
    return [
        np.asarray(c.fn(*(cols[a.ref][:, t : t + 1] if a.ref in cols else fixed[a.ref] for a in c.args)))
        for t in range(T)
    ]


def left_out(T: int) -> Iterator[tuple[tuple[int, ...], int | None]]:  # noqa: N803
    """The sets of steps a Σ_t may have left out, fewest first, as (steps, None), or ((), kept) for all
    but one: every set for a short sequence; else one step, the first or last two or three, or all but one
    (O(T) sets, each small)."""
    if T < 2:
        return
    if T <= SMALL_T:
        for n in range(1, max(T - 1, 2)):
            yield from ((steps, None) for steps in combinations(range(T), n))
    else:
        yield from (((t,), None) for t in range(T))
        for k in (2, 3):
            yield tuple(range(k)), None
            yield tuple(range(T - k, T)), None
    if T > 2:
        yield from (((), t) for t in range(T))
