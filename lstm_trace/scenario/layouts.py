"""Parameters as other sources name and shape them, read into this tool's W_g, U_g, b_g, and written back.

Each layout is converted once, when the file is read: the engine sees only the per-gate parameters.
Written back (source_form), a gradient or an update comes out in the source's own names, shapes and
gate order: the gradient of weight_ih_l0 as dweight_ih_l0 (4H×D, rows i, f, g, o), and so on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..refs import GATES
from .steps import array
from .yamlio import Document, Path

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


def header(layout: str) -> str:
    """The header line that says how the source's gates are this tool's a, i, f, o."""
    if layout == "gomez":
        return ""
    tool = ", ".join(ORDER[layout])
    note = f"Layout {layout} ({TITLES[layout]}): its gates {LETTERS[layout]} are this tool's {tool}"
    if layout == "pytorch":
        note += "; b = bias_ih + bias_hh, and each of the two takes the update's step"
    if layout == "tensorflow":
        note += "; b_f includes forget_bias"
    return note


def _rows(get: Callable[[str, str], np.ndarray], family: str, order: tuple[str, ...]) -> np.ndarray:
    parts = [get(family, g) for g in order]
    return np.concatenate(parts) if parts[0].ndim == 1 else np.vstack(parts)


def source_form(layout: str, key: str, get: Callable[[str, str], np.ndarray], like: np.ndarray) -> np.ndarray:
    """The source's array `key` from per-gate arrays (get("W", "a") is W_a, δW_a, …), shaped like `like`."""
    family, form = KEYS[layout][_full(layout, key)]
    order = ORDER[layout]
    if family == "UW":  # deeplearning.ai: W_g acts on [a_prev; xt]
        return np.hstack([get("U", form), get("W", form)])
    if family == "b" and form in GATES:
        return get("b", form).reshape(like.shape)
    if family == "WU":  # tensorflow: the kernel acts on [x_t; h_{t-1}]
        return np.vstack([_rows(get, "W", order).T, _rows(get, "U", order).T])
    whole = _rows(get, family, order)
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
    layout: str, given: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """dP and P_new for each parameter P the scenario named, in the source's shape and order.

    P_new = P + (the step of the per-gate parameters it holds): PyTorch's two biases each take
    b's step, and TensorFlow's bias is b without its forget_bias.
    """
    out: dict[str, np.ndarray] = {}
    for key, arr in given.items():
        if key in SHARED:
            continue
        grad = source_form(layout, key, lambda f, g: values[f"d{f}_{g}"], arr)
        step = source_form(layout, key, lambda f, g: values[f"{f}_{g}_new"] - values[f"{f}_{g}"], arr)
        out[f"d{key}"], out[f"{key}_new"] = grad, arr + step
    return out


def next_given(layout: str, given: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray]) -> dict:
    """The source's parameters after an update, for the next iteration."""
    new = {k: v for k, v in given.items() if k in SHARED}
    new.update({k[: -len("_new")]: v for k, v in source_values(layout, given, values).items() if k.endswith("_new")})
    return new


def next_params(layout: str, params: Mapping[str, np.ndarray], new: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The per-gate parameters the next iteration starts from: PyTorch's b moves twice the step (two biases)."""
    if layout == "pytorch":
        for g in GATES:
            if f"b_{g}" in params:
                new[f"b_{g}"] = 2 * new[f"b_{g}"] - params[f"b_{g}"]
    return new


def read(layout: str, raw: dict[str, Any], doc: Document, D: int) -> tuple[dict[str, np.ndarray], dict, int]:  # noqa: N803
    """The per-gate W_g (H×D), U_g (H×H), b_g (H) from a source's parameters, the arrays as given, and H.

    D is x_0's length; every shape is checked against H and D, naming the source's key."""
    where: Path = ("parameters",)
    given = {k: array(v, where + (k,), doc) for k, v in raw.items() if v is not None and k not in ("V", "c")}
    full = dict(given)  # PyTorch's names without _l0 read as the suffixed ones; given keeps them as written
    _complete(layout, full, doc)
    reader = _read_dlai if layout == "deeplearning.ai" else _read_stacked
    params, H = reader(layout, full, doc, D)  # noqa: N806
    return params, given, H


def _complete(layout: str, given: dict[str, np.ndarray], doc: Document) -> None:
    """Each of the layout's keys once: PyTorch's with or without _l0, both biases or neither."""
    if layout == "pytorch":
        for key in [k for k in given if not k.endswith("_l0")]:
            if f"{key}_l0" in given:
                raise doc.error(("parameters", key), f"{key} and {key}_l0 are the same parameter: give one")
            given[f"{key}_l0"] = given.pop(key)
        biases = [k for k in ("bias_ih_l0", "bias_hh_l0") if k in given]
        if len(biases) == 1:
            other = "bias_hh_l0" if biases[0] == "bias_ih_l0" else "bias_ih_l0"
            raise doc.error(("parameters",), f"missing: {other} (nn.LSTM adds both biases; give both, or neither)")
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


def _hidden(arr: np.ndarray, key: str, form: str, square: bool, doc: Document) -> int:
    """H from the recurrent weights: 4H×H (rows) or H×4H (cols); for TensorFlow's (D+H)×4H kernel, its columns."""
    rows, cols = arr.shape if arr.ndim == 2 else (arr.size, 1)
    long, short = (rows, cols) if form == "rows" else (cols, rows)
    if square and long == 4 * short:
        return short
    if square and short == 4 * long:
        want = "4H×H" if form == "rows" else "H×4H"
        message = f"expected {key} to be {want}, found {rows}×{cols} (its transpose would fit: {TRANSPOSED})"
        raise doc.error(("parameters", _written(key, doc)), message)
    if not square and long and long % 4 == 0:
        return long // 4
    want = ("4H×H" if form == "rows" else "H×4H") if square else "(D+H)×4H"
    raise doc.error(("parameters", _written(key, doc)), f"expected {key} to be {want}, found {rows}×{cols}")


def _read_stacked(layout: str, given: dict, doc: Document, D: int) -> tuple[dict[str, np.ndarray], int]:  # noqa: N803
    keys = KEYS[layout]
    params: dict[str, np.ndarray] = {}
    rec = next(k for k, (family, _) in keys.items() if family in ("U", "WU"))
    H = _hidden(given[rec], rec, keys[rec][1], keys[rec][0] == "U", doc)  # noqa: N806
    width = {"W": D, "U": H, "WU": D + H}
    for key, (family, form) in keys.items():
        if key not in given:
            continue
        arr = given[key]
        if family == "b":
            _shape(arr, (4 * H,), key, f"4H = {4 * H} entries", doc)
            blocks = np.split(arr, 4)
        else:
            n = width[family]
            shape = (4 * H, n) if form == "rows" else (n, 4 * H)
            _shape(arr, shape, key, "×".join(map(str, shape)), doc)
            blocks = np.split(arr if form == "rows" else arr.T, 4)
        for g, block in zip(ORDER[layout], blocks, strict=True):
            if family == "WU":
                params[f"W_{g}"], params[f"U_{g}"] = block[:, :D].copy(), block[:, D:].copy()
            else:
                params[f"{family}_{g}"] = params.get(f"{family}_{g}", 0) + block
    if "forget_bias" in given:
        params["b_f"] = params["b_f"] + float(given["forget_bias"])
    return params, H


def _read_dlai(layout: str, given: dict, doc: Document, D: int) -> tuple[dict[str, np.ndarray], int]:  # noqa: N803
    H = given["Wf"].shape[0] if given["Wf"].ndim == 2 else 0  # noqa: N806
    params: dict[str, np.ndarray] = {}
    for g, letter in DLAI.items():
        w, b = given[f"W{letter}"], given[f"b{letter}"]
        _shape(w, (H, H + D), f"W{letter}", f"H×(H+D) = {H}×{H + D}, acting on [a_prev; xt]", doc)
        if b.shape not in ((H,), (H, 1), (1, H)):
            _shape(b, (H, 1), f"b{letter}", f"{H} entries or {H}×1", doc)
        params[f"U_{g}"], params[f"W_{g}"], params[f"b_{g}"] = w[:, :H].copy(), w[:, H:].copy(), b.reshape(H)
    return params, H


GOMEZ_KEYS = ("W", "U", "b", "P", "V", "c")


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
        raise doc.error(("parameters", key), f"{said}layout: {layout} expects {', '.join(mine)}", at_key=True)


def check_names(layout: str, given: Mapping[str, np.ndarray]) -> list[tuple[str, tuple[str, ...], str]]:
    """(dP or P_new, its per-gate parts, how they join) for each parameter P in a source's layout: the
    names check accepts beside the canonical ones. An update that is not a pure join of parts (PyTorch's
    two biases, TensorFlow's bias beside forget_bias) is left out."""
    out = []
    for key, arr in given.items():
        if key in SHARED:
            continue
        family, form = KEYS[layout][_full(layout, key)]
        if family == "UW":
            parts, join = (f"U_{form}", f"W_{form}"), "hstack"
        elif family == "WU":
            parts, join = tuple(f"{f}_{g}" for f in "WU" for g in ORDER[layout]), "tfkernel"
        elif form in GATES:
            parts, join = (f"b_{form}",), "column" if arr.ndim == 2 else "concat"
        else:
            parts = tuple(f"{family}_{g}" for g in ORDER[layout])
            join = "cols" if form == "cols" else "concat" if family == "b" else "vstack"
        out.append((f"d{key}", tuple(f"d{p}" for p in parts), join))
        if not (family == "b" and layout in ("pytorch", "tensorflow")):
            out.append((f"{key}_new", tuple(f"{p}_new" for p in parts), join))
    return out
