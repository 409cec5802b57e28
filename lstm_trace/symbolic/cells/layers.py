"""Stacked layers of one cell, and bidirectional ones, as one cell: layer l's quantities and parameters
carry the suffix _l{l} (a_l0_t, W_a_l1, PyTorch's names), a reverse direction's _l{l}r (a_l0r_t, W_a_l0r),
layer l+1 reads layer l's output as its input (x_l1_t = out_l0_t), and the network's output is the top
layer's (out_t = out_l1_t). The deriver then finds δx_l1_t — the upper layer's δx — flowing into the lower
layer as its Δ, as the worked example's answer about stacked LSTMs says it would.

A reverse direction is the cell with its recurrence read from the step after (out_{t+1}, state_{t+1}): it is
computed from the last step back to the first, each direction of each layer a sweep of its own. Where a
layer reads both directions of the one below (PyTorch's concatenated [out_t; out_t reverse], 2H entries), its
input weights are two blocks: Wf_a_l1 reads x_l1_t = out_l0_t, Wr_a_l1 reads xr_l1_t = out_l0r_t (W_a_l1, H×2H,
is [Wf_a_l1 Wr_a_l1]); the output layer's likewise (V = [Vf Vr]), and the loss compares each direction's out_t
with its half of the label."""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ...refs import SIZE_NAMES, layer_suffix, ref_of, suffixes
from .base import Cell, D, H, m, q
from .heads import Head


def renamed(expr: sp.Basic, layer: int, reverse: bool = False) -> sp.Basic:
    """expr with every quantity and parameter of the cell moved into the layer (and direction: the
    recurrence read at t+1); above the first, the input is the layer's own x_l{l} (H entries, shared by its
    directions) and the input weights H×H."""
    subs = {}
    for s in expr.atoms(sp.Symbol, sp.MatrixSymbol):
        r = ref_of(s)
        if r.base == "x" and layer == 0 or r.base in ("lr", "eps", *SIZE_NAMES):
            continue
        base = r.base + layer_suffix(layer, reverse and r.base != "x")
        shift = -r.shift if reverse and r.shift else r.shift
        if isinstance(s, sp.MatrixSymbol):
            rows, cols = (d.subs(D, H) if layer else d for d in s.shape)
            subs[s] = m(base, shift, rows, cols)
        else:
            subs[s] = q(base, shift)
    return expr.xreplace(subs)


def read_in_halves(expr: sp.Basic, read: str, halves: tuple[str, ...], params: dict) -> sp.Basic:
    """A linear expression reading `read` (W·x_l1_t, V·out_t) as reading two halves of it, its weights split
    into the blocks for each: Wf_a_l1·x_l1_t + Wr_a_l1·xr_l1_t, Vf·out_l0_t + Vr·out_l0r_t.
    The whole weights in params are replaced by their blocks (each the whole's shape, a half's columns)."""
    terms = expr.args if isinstance(expr, sp.MatAdd) else (expr,)
    out = []
    for term in terms:
        sym = next((s for s in term.atoms(sp.MatrixSymbol) if ref_of(s).base == read), None)
        if sym is None:
            out.append(term)
            continue
        for k, half in enumerate(halves):
            subs: dict = {sym: m(half, ref_of(sym).shift, *sym.shape)}
            for w in term.atoms(sp.MatrixSymbol):
                r = ref_of(w)
                if r.shift is None:
                    names = tuple(r.base[0] + side + r.base[1:] for side in "fr")
                    subs[w] = m(names[k], None, *w.shape)
                    if r.base in params:  # the blocks in the whole's place
                        items = list(params.items())
                        params.clear()
                        for name, dims in items:
                            params.update(dict.fromkeys(names, dims) if name == r.base else {name: dims})
            out.append(term.xreplace(subs))
    return sp.MatAdd(*out)


def _unit(cell: Cell, layer: int, reverse: bool, directions: int) -> tuple[dict, dict, dict, dict]:
    """One layer's (one direction's) linear and elementwise equations, parameters and named adjoints."""
    s, own = layer_suffix(layer, reverse), layer_suffix(layer)
    elementwise: dict[str, sp.Expr] = {}
    adjoints: dict[str, str] = {}
    if layer and not reverse:  # the layer's input is the one below's output (both its directions')
        below = [layer_suffix(layer - 1, r) for r in (False, True)[:directions]]
        for x, b in zip(("x", "xr"), below, strict=False):
            elementwise[f"{x}{own}"] = q(f"out{b}")
            adjoints[f"{x}{own}"] = f"d{x}{own}"
    linear = {z + s: renamed(e, layer, reverse) for z, e in cell.linear.items()}
    params = {p + s: tuple(d.subs(D, H) if layer else d for d in dims) for p, dims in cell.params.items()}
    if layer and directions == 2:
        for z, e in linear.items():
            linear[z] = read_in_halves(e, f"x{own}", (f"x{own}", f"xr{own}"), params)
    elementwise.update({v + s: renamed(e, layer, reverse) for v, e in cell.elementwise.items()})
    adjoints.update({k + s: v + s for k, v in cell.adjoints.items()})
    adjoints.update({f"{v}{s}": f"d{v}{s}" for v in cell.shape.recurrent})
    return linear, elementwise, params, adjoints


def layered(cell: Cell, layers: int, directions: int = 1) -> Cell:
    """The cell stacked `layers` deep (and in both directions), as one cell with the links between its layers."""
    units = [(k, r) for k in range(layers) for r in (False, True)[:directions]]
    parts = [_unit(cell, k, r, directions) for k, r in units]
    linear, elementwise, params, adjoints = ({k: v for p in parts for k, v in p[i].items()} for i in range(4))
    each = suffixes(layers, directions)
    # each layer's gates are its own: nothing is stacked across them
    shape = replace(
        cell.shape, gates=(), recurrent=_every(cell.shape.recurrent, each), vectors=_every(cell.shape.vectors, each)
    )
    links = {name for p in parts for name in p[1] if name.startswith("x")}
    # each layer's (direction's) equations in the order a worked solution writes them: its input, its
    # pre-activations, the rest; a reverse direction is computed from the last step back
    sweeps = tuple(
        ((*(n for n in p[1] if n in links), *p[0], *(n for n in p[1] if n not in links)), -1 if r else 1)
        for p, (_, r) in zip(parts, units, strict=True)
    )
    sequence = [name for names, _ in sweeps for name in names]
    if directions == 1:
        elementwise["out"] = q(f"out{layer_suffix(layers - 1)}")  # the network's output, which the loss reads
        links.add("out")
        sequence.append("out")
    top = (layer_suffix(layers - 1), layer_suffix(layers - 1, True))
    return replace(
        cell,
        name=f"{layers}-layer {'bidirectional ' if directions == 2 else ''}{cell.name}",
        linear=linear,
        elementwise=elementwise,
        params=params,
        shape=shape,
        adjoints=adjoints,
        splits={f"out{s}": (f"Delta{s}", f"Dout{s}") for s in each},
        links=frozenset(links),
        sequence=tuple(sequence),
        sweeps=sweeps if directions == 2 else (),
        outputs=top if directions == 2 else (),
    )


def _every(names: tuple[str, ...], each: list[str]) -> tuple[str, ...]:
    return tuple(v + s for s in each for v in names)


def split_head(head: Head, outputs: tuple[str, str]) -> Head:
    """An output layer on a bidirectional network's [out_t; out_t reverse]: s_t = Vf·out_l0_t + Vr·out_l0r_t + c."""
    linear, params = {}, dict(head.params)
    for s, e in head.linear.items():
        linear[s] = read_in_halves(e, "out", tuple(f"out{o}" for o in outputs), params)
    return replace(head, linear=linear, params=params)
