"""YAML or a dict -> a validated, immutable Scenario with float64 arrays."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import cache
from ..errors import key_path
from ..names import normalise
from ..refs import halves, named_by_layer, shape
from . import answers, cellparams, customcell, examples, layered, layouts, sourceread, steps, yamlio
from .messages import first_error, show
from .scenario import Part, Scenario
from .yamlio import Path

if TYPE_CHECKING:  # pydantic is imported only to validate a file not already in the cache
    from .schema import ScenarioModel


def _part(spec: Any, k: int, doc: yamlio.Document) -> Part:
    names = tuple(spec.quantities)
    where = tuple(doc.where(("parts", k, "quantities", j)) for j in range(len(names)))
    points = float(len(names)) if spec.points is None else float(spec.points)
    return Part(spec.id, spec.title, names, points, where, doc.file)


def _parts(specs: Any, doc: yamlio.Document) -> tuple[Part, ...]:
    """The homework parts; a part id, or a quantity, given twice is an error where it comes again.

    A quantity in two parts (or twice in one) would be graded twice and count twice, so it is
    refused; names are compared as spelled canonically (δstate_0 is dstate_0).
    """
    ids: dict[str, Path] = {}
    seen: dict[str, Path] = {}
    for k, spec in enumerate(specs):
        first = ids.setdefault(spec.id, ("parts", k, "id"))
        if first[1] != k:
            raise doc.error(("parts", k, "id"), f"duplicate part id {spec.id!r} ({_at(first, doc)} has it too)")
        for j, name in enumerate(spec.quantities):
            here: Path = ("parts", k, "quantities", j)
            first = seen.setdefault(normalise(name), here)
            if first != here:
                message = f"duplicate quantity {name!r} ({_at(first, doc)} names it too); a quantity is graded once"
                raise doc.error(here, message + ", in one part")
    return tuple(_part(p, k, doc) for k, p in enumerate(specs))


def _at(path: Path, doc: yamlio.Document) -> str:
    """parts[0].quantities[2] on line 25: where something was first, for a message about its second time."""
    line = doc.where(path)[0]
    return key_path(path) + (f" on line {line}" if line is not None else "")


def load_scenario(source: str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    """Read and validate a scenario from a YAML path, a bundled example's name, or a dict (as
    yaml.safe_load would give).

    A file read and validated once is served from the cache while its bytes (and this
    installation) are unchanged.
    """
    if isinstance(source, Mapping):
        return from_document(yamlio.Document(data=dict(source), file="<dict>"))
    path, name = examples.resolve(source)
    return cache.of_file(path, "scenario", Scenario, lambda text: from_document(yamlio.parse(text, name)), name)


def from_document(doc: yamlio.Document) -> Scenario:
    from pydantic import ValidationError

    from .schema import ScenarioModel

    if not isinstance(doc.data, dict):
        found = type(doc.data).__name__
        raise doc.error((), f"expected a mapping of keys (name, parameters, sequence, ...), found a {found}")
    data = _layout_checked(doc)
    try:
        spec = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc, doc) from None
    return _build(spec, doc)


def _layout_checked(doc: yamlio.Document) -> dict:
    """The document, its parameters in another layout validated by that layout's model and stood in for
    (they are read into W_g, U_g, b_g once the rest is valid)."""
    from pydantic import ValidationError, create_model

    from .schema import LAYOUTS
    from .sourceschema import MODELS

    layout = doc.data.get("layout", "gomez")
    if layout not in LAYOUTS:
        raise doc.error(("layout",), f"expected one of {', '.join(LAYOUTS)}, found {show(layout)}")
    raw = doc.data.get("parameters")
    model = doc.data.get("model") if isinstance(doc.data.get("model"), dict) else {}
    if model.get("equations") is not None and model.get("cell") != "custom":
        raise doc.error(
            ("model", "equations"), "equations are a custom cell's: write model: {cell: custom, …}", at_key=True
        )
    if model.get("cell") == "custom" and layout != "gomez":
        raise doc.error(("layout",), "a custom cell's parameters are named by its equations: leave layout out")
    layers, directions = layered.stack_of(model, doc)
    if named_by_layer(layers, directions) and isinstance(raw, dict):
        layered.validate(layers, layout, raw, doc, directions)  # each layer's parameters, read once valid
        return _stood_in(doc, raw)
    if model.get("cell") == "custom" and isinstance(raw, dict):
        # a custom cell's parameters are named by its equations (customcell.py reads them)
        return _stood_in(doc, raw)
    layouts.check_keys(layout, raw, doc)
    if layout == "gomez" or not isinstance(raw, dict):
        return doc.data
    wrapper = create_model("LayoutParameters", parameters=(MODELS[layout], ...))
    try:
        wrapper.model_validate({"parameters": raw})
    except ValidationError as exc:
        raise first_error(exc, doc) from None
    return _stood_in(doc, raw)


def _stood_in(doc: yamlio.Document, raw: dict) -> dict:
    """The document with its parameters stood in for (read apart: another layout's, a custom cell's, each
    layer's), the output layer's V and c kept for the schema to check."""
    return {**doc.data, "parameters": {"W": [[0.0]], "U": [[0.0]], **{k: raw[k] for k in ("V", "c") if k in raw}}}


def _softmax(spec: ScenarioModel, raw: dict, params: dict[str, np.ndarray], H: int, doc: yamlio.Document) -> int:  # noqa: N803
    """V (K×H) and c (K) for a softmax output layer; K, or 0 without one.  The loss must match."""
    softmax = spec.model.output == "softmax"
    if spec.loss != "none" and softmax != (spec.loss == "cross_entropy"):
        want = "loss: cross_entropy" if softmax else "output: softmax (or loss: l2)"
        raise doc.error(("loss",), f"output: {spec.model.output} needs {want}, found loss: {spec.loss}")
    if not softmax:
        for key in ("V", "c"):
            if raw.get(key) is not None:
                raise doc.error(("parameters", key), f"{key} is an output layer's; it needs model: {{output: softmax}}")
        return 0
    for key in ("V", "c"):
        if raw.get(key) is None:
            what = "K×H weights" if key == "V" else "K biases"
            raise doc.error(("parameters",), f"missing: {key} (the softmax layer's {what})")
    V = cellparams.matrix(raw["V"], ("parameters", "V"), doc)
    K, two = V.shape[0], layered.directions_of(spec) == 2
    steps.check(V, (K, 2 * H if two else H), "V (K×2H)" if two else "V (K×H)", ("parameters", "V"), doc)
    c = np.array(raw["c"], np.float64)
    steps.check(c, (K,), f"c (K = {K} entries, one per row of V)", ("parameters", "c"), doc)
    params["V"], params["c"] = V, c
    if two:  # V reads [out_t; out_t reverse]: Vf, its left half, the forward direction's; Vr the reverse one's
        del params["V"]
        forward, reverse = halves("V")
        params[forward], params[reverse] = np.split(V, 2, axis=1)
    return K


def _stateless(spec: ScenarioModel, opt: str) -> bool:
    """A cell whose step hands on out_t alone (a GRU's, an RNN's, a custom cell's without state_{t-1})."""
    return "state" not in shape(spec.model.cell, True, opt).recurrent


def _initial(spec: ScenarioModel, N: int, H: int, doc: yamlio.Document, opt: str) -> dict[str, np.ndarray]:  # noqa: N803
    """out_{-1} and state_{-1}, zeros unless given; for a batch, one row per sequence."""
    init = {}
    for key in ("out", "state"):
        v = getattr(spec.initial, key)
        if v is not None and _by_layer(spec):
            raise doc.error(("initial", key), f"{_network(spec)} start from zeros: leave initial out", at_key=True)
        if key == "state" and v is not None and _stateless(spec, opt):
            raise doc.error(
                ("initial", "state"),
                f"{cellparams.called(spec.model.cell)} has no state: give initial out only",
                at_key=True,
            )
        what = f"initial {key} ({'H entries, or N×H' if N else 'H entries'})"
        init[key] = steps.per_sequence(np.zeros(H) if v is None else v, N, H, what, ("initial", key), doc)
    return init


def _final(spec: ScenarioModel, N: int, H: int, loss: str, doc: yamlio.Document, opt: str) -> np.ndarray | None:  # noqa: N803, PLR0913
    """∂L/∂state_{T-1} given from beyond the sequence (final: {dstate: ...}), or None."""
    if spec.final is None:
        return None
    if _by_layer(spec):
        message = f"{_network(spec)} take no gradient from beyond the last step"
        raise doc.error(("final", "dstate"), message, at_key=True)
    if _stateless(spec, opt):
        raise doc.error(
            ("final", "dstate"), f"{cellparams.called(spec.model.cell)} has no state to give a gradient of", at_key=True
        )
    if loss == "none":
        raise doc.error(("final",), "loss: none traces the forward pass only: final gradients need a backward pass")
    return steps.per_sequence(spec.final.dstate, N, H, "final dstate (H entries)", ("final", "dstate"), doc)


def _parameters(spec: ScenarioModel, doc: yamlio.Document) -> tuple[dict[str, np.ndarray], int, int, tuple, str]:
    """The per-gate parameters, H and D, the parameters as the file gave them (for another layout), and the
    cell's option (a custom cell's equations, read)."""
    raw, cell = doc.data["parameters"], spec.model.cell
    if cell == "custom":
        return _custom(spec, raw, doc)
    opt = cellparams.option(spec.model, doc)
    if spec.layout == "pytorch" and cell == "gru" and opt == "before":
        raise doc.error(("model", "reset"), "nn.GRU resets after U_n (reset: after); before is read in layout: gomez")
    if _by_layer(spec):
        if not layouts.reads(spec.layout, cell) or cell == "peephole":
            message = f"layout: {spec.layout} has no parameters for {cellparams.called(cell)}"
            raise doc.error(("model", "cell"), message + (f" with {_network(spec)}" if cell == "peephole" else ""))
        params, H, given = layered.read(spec, raw, doc, _width(spec), opt)  # noqa: N806
        return params, H, _width(spec), given, opt
    if spec.layout == "gomez":
        return (*cellparams.weights(cell, opt, raw, _width(spec), doc), (), opt)
    if not layouts.reads(spec.layout, cell):
        where = "layout: gomez or pytorch" if cell != "cifg" else "layout: gomez"
        message = f"layout: {spec.layout} writes an LSTM's parameters; {cellparams.called(cell)}'s are read in {where}"
        raise doc.error(("model", "cell"), message)
    params, given, H = sourceread.read(spec.layout, raw, doc, _width(spec), cell)  # noqa: N806
    return params, H, _width(spec), tuple(given.items()), opt


def _custom(spec: ScenarioModel, raw: Any, doc: yamlio.Document) -> tuple[dict[str, np.ndarray], int, int, tuple, str]:
    if spec.model.equations is None:
        raise doc.error(("model",), "missing: equations (a custom cell's forward equations, quantity: expression)")
    own = {k: v for k, v in raw.items() if k not in ("V", "c")}
    params, H, option = customcell.read(spec.model, own, doc, _width(spec))  # noqa: N806
    return params, H, _width(spec), (), option


def _by_layer(spec: ScenarioModel) -> bool:
    """Whether the parameters are read per layer (stacked or bidirectional layers)."""
    return named_by_layer(spec.model.layers, layered.directions_of(spec))


def _network(spec: ScenarioModel) -> str:
    return "bidirectional layers" if spec.model.bidirectional else "stacked layers"


def _width(spec: ScenarioModel) -> int:
    """D as x_0 gives it (a batch's x_0 is N×D)."""
    first = spec.sequence[0].x
    return len(first[0]) if isinstance(first[0], list) else len(first)


def _build(spec: ScenarioModel, doc: yamlio.Document) -> Scenario:
    raw = doc.data["parameters"]
    params, H, D, given, opt = _parameters(spec, doc)
    if spec.model.cell != "custom" and not _by_layer(spec):
        cellparams.vectors(spec.model.cell, opt, raw, params, H, doc)
    K = _softmax(spec, raw, params, H, doc)
    seq = steps.read(spec, D, H * layered.directions_of(spec), K, doc)  # a bidirectional out_t: 2H
    init = _initial(spec, seq.batch, H, doc, opt)
    for arr in params.values():
        arr.setflags(write=False)
    grading = spec.grading
    return Scenario(
        name=spec.name,
        source=spec.source,
        cell=spec.model.cell,
        output=spec.model.output,
        loss=seq.loss,
        optimizer=spec.optimizer.name,
        lr=spec.optimizer.lr,
        eps=spec.optimizer.eps,
        iterations=spec.iterations,
        **{"notation": spec.model.notation, "option": opt, "layers": spec.model.layers},
        directions=layered.directions_of(spec),
        decimals=spec.display.decimals,
        params=MappingProxyType(params),
        x=seq.x,
        label=seq.label,
        init_out=init["out"],
        init_state=init["state"],
        expected=answers.from_document(doc, ("expected",)),
        parts=_parts(spec.parts, doc),
        carried_credit=grading.carried_credit,
        file=doc.file,
        **{"min_significant": grading.min_significant, "rtol": grading.rtol, "atol": grading.atol},
        layout=spec.layout,
        given=given,
        batch=seq.batch,
        reduction=spec.reduction,
        final_dstate=_final(spec, seq.batch, H, seq.loss, doc, opt),
    )
