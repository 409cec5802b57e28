"""Equations as a worked solution writes them: ``δa_t = δstate_t ⊙ i_t ⊙ (1 − a_t²)``.

One sympy Printer prints both forms of a row: with names (``a_0``, ``state_{-1}``)
or, given values, with the numbers substituted. Factors are ordered as a hand
derivation reads: the adjoint first, then the chain of local derivatives, a gate
just before its own ``(1 − gate)``. The printer leaves each name and number to a
hook: printed_with_slots() records them as the slots of a Template (templates.py), which the
renderers fill without sympy; render/equations.py's printers fill them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from ..refs import Ref, ref_of
from .cells.base import q

if TYPE_CHECKING:
    from .model import Equation

ORDER = ("a", "i", "f", "o", "r", "z", "n", "state", "out", "label", "y")
LINEAR_ORDER = ("W", "U", "P", "b")
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
CONSTANTS = ("lr", "eps")  # hyper-parameters, printed as a coefficient: λ·δW


class SlotPrinter(StrPrinter):
    """Prints an equation's right-hand side in a worked solution's order and tokens; its leaves go
    through name() and slot(), which a subclass fills (names and numbers in a Style, or slots).

    value: given, the equation is printed with numbers (× between factors, slot() for each symbol);
    inline: symbols printed as their definitions (za_t as W_a·x_t + U_a·out_{t-1} + b_a).
    """

    # the tokens of the plain form; LatexSlotPrinter swaps them
    ODOT, TIMES, DOT, OTIMES, TRANSPOSE, MINUS, SIGMA = " ⊙ ", " × ", "·", " ⊗ ", "ᵀ", "−", "σ"

    def __init__(
        self,
        value: Callable[[sp.Basic], np.ndarray | None] | None = None,
        inline: Mapping[sp.Basic, sp.Basic] | None = None,
    ) -> None:
        super().__init__()
        self.value = value
        self.inline = dict(inline or {})

    # -- leaves
    def _print_Symbol(self, expr: sp.Symbol) -> str:  # noqa: N802 - sympy's printer protocol
        if expr in self.inline:
            return self._print(self.inline[expr])
        if self.value is not None:
            return self.slot(expr, bare_scalar=True)
        return self.name(ref_of(expr))

    def name(self, ref: Ref) -> str:
        """A quantity's name where it stands."""
        raise NotImplementedError

    def slot(self, sym: sp.Basic, bare_scalar: bool = False, transposed: bool = False) -> str:
        """A symbol's value where its name would be."""
        raise NotImplementedError

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:  # noqa: N802
        if self.value is not None:
            return self.slot(expr)
        return self.name(ref_of(expr))

    def _print_Transpose(self, expr: sp.Transpose) -> str:  # noqa: N802
        if self.value is not None and isinstance(expr.arg, sp.MatrixSymbol):
            return self.slot(expr.arg, transposed=True)
        return self.parenthesize(expr.arg, PRECEDENCE["Pow"]) + self.TRANSPOSE

    def _print_Integer(self, expr: sp.Integer) -> str:  # noqa: N802
        return str(expr).replace("-", self.MINUS)

    # -- operators
    def _print_MatMul(self, expr: sp.MatMul) -> str:  # noqa: N802
        a, b = expr.args[0], expr.args[-1]
        if len(expr.args) == 2 and isinstance(b, sp.Transpose) and b.arg.shape[1] == 1:
            return f"{self._print(a)}{self.OTIMES}{self._print(b.arg)}"  # column·rowᵀ is an outer product
        return self.DOT.join(self.parenthesize(x, precedence(expr)) for x in expr.args)

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:  # noqa: N802
        terms = sorted(expr.args, key=lambda t: _linear_key(t))
        return " + ".join(self._print(t) for t in terms)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:  # noqa: N802
        terms = sorted(expr.args, key=_add_key)
        out = ""
        for t in terms:
            neg = t.could_extract_minus_sign()
            s = self.parenthesize(-t if neg else t, PRECEDENCE["Add"])
            out += (f" {self.MINUS} " if neg else " + ") + s if out else (self.MINUS if neg else "") + s
        return out

    def _print_Mul(self, expr: sp.Mul) -> str:  # noqa: N802
        coeff, factors = expr.as_coeff_mul()
        if coeff < 0:
            return self.MINUS + self.parenthesize(-expr, PRECEDENCE["Mul"])
        num = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        den = [f.base ** (-f.exp) for f in factors if f.is_Pow and f.exp.is_negative]  # λ·δW/√(cache + ε)
        if isinstance(coeff, sp.Rational) and coeff.q != 1:
            den.append(sp.Integer(coeff.q))
            coeff = sp.Integer(coeff.p)
        num = sorted(num, key=lambda f: _mul_key(f, num))
        sep = self.TIMES if self.value is not None else self.ODOT
        lead = ""
        while num and num[0].is_Symbol and ref_of(num[0]).base in CONSTANTS:
            lead += self._print(num.pop(0)) + (self.DOT if self.value is None else self.TIMES)
        body = lead + sep.join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in num)
        if coeff != 1:
            body = self._print(coeff) + self.DOT + body
        if den:  # a root is its own bracket: λ·δW/√(cache + ε)
            body += "/" + "/".join(
                self._print(d) if d.is_Pow and d.exp == sp.S.Half else self.parenthesize(d, PRECEDENCE["Pow"])
                for d in den
            )
        return body

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        base, exp = expr.args
        if exp == sp.S.Half:
            return self.root(self._print(base))
        if exp.is_Integer and exp > 1:
            sup = self.power(int(exp))
            if isinstance(base, sp.Function):
                return f"{self._fname(base)}{sup}({self._print(base.args[0])})"
            return self.parenthesize(base, PRECEDENCE["Pow"], strict=True) + sup
        return super()._print_Pow(expr, rational)

    def power(self, n: int) -> str:
        return str(n).translate(SUPERSCRIPT)

    def root(self, inner: str) -> str:
        return f"√({inner})"

    def _fname(self, f: sp.Function) -> str:
        return {"sigmoid": self.SIGMA}.get(type(f).__name__, type(f).__name__)

    def _print_Function(self, expr: sp.Function) -> str:  # noqa: N802
        return f"{self._fname(expr)}({', '.join(self._print(a) for a in expr.args)})"

    _print_tanh = _print_Function
    _print_exp = _print_Function
    _print_log = _print_Function


def _order_of(sym: sp.Basic) -> tuple[int, int]:
    """Definition order (a, i, f, o, state, out), an adjoint by its quantity; Δ before Δout."""
    r = ref_of(sym)
    if r.base == "Delta":
        return (-1, r.shift or 0)
    base = r.base if r.base in ORDER else r.base[1:]
    return (ORDER.index(base) if base in ORDER else len(ORDER), r.shift or 0)


def _is_adjoint(sym: sp.Basic) -> bool:
    b = ref_of(sym).base
    return b[:1] in ("d", "D") and b not in ORDER


def _add_key(term: sp.Basic) -> tuple:
    syms = sorted(term.free_symbols, key=lambda s: s.name)
    shifts = [ref_of(s).shift or 0 for s in syms]
    preact = term.is_Symbol and ref_of(term).base[:1] == "z" and ref_of(term).shift is not None
    return (
        0 if term.is_Number else (1 if preact else 2),  # 1 − a², z_i + P_i ⊙ state_{t-1}
        term.could_extract_minus_sign(),
        max(shifts, default=0),
        -len(syms),  # the longest chain first: δout_t ⊙ o_t ⊙ (1 − tanh²(state_t)) before δo_t ⊙ P_o
        min((_order_of(s) for s in syms), default=(0, 0)),
    )


def _mul_key(f: sp.Basic, siblings: list[sp.Basic]) -> tuple:
    if f.is_Symbol:
        r = ref_of(f)
        if r.base in CONSTANTS:
            return (0, 0)  # λ·δW
        if _is_adjoint(f):
            return (1, 0)
        if r.shift is None:  # a weight, after its adjoint: δo_t ⊙ P_o, P_i ⊙ state_{t-1}
            return (1, 1)
        # a gate sits just before its own (1 − gate)
        partnered = any(s.is_Add and f in s.free_symbols for s in siblings)
        return (4 if partnered else 3, *_order_of(f))
    if isinstance(f, sp.Function):
        return (2, 0)
    return (5, 0)


def _linear_key(term: sp.Basic) -> int:
    for s in sorted(term.atoms(sp.MatrixSymbol, sp.Symbol), key=lambda s: s.name):
        base = ref_of(s).base[:1]
        if base in LINEAR_ORDER and ref_of(s).shift is None:
            return LINEAR_ORDER.index(base)
    return len(LINEAR_ORDER)


class LatexSlotPrinter(SlotPrinter):
    """The same logic with LaTeX's tokens."""

    ODOT, TIMES, DOT, OTIMES, TRANSPOSE, MINUS, SIGMA = (
        r" \odot ",
        r" \times ",
        r" \cdot ",
        r" \otimes ",
        r"^{\top}",
        "-",
        r"\sigma",
    )

    def power(self, n: int) -> str:
        return f"^{{{n}}}"

    def root(self, inner: str) -> str:
        return rf"\sqrt{{{inner}}}"

    def _fname(self, f: sp.Function) -> str:
        name = type(f).__name__
        return {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log"}.get(name, rf"\mathrm{{{name}}}")


PRINTERS: dict[str, type[SlotPrinter]] = {"plain": SlotPrinter, "latex": LatexSlotPrinter}


def printed_with_slots(
    form: str, expr: sp.Basic, inline: tuple[Equation, ...], names: bool
) -> tuple[list[str | int], list[tuple]]:
    """expr printed once in a form ("plain" or "latex"), with slots for its names (names=True) or its numbers:
    a Template's parts and slots (templates.py)."""
    slots: list[tuple] = []

    class Recording(PRINTERS[form]):  # type: ignore[misc, valid-type]
        def slot(self, sym: sp.Basic, bare_scalar: bool = False, transposed: bool = False) -> str:
            slots.append((ref_of(sym), bare_scalar, transposed))
            return f"\x00{len(slots) - 1}\x00"

        def name(self, ref: Ref) -> str:
            slots.append((ref,))
            return f"\x00{len(slots) - 1}\x00"

    value = None if names else (lambda s: None)
    printed = Recording(inline={q(e.name): e.expr for e in inline}, value=value).doprint(expr)
    parts: list[str | int] = printed.split("\x00")
    for k in range(1, len(parts), 2):
        parts[k] = int(parts[k])
    return parts, slots
