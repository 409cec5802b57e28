"""Building blocks for writing a cell's forward equations in sympy.

A *quantity* is a per-step vector (``a``, ``state``, ``out``) or a parameter
(``W_a``, ``b_a``).  Per-step quantities carry a time shift relative to the
step ``t`` being computed: ``q("state", -1)`` is state_{t-1}.  Elementwise
equations use commutative scalar symbols (one unit of the vector);
linear equations use matrix symbols, so that sympy's matrix calculus can
derive their adjoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from ...refs import GATES, SIZE_NAMES, Ref, Shape, ref_of, symbol_name

__all__ = ["GATES", "SIZE_NAMES", "Ref", "ref_of"]


# symbolic sizes: the equations never depend on their values
D, H, K = sp.symbols("D H K", integer=True, positive=True)  # inputs, hidden units, output classes


class sigmoid(sp.Function):  # noqa: N801 - named as the maths writes it
    """σ(x) = 1 / (1 + e^{-x}), kept as a function so derivatives read σ(1 − σ)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-arg))


class softmax(sp.Function):  # noqa: N801
    """softmax(s)_k = e^{s_k} / Σ_j e^{s_j}: couples the units of one step.

    Its derivative here is the diagonal y_k(1 − y_k), used only to bound rounding; the
    gradient of the loss goes through logsumexp, whose rule is exact.
    """

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        y = softmax(self.args[0])
        return y * (1 - y)


class logsumexp(sp.Function):  # noqa: N801
    """log Σ_j e^{s_j}, the same for every unit of a step: a reduction over units.

    ∂/∂s_k of Σ_j c_j · logsumexp(s) is (Σ_j c_j) · softmax(s)_k; the deriver applies the
    sum over units (unitsum) to the coefficient itself.
    """

    reduction = True

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return softmax(self.args[0])


class relu(sp.Function):  # noqa: N801
    """max(0, x); its derivative is the step 1[x > 0] (0 at 0, as PyTorch takes it)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return step(self.args[0])


class step(sp.Function):  # noqa: N801
    """1 where x > 0, else 0: relu's derivative, itself constant where it is defined."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero


class unitsum(sp.Function):  # noqa: N801
    """Σ_k over the units of one step, the same for every unit."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.One


@cache
def q(base: str, shift: int | None = 0) -> sp.Symbol:
    """The elementwise (one unit) symbol of a quantity."""
    return sp.Symbol(symbol_name(Ref(base, shift)), real=True)


@cache
def m(base: str, shift: int | None, rows: sp.Expr, cols: sp.Expr = sp.S.One) -> sp.MatrixSymbol:
    """The matrix symbol of a quantity (a vector is a column)."""
    return sp.MatrixSymbol(symbol_name(Ref(base, shift)), rows, cols)


def shifted(expr: sp.Basic, k: int) -> sp.Basic:
    """The same expression with every per-step quantity moved k steps later."""
    if k == 0:
        return expr
    subs = {}
    for s in expr.atoms(sp.Symbol, sp.MatrixSymbol):
        r = ref_of(s)
        if r.shift is None:
            continue
        n = r.at(k)
        subs[s] = q(n.base, n.shift) if isinstance(s, sp.Symbol) else m(n.base, n.shift, *s.shape)
    return expr.xreplace(subs)


@dataclass(frozen=True)
class Cell:
    """A cell's forward equations, written once.

    linear:      pre-activation name -> matrix expression (W_g·x_t + U_g·out_{t-1} + b_g)
    elementwise: activation/state name -> scalar expression over one unit, in order
    params:      parameter name -> (rows, cols) in the symbolic sizes
    """

    name: str
    linear: dict[str, sp.MatrixExpr]
    elementwise: dict[str, sp.Expr]
    params: dict[str, tuple[sp.Expr, sp.Expr]]
    shape: Shape = Shape("lstm")
    # the adjoints with names of their own: each gate's pre-activation's, which the seed calls δa, δi, δf, δo
    adjoints: dict[str, str] = field(default_factory=lambda: {f"z{g}": f"d{g}" for g in GATES})

    # a quantity read both by the loss (or the layer above) and by the next step's linear layer has its two
    # parts named, as the seed does: δout_t = Δ_t + Δout_t
    splits: dict[str, tuple[str, str]] = field(default_factory=lambda: {"out": ("Delta", "Dout")})
    # equations that only pass a quantity on (stacked layers: x_l1_t = out_l0_t, out_t = out_l1_t); what
    # comes back through them is the Δ of the quantity they read
    links: frozenset[str] = frozenset()
    # the order a worked solution writes the step's equations in, where it is not linear then elementwise
    # (stacked layers: layer 0's, then layer 1's)
    sequence: tuple[str, ...] = ()
    # a bidirectional network's: each layer's direction a sweep over the steps (its equations, +1 from the first
    # step on, -1 from the last back), and the suffixes of the two outputs the loss reads (out_l0_t, out_l0r_t)
    sweeps: tuple[tuple[tuple[str, ...], int], ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def gates(self) -> tuple[str, ...]:
        return self.shape.gates
