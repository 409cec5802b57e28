"""Slips as rewrites of an equation's sympy expression (derive time: slipcode.py compiles each).

Each rewrite applies to any expression (a no-op where its pattern is absent), so that the same slip
can be made in every part of a composite (δgates_t, W^new): tanh for tanh² in 1 − tanh²(s),
(1 − a) for (1 − a²), σ′ written as tanh′, a missing σ′ or tanh′ factor, tanh and σ swapped, a gate
for its complement (z_t for 1 − z_t), a wrong or missing λ, + for − in the update, a bias left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy as sp

from ..refs import ref_of
from .cells.base import q, sigmoid

Rewrite = Callable[[sp.Basic], sp.Basic]
# (kind, the Cause's fields, the rewrite)
Slip = tuple[str, dict[str, object], Rewrite]

LR = q("lr", None)


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


def complement_slips(exprs: list[sp.Basic]) -> Iterator[Slip]:
    """A gate where its complement belongs, or the other way round: z_t for 1 − z_t in a GRU's
    (1 − z_t) ⊙ n_t + z_t ⊙ out_{t-1} and its gradients, f_t for a coupled-gate LSTM's 1 − f_t."""
    seen: set[sp.Basic] = set()
    for expr in exprs:
        for mul in sp.preorder_traversal(expr):
            if not isinstance(mul, sp.Mul):
                continue
            for f in mul.args:
                y = _one_minus(f)
                if y is None or not y.is_Symbol or y in mul.args or f in seen:  # (y ⊙ (1 − y) is σ′'s)
                    continue
                seen.add(f)
                yield "complement", {"term": f, "used": y}, _replace(f, y)


def update_slips(exprs: list[sp.Basic]) -> Iterator[Slip]:
    """+ for − in the update, λ ten times too small or too large (factor), λ left out: the checker skips
    those that mean λ = 1 for the scenario's λ, and words the λ used."""
    if not any(LR in e.free_symbols for e in exprs):
        return
    yield "update-sign", {}, _replace(LR, -LR)
    for factor in (0.1, 10.0, 0.01):
        yield "wrong-lr", {"factor": factor}, _replace(LR, sp.Float(factor) * LR)
    yield "missing-lr", {}, _replace(LR, sp.S.One)


def expression_slips(exprs: list[sp.Basic]) -> Iterator[Slip]:
    """Every rewrite above for exprs (an equation, or each part's of a composite); a rewrite that changes
    none of them is the caller's to skip."""
    yield from update_slips(exprs)
    yield from derivative_slips(exprs)
    yield from activation_slips(exprs)
    yield from complement_slips(exprs)


def is_bias(term: sp.Basic) -> bool:
    """Whether a term of a pre-activation is its bias (b_a, or b stacked)."""
    return isinstance(term, sp.MatrixSymbol) and ref_of(term).shift is None and ref_of(term).base[0] == "b"


def without(term: sp.Basic) -> Rewrite:
    """A sum with one of its terms left out."""
    return lambda expr: expr.func(*(a for a in expr.args if a != term))
