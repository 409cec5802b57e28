"""A student's formula, read safely and judged against the derived one.

The text is never evaluated: a few hand-written symbols are rewritten into
Python tokens (keeping a map back to the original columns, for the caret in
an error), Python's ``ast`` parses it, and a whitelist of node types builds
the sympy expression by hand.  Two formulas are the same when they agree once
forward quantities are written through their definitions (a_t = tanh(za_t),
out_t = tanh(state_t) ⊙ o_t) and gradients are left as given quantities.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import LstmTraceError
from ..exprtext import NAME, rewrite
from ..names import did_you_mean, normalise
from ..refs import Ref, ref_of
from ..symbolic.cells.base import q, relu, shifted, sigmoid, step
from ..symbolic.derive import adjoint_names
from ..symbolic.model import Model
from .formulawords import example, expand, left_sides, reader_of

FUNCTIONS = {"tanh": sp.tanh, "sigmoid": sigmoid, "sigma": sigmoid, "σ": sigmoid, "exp": sp.exp, "log": sp.log}
FUNCTIONS |= {"relu": relu, "step": step}  # an RNN's relu and its derivative, 1 where x > 0
# spellings of the seeds: â_t / ahat_t for za_t, c/h notation for state/out
ALIASES = {"ahat": "za", "ihat": "zi", "fhat": "zf", "ohat": "zo", "c": "state", "h": "out"}
ALIASES |= {"â": "za", "î": "zi", "ô": "zo", "htilde": "n", "h̃": "n"}  # h̃_t: a GRU's candidate n_t, as d2l writes it
SQUARED_CALL = re.compile(r"(tanh|sigmoid|sigma|σ|exp|log|relu|step)²\(")
# bounds checked before sympy computes (the longest derived formula, σ spelled out: ~150 characters, 40 parts)
MAX_CHARS, MAX_PARTS, MAX_DEPTH, MAX_EXPONENT, MAX_NUMBER = 500, 200, 32, 10, 10**12  # fractions: 100 digits
TOO_LARGE = "this number is out of range: a formula's numbers are at most 1e12 in size and 100 digits long"
UNDEFINED = (sp.S.ComplexInfinity, sp.S.NaN)  # (oo, from a literal 1e400, is a number too large)
WHY = {"Div": "this divides by zero", "Pow": "0 to a negative power divides by zero", "log": "log(0) is −∞"}


class FormulaError(LstmTraceError):
    """A formula that cannot be read; the message points at the column with a caret."""

    def __init__(self, text: str, column: int, message: str, width: int = 1) -> None:
        caret = " " * column + "^" * max(1, width)
        super().__init__(f"cannot read the formula: {message}\n  {text}\n  {caret}")


@dataclass(frozen=True)
class Judgement:
    verdict: str  # correct | wrong
    lhs: sp.Basic  # the quantity (a symbol), or the expression ∂E/∂v stands for
    of: Ref | None  # for ∂E/∂v of an activation: v
    expected: sp.Expr  # the derived right-hand side, in forward terms
    given: sp.Expr
    counterexample: dict | None  # {"at": {name: value}, "expected": x, "given": y}


def _rewrite(text: str) -> tuple[str, list[int]]:
    """Hand-written maths as Python tokens (exprtext.py's rules, and check-formula's tanh²( and ∂)."""
    return rewrite(text, ((SQUARED_CALL, lambda m: m[1] + "__sq("), (re.compile("∂"), lambda m: "d")))


class _Reader:
    """One side of the formula: text[offset:] of the whole, full."""

    def __init__(self, model: Model, text: str, full: str, offset: int) -> None:
        self.model, self.full, self.offset = model, full, offset
        self.src, self.origin = _rewrite(text)
        self.activations = dict(model.activation_adjoints)
        recurrent = model.cell.shape.recurrent  # δstate_t only for a cell with a state
        self.names = {k: v for k, v in adjoint_names(model.cell).items() if k not in ("state", "out") or k in recurrent}
        self.adjoints = set(self.names.values()) | {"Delta", "Dout"}
        self.forward = set(model.cell.elementwise) | set(model.cell.linear) | {"x", "label"}

    def fail(self, node: ast.AST | None, message: str) -> FormulaError:
        col = getattr(node, "col_offset", 0) or 0
        end = getattr(node, "end_col_offset", col + 1) or col + 1
        start, stop = self.origin[min(col, len(self.origin) - 1)], self.origin[min(end, len(self.origin) - 1)]
        return FormulaError(self.full, self.offset + start, message, stop - start)

    def parse(self) -> tuple[sp.Basic, str | Ref | None]:
        """The expression, and for a bare name or ∂E/∂v its quantity."""
        try:
            with warnings.catch_warnings():  # the parser's remarks on strings and `is`, refused below anyway
                warnings.simplefilter("ignore")
                tree = ast.parse(self.src.strip() or "?", mode="eval")
        except (SyntaxError, ValueError) as exc:  # ValueError: a NUL character
            col = (getattr(exc, "offset", 1) or 1) - 1 + (len(self.src) - len(self.src.lstrip()))
            at = self.offset + self.origin[min(col, len(self.origin) - 1)]
            raise FormulaError(self.full, at, exc.args[0]) from None
        lead = len(self.src) - len(self.src.lstrip())
        for n in ast.walk(tree):
            if hasattr(n, "col_offset"):
                n.col_offset += lead
                n.end_col_offset = (n.end_col_offset or n.col_offset) + lead
            for child in ast.iter_child_nodes(n):  # walked parents first
                child.depth = getattr(n, "depth", 0) + 1  # type: ignore[attr-defined]
        parts = [n for n in ast.walk(tree.body) if isinstance(n, ast.expr)]
        if len(parts) > MAX_PARTS:
            raise self.fail(tree.body, f"the formula is too long: more than {MAX_PARTS} names, numbers and operations")
        if (deepest := max(parts, key=lambda n: n.depth)).depth > MAX_DEPTH:  # type: ignore[attr-defined]
            raise self.fail(deepest, f"the formula nests more than {MAX_DEPTH} operations (a + b + c nests two)")
        return self.build(tree.body), self._quantity(tree.body)

    def _quantity(self, node: ast.AST) -> str | Ref | None:
        """A bare name, or for ∂E/∂v the quantity v (as a Ref)."""
        if isinstance(node, ast.Name):
            return node.id
        if self._is_derivative(node):
            right = node.right  # type: ignore[attr-defined]
            base, shift = self._split(ast.Name(id=right.id[1:], col_offset=right.col_offset))
            return Ref(base, shift)
        return None

    def _is_derivative(self, node: ast.AST) -> bool:
        """dE/dv (∂E/∂v): the gradient of E with respect to v."""
        left, right = getattr(node, "left", None), getattr(node, "right", None)
        dv = isinstance(right, ast.Name) and right.id.startswith("d")
        return isinstance(getattr(node, "op", None), ast.Div) and isinstance(left, ast.Name) and left.id == "dE" and dv

    def build(self, node: ast.AST) -> sp.Expr:
        """node's expression, refused where it stands if it is undefined, not real, or too large."""
        out, value = self._build(node), None
        key = getattr(getattr(node, "func", None), "id", type(getattr(node, "op", None)).__name__)[:3]
        if out.has(*UNDEFINED):
            raise self.fail(node, WHY.get(key, "this part") + ", which is undefined")
        if not out.free_symbols and abs((value := _value(out)).imag) > 1e-12 * (1 + abs(value.real)):
            raise self.fail(node, "this is not a real number: a log or fractional power of a negative number")
        if not all(abs(n) <= MAX_NUMBER and getattr(n, "q", 1) < 10**100 for n in [*out.atoms(sp.Number), value or 0]):
            raise self.fail(node, TOO_LARGE)
        return out

    def _build(self, node: ast.AST) -> sp.Expr:
        if self._is_derivative(node):
            return self.gradient(node.right)  # type: ignore[attr-defined]
        if isinstance(node, ast.BinOp):
            ops = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul, ast.Div: lambda a, b: a * b**-1}
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                if not right.free_symbols and not abs(_value(right)) <= MAX_EXPONENT:  # 2**20000, 9**9**9
                    raise self.fail(node.right, f"the exponent {right} is too large: exponents are from -10 to 10")
                return left**right
            for kind, fn in ops.items():
                if isinstance(node.op, kind):
                    return fn(left, right)
            raise self.fail(node, f"the operator {type(node.op).__name__} is not allowed; use + - * / **")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.build(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
        if isinstance(node, ast.Name):
            return self.symbol(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(node, f"{type(node).__name__} is not allowed in a formula")

    def call(self, node: ast.Call) -> sp.Expr:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        squared = name.endswith("__sq")
        fn = FUNCTIONS.get(name[: -len("__sq")] if squared else name)
        if fn is None:
            what = f"unknown function {name!r}" if name else "only functions can be called"
            raise self.fail(node.func, f"{what}; the functions are tanh, sigmoid (σ), exp, log, relu and step")
        if len(node.args) != 1 or node.keywords:
            raise self.fail(node, f"{name} takes one argument")
        out = fn(self.build(node.args[0]))
        return out**2 if squared else out

    def _split(self, node: ast.Name) -> tuple[str, int | None]:
        if self.model.cell.params.get(node.id, (None, None))[1] == 1:  # an elementwise weight: P_i
            return node.id, None
        m = NAME.fullmatch(node.id)
        if m is None and (node.id in self.model.cell.params or node.id in ("W", "U", "b")):
            raise self.fail(node, f"{node.id} is a parameter matrix: check-formula judges elementwise formulas")
        if m is None:
            raise self.fail(node, f"{node.id!r} needs a time suffix: _t, _{{t+1}} or _{{t-1}}")
        sign, k = (m[2], m[3]) if m[2] else (m[4], m[5])
        shift = 0 if sign is None else (int(k) if sign == "p" else -int(k))
        base = normalise(m[1])
        known = self.forward | set(self.names)  # an alias only where this cell has what it stands for (c_t: state)
        base = ALIASES[base] if ALIASES.get(base) in known else base
        if base.startswith("d") and ALIASES.get(base[1:]) in known:
            base = "d" + ALIASES[base[1:]]
        return base, shift

    def symbol(self, node: ast.Name) -> sp.Expr:
        base, shift = self._split(node)
        if base.startswith("dz") and base[1:] in self.model.cell.linear:
            base = self.names.get(base[1:], base)  # dza_t is δa_t
        if base in self.forward or base in self.adjoints or shift is None:
            return q(base, shift)
        known = [f"{k}_t" for k in sorted(self.forward | self.adjoints)]
        raise self.fail(node, f"unknown quantity {base + '_t'!r}{did_you_mean(base + '_t', known)}")

    def gradient(self, node: ast.Name) -> sp.Expr:
        """∂E/∂v_t: a named gradient (δstate_t), or an activation's (∂E/∂a_t = δstate_t ⊙ i_t)."""
        inner = ast.Name(id=node.id[1:], col_offset=node.col_offset, end_col_offset=node.end_col_offset)
        base, shift = self._split(inner)
        if base in self.names:
            return q(self.names[base], shift)
        if base in self.activations:
            return shifted(self.activations[base], shift)
        raise self.fail(node, f"no gradient ∂E/∂{base} in this model")


def _expected(model: Model, lhs: sp.Expr, quantity: str | Ref, reader: _Reader) -> sp.Expr:
    """The derived right-hand side for the quantity on the left."""
    if isinstance(quantity, Ref) and not isinstance(lhs, sp.Symbol):
        return lhs  # ∂E/∂a_t: the activation's gradient as derived
    r = ref_of(lhs)
    for eq in (*model.backward, *model.forward):
        if eq.name == r.base and eq.shift == 0:
            if eq.kind != "elementwise":
                raise reader.fail(None, f"{r.base} is a matrix equation; check-formula judges elementwise ones")
            return shifted(eq.expr, r.shift or 0)
    raise reader.fail(None, f"{r.base} has no elementwise equation to compare with{reader_of(model, r.base)}")


def _value(expr: sp.Expr) -> complex:
    """A constant's value (its parts already bounded, so that sympy evaluates it at once)."""
    return complex(sp.N(expr.replace(sigmoid, lambda x: 1 / (1 + sp.exp(-x)))))


def _compare(expected: sp.Expr, given: sp.Expr, points: int = 8) -> dict | None:
    """None when the two agree at random points; else a point where they differ (yours a number if it can be)."""
    from ..symbolic.codegen import function, source

    syms = sorted(expected.free_symbols | given.free_symbols, key=lambda s: s.name)
    rng = np.random.default_rng(0)
    vals = {s: rng.uniform(-1.5, 1.5, points).round(2) for s in syms}
    with np.errstate(all="ignore"):
        e, g = (np.inf if x.has(*UNDEFINED) else function(source(syms, x))(*vals.values()) for x in (expected, given))
        e, g = (np.broadcast_to(np.where(np.imag(v) == 0, np.real(v), np.nan), (points,)) for v in (e, g))
        differ = ~((np.abs(e - g) <= 1e-9 * (1 + np.abs(e))) | (e == g))
    if not differ.any():
        return None
    k = int(np.argmax(differ & np.isfinite(g))) if (differ & np.isfinite(g)).any() else int(np.argmax(differ))
    return {"at": {s: float(v[k]) for s, v in vals.items()}, "expected": float(e[k]), "given": float(g[k])}


def judge(model: Model, text: str) -> Judgement:
    """'LHS = RHS' -> correct or wrong, with the derived form and a point where they differ."""
    if len(text) > MAX_CHARS:  # shown cut short, so that the message stays three lines
        raise FormulaError(text[:40] + "…", 40, f"the formula is too long: {len(text)} characters, at most {MAX_CHARS}")
    k = next(
        (i for i, c in enumerate(text) if c == "=" and text[i - 1 : i] not in "<>!=" and text[i + 1 : i + 2] != "="), -1
    )
    if k < 0:
        raise FormulaError(text, len(text), f"expected 'quantity = formula', e.g. {example(model)}")
    left = _Reader(model, text[:k], text, 0)
    lhs, quantity = left.parse()
    if quantity is None:
        raise left.fail(None, f"the left-hand side must name one quantity: {left_sides(model)}")
    given, _ = _Reader(model, text[k + 1 :], text, k + 1).parse()
    expected = _expected(model, lhs, quantity, left)
    point = _compare(expand(model, expected), expand(model, given))
    of = quantity if isinstance(quantity, Ref) and not isinstance(lhs, sp.Symbol) else None
    return Judgement("correct" if point is None else "wrong", lhs, of, expected, given, point)
