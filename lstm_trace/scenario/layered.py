"""Stacked layers' parameters (model: {layers: L}): each layer's read as one layer's are, then named with
its suffix (W_a_l0, W_a_l1; PyTorch's weight_ih_l0, weight_ih_l1). Layer 0 reads x_t (D entries); the
layers above read the one below's out_t (H entries). A bidirectional network's reverse directions are
blocks l0r, l1r … (PyTorch's weight_ih_l0_reverse …); above the first layer each direction reads both of the
one below ([out_t; out_t reverse], 2H columns), its W split into W_a_l1 and Wr_a_l1 (symbolic/cells/layers.py)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..refs import halves, layer_suffix, named_by_layer, suffixes
from . import cellparams, sourceread, steps
from .messages import show
from .yamlio import Document

PYTORCH_KEY = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?")


def read(spec: Any, raw: dict, doc: Document, width: int, opt: str) -> tuple[dict[str, np.ndarray], int, tuple]:
    """Every layer's parameters under its suffix, H, and the arrays as the file gave them (PyTorch's)."""
    layers, cell, directions = spec.model.layers, spec.model.cell, directions_of(spec)
    params: dict[str, np.ndarray] = {}
    H = 0  # noqa: N806
    for sfx in suffixes(layers, directions):
        k = int(sfx[2:].rstrip("r"))
        D = width if k == 0 else H * directions  # noqa: N806
        if spec.layout == "pytorch":
            own = {_to_l0(key): v for key, v in raw.items() if _layer_of(key) == sfx}
            try:
                got, _, h = sourceread.read("pytorch", own, doc, D, cell)
            except ScenarioError as e:  # named as layer k's own keys
                path = tuple(_from_l0(p, sfx) if isinstance(p, str) else p for p in e.path) or ("parameters",)
                raise doc.error(path, _from_l0(e.message, sfx)) from None
        else:
            block, root = raw[sfx[1:]], ("parameters", sfx[1:])
            got, h, d = cellparams.weights(cell, opt, block, D, doc, root)
            if k and d != h * directions:  # layer 0's D is x_t's, checked with the sequence
                reads = "[out_t; out_t reverse] of the layer below" if directions == 2 else "the layer below's out_t"
                n = h * directions
                message = f"{sfx[1:]}'s W reads {reads}: {n} column{'s' * (n != 1)} (H = {h}), found {d}"
                raise doc.error((*root, "W"), message)
            cellparams.vectors(cell, opt, block, got, h, doc, root)
        unit = f"layer {k}" + ("'s reverse direction" if sfx.endswith("r") else "")
        if params and h != H:
            raise doc.error(("parameters",), f"{unit} has {h} hidden units, layer 0 {H}: the layers' H must agree")
        if params and _has_bias(got) != _has_bias(params):
            which = "has a bias and layer 0 none" if _has_bias(got) else "has no bias and layer 0 has one"
            raise doc.error(("parameters",), f"{unit} {which}: the layers' biases must agree")
        H = h  # noqa: N806
        params.update({p + sfx: v for p, v in _halves(got, k, directions).items()})
    if spec.layout != "pytorch":
        return params, H, ()
    given = tuple((key, steps.array(v, ("parameters", key), doc)) for key, v in raw.items() if key not in ("V", "c"))
    return params, H, given


def stack_of(model: dict, doc: Document) -> tuple[int, int]:
    """(layers, directions) as the model says, checked before the parameters are read by them."""
    from .schema import MAX_LAYERS

    layers = model.get("layers", 1)
    if not (isinstance(layers, int) and not isinstance(layers, bool) and 1 <= layers <= MAX_LAYERS):
        raise doc.error(
            ("model", "layers"), f"expected a whole number of layers from 1 to {MAX_LAYERS}, found {show(layers)}"
        )
    if not isinstance(model.get("bidirectional", False), bool):
        raise doc.error(("model", "bidirectional"), f"expected true or false, found {show(model['bidirectional'])}")
    directions = 2 if model.get("bidirectional") else 1
    if named_by_layer(layers, directions) and model.get("cell") == "custom":
        key, what = ("bidirectional", "bidirectional") if directions == 2 else ("layers", "stacked")
        raise doc.error(("model", key), f"a custom cell is not {what}: write its layers as its equations")
    return layers, directions


def directions_of(spec: Any) -> int:
    """2 for a bidirectional network, else 1."""
    return 2 if spec.model.bidirectional else 1


def _halves(got: dict[str, np.ndarray], layer: int, directions: int) -> dict[str, np.ndarray]:
    """Above a bidirectional network's first layer, each W_g (H×2H) as Wf_g and Wr_g (its two H×H halves)."""
    if not layer or directions == 1:
        return got
    out = {}
    for p, v in got.items():
        if p.startswith("W"):
            forward, reverse = halves(p)
            out[forward], out[reverse] = np.split(v, 2, axis=1)
        else:
            out[p] = v
    return out


def validate(layers: int, layout: str, raw: dict, doc: Document, directions: int = 1) -> None:
    """The keys (check) and each layer's values as one layer's are validated, errors at their place."""
    from pydantic import ValidationError, create_model

    from .messages import first_error
    from .schema import Matrix, Parameters, Vector

    if layout not in ("gomez", "pytorch"):
        what = ("model", "bidirectional") if directions == 2 else ("model", "layers")
        which = "bidirectional layers" if directions == 2 else "stacked layers"
        raise doc.error(what, f"{which} are read in layout: gomez or pytorch", at_key=True)
    check(layers, layout, raw, doc, directions)
    each = suffixes(layers, directions)
    if layout == "gomez":
        fields = {s[1:]: (Parameters, ...) for s in each}
    else:
        kinds = {"weight_ih": Matrix, "weight_hh": Matrix, "bias_ih": Vector, "bias_hh": Vector}
        fields = {_pytorch(n, s): (t | None, None) for n, t in kinds.items() for s in each}  # type: ignore[misc]
    fields |= {"V": (Matrix | None, None), "c": (Vector | None, None)}
    blocks = create_model("Layers", **fields)  # type: ignore[call-overload]
    try:
        create_model("LayeredParameters", parameters=(blocks, ...)).model_validate({"parameters": raw})
    except ValidationError as exc:
        raise first_error(exc, doc) from None


def check(spec_layers: int, layout: str, raw: Any, doc: Document, directions: int = 1) -> None:
    """The parameters' keys: l0 … l{L-1} (this tool's layout; l0r … a reverse direction's), or PyTorch's
    weight_ih_l0 … of each layer (weight_ih_l0_reverse …)."""
    if not isinstance(raw, dict):
        return
    each = suffixes(spec_layers, directions)
    want = {s[1:] for s in each} if layout == "gomez" else None
    for key in raw:
        if key in ("V", "c"):
            continue
        if want is not None and key not in want:
            how = "bidirectional: true" if directions == 2 and spec_layers == 1 else f"layers: {spec_layers}"
            why = f"with {how}, parameters are given per layer: {', '.join(sorted(want))}"
            raise doc.error(("parameters", key), f"unknown key {key!r}: {why}", at_key=True)
        if want is None and _layer_of(key) not in each:
            kind = f"{spec_layers}-layer{' bidirectional' if directions == 2 else ''}"
            message = f"{key} is not a parameter of a {kind} nn module"
            if key.endswith("_reverse") and directions == 1:
                message += ": a reverse direction's keys need model: {bidirectional: true}"
            elif PYTORCH_KEY.fullmatch(key + "_l0"):
                message += (
                    f": its keys carry their layer ({key}_l0{', ' + key + '_l0_reverse' if directions == 2 else ''})"
                )
            raise doc.error(("parameters", key), message, at_key=True)
    missing = sorted((want or set()) - set(raw))
    if missing:
        raise doc.error(("parameters",), f"missing: {missing[0]} (one block of W, U, b per layer)")


def _has_bias(params: dict[str, np.ndarray]) -> bool:
    return any(k == "b" or k.startswith("b_") for k in params)


def _layer_of(key: str) -> str | None:
    """weight_ih_l1 -> _l1, weight_hh_l0_reverse -> _l0r: the suffix of this tool's names."""
    m = PYTORCH_KEY.fullmatch(key)
    return None if m is None else layer_suffix(int(m[2]), bool(m[3]))


def _pytorch(kind: str, suffix: str) -> str:
    """(weight_ih, _l0r) -> weight_ih_l0_reverse."""
    return f"{kind}{suffix.rstrip('r')}" + ("_reverse" if suffix.endswith("r") else "")


def _to_l0(key: str) -> str:
    m = PYTORCH_KEY.fullmatch(key)
    return key if m is None else f"{m[1]}_l0"


def _from_l0(text: str, suffix: str) -> str:
    return re.sub(r"(weight_ih|weight_hh|bias_ih|bias_hh)_l0\b", lambda m: _pytorch(m[1], suffix), text)
