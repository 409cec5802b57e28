"""The LSTM of the worked example (Gomez 2016), with or without bias (seed 001), and with peepholes (seed 004)."""

from __future__ import annotations

import sympy as sp

from ...refs import shape
from .base import GATES, Cell, D, H, m, q, sigmoid


def _linear(
    bias: bool, gates: tuple[str, ...] = GATES
) -> tuple[dict[str, sp.MatrixExpr], dict[str, tuple[sp.Expr, sp.Expr]]]:
    """z_g = W_g·x_t + U_g·out_{t-1} (+ b_g), for each gate."""
    params: dict[str, tuple[sp.Expr, sp.Expr]] = {}
    linear = {}
    for g in gates:
        params[f"W_{g}"] = (H, D)
        params[f"U_{g}"] = (H, H)
        z = m(f"W_{g}", None, H, D) * m("x", 0, D) + m(f"U_{g}", None, H, H) * m("out", -1, H)
        if bias:
            params[f"b_{g}"] = (H, sp.S.One)
            z = z + m(f"b_{g}", None, H)
        linear[f"z{g}"] = z
    return linear, params


def lstm(bias: bool = True) -> Cell:
    """a_t = tanh(W_a·x_t + U_a·out_{t-1} + b_a), i, f, o likewise with σ;
    state_t = a_t ⊙ i_t + f_t ⊙ state_{t-1};  out_t = tanh(state_t) ⊙ o_t."""
    linear, params = _linear(bias)
    elementwise = {
        "a": sp.tanh(q("za")),
        "i": sigmoid(q("zi")),
        "f": sigmoid(q("zf")),
        "o": sigmoid(q("zo")),
        "state": q("a") * q("i") + q("f") * q("state", -1),
        "out": sp.tanh(q("state")) * q("o"),
    }
    return Cell(name="lstm", linear=linear, elementwise=elementwise, params=params, shape=shape("lstm", bias))


def peephole(bias: bool = True, output_gate: str = "current") -> Cell:
    """Gers & Schmidhuber's peepholes: the gates also see the state, through elementwise weights P.

    i_t = σ(z_i + P_i ⊙ state_{t-1}),  f_t = σ(z_f + P_f ⊙ state_{t-1}),
    o_t = σ(z_o + P_o ⊙ state_t)   (as Keras' PeepholeLSTMCell; output_gate="previous": state_{t-1}, as seed 004).
    """
    linear, params = _linear(bias)
    for g in ("i", "f", "o"):
        params[f"P_{g}"] = (H, sp.S.One)
    seen = -1 if output_gate == "previous" else 0
    elementwise = {
        "a": sp.tanh(q("za")),
        "i": sigmoid(q("zi") + q("P_i", None) * q("state", -1)),
        "f": sigmoid(q("zf") + q("P_f", None) * q("state", -1)),
        "state": q("a") * q("i") + q("f") * q("state", -1),
        "o": sigmoid(q("zo") + q("P_o", None) * q("state", seen)),
        "out": sp.tanh(q("state")) * q("o"),
    }
    name = "peephole" if output_gate == "current" else "peephole-previous"
    return Cell(name=name, linear=linear, elementwise=elementwise, params=params, shape=shape("peephole", bias))


def cifg(bias: bool = True) -> Cell:
    """Coupled input and forget gates (Greff et al., "LSTM: a search space odyssey"; TFLite's CIFG):
    i_t = 1 − f_t, so state_t = a_t ⊙ (1 − f_t) + f_t ⊙ state_{t-1}."""
    gates = ("a", "f", "o")
    linear, params = _linear(bias, gates)
    elementwise = {
        "a": sp.tanh(q("za")),
        "f": sigmoid(q("zf")),
        "o": sigmoid(q("zo")),
        "state": q("a") * (1 - q("f")) + q("f") * q("state", -1),
        "out": sp.tanh(q("state")) * q("o"),
    }
    return Cell(
        name="cifg",
        linear=linear,
        elementwise=elementwise,
        params=params,
        shape=shape("cifg", bias),
        adjoints={f"z{g}": f"d{g}" for g in gates},
    )
