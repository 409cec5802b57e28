"""Equations as a worked solution writes them: ``δa_t = δstate_t ⊙ i_t ⊙ (1 − a_t²)``.

One sympy Printer prints both forms of a row: with names (``a_0``,
``state_{-1}``) or, given values, with the numbers substituted.  Factors are
ordered as a hand derivation reads: the adjoint first, then the chain of
local derivatives, a gate just before its own ``(1 − gate)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from ..cells.base import Ref, ref_of
from ..names import DISPLAY
from . import MAX_ITEMS

ORDER = ("a", "i", "f", "o", "state", "out", "label", "y")
LINEAR_ORDER = ("W", "U", "P", "b")
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
CONSTANTS = ("lr", "eps")  # hyper-parameters, printed as a coefficient: λ·δW


def fmt_number(v: float, decimals: int) -> str:
    """Short where the number is exact at that precision (0.45, 1, 0), else fixed decimals."""
    v = float(v) + 0.0  # -0.0 -> 0.0
    if v == 0:
        return "0"
    r = round(v, decimals)
    if abs(v - r) < 1e-12 * max(1.0, abs(v)):  # exact at this precision: 0.45, 1, 0
        text = f"{r + 0.0:.{decimals}f}"  # + 0.0: noise such as -1e-17 is 0
        return text.rstrip("0").rstrip(".") if "." in text else text
    if abs(v) < 0.5 * 10.0**-decimals:
        return f"{v:.{max(decimals - 1, 1)}e}"
    return f"{v:.{decimals}f}"


def fmt_array(value: np.ndarray, decimals: int, bare_scalar: bool = False, max_items: int = MAX_ITEMS) -> str:
    """[1 2], [[0.45 0.25] [0.95 0.8]], or a bare number for one entry where allowed."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1 and (bare_scalar or a.ndim == 0):
        return fmt_number(a.item(), decimals)
    if a.ndim == 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim <= 1:
        items = [fmt_number(v, decimals) for v in _head_tail(a, max_items).tolist()]
        return "[" + " ".join(_elide(items, a.size, max_items)) + "]"
    rows = [fmt_array(r, decimals, max_items=max_items) for r in _head_tail(a, max_items // 2)]
    return "[" + " ".join(_elide(rows, a.shape[0], max_items // 2)) + "]"


def _head_tail(a: np.ndarray, n: int) -> np.ndarray:
    return a if len(a) <= n else np.concatenate([a[: n - 2], a[-2:]])


def _elide(items: list[str], total: int, n: int) -> list[str]:
    if total <= n:
        return items
    return items[: n - 2] + [elision(total - n)] + items[-2:]


def elision(hidden: int, what: str = "") -> str:
    """The mark of what a printed vector, matrix or Σ_t leaves out: …(12 more)…, …(508 more terms)…"""
    return f"…({hidden} more{what})…"


ELIDED = re.compile(r"…\(\d+ more")  # finds any elision() in printed text


# seed 001 writes c_t for the state and h_t for the output; a scenario chooses with model.notation
NOTATION: ContextVar[str] = ContextVar("notation", default="default")
CH = {"state": "c", "out": "h", "dstate": "δc", "dout": "δh", "Dout": "Δh"}


# While a whole trace is printed, each array's text is made once: W_a appears in every step's za_t.
_NUMBERS: ContextVar[dict[tuple, tuple[np.ndarray, str]] | None] = ContextVar("numbers", default=None)


@contextmanager
def numbers_remembered() -> Iterator[None]:
    """Within the block, a printer formats each array (by identity, kept alive by the memo) once."""
    token = _NUMBERS.set({})
    try:
        yield
    finally:
        _NUMBERS.reset(token)


@contextmanager
def notation(name: str) -> Iterator[None]:
    """Print names in a notation ("default" or "ch") within the block."""
    token = NOTATION.set(name)
    try:
        yield
    finally:
        NOTATION.reset(token)


def name_of(ref: Ref, step: int | None) -> str:
    """a_0, state_{-1}, δstate_{t+1}, W_a, λ: a quantity's printed name at a step (None: symbolic t)."""
    if ref.shift is None and ref.base.endswith("_new"):  # an updated parameter: W_a^new, cache_W_a^new
        return name_of(Ref(ref.base[: -len("_new")], None), None) + "^new"
    base = CH.get(ref.base) if NOTATION.get() == "ch" and ref.shift is not None else None
    base = base or DISPLAY.get(ref.base, ref.base)
    if ref.base.startswith("d") and ref.base[1:2] in ("W", "U", "b", "P", "V", "c"):
        base = "δ" + ref.base[1:]
    if ref.shift is None:
        return base
    if step is None:
        sub = "t" if ref.shift == 0 else f"t{ref.shift:+d}"
    else:
        sub = str(step + ref.shift)
    sub = sub if len(sub) == 1 else "{" + sub + "}"
    return f"{base}_{sub}"


def display_name(name: str, namer: Callable[[Ref, int | None], str] = name_of, new: str = "^new") -> str:
    """A canonical name as a worked solution prints it: dstate_1 -> δstate_1, Dout_-1 -> Δout_{-1}, db_o -> δb_o."""
    name, bracket, index = name.partition("[")
    index = bracket + index
    if name.endswith("_new"):
        return namer(Ref(name[: -len("_new")], None), None) + new + index
    base, _, step = name.rpartition("_")
    if base and step.lstrip("-").isdigit():
        return namer(Ref(base, int(step)), 0) + index
    return namer(Ref(name, None), None) + index


class EquationPrinter(StrPrinter):
    """Prints an equation's right-hand side with names, or with values if `value` is given."""

    # the notation's tokens; LatexEquationPrinter swaps them
    ODOT, TIMES, DOT, OTIMES, TRANSPOSE, MINUS, SIGMA = " ⊙ ", " × ", "·", " ⊗ ", "ᵀ", "−", "σ"
    SUM = "Σ_t "  # before a parameter gradient's per-step term

    def __init__(
        self,
        step: int | None = None,
        value: Callable[[sp.Basic], np.ndarray] | None = None,
        inline: Mapping[sp.Basic, sp.Basic] | None = None,
        decimals: int = 5,
        max_items: int = MAX_ITEMS,
    ) -> None:
        super().__init__()
        self.step = step
        self.value = value
        self.inline = dict(inline or {})
        self.decimals = decimals
        self.max_items = max_items

    # -- leaves
    def _print_Symbol(self, expr: sp.Symbol) -> str:  # noqa: N802 - sympy's printer protocol
        if expr in self.inline:
            return self._print(self.inline[expr])
        if self.value is not None:
            return self.slot(expr, bare_scalar=True)
        return self.name(ref_of(expr))

    def name(self, ref: Ref) -> str:
        return name_of(ref, self.step)

    def slot(self, sym: sp.Basic, bare_scalar: bool = False, transposed: bool = False) -> str:
        """A symbol's value where its name would be."""
        assert self.value is not None
        v = self.value(sym)
        memo = _NUMBERS.get()
        key = (id(v), bare_scalar, transposed, type(self), self.decimals, self.max_items)
        if memo is not None and key in memo and memo[key][0] is v:
            return memo[key][1]
        text = self.number(np.atleast_2d(v).T if transposed else v, bare_scalar=bare_scalar)
        if memo is not None:
            memo[key] = (v, text)
        return text

    def number(self, value: np.ndarray, bare_scalar: bool = False) -> str:
        return fmt_array(value, self.decimals, bare_scalar=bare_scalar, max_items=self.max_items)

    @staticmethod
    def display(name: str) -> str:
        """A canonical name as this notation prints it."""
        return display_name(name)

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


class _Template:
    """An equation printed once with slots, filled per step: a printer run per row is slow.

    names=True: slots for the names (filled at a step); else slots for the numbers.
    """

    def __init__(
        self,
        printer: type[EquationPrinter],
        expr: sp.Basic,
        inline: Mapping[sp.Basic, sp.Basic],
        names: bool,
        **kw: int,
    ) -> None:
        self.printer, self.kw = printer, kw
        self.slots: list[tuple] = []
        slots = self.slots

        class Recording(printer):  # type: ignore[misc, valid-type]
            def slot(self, sym: sp.Basic, bare_scalar: bool = False, transposed: bool = False) -> str:
                slots.append((sym, bare_scalar, transposed))
                return f"\x00{len(slots) - 1}\x00"

            def name(self, ref: Ref) -> str:
                if not names:
                    return super().name(ref)
                slots.append((ref,))
                return f"\x00{len(slots) - 1}\x00"

        value = None if names else (lambda s: None)
        self.parts = Recording(step=0, inline=inline, value=value, **kw).doprint(expr).split("\x00")

    def fill(self, value: Callable[[sp.Basic], np.ndarray] | None = None, step: int | None = None) -> str:
        out = list(self.parts)
        p = self.printer(step=step, value=value, **self.kw)  # its name() and slot() fill the slots
        for k in range(1, len(out), 2):
            slot = self.slots[int(out[k])]
            out[k] = p.name(slot[0]) if len(slot) == 1 else p.slot(*slot)
        return "".join(out)


_TEMPLATES: dict[tuple, _Template] = {}


def _template(
    printer: type[EquationPrinter], expr: sp.Basic, inline: Mapping[sp.Basic, sp.Basic], names: bool, **kw: int
) -> _Template:
    key = (printer, expr, tuple(inline.items()), NOTATION.get(), names, tuple(kw.items()))  # sympy caches its hashes
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _Template(printer, expr, inline, names, **kw)
    return _TEMPLATES[key]


def substituted(
    printer: type[EquationPrinter],
    expr: sp.Basic,
    inline: Mapping[sp.Basic, sp.Basic],
    value: Callable[[sp.Basic], np.ndarray],
    decimals: int,
    max_items: int,
) -> str:
    """expr with every symbol's value in its place (inline symbols written out), as printer prints it."""
    return _template(printer, expr, inline, False, decimals=decimals, max_items=max_items).fill(value)


def named(printer: type[EquationPrinter], expr: sp.Basic, inline: Mapping[sp.Basic, sp.Basic], step: int | None) -> str:
    """expr with names at a step (a_0, state_{-1}), or at t when step is None, as printer prints it."""
    return _template(printer, expr, inline, True).fill(step=step)
