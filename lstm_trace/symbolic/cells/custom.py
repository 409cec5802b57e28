"""A cell the user wrote (scenario/customcell.py read its equations into plain trees): the same Cell
the built-in cells are, so that everything else is derived as for them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sympy as sp

from ...refs import shape
from .base import Cell, D, H, m, q, relu, sigmoid

FUNCTIONS = {"tanh": sp.tanh, "sigmoid": sigmoid, "relu": relu}


def _scalar(tree: list[Any]) -> sp.Expr:
    kind, *args = tree
    if kind == "num":
        v = args[0]
        return sp.Integer(int(v)) if float(v).is_integer() else sp.Float(v)
    if kind == "q":
        return q(args[0], args[1])
    if kind == "p":
        return q(args[0], None)
    if kind == "call":
        return FUNCTIONS[args[0]](_scalar(args[1]))
    if kind == "neg":
        return -_scalar(args[0])
    if kind == "pow":
        return _scalar(args[0]) ** int(args[1])
    a, *rest = (_scalar(t) for t in args)
    if kind == "add":
        return sp.Add(a, *rest)
    if kind == "sub":
        return a - rest[0]
    if kind == "mul":
        return sp.Mul(a, *rest)
    return a / rest[0]  # div


def _matrix(tree: list[Any], dims: dict[str, str]) -> sp.MatrixExpr:
    kind, *args = tree
    if kind == "lsum":
        return sp.MatAdd(*(_matrix(t, dims) for t in args))
    if kind == "lneg":
        return -_matrix(args[0], dims)
    if kind == "vec":
        return m(args[0], None, H)
    w, base, shift = args  # mat: W·v
    cols = D if dims[w] == "HxD" else H
    return m(w, None, H, cols) * m(base, shift, cols)


def custom(option: str) -> Cell:
    """The cell of a custom scenario, from its option text (the equations read, the parameters' shapes)."""
    spec = json.loads(option)
    dims: dict[str, str] = spec["params"]
    linear, elementwise = {}, {}
    for name, kind, tree in spec["equations"]:
        if kind == "linear":
            linear[name] = _matrix(tree, dims)
        else:
            elementwise[name] = _scalar(tree)
    params = {k: (H, sp.S.One) if d == "H" else (H, D if d == "HxD" else H) for k, d in dims.items()}
    cell = shape("custom", True, option)
    # each pre-activation's adjoint is named (δa for za, δza2 for a second one), and so is every quantity
    # the next step reads (state, out and the user's own), which the backward pass carries back
    adjoints = {z: (f"d{z[1:]}" if z[1:] in elementwise else f"d{z}") for z in linear}
    adjoints |= {v: f"d{v}" for v in cell.recurrent if v not in ("out", "state")}
    digest = hashlib.sha256(option.encode()).hexdigest()[:12]
    return Cell(
        name=f"custom-{digest}", linear=linear, elementwise=elementwise, params=params, shape=cell, adjoints=adjoints
    )
