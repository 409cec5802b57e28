"""How far hand rounding can move a result, as an expression: first-order propagation through an equation
(bounds.py keeps the names of its symbols, for readers without sympy).

If each input v of y = f(v, …) may be off by e_v (elementwise), then y may be
off by Σ_v |∂f/∂v| ⊙ e_v, to first order.  Elementwise equations get the
partial derivatives from sympy.diff; matrix equations from the product rule on
magnitudes, |A·B − A'·B'| ≤ |A|·e_B + e_A·|B|, so that Wᵀ·δgates is bounded by
|W|ᵀ·e_δgates.

A student also rounds inside one equation: tanh(state_t) before squaring it,
each product of a dot product, a partial product of δstate_t ⊙ a_t ⊙ i_t ⊙ (1 − i_t),
λ·δW before subtracting it.  Each such sub-result u, rounded by half a unit h,
moves the result by |∂f/∂u|·h; the bound adds Σ_u |∂f/∂u| · ROUND, ROUND being
the half-unit the sub-results are rounded to (supplied when it is evaluated).
Like the equations themselves, a bound is built once per equation and never
depends on H, D or T.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import sympy as sp

from .bounds import ABS, ERR, ONE, ROUND
from .cells.base import m, q, ref_of


class fmax(sp.Function):  # noqa: N801 - printed as numpy's fmax (elementwise, broadcasting)
    """The larger of two magnitudes, kept unevaluated: lambdify prints it as fmax(a, b), numpy's."""

    nargs = 2


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


def _matrix_rounding(e: sp.MatrixExpr) -> sp.MatrixExpr | None:
    """How many half-units the sub-results of e move it, elementwise (None: nothing is rounded inside).

    Each scalar product of A·B is a sub-result (one_A·one_B counts them per entry); sums of
    rounded numbers are exact; a product's factors carry their own sub-results through |·|.
    """
    if isinstance(e, sp.MatrixSymbol):
        return None
    if isinstance(e, sp.Transpose):
        inner = _matrix_rounding(e.arg)
        return None if inner is None else inner.T
    if isinstance(e, sp.MatAdd):
        terms = [r for r in map(_matrix_rounding, e.args) if r is not None]
        return sp.MatAdd(*terms) if terms else None
    if isinstance(e, sp.MatMul):
        coeff, mats = e.as_coeff_matrices()
        if len(mats) == 1:
            inner = _matrix_rounding(mats[0])
            return None if inner is None else sp.MatMul(sp.Abs(coeff), inner)
        if len(mats) != 2:  # pragma: no cover - a new cell adds its rule here
            raise TypeError("no rounding rule for a product of more than two matrices")
        a, b = mats
        terms = [sp.MatMul(sp.Abs(coeff), _rewrite(a, ONE, _no_product), _rewrite(b, ONE, _no_product))]
        ra, rb = _matrix_rounding(a), _matrix_rounding(b)
        terms += [sp.MatMul(sp.Abs(coeff), ra, _magnitude(b))] if ra is not None else []
        terms += [sp.MatMul(sp.Abs(coeff), _magnitude(a), rb)] if rb is not None else []
        return sp.MatAdd(*terms)
    raise TypeError(f"no rule for {type(e).__name__}")  # pragma: no cover - a new cell adds its rule here


def _no_product(c: sp.Expr, mats: list) -> sp.MatrixExpr:  # pragma: no cover - factors of products are symbols
    raise TypeError("ones of a product")


def _derivative(e: sp.Expr, k: int) -> sp.Expr:
    """∂e/∂(its k-th argument), in terms of that argument."""
    d = sp.Dummy("u")
    args = list(e.args)
    child, args[k] = args[k], d
    return sp.diff(e.func(*args), d).xreplace({d: child})


def _partials(factors: list[sp.Expr]) -> sp.Expr:
    """The most one rounded partial product of factors can move their product, per half-unit:
    the largest magnitude of what it is still multiplied by (a complement of one to n − 2 factors)."""
    out: sp.Expr | None = None
    for size in range(1, len(factors) - 1):
        for rest in combinations(factors, size):
            term = sp.Abs(sp.Mul(*rest))
            out = term if out is None else fmax(out, term)
    assert out is not None
    return out


def _scalar_rounding(e: sp.Expr, adjoint: sp.Expr, rounded: bool) -> sp.Expr:
    """Σ over e's sub-results u (e itself if rounded) of |∂f/∂u|, adjoint being ∂f/∂e."""
    if e.is_Atom or not e.args:
        return sp.S.Zero
    coeff, factors = e.as_coeff_mul() if isinstance(e, sp.Mul) else (sp.S.One, ())
    if isinstance(e, sp.Mul) and len(factors) == 1:  # −x, x/2: the factor itself is what is rounded
        return _scalar_rounding(factors[0], adjoint * coeff, rounded)
    total = sp.Abs(adjoint) if rounded else sp.S.Zero
    if isinstance(e, sp.Mul) and len(factors) > 2:  # the partial products, in whatever order they are taken
        total += (len(factors) - 2) * sp.Abs(adjoint * coeff) * _partials(list(factors))
    if isinstance(e, sp.Add) and len(e.args) > 2:  # partial sums
        total += (len(e.args) - 2) * sp.Abs(adjoint)
    for k, child in enumerate(e.args):
        if not child.is_Atom:
            total += _scalar_rounding(child, adjoint * _derivative(e, k), True)
    return total


def rounding_expr(expr: sp.Basic, kind: str) -> sp.Basic | None:
    """Σ_u |∂expr/∂u| over the sub-results u a hand computation rounds (None: none).

    The result itself is rounded as written, so it is not counted, except for the per-step
    term of a Σ_t (kind "sum"), which is a sub-result of the sum.
    """
    if isinstance(expr, sp.MatrixExpr):  # a Σ_t's per-step products are counted like any product
        return _matrix_rounding(expr)
    out = _scalar_rounding(expr, sp.S.One, rounded=kind == "sum")
    return None if out == 0 else out


def bound_expr(expr: sp.Basic, kind: str = "") -> sp.Basic:
    """Σ_v |∂expr/∂v| ⊙ err_v + Σ_u |∂expr/∂u| · ROUND, over the values v (err_, abs_, one_ symbols)
    and the sub-results u rounded inside the equation."""
    inner = rounding_expr(expr, kind)
    half = q(ROUND, None)
    if isinstance(expr, sp.MatrixExpr):
        out = _matrix_bound(expr)
        return out if inner is None else out + half * inner  # the operators simplify MatMul(1, …)
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    out = sp.Add(*(sp.Abs(sp.diff(expr, s)) * _tagged(s, ERR) for s in syms))
    return out if inner is None else out + half * inner
