"""The LSTM's gates as one stacked expression: W = [W_a; W_i; W_f; W_o], δgates_t = [δa_t; δi_t; δf_t; δo_t].

Where every gate's equation has the same form, the derived model also holds it once over the stacked
parameters (the worked example's own form: z_t = W·x_t + U·out_{t-1} + b, Δout_{t-1} = Uᵀ·δgates_t), which
the engine evaluates with one matrix product.
"""

from __future__ import annotations

import sympy as sp

from .cells.base import H, m, ref_of


def _gate_of(expr: sp.Basic, gates: tuple[str, ...]) -> str | None:
    found = {g for s in expr.atoms(sp.Symbol, sp.MatrixSymbol) for g in gates if _gate_sym(ref_of(s).base, g)}
    return found.pop() if len(found) == 1 else None


def _gate_sym(base: str, g: str) -> bool:
    return base in (f"W_{g}", f"U_{g}", f"b_{g}", f"P_{g}", f"d{g}", f"z{g}")


def _to_stacked(expr: sp.Basic, g: str, n: int) -> sp.Basic:
    subs = {}
    for s in expr.atoms(sp.MatrixSymbol):
        r = ref_of(s)
        if r.base in (f"W_{g}", f"U_{g}", f"b_{g}"):
            subs[s] = m(r.base[0], None, n * s.shape[0], s.shape[1])
        elif r.base == f"d{g}":
            subs[s] = m("dgates", r.shift, n * H)
        elif r.base == f"z{g}":
            subs[s] = m("z", r.shift, n * H)
    return expr.xreplace(subs)


def stack(per_gate: dict[str, sp.Basic]) -> sp.Basic | None:
    """One expression over the stacked W = [W_a; W_i; W_f; W_o] etc., if the gates share it."""
    forms = {_to_stacked(e, g, len(per_gate)) for g, e in per_gate.items()}
    return forms.pop() if len(forms) == 1 else None


def stack_sum(expr: sp.Basic, gates: tuple[str, ...]) -> sp.Basic:
    """Σ_g W_gᵀ·δg  ->  Wᵀ·δgates: collapse a sum with one identical term per gate."""
    if not isinstance(expr, sp.MatAdd) or not gates:
        return expr
    by_gate: dict[str, sp.Basic] = {}
    rest = []
    for term in expr.args:
        g = _gate_of(term, gates)
        if g is None or g in by_gate:
            rest.append(term)
        else:
            by_gate[g] = term
    if set(by_gate) != set(gates):
        return expr
    s = stack({g: by_gate[g] for g in gates})
    return expr if s is None else sp.MatAdd(s, *rest)
