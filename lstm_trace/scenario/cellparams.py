"""A cell's parameters as this tool writes them (layout gomez): per gate or stacked, and the cell's own.

Which gates and which other vectors a cell has is its Shape (refs.py): the LSTM's W_a, W_i, W_f, W_o,
a coupled-gate LSTM's W_a, W_f, W_o, a GRU's W_r, W_z, W_n (and b_hn), a vanilla RNN's one W, U, b.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..refs import OPTIONS, Shape, shape
from . import steps, yamlio
from .yamlio import Path

CALLED = {"lstm": "an LSTM", "peephole": "a peephole LSTM", "cifg": "a coupled-gate LSTM", "gru": "a GRU"}


def called(cell: str) -> str:
    """A cell as a sentence names it: an LSTM, a GRU, a vanilla RNN."""
    return CALLED.get(cell, "a vanilla RNN")


def option(model: Any, doc: yamlio.Document) -> str:
    """The cell's own choice (a peephole's output gate, a GRU's reset, an RNN's activation); a choice
    another cell's is an error at its key."""
    for cell, key in (("gru", "reset"), ("rnn", "activation")):
        if getattr(model, key) is not None and model.cell != cell:
            message = f"{key} is {called(cell)}'s; this model's cell is {model.cell}"
            raise doc.error(("model", key), message, at_key=True)
    if model.cell not in OPTIONS:
        return ""
    key, default = OPTIONS[model.cell]
    return getattr(model, key) or default


def matrix(value: Any, path: Path, doc: yamlio.Document) -> np.ndarray:
    """A list of rows, or a flat list for one row, as a 2-D array; ragged rows are an error."""
    return steps.array(value if isinstance(value[0], list) else [value], path, doc)


def _per_gate(raw: Any, path: Path, doc: yamlio.Document, rows: bool, cell: Shape) -> dict[str, np.ndarray]:
    """{gate: array} in the cell's gate order; a stacked block is split (a cell without gates: {"": whole})."""
    gates = cell.gates
    order = ", ".join(gates)
    if isinstance(raw, dict):
        if not gates:
            raise doc.error(path, f"{called(cell.cell)} has one {path[-1]}, not one per gate: give it whole")
        for g, v in raw.items():
            if g not in gates and v is not None:
                raise doc.error(
                    path + (g,), f"{g} is not a gate of {called(cell.cell)} (its gates: {order})", at_key=True
                )
        missing = [g for g in gates if raw.get(g) is None]
        if missing:
            raise doc.error(path, f"missing: {', '.join(missing)} ({called(cell.cell)}'s gates are {order})")
        return {g: (matrix(raw[g], path + (g,), doc) if rows else steps.array(raw[g], path + (g,), doc)) for g in gates}
    whole = matrix(raw, path, doc) if rows else steps.array(raw, path, doc)
    if not gates:
        return {"": whole}
    n = whole.shape[0]
    if n % len(gates):
        rule = f"{len(gates)}·H rows stacked in gate order {order}"
        raise doc.error(path, f"expected {rule}, found {n} rows")
    return dict(zip(gates, np.split(whole, len(gates)), strict=True))


def weights(  # noqa: PLR0913
    cell: str, opt: str, raw: dict, width: int, doc: yamlio.Document, root: Path = ("parameters",)
) -> tuple[dict[str, np.ndarray], int, int]:
    """W_g (H×D), U_g (H×H) and b_g (H) per gate (or W, U, b whole), with H and D."""
    sh = shape(cell, raw.get("b") is not None, opt)
    W = _per_gate(raw["W"], (*root, "W"), doc, True, sh)  # noqa: N806 - the maths' names
    U = _per_gate(raw["U"], (*root, "U"), doc, True, sh)  # noqa: N806
    # H from U (square); D from W where its gates agree, else from x_0 (W itself is then blamed)
    cols = {w.shape[1] for w in W.values()}
    H, D = next(iter(U.values())).shape[0], cols.pop() if len(cols) == 1 else width  # noqa: N806
    params: dict[str, np.ndarray] = {}
    for g in W:  # each gate's U checked before its W (the order of the messages), W listed first
        u = _checked("U", g, U[g], (H, H), "H×H", raw, doc, root)
        w = _checked("W", g, W[g], (H, D), "H×D", raw, doc, root)
        params[w], params[u] = W[g], U[g]
    if raw.get("b") is not None:
        for g, arr in _per_gate(raw["b"], (*root, "b"), doc, False, sh).items():
            params[_checked("b", g, arr, (H,), "H entries", raw, doc, root)] = arr
    return params, H, D


def _checked(  # noqa: PLR0913
    family: str, g: str, arr: np.ndarray, want: tuple, what: str, raw: dict, doc: yamlio.Document, root: Path
) -> str:
    """The parameter's name, once its shape is checked."""
    name = f"{family}_{g}" if g else family
    where = (*root, family) + ((g,) if isinstance(raw[family], dict) else ())
    steps.check(arr, want, f"{name} ({what})", where, doc)
    return name


def vectors(  # noqa: PLR0913
    cell: str,
    opt: str,
    raw: dict,
    params: dict[str, np.ndarray],
    H: int,
    doc: yamlio.Document,
    root: Path = ("parameters",),  # noqa: N803
) -> None:
    """The cell's other H-vectors: a peephole cell's P_i, P_f, P_o, a GRU's b_hn; an error for one another cell's."""
    if cell != "peephole" and raw.get("P") is not None:
        raise doc.error((*root, "P"), "peephole weights P need model: {cell: peephole}", at_key=True)
    want = shape(cell, "b" in params or "b_r" in params, opt).vectors
    if raw.get("b_hn") is not None and "b_hn" not in want:
        needs = (
            "model: {cell: gru}, reset: after, with b"
            if cell == "gru" or raw.get("b") is None
            else "model: {cell: gru}"
        )
        raise doc.error((*root, "b_hn"), f"b_hn is a GRU's second bias; it needs {needs}", at_key=True)
    if cell == "peephole":
        if raw.get("P") is None:
            raise doc.error(root, "missing: P (peephole weights {i: [...], f: [...], o: [...]}) for cell: peephole")
        for g in ("i", "f", "o"):
            v = np.array(raw["P"][g], np.float64)
            steps.check(v, (H,), f"P_{g} (H entries)", (*root, "P", g), doc)
            params[f"P_{g}"] = v
    if "b_hn" in want and "b_hn" not in params:  # (a source's layout has read it already: nn.GRU's bias_hh)
        if raw.get("b_hn") is None:
            raise doc.error(root, "missing: b_hn (a GRU's second bias, H entries; zeros if it has none)")
        v = np.array(raw["b_hn"], np.float64)
        steps.check(v, (H,), "b_hn (H entries)", (*root, "b_hn"), doc)
        params["b_hn"] = v
