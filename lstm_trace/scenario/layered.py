"""Stacked layers' parameters (model: {layers: L}): each layer's read as one layer's are, then named with
its suffix (W_a_l0, W_a_l1; PyTorch's weight_ih_l0, weight_ih_l1). Layer 0 reads x_t (D entries); the
layers above read the one below's out_t (H entries)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..refs import layer_suffix
from . import cellparams, sourceread, steps
from .yamlio import Document

PYTORCH_KEY = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)")


def read(spec: Any, raw: dict, doc: Document, width: int, opt: str) -> tuple[dict[str, np.ndarray], int, tuple]:
    """Every layer's parameters under its suffix, H, and the arrays as the file gave them (PyTorch's)."""
    layers, cell = spec.model.layers, spec.model.cell
    params: dict[str, np.ndarray] = {}
    H = 0  # noqa: N806
    for k in range(layers):
        D = width if k == 0 else H  # noqa: N806
        if spec.layout == "pytorch":
            own = {_to_l0(key): v for key, v in raw.items() if _layer_of(key) == k}
            try:
                got, _, h = sourceread.read("pytorch", own, doc, D, cell)
            except ScenarioError as e:  # named as layer k's own keys
                path = tuple(_from_l0(p, k) if isinstance(p, str) else p for p in e.path) or ("parameters",)
                raise doc.error(path, _from_l0(e.message, k)) from None
        else:
            block, root = raw[f"l{k}"], ("parameters", f"l{k}")
            got, h, _ = cellparams.weights(cell, opt, block, D, doc, root)
            cellparams.vectors(cell, opt, block, got, h, doc, root)
        if k and h != H:
            raise doc.error(("parameters",), f"layer {k} has {h} hidden units, layer 0 {H}: the layers' H must agree")
        if k and _has_bias(got) != _has_bias(params):
            which = "has a bias and layer 0 none" if _has_bias(got) else "has no bias and layer 0 one"
            raise doc.error(("parameters",), f"layer {k} {which}: the layers' biases must agree")
        H = h  # noqa: N806
        params.update({p + layer_suffix(k): v for p, v in got.items()})
    if spec.layout != "pytorch":
        return params, H, ()
    given = tuple((key, steps.array(v, ("parameters", key), doc)) for key, v in raw.items() if key not in ("V", "c"))
    return params, H, given


def validate(layers: int, layout: str, raw: dict, doc: Document) -> None:
    """The keys (check) and each layer's values as one layer's are validated, errors at their place."""
    from pydantic import ValidationError, create_model

    from .messages import first_error
    from .schema import Matrix, Parameters, Vector

    if layout not in ("gomez", "pytorch"):
        raise doc.error(("model", "layers"), "stacked layers are read in layout: gomez or pytorch", at_key=True)
    check(layers, layout, raw, doc)
    if layout == "gomez":
        fields = {f"l{k}": (Parameters, ...) for k in range(layers)}
    else:
        kinds = {"weight_ih": Matrix, "weight_hh": Matrix, "bias_ih": Vector, "bias_hh": Vector}
        fields = {f"{n}_l{k}": (t | None, None) for n, t in kinds.items() for k in range(layers)}  # type: ignore[misc]
    fields |= {"V": (Matrix | None, None), "c": (Vector | None, None)}
    blocks = create_model("Layers", **fields)  # type: ignore[call-overload]
    try:
        create_model("LayeredParameters", parameters=(blocks, ...)).model_validate({"parameters": raw})
    except ValidationError as exc:
        raise first_error(exc, doc) from None


def check(spec_layers: int, layout: str, raw: Any, doc: Document) -> None:
    """The parameters' keys: l0 … l{L-1} (this tool's layout), or PyTorch's weight_ih_l0 … of each layer."""
    if not isinstance(raw, dict):
        return
    want = {f"l{k}" for k in range(spec_layers)} if layout == "gomez" else None
    for key in raw:
        if key in ("V", "c"):
            continue
        if want is not None and key not in want:
            why = f"with layers: {spec_layers}, parameters are given per layer: {', '.join(sorted(want))}"
            raise doc.error(("parameters", key), f"unknown key {key!r}: {why}", at_key=True)
        if want is None and (_layer_of(key) is None or _layer_of(key) >= spec_layers):  # type: ignore[operator]
            raise doc.error(
                ("parameters", key), f"{key} is not a parameter of a {spec_layers}-layer nn module", at_key=True
            )
    missing = sorted((want or set()) - set(raw))
    if missing:
        raise doc.error(("parameters",), f"missing: {missing[0]} (one block of W, U, b per layer)")


def _has_bias(params: dict[str, np.ndarray]) -> bool:
    return any(k == "b" or k.startswith("b_") for k in params)


def _layer_of(key: str) -> int | None:
    m = PYTORCH_KEY.fullmatch(key)
    return None if m is None else int(m[2])


def _to_l0(key: str) -> str:
    m = PYTORCH_KEY.fullmatch(key)
    return key if m is None else f"{m[1]}_l0"


def _from_l0(text: str, k: int) -> str:
    return re.sub(r"(weight_ih|weight_hh|bias_ih|bias_hh)_l0\b", rf"\1_l{k}", text) if k else text
