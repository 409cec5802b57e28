"""Parameters as other sources name and shape them, read into this tool's W_g, U_g, b_g, and written back.

Each layout is converted once, when the file is read: the engine sees only the per-gate parameters.
Written back (source_form), a gradient or an update comes out in the source's own names, shapes and
gate order: the gradient of weight_ih_l0 as dweight_ih_l0 (4H×D, rows i, f, g, o), and so on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..refs import GATES, halves, layer_suffix, named_by_layer, suffixes
from .yamlio import Document

# the source's gate blocks, in its order, as this tool's letters (a is g, c, c̃, j)
ORDER = {
    "pytorch": ("i", "f", "a", "o"),
    "cs231n": ("i", "f", "o", "a"),
    "keras": ("i", "f", "a", "o"),
    "tensorflow": ("i", "a", "f", "o"),
    "deeplearning.ai": ("f", "i", "a", "o"),
}
LETTERS = {
    "pytorch": "i, f, g, o",
    "cs231n": "i, f, o, g",
    "keras": "i, f, c, o",
    "tensorflow": "i, j, f, o",
    "deeplearning.ai": "f, i, c̃, o",
}
# the other cells a layout reads (the LSTM's order above): PyTorch's nn.GRU rows r, z, n; nn.RNN one block
CELL_ORDER = {
    ("pytorch", "gru"): ("r", "z", "n"),
    ("pytorch", "rnn"): ("",),
    ("cs231n", "rnn"): ("",),
    ("keras", "rnn"): ("",),
}
CELL_TITLES = {
    ("pytorch", "gru"): "PyTorch's nn.GRU",
    ("pytorch", "rnn"): "PyTorch's nn.RNN",
    ("cs231n", "rnn"): "CS231n's rnn_step_forward: next_h = tanh(x·Wx + prev_h·Wh + b)",
    ("keras", "rnn"): "Keras' SimpleRNN",
}
TITLES = {
    "pytorch": "PyTorch's nn.LSTM",
    "cs231n": "CS231n's LSTM assignment",
    "keras": "Keras' LSTM",
    "tensorflow": "TensorFlow's LSTMCell",
    "deeplearning.ai": "deeplearning.ai's LSTM assignment",
}
DLAI = {"f": "f", "i": "i", "a": "c", "o": "o"}  # deeplearning.ai's key letter of each gate
# each layout's keys: the canonical family a key holds (W, U, b; WU for [W | U] stacked on [x; h]) and its form
KEYS: dict[str, dict[str, tuple[str, str]]] = {
    "pytorch": {
        "weight_ih_l0": ("W", "rows"),
        "weight_hh_l0": ("U", "rows"),
        "bias_ih_l0": ("b", "rows"),
        "bias_hh_l0": ("b", "rows"),
    },
    "cs231n": {"Wx": ("W", "cols"), "Wh": ("U", "cols"), "b": ("b", "rows")},
    "keras": {"kernel": ("W", "cols"), "recurrent_kernel": ("U", "cols"), "bias": ("b", "rows")},
    "tensorflow": {"kernel": ("WU", "cols"), "bias": ("b", "rows")},
    "deeplearning.ai": {
        **{f"W{DLAI[g]}": ("UW", g) for g in ORDER["deeplearning.ai"]},
        **{f"b{DLAI[g]}": ("b", g) for g in ORDER["deeplearning.ai"]},
    },
}
TRANSPOSED = "this layout stores it the other way round"
SHARED = ("V", "c", "forget_bias")  # keys every layout may hold beside its own (forget_bias: tensorflow's)


def order(layout: str, cell: str = "lstm") -> tuple[str, ...]:
    """The source's gate blocks in its order, as this tool's letters ("" for a cell with one block)."""
    return CELL_ORDER.get((layout, cell), ORDER[layout])


def reads(layout: str, cell: str) -> bool:
    """Whether a layout has the cell's parameters: every layout the LSTM's, PyTorch's also nn.GRU's and nn.RNN's."""
    return layout == "gomez" or cell == "lstm" or (layout, cell) in CELL_ORDER


def param(family: str, g: str, key: str = "", cell: str = "lstm") -> str:
    """This tool's name of a source block: W_a; a cell with one block's W; nn.GRU's bias_hh n-block b_hn."""
    if not g:
        return family
    return "b_hn" if cell == "gru" and key.startswith("bias_hh") and g == "n" else f"{family}_{g}"


def header(layout: str, cell: str = "lstm") -> str:
    """The header line that says how the source's gates are this tool's a, i, f, o."""
    if layout == "gomez":
        return ""
    if (layout, cell) in CELL_ORDER:
        gates = ", ".join(g for g in order(layout, cell) if g)
        title = CELL_TITLES[(layout, cell)]
        note = f"Layout {layout} ({title})" + (f": its gates {gates} are this tool's {gates}" if gates else "")
        if layout != "pytorch":
            return (
                note + ": W is Wx transposed, U is Wh transposed"
                if layout == "cs231n"
                else note + ": W is kernel transposed, U is recurrent_kernel transposed"
            )
        note += "; b = bias_ih + bias_hh" + (" (but b_hn is bias_hh's n block)" if cell == "gru" else "")
        return note + ", and each of the two takes the update's step"
    tool = ", ".join(ORDER[layout])
    note = f"Layout {layout} ({TITLES[layout]}): its gates {LETTERS[layout]} are this tool's {tool}"
    if layout == "pytorch":
        note += "; b = bias_ih + bias_hh, and each of the two takes the update's step"
    if layout == "tensorflow":
        note += "; b_f includes forget_bias"
    return note


def _rows(get: Callable[[str], np.ndarray], names: list[str]) -> np.ndarray:
    parts = [get(n) for n in names]
    return np.concatenate(parts) if parts[0].ndim == 1 else np.vstack(parts)


def _layer(layout: str, key: str, layers: int, directions: int = 1) -> tuple[str, str]:
    """(the key as one layer's parameters name it, the suffix of this tool's names): with stacked layers,
    PyTorch's weight_ih_l1 is weight_ih_l0's kind, and its parts are W_a_l1 …; weight_ih_l0_reverse's W_a_l0r …"""
    m = re.fullmatch(r"(.*)_l(\d+)(_reverse)?", key)
    if layout == "pytorch" and named_by_layer(layers, directions) and m:
        return f"{m[1]}_l0", layer_suffix(int(m[2]), bool(m[3]))
    return _full(layout, key), ""


def _reads_both(full: str, suffix: str, directions: int) -> bool:
    """Whether PyTorch's key holds input weights above a bidirectional network's first layer: weight_ih_l1
    (and _reverse) read [out_t; out_t reverse], as [Wf_a_l1 Wr_a_l1] …"""
    return directions == 2 and full.startswith("weight_ih") and not suffix.startswith("_l0")


def source_form(  # noqa: PLR0913
    layout: str,
    key: str,
    get: Callable[[str], np.ndarray],
    like: np.ndarray,
    cell: str = "lstm",
    layers: int = 1,
    directions: int = 1,
) -> np.ndarray:
    """The source's array `key` from this tool's arrays (get("W_a") is W_a, δW_a, …), shaped like `like`.
    Above a bidirectional network's first layer, W_a_l1 is [Wf_a_l1 Wr_a_l1] (it reads [out_t; out_t reverse])."""
    full, sfx = _layer(layout, key, layers, directions)
    if _reads_both(full, sfx, directions):
        one = get
        get = lambda n: np.hstack([one(h) for h in halves(n)])  # noqa: E731
    family, form = KEYS[layout][full]
    if family == "UW":  # deeplearning.ai: W_g acts on [a_prev; xt]
        return np.hstack([get(f"U_{form}"), get(f"W_{form}")])
    if family == "b" and form in GATES:
        return get(f"b_{form}").reshape(like.shape)
    names = [param(family, g, full, cell) + sfx for g in order(layout, cell)]
    if family == "WU":  # tensorflow: the kernel acts on [x_t; h_{t-1}]
        w, u = ([f"{f}_{g}" for g in ORDER[layout]] for f in "WU")
        return np.vstack([_rows(get, w).T, _rows(get, u).T])
    whole = _rows(get, names)
    return whole.T if form == "cols" else whole


def _full(layout: str, key: str) -> str:
    """PyTorch's names without the _l0 suffix (one layer) stand for the suffixed ones."""
    return f"{key}_l0" if layout == "pytorch" and not key.endswith("_l0") else key


def spellings(layout: str, name: str) -> tuple[str, ...]:
    """name, and the other spelling of it the layout allows: PyTorch's one-layer names with and without
    _l0 (dweight_hh, dweight_hh_l0, bias_ih_new, bias_ih_l0_new)."""
    if layout != "pytorch" or "_l0" not in name and not any(k in name for k in ("weight_", "bias_")):
        return (name,)
    stem, new = (name[: -len("_new")], "_new") if name.endswith("_new") else (name, "")
    other = stem[: -len("_l0")] if stem.endswith("_l0") else f"{stem}_l0"
    return (name, other + new)


def source_values(
    layout: str,
    given: Mapping[str, np.ndarray],
    values: Mapping[str, np.ndarray],
    cell: str = "lstm",
    layers: int = 1,
    directions: int = 1,
) -> dict[str, np.ndarray]:
    """dP and P_new for each parameter P the scenario named, in the source's shape and order.

    P_new = P + (the step of the per-gate parameters it holds): PyTorch's two biases each take
    b's step, and TensorFlow's bias is b without its forget_bias.
    """
    out: dict[str, np.ndarray] = {}
    for key, arr in given.items():
        if key in SHARED:
            continue
        grad = source_form(layout, key, lambda n: values[f"d{n}"], arr, cell, layers, directions)
        step = source_form(layout, key, lambda n: values[f"{n}_new"] - values[n], arr, cell, layers, directions)
        out[f"d{key}"], out[f"{key}_new"] = grad, arr + step
    return out


def next_given(
    layout: str,
    given: Mapping[str, np.ndarray],
    values: Mapping[str, np.ndarray],
    cell: str = "lstm",
    layers: int = 1,
    directions: int = 1,
) -> dict:
    """The source's parameters after an update, for the next iteration."""
    new = {k: v for k, v in given.items() if k in SHARED}
    made = source_values(layout, given, values, cell, layers, directions)
    new.update({k[: -len("_new")]: v for k, v in made.items() if k.endswith("_new")})
    return new


def next_params(
    layout: str,
    params: Mapping[str, np.ndarray],
    new: dict[str, np.ndarray],
    cell: str = "lstm",
    layers: int = 1,
    directions: int = 1,
) -> dict[str, np.ndarray]:
    """The per-gate parameters the next iteration starts from: PyTorch's b moves twice the step (two biases;
    nn.GRU's b_n and b_hn are one each)."""
    if layout == "pytorch":
        for sfx in suffixes(layers, directions) if named_by_layer(layers, directions) else [""]:
            for g in order(layout, cell):
                b = param("b", g, "bias_ih_l0", cell) + sfx
                if b in params and not (cell == "gru" and g == "n"):
                    new[b] = 2 * new[b] - params[b]
    return new


GOMEZ_KEYS = ("W", "U", "b", "P", "b_hn", "V", "c")


def allowed(layout: str) -> tuple[str, ...]:
    """The keys a layout's parameters may hold."""
    if layout == "gomez":
        return GOMEZ_KEYS
    short = tuple(k.removesuffix("_l0") for k in KEYS[layout]) if layout == "pytorch" else ()
    return (*KEYS[layout], *short, "V", "c", *(("forget_bias",) if layout == "tensorflow" else ()))


def check_keys(layout: str, raw: Any, doc: Document) -> None:
    """A key of another layout (Wx under layout: pytorch) is named with the layout it belongs to."""
    if not isinstance(raw, dict):
        return
    mine = allowed(layout)
    for key in raw:
        if key in mine:
            continue
        owners = [name for name in ("gomez", *KEYS) if key in allowed(name)]
        said = f"{key!r} is a key of layout: {' and '.join(owners)}, " if owners else f"unknown key {key!r}: "
        message = f"{said}layout: {layout} expects {', '.join(mine)}"
        if re.fullmatch(r"l\d+r?|.*_l\d+(_reverse)?", str(key)):  # l0, l0r; weight_ih_l1, weight_hh_l0_reverse
            message += " (layers' keys need model: {layers: N} or {bidirectional: true})"
        raise doc.error(("parameters", key), message, at_key=True)


def check_names(
    layout: str, given: Mapping[str, np.ndarray], cell: str = "lstm", layers: int = 1, directions: int = 1
) -> list[tuple[str, tuple[str, ...], str]]:
    """(dP or P_new, its per-gate parts, how they join) for each parameter P in a source's layout: the
    names check accepts beside the canonical ones. An update that is not a pure join of parts (PyTorch's
    two biases, TensorFlow's bias beside forget_bias) is left out."""
    out = []
    for key, arr in given.items():
        if key in SHARED:
            continue
        full, sfx = _layer(layout, key, layers, directions)
        family, form = KEYS[layout][full]
        if _reads_both(full, sfx, directions):  # [Wf_a_l1 Wr_a_l1] …
            gates = [param(family, g, full, cell) + sfx for g in order(layout, cell)]
            out.append((f"d{key}", tuple(f"d{h}" for g in gates for h in halves(g)), "gatehalves"))
            out.append((f"{key}_new", tuple(f"{h}_new" for g in gates for h in halves(g)), "gatehalves"))
            continue
        if family == "UW":
            parts, join = (f"U_{form}", f"W_{form}"), "hstack"
        elif family == "WU":
            parts, join = tuple(f"{f}_{g}" for f in "WU" for g in ORDER[layout]), "tfkernel"
        elif form in GATES:
            parts, join = (f"b_{form}",), "column" if arr.ndim == 2 else "concat"
        else:
            parts = tuple(param(family, g, full, cell) + sfx for g in order(layout, cell))
            join = "cols" if form == "cols" else "concat" if family == "b" else "vstack"
        out.append((f"d{key}", tuple(f"d{p}" for p in parts), join))
        if not (family == "b" and layout in ("pytorch", "tensorflow")):
            out.append((f"{key}_new", tuple(f"{p}_new" for p in parts), join))
    return out
