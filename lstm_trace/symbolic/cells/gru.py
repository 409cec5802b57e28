"""The GRU (PyTorch's and Keras' reset_after convention, or Cho et al.'s reset before U) and the vanilla RNN."""

from __future__ import annotations

import sympy as sp

from ...refs import shape
from .base import Cell, D, H, m, q, relu, sigmoid


def _gate(g: str, bias: bool, recurrent: sp.MatrixExpr | None = None) -> tuple[sp.MatrixExpr, dict]:
    """W_g·x_t (+ U_g·out_{t-1}) (+ b_g), with its parameters' shapes."""
    z = m(f"W_{g}", None, H, D) * m("x", 0, D)
    params: dict[str, tuple[sp.Expr, sp.Expr]] = {f"W_{g}": (H, D)}
    if recurrent is not None:
        params[f"U_{g}"] = (H, H)
        z = z + m(f"U_{g}", None, H, H) * recurrent
    if bias:
        params[f"b_{g}"] = (H, sp.S.One)
        z = z + m(f"b_{g}", None, H)
    return z, params


def gru(bias: bool = True, reset: str = "after") -> Cell:
    """r_t = σ(W_r·x_t + U_r·out_{t-1} + b_r), z_t likewise;
    after:  n_t = tanh(W_n·x_t + b_n + r_t ⊙ (U_n·out_{t-1} + b_hn))   (PyTorch, Keras' reset_after)
    before: n_t = tanh(W_n·x_t + U_n·(r_t ⊙ out_{t-1}) + b_n)            (Cho et al. 2014)
    out_t = (1 − z_t) ⊙ n_t + z_t ⊙ out_{t-1}."""
    out = m("out", -1, H)
    zr, pr = _gate("r", bias, out)
    zz, pz = _gate("z", bias, out)
    params = {**pr, **pz}
    linear = {"zr": zr, "zz": zz}
    elementwise = {"r": sigmoid(q("zr")), "z": sigmoid(q("zz"))}
    if reset == "before":  # U_n reads r_t ⊙ out_{t-1}, an elementwise product of its own
        elementwise["rh"] = q("r") * q("out", -1)
        linear["zn"], pn = _gate("n", bias, m("rh", 0, H))
        params.update(pn)
        activation = sp.tanh(q("zn"))
    else:
        linear["zn"], pn = _gate("n", bias)
        linear["hn"] = m("U_n", None, H, H) * out + (m("b_hn", None, H) if bias else sp.ZeroMatrix(H, 1))
        params.update(pn, U_n=(H, H), **({"b_hn": (H, sp.S.One)} if bias else {}))
        activation = sp.tanh(q("zn") + q("r") * q("hn"))
    elementwise["n"] = activation
    elementwise["out"] = (1 - q("z")) * q("n") + q("z") * q("out", -1)
    adjoints = {"zr": "dr", "zz": "dz", "zn": "dn", "hn": "dhn", "rh": "drh"}
    # the parameters W, then U, then b, then b_hn, each in gate order: δW, δU_r, δU_z, δU_n, δb, δb_hn
    params = dict(sorted(params.items(), key=lambda p: ("W", "U", "b").index(p[0][0]) + (p[0] == "b_hn")))
    return Cell(
        name="gru" if reset == "after" else "gru-before",
        linear=linear,
        elementwise=elementwise,
        params=params,
        shape=shape("gru", bias, reset),
        adjoints={k: v for k, v in adjoints.items() if k in linear or k in elementwise},
    )


def rnn(bias: bool = True, activation: str = "tanh") -> Cell:
    """out_t = tanh(W·x_t + U·out_{t-1} + b)   (or relu)."""
    z = m("W", None, H, D) * m("x", 0, D) + m("U", None, H, H) * m("out", -1, H)
    params: dict[str, tuple[sp.Expr, sp.Expr]] = {"W": (H, D), "U": (H, H)}
    if bias:
        params["b"] = (H, sp.S.One)
        z = z + m("b", None, H)
    f = relu if activation == "relu" else sp.tanh
    return Cell(
        name="rnn" if activation == "tanh" else "rnn-relu",
        linear={"z": z},
        elementwise={"out": f(q("z"))},
        params=params,
        shape=shape("rnn", bias, activation),
        adjoints={"z": "dz"},
    )
