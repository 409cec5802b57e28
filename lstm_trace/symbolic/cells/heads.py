"""Output layers on top of a cell, written once like the cells: seed 004's softmax over K classes."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .base import H, K, m, q, softmax


@dataclass(frozen=True)
class Head:
    """linear: s_t = V·out_t + c (matrix);  elementwise: y_t = softmax(s_t) (over the K classes)."""

    name: str
    linear: dict[str, sp.MatrixExpr] = field(default_factory=dict)
    elementwise: dict[str, sp.Expr] = field(default_factory=dict)
    params: dict[str, tuple[sp.Expr, sp.Expr]] = field(default_factory=dict)


def no_head() -> Head:
    """The cell's out_t is the output (seed 002: the loss reads out_t directly)."""
    return Head("none")


def softmax_head() -> Head:
    """s_t = V·out_t + c;  y_t = softmax(s_t)."""
    return Head(
        "softmax",
        linear={"s": m("V", None, K, H) * m("out", 0, H) + m("c", None, K)},
        elementwise={"y": softmax(q("s"))},
        params={"V": (K, H), "c": (K, sp.S.One)},
    )
