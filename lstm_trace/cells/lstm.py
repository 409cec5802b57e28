"""The LSTM of the worked example (Gomez 2016), with or without bias (seed 001)."""

from __future__ import annotations

import sympy as sp

from .base import GATES, Cell, D, H, m, q, sigmoid


def lstm(bias: bool = True) -> Cell:
    """a_t = tanh(W_a·x_t + U_a·out_{t-1} + b_a), i, f, o likewise with σ;
    state_t = a_t ⊙ i_t + f_t ⊙ state_{t-1};  out_t = tanh(state_t) ⊙ o_t."""
    params: dict[str, tuple[sp.Expr, sp.Expr]] = {}
    linear = {}
    for g in GATES:
        params[f"W_{g}"] = (H, D)
        params[f"U_{g}"] = (H, H)
        z = m(f"W_{g}", None, H, D) * m("x", 0, D) + m(f"U_{g}", None, H, H) * m("out", -1, H)
        if bias:
            params[f"b_{g}"] = (H, sp.S.One)
            z = z + m(f"b_{g}", None, H)
        linear[f"z{g}"] = z
    elementwise = {
        "a": sp.tanh(q("za")),
        "i": sigmoid(q("zi")),
        "f": sigmoid(q("zf")),
        "o": sigmoid(q("zo")),
        "state": q("a") * q("i") + q("f") * q("state", -1),
        "out": sp.tanh(q("state")) * q("o"),
    }
    return Cell(name="lstm", linear=linear, elementwise=elementwise, params=params)
