"""How far hand rounding can move a result: first-order propagation through an equation.

If each input v of y = f(v, …) may be off by e_v (elementwise), then y may be
off by Σ_v |∂f/∂v| ⊙ e_v, to first order.  Elementwise equations get the
partial derivatives from sympy.diff; matrix equations from the product rule on
magnitudes, |A·B − A'·B'| ≤ |A|·e_B + e_A·|B|, so that Wᵀ·δgates is bounded by
|W|ᵀ·e_δgates.  Like the equations themselves, a bound is built once per
equation and never depends on H, D or T.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

import numpy as np
import sympy as sp

from .cells.base import Ref, m, q, ref_of
from .codegen import Compiled, Fetch, call, generate, load
from .derive import Equation
from .evaluate import BOUNDS, _lookup
from .scenario import Scenario

ERR = "err_"  # err_state__m1: how far state_{t-1} may be off
ABS = "abs_"  # abs_W: |W|, elementwise


def _tagged(s: sp.Basic, tag: str) -> sp.Basic:
    r = ref_of(s)
    return q(tag + r.base, r.shift) if isinstance(s, sp.Symbol) else m(tag + r.base, r.shift, *s.shape)


def _rewrite(e: sp.MatrixExpr, leaf: str, product: Callable[[sp.Expr, list], sp.MatrixExpr]) -> sp.MatrixExpr:
    """Rebuild a matrix expression: symbols tagged, sums and transposes kept, products by the rule given."""
    if isinstance(e, sp.MatrixSymbol):
        return _tagged(e, leaf)
    if isinstance(e, sp.Transpose):
        return _rewrite(e.arg, leaf, product).T
    if isinstance(e, sp.MatAdd):
        return sp.MatAdd(*(_rewrite(a, leaf, product) for a in e.args))
    if isinstance(e, sp.MatMul):
        coeff, mats = e.as_coeff_matrices()
        return product(sp.Abs(coeff), list(mats))
    raise TypeError(f"no rule for {type(e).__name__}")  # pragma: no cover - a new cell adds its rule here


def _magnitude(e: sp.MatrixExpr) -> sp.MatrixExpr:
    """An elementwise upper bound of |e|: |A·B| ≤ |A|·|B|, |A + B| ≤ |A| + |B|."""
    return _rewrite(e, ABS, lambda c, mats: sp.MatMul(c, *map(_magnitude, mats)))


def _matrix_bound(e: sp.MatrixExpr) -> sp.MatrixExpr:
    """e's first-order error: the product rule on magnitudes."""

    def product(c: sp.Expr, mats: list) -> sp.MatrixExpr:
        terms = [
            sp.MatMul(c, *[_matrix_bound(x) if j == k else _magnitude(x) for j, x in enumerate(mats)])
            for k in range(len(mats))
        ]
        return sp.MatAdd(*terms)

    return _rewrite(e, ERR, product)


def bound_expr(expr: sp.Basic) -> sp.Basic:
    """Σ_v |∂expr/∂v| ⊙ err_v, as an expression over the values and their err_ (and abs_) symbols."""
    if isinstance(expr, sp.MatrixExpr):
        return _matrix_bound(expr)
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    return sp.Add(*(sp.Abs(sp.diff(expr, s)) * _tagged(s, ERR) for s in syms))


@cache
def compiled_bound(eq: Equation, stacked: bool = False) -> Compiled:
    """The bound as a numpy function: compiled with the model (and cached with it), else here."""
    return BOUNDS.get((eq, stacked)) or load(*generate(bound_expr(eq.stacked if stacked else eq.expr), eq.kind))


def bound(
    eq: Equation,
    step: int,
    sc: Scenario,
    values: Mapping[str, np.ndarray],
    errors: Mapping[str, np.ndarray],
    stacked: bool = False,
) -> np.ndarray:
    """How far eq's result may be off when each input is off by errors[name] (0 where absent)."""
    c = compiled_bound(eq, stacked)

    def fetch(r: Ref, t: int) -> np.ndarray:
        if r.base.startswith(ABS):
            return np.abs(_lookup(values, sc, Ref(r.base[len(ABS) :], r.shift), t))
        if r.base.startswith(ERR):
            inner = Ref(r.base[len(ERR) :], r.shift)
            if inner.shift is None:
                return errors.get(inner.base, np.zeros_like(_lookup(values, sc, inner, t)))
            return _lookup(errors, sc, inner, t)
        return _lookup(values, sc, r, t)

    return call(c, fetch, step, sc.T)


__all__ = ["bound", "bound_expr", "compiled_bound", "Fetch"]
