"""A cell the user wrote (scenario/customcell.py read its equations into plain trees): the same Cell
the built-in cells are, so that everything else is derived as for them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sympy as sp

from ...errors import LstmTraceError
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


def _check(linear: dict[str, sp.MatrixExpr], elementwise: dict[str, sp.Expr]) -> None:
    """An equation with nothing left of it, one that divides by zero, or a number float64 cannot hold is
    the scenario's error (its equations were read, but sympy has now simplified them)."""
    for name, e in {**linear, **elementwise}.items():
        if isinstance(e, sp.ZeroMatrix) or e == 0:
            raise LstmTraceError(f"the custom cell's {name}_t is 0 once simplified: its terms cancel")
        if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise LstmTraceError(f"the custom cell's {name}_t divides by zero")
        if any(abs(n) > 1e100 for n in e.atoms(sp.Number)):
            raise LstmTraceError(f"the custom cell's {name}_t holds a number beyond 1e100")


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
    # and every quantity that is not a gate's activation, so that each δ is written once in the terms
    # of the next (a chain of quantities would otherwise be written out whole at every link)
    adjoints |= {v: f"d{v}" for v in elementwise if f"z{v}" not in linear and v not in ("out", "state")}
    _check(linear, elementwise)
    digest = hashlib.sha256(option.encode()).hexdigest()[:12]
    return Cell(
        name=f"custom-{digest}", linear=linear, elementwise=elementwise, params=params, shape=cell, adjoints=adjoints
    )
