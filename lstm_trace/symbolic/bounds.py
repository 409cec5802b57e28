"""How far hand rounding can move a result, as an expression: first-order propagation through an equation.

If each input v of y = f(v, …) may be off by e_v (elementwise), then y may be
off by Σ_v |∂f/∂v| ⊙ e_v, to first order.  Elementwise equations get the
partial derivatives from sympy.diff; matrix equations from the product rule on
magnitudes, |A·B − A'·B'| ≤ |A|·e_B + e_A·|B|, so that Wᵀ·δgates is bounded by
|W|ᵀ·e_δgates.  Like the equations themselves, a bound is built once per
equation and never depends on H, D or T.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from .cells.base import m, q, ref_of

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
