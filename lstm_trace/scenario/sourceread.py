"""Parameters as other sources name and shape them, read into this tool's W_g, U_g, b_g once, at load.

The tables (each source's keys, gate order and names) are layouts.py's; this is their reading, with each
shape checked against H and D and a wrong one named by the source's key.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layouts import DLAI, KEYS, TRANSPOSED, order, param
from .steps import array
from .yamlio import Document, Path


def read(
    layout: str, raw: dict[str, Any], doc: Document, D: int, cell: str = "lstm"
) -> tuple[dict[str, np.ndarray], dict, int]:  # noqa: N803
    """The per-gate W_g (H×D), U_g (H×H), b_g (H) from a source's parameters, the arrays as given, and H.

    D is x_0's length; every shape is checked against H and D, naming the source's key."""
    where: Path = ("parameters",)
    given = {k: array(v, where + (k,), doc) for k, v in raw.items() if v is not None and k not in ("V", "c")}
    full = dict(given)  # PyTorch's names without _l0 read as the suffixed ones; given keeps them as written
    _complete(layout, full, doc, cell)
    reader = _read_dlai if layout == "deeplearning.ai" else _read_stacked
    params, H = reader(layout, full, doc, D, cell)  # noqa: N806
    return params, given, H


def _complete(layout: str, given: dict[str, np.ndarray], doc: Document, cell: str) -> None:
    """Each of the layout's keys once: PyTorch's with or without _l0, both biases or neither."""
    if layout == "pytorch":
        for key in [k for k in given if not k.endswith("_l0")]:
            if f"{key}_l0" in given:
                raise doc.error(("parameters", key), f"{key} and {key}_l0 are the same parameter: give one")
            given[f"{key}_l0"] = given.pop(key)
        biases = [k for k in ("bias_ih_l0", "bias_hh_l0") if k in given]
        if len(biases) == 1:
            other = "bias_hh_l0" if biases[0] == "bias_ih_l0" else "bias_ih_l0"
            module = {"gru": "nn.GRU", "rnn": "nn.RNN"}.get(cell, "nn.LSTM")
            raise doc.error(("parameters",), f"missing: {other} ({module} adds both biases; give both, or neither)")
    optional = ("bias_ih_l0", "bias_hh_l0", "bias") if layout in ("pytorch", "keras") else ()
    for key in KEYS[layout]:
        if key not in given and key not in optional:
            raise doc.error(("parameters",), f"missing: {key} (layout: {layout})")


def _shape(arr: np.ndarray, shape: tuple[int, ...], key: str, what: str, doc: Document) -> None:
    if arr.shape != shape:
        found = "×".join(map(str, arr.shape)) or "a number"
        hint = f" (its transpose would fit: {TRANSPOSED})"
        hint = hint if arr.ndim == 2 and arr.shape[::-1] == shape else ""
        raise doc.error(("parameters", _written(key, doc)), f"expected {key} to be {what}, found {found}{hint}")


def _written(key: str, doc: Document) -> str:
    """The key as the file spells it (weight_ih for weight_ih_l0)."""
    raw = doc.data.get("parameters", {}) if isinstance(doc.data, dict) else {}
    return key if key in raw else key.removesuffix("_l0")


def _n(n: int) -> str:
    return "" if n == 1 else str(n)


def _hidden(arr: np.ndarray, key: str, form: str, square: bool, doc: Document, n: int) -> int:  # noqa: PLR0913
    """H from the recurrent weights: 4H×H (rows) or H×4H (cols) for an LSTM's four gates (n of them);
    for TensorFlow's (D+H)×4H kernel, its columns."""
    rows, cols = arr.shape if arr.ndim == 2 else (arr.size, 1)
    long, short = (rows, cols) if form == "rows" else (cols, rows)
    if square and long == n * short:
        return short
    g = _n(n)
    if square and short == n * long:
        want = f"{g}H×H" if form == "rows" else f"H×{g}H"
        message = f"expected {key} to be {want}, found {rows}×{cols} (its transpose would fit: {TRANSPOSED})"
        raise doc.error(("parameters", _written(key, doc)), message)
    if not square and long and long % n == 0:
        return long // n
    want = (f"{g}H×H" if form == "rows" else f"H×{g}H") if square else f"(D+H)×{g}H"
    raise doc.error(("parameters", _written(key, doc)), f"expected {key} to be {want}, found {rows}×{cols}")


def _read_stacked(layout: str, given: dict, doc: Document, D: int, cell: str) -> tuple[dict[str, np.ndarray], int]:  # noqa: N803
    keys, gates = KEYS[layout], order(layout, cell)
    n = len(gates)
    params: dict[str, np.ndarray] = {}
    rec = next(k for k, (family, _) in keys.items() if family in ("U", "WU"))
    H = _hidden(given[rec], rec, keys[rec][1], keys[rec][0] == "U", doc, n)  # noqa: N806
    width = {"W": D, "U": H, "WU": D + H}
    for key, (family, form) in keys.items():
        if key not in given:
            continue
        arr = given[key]
        if family == "b":
            _shape(arr, (n * H,), key, f"{_n(n)}H = {n * H} entries", doc)
            blocks = np.split(arr, n)
        else:
            cols = width[family]
            shape = (n * H, cols) if form == "rows" else (cols, n * H)
            _shape(arr, shape, key, "×".join(map(str, shape)), doc)
            blocks = np.split(arr if form == "rows" else arr.T, n)
        for g, block in zip(gates, blocks, strict=True):
            if family == "WU":
                params[f"W_{g}"], params[f"U_{g}"] = block[:, :D].copy(), block[:, D:].copy()
            else:
                name = param(family, g, key, cell)
                params[name] = params.get(name, 0) + block
    if "forget_bias" in given:
        params["b_f"] = params["b_f"] + float(given["forget_bias"])
    return params, H


def _read_dlai(layout: str, given: dict, doc: Document, D: int, cell: str) -> tuple[dict[str, np.ndarray], int]:  # noqa: N803
    H = given["Wf"].shape[0] if given["Wf"].ndim == 2 else 0  # noqa: N806
    params: dict[str, np.ndarray] = {}
    for g, letter in DLAI.items():
        w, b = given[f"W{letter}"], given[f"b{letter}"]
        _shape(w, (H, H + D), f"W{letter}", f"H×(H+D) = {H}×{H + D}, acting on [a_prev; xt]", doc)
        if b.shape not in ((H,), (H, 1), (1, H)):
            _shape(b, (H, 1), f"b{letter}", f"{H} entries or {H}×1", doc)
        params[f"U_{g}"], params[f"W_{g}"], params[f"b_{g}"] = w[:, :H].copy(), w[:, H:].copy(), b.reshape(H)
    return params, H
