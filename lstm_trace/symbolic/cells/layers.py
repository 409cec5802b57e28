"""Stacked layers of one cell, as one cell: layer l's quantities and parameters carry the suffix _l{l}
(a_l0_t, W_a_l1, PyTorch's names), layer l+1 reads layer l's output as its input (x_l1_t = out_l0_t),
and the network's output is the top layer's (out_t = out_l1_t). The deriver then finds δx_l1_t — the
upper layer's δx — flowing into the lower layer as its Δ, as the worked example's answer about stacked
LSTMs says it would."""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ...refs import SIZE_NAMES, Shape, layer_suffix, ref_of
from .base import Cell, D, H, m, q


def _renamed(expr: sp.Basic, layer: int) -> sp.Basic:
    """expr with every quantity and parameter of the cell moved into the layer; above the first, the input
    is the layer's own x_l{l} (H entries) and the input weights H×H."""
    subs = {}
    for s in expr.atoms(sp.Symbol, sp.MatrixSymbol):
        r = ref_of(s)
        if r.base == "x" and layer == 0 or r.base in ("lr", "eps", *SIZE_NAMES):
            continue
        base = r.base + layer_suffix(layer)
        if isinstance(s, sp.MatrixSymbol):
            rows, cols = (d.subs(D, H) if layer else d for d in s.shape)
            subs[s] = m(base, r.shift, rows, cols)
        else:
            subs[s] = q(base, r.shift)
    return expr.xreplace(subs)


def _layer(cell: Cell, layer: int) -> tuple[dict, dict, dict, dict]:
    """One layer's linear and elementwise equations, parameters and named adjoints, under its suffix."""
    s = layer_suffix(layer)
    elementwise: dict[str, sp.Expr] = {}
    adjoints: dict[str, str] = {}
    if layer:  # the layer's input is the one below's output
        elementwise[f"x{s}"] = q(f"out{layer_suffix(layer - 1)}")
        adjoints[f"x{s}"] = f"dx{s}"
    linear = {z + s: _renamed(e, layer) for z, e in cell.linear.items()}
    elementwise.update({v + s: _renamed(e, layer) for v, e in cell.elementwise.items()})
    params = {p + s: tuple(d.subs(D, H) if layer else d for d in dims) for p, dims in cell.params.items()}
    adjoints.update({k + s: v + s for k, v in cell.adjoints.items()})
    adjoints.update({f"{v}{s}": f"d{v}{s}" for v in cell.shape.recurrent})
    return linear, elementwise, params, adjoints


def layered(cell: Cell, layers: int) -> Cell:
    """The cell stacked `layers` deep, as one cell with the links between its layers."""
    parts = [_layer(cell, layer) for layer in range(layers)]
    linear = {k: v for p in parts for k, v in p[0].items()}
    elementwise = {k: v for p in parts for k, v in p[1].items()}
    params = {k: v for p in parts for k, v in p[2].items()}
    adjoints = {k: v for p in parts for k, v in p[3].items()}
    splits = {f"out{layer_suffix(k)}": (f"Delta{layer_suffix(k)}", f"Dout{layer_suffix(k)}") for k in range(layers)}
    elementwise["out"] = q(f"out{layer_suffix(layers - 1)}")  # the network's output, which the loss reads
    shape = Shape(
        cell.shape.cell,
        gates=(),  # each layer's gates are its own: nothing is stacked across them
        recurrent=tuple(v + layer_suffix(k) for k in range(layers) for v in cell.shape.recurrent),
        vectors=tuple(v + layer_suffix(k) for k in range(layers) for v in cell.shape.vectors),
    )
    links = frozenset({"out", *(f"x{layer_suffix(k)}" for k in range(1, layers))})
    sequence = [
        *(
            name
            for k in range(layers)
            for name in ([f"x{layer_suffix(k)}"] if k else [])
            + [z + layer_suffix(k) for z in (*cell.linear, *cell.elementwise)]
        ),
        "out",
    ]
    return replace(
        cell,
        name=f"{layers}-layer {cell.name}",
        linear=linear,
        elementwise=elementwise,
        params=params,
        shape=shape,
        adjoints=adjoints,
        splits=splits,
        links=links,
        sequence=tuple(sequence),
    )
