"""Each equation's slips, rewritten and compiled at derive time, so that `check` needs no sympy.

For every form of a model's equation (plain or stacked) a FormSlips holds what grading/slips.py
re-evaluates on a student's numbers: each top-level term (for 'a term is missing'), each rewrite
of rewrites.py (a derivative factor, an activation, λ), each per-step input read one step early
or late, the matrix of an untransposed Mᵀ·v, each compiled to numpy source (codegen.generate) and
with its printed words as a Term (a template with name slots). numeric/models.py caches the table
with the model, like the rounding bounds; building it (build_slips) imports sympy, reading it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..refs import Ref
from .templates import Filler, Template

if TYPE_CHECKING:
    import sympy as sp

    from .model import Equation, Model

Spec = tuple  # codegen.generate's (kind, args, cols, source)
# the order rewrites.expression_slips yields them in, whatever part of a composite they come from
CATEGORIES = {"update-sign": 0, "wrong-lr": 0, "missing-lr": 0, "derivative": 1, "missing-derivative": 1}


@dataclass(frozen=True)
class Term:
    """A term as a report names it, printed once with a slot per name (filled at a step)."""

    parts: tuple[str | int, ...]
    slots: tuple[tuple, ...]

    def fill(self, style: Filler) -> str:
        return Template(list(self.parts), list(self.slots)).fill(style)


@dataclass(frozen=True)
class TermSlip:
    """A top-level term of a sum: its code, and (bias only) the sum's code without it."""

    term: Term
    bias: bool  # b_a, or b stacked: a pre-activation's bias
    lr: bool  # the term has λ in it (no 'wrong sign' for it)
    spec: Spec
    without: Spec | None


@dataclass(frozen=True)
class Rewritten:
    """One rewrite of rewrites.py that changes this expression: the same identity in every part."""

    category: int
    identity: tuple
    kind: str
    fields: tuple[tuple[str, Any], ...]  # the Cause's fields: Terms, names, λ's factor
    spec: Spec


@dataclass(frozen=True)
class Move:
    """Every per-step input of one base read k steps off: term the first such symbol, used it moved."""

    base: str
    k: int
    term: Term
    used: Term
    used_ref: Ref
    spec: Spec


@dataclass(frozen=True)
class FormSlips:
    """An equation form's slips (see the module's docstring)."""

    whole: Term  # the expression itself (an update's, for its words)
    terms: tuple[TermSlip, ...]
    rewrites: tuple[Rewritten, ...]
    reads: tuple[Ref, ...]  # the per-step inputs, by name (moves are named from the first of a base)
    moves: tuple[Move, ...]
    untransposed: tuple[str, Ref, Ref] | None  # Mᵀ·v: (M's name, M, v)


def term(expr: sp.Basic) -> Term:
    from .printing import printed_with_slots

    parts, slots = printed_with_slots("plain", expr, (), True)
    return Term(tuple(parts), tuple(slots))


def _per_step(expr: sp.Basic) -> list[sp.Basic]:
    import sympy as sp

    from ..refs import ref_of

    found = [a for a in expr.atoms(sp.Symbol, sp.MatrixSymbol) if ref_of(a).shift is not None]
    return sorted(found, key=str)  # by name: the same table (and the same words) in every process


def _terms(expr: sp.Basic, kind: str) -> tuple[TermSlip, ...]:
    import sympy as sp

    from .codegen import generate
    from .rewrites import LR, is_bias, without

    if not isinstance(expr, sp.Add | sp.MatAdd):
        return ()
    out = []
    for t in expr.args:
        bias = is_bias(t)
        rest = generate(without(t)(expr), kind) if bias else None
        out.append(TermSlip(term(t), bias, LR in t.free_symbols, generate(t, kind), rest))
    return tuple(out)


def _fields(fields: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    import sympy as sp

    return tuple((k, term(v) if isinstance(v, sp.Basic) else v) for k, v in fields.items())


def _rewrites(expr: sp.Basic, kind: str) -> tuple[Rewritten, ...]:
    import sympy as sp

    from .codegen import generate
    from .rewrites import expression_slips

    out = []
    for slip, fields, rewrite in expression_slips([expr]):
        new = rewrite(expr)
        if new != expr:
            identity = (slip, *((k, sp.srepr(v) if isinstance(v, sp.Basic) else v) for k, v in fields.items()))
            category = CATEGORIES.get(slip, 2)
            out.append(Rewritten(category, identity, slip, _fields(fields), generate(new, kind)))
    return tuple(out)


def _moves(expr: sp.Basic, kind: str, atoms: list[sp.Basic]) -> tuple[Move, ...]:
    from ..refs import ref_of
    from .cells.base import shifted
    from .codegen import generate

    out = []
    for base in sorted({ref_of(a).base for a in atoms}):
        sym = next(a for a in atoms if ref_of(a).base == base)
        for k in (-1, 1):
            moved = expr.xreplace({a: shifted(a, k) for a in atoms if ref_of(a).base == base})
            used = shifted(sym, k)
            out.append(Move(base, k, term(sym), term(used), ref_of(used), generate(moved, kind)))
    return tuple(out)


def _untransposed(expr: sp.Basic) -> tuple[str, Ref, Ref] | None:
    import sympy as sp

    from ..refs import ref_of

    while isinstance(expr, sp.MatAdd) and len(expr.args) == 1:  # derived sums of one term stay wrapped
        expr = expr.args[0]
    if not (isinstance(expr, sp.MatMul) and len(expr.args) == 2 and isinstance(expr.args[0], sp.Transpose)):
        return None
    matrix, vector = expr.args[0].arg, expr.args[1]
    if not (isinstance(matrix, sp.MatrixSymbol) and isinstance(vector, sp.MatrixSymbol)):
        return None
    return matrix.name, ref_of(matrix), ref_of(vector)


def form_slips(eq: Equation, stacked: bool) -> FormSlips:
    """One form's slips, rewritten and compiled (sympy)."""
    from ..refs import ref_of

    expr = eq.stacked if stacked else eq.expr
    atoms = _per_step(expr)
    return FormSlips(
        whole=term(expr),
        terms=_terms(expr, eq.kind),
        rewrites=_rewrites(expr, eq.kind),
        reads=tuple(ref_of(a) for a in atoms),
        moves=_moves(expr, eq.kind, atoms),
        untransposed=_untransposed(expr),
    )


def build_slips(model: Model) -> dict[tuple[Equation, bool], FormSlips]:
    """Every form's slips, for the model cache (numeric/models.py)."""
    return {(eq, st): form_slips(eq, st) for eq, st in model.forms()}
