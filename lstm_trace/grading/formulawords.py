"""What check-formula reads of a model besides the parser: each definition written out (all but the
recursive ones), and its messages' examples in the model's own names (δa_t for an LSTM, δz_t for a GRU)."""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.str import StrPrinter

from ..refs import ref_of
from ..symbolic.cells.base import shifted
from ..symbolic.model import Model


def recursive(name: str, expr: sp.Expr) -> bool:
    """A definition that reads its own quantity at another step: state_t (… + f_t ⊙ state_{t-1}), a GRU's
    out_t and δout_t (… + δout_{t+1} ⊙ z_{t+1}). Written out, it would never end."""
    return any(ref_of(s).base == name for s in expr.free_symbols)


def expand(model: Model, expr: sp.Expr) -> sp.Expr:
    """Forward quantities through their definitions, δout_t as Δ_t + Δout_t: all but the recursive ones
    (an LSTM's state_t, a GRU's out_t and δout_t), which stay the quantities they are."""
    defs = {v: e for v, e in model.cell.elementwise.items() if not recursive(v, e)}
    defs |= {eq.name: eq.expr for eq in model.backward if eq.name == "dout" and not recursive("dout", eq.expr)}
    for _ in range(8):  # each definition reads quantities defined before it: a few rounds reach the inputs
        subs = {}
        for s in expr.free_symbols:
            r = ref_of(s)
            if r.base in defs and r.shift is not None:
                subs[s] = shifted(defs[r.base], r.shift)
        if not subs:
            break
        expr = expr.xreplace(subs)
    return expr


class _Typed(StrPrinter):
    """An expression as a student types it for check-formula: dstate_t * i_t * (1 - a_t**2)."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        r = ref_of(expr)
        if not r.shift:
            return r.base if r.shift is None else f"{r.base}_t"
        return f"{r.base}_{{t{'+' if r.shift > 0 else '-'}{abs(r.shift)}}}"


def example(model: Model) -> str:
    """The model's first gate gradient as a formula to type: 'da_t = dstate_t * i_t * (1 - a_t**2)'."""
    eq = next(e for e in model.backward if e.name in model.cell.adjoints.values() and e.kind == "elementwise")
    text = re.sub(r"(?<!\*)\*(?!\*)", " * ", _Typed({"order": "none"}).doprint(eq.expr))
    return f"'{eq.name}_t = {text}'"


def left_sides(model: Model) -> str:
    """What a left-hand side may name, in the model's names: 'dstate_t, da_t or dE/da_t'."""
    gate = next(e.name for e in model.backward if e.name in model.cell.adjoints.values())
    names = [f"d{model.cell.shape.recurrent[0]}_t", f"{gate}_t"]
    names += [f"dE/d{model.activation_adjoints[0][0]}_t"] if model.activation_adjoints else []
    return ", ".join(names[:-1]) + " or " + names[-1]


def reader_of(model: Model, base: str) -> str:
    """For a quantity with no elementwise equation (za_t), the gate that reads it: ' (try its gate: za_t -> a_t)'."""
    for v, e in model.cell.elementwise.items():
        if any(ref_of(s).base == base for s in e.free_symbols):
            return f" (try its gate: {base}_t -> {v}_t)"
    return ""
