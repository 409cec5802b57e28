"""The trace for machines: every quantity's full float64 value under its canonical name.

"values" holds every name that template, check and explain accept: the per-gate quantities
and their stacks alike (z_t = [za_t; zi_t; zf_t; zo_t], δgates_t, W = [W_a; W_i; W_f; W_o],
W_new, δW and its slices δW_a …). Each number is formatted once: a stack's text is joined
from its parts' texts. SCHEMA describes the document (`lstm-trace schema trace`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import orjson

from .. import __version__
from ..numeric.engine import Trace
from ..scenario import layouts
from .batchview import grouped
from .rows import RowText, each_group
from .text import json_safe


def _array(v: np.ndarray) -> str:
    """An array's JSON text: each float64 in the fewest digits that read back as the same number (orjson's
    float formatting, about 20× json's), −0 written 0; NaN and ∞ refused, as json.dumps(allow_nan=False)."""
    plain = np.add(np.asarray(v, dtype=np.float64), 0.0, order="C")  # −0 + 0 = +0, and C order for orjson
    if not np.isfinite(plain).all():
        raise ValueError("Out of range float values are not JSON compliant")
    return orjson.dumps(plain, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _document(trace: Trace, values: Any, equations: Any) -> dict[str, Any]:
    sc = trace.scenario
    return {
        "lstm_trace": __version__,
        "scenario": {
            "name": sc.name,
            "source": sc.source,
            "file": sc.file,
            "cell": sc.cell,
            "option": "" if sc.cell == "custom" else sc.option,
            "layers": sc.layers,
            "bidirectional": sc.directions == 2,
            "cell_equations": json.loads(sc.option)["written"] if sc.cell == "custom" else {},
            "output": sc.output,
            "bias": sc.bias,
            "loss": sc.loss,
            "optimizer": {"name": sc.optimizer, "lr": sc.lr},
            "D": sc.D,
            "H": sc.H,
            "T": sc.T,
            "layout": sc.layout,
            "gates": layouts.header(sc.layout, sc.cell),
            "N": sc.batch,
            "reduction": sc.reduction,
        },
        "values": values,
        "equations": equations,
        "loss": None
        if sc.loss == "none"
        else {"E_t": [float(trace.values[f"E_{t}"][0]) for t in range(sc.T)], "E": trace.E},
        "iteration": trace.iteration,
        "iterations": [{"iteration": k, "E": e} for k, e in enumerate(trace.losses, start=1)],
        "warnings": list(trace.warnings),
    }


def _equations(groups: Iterable[tuple[str, Iterable[RowText]]]) -> dict[str, Any]:
    return dict(_entries(groups))


def _entries(groups: Iterable[tuple[str, Iterable[RowText]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for _, rows in groups:
        for r in rows:
            yield (
                r.name,
                {
                    "section": r.section,
                    "step": r.step,
                    "symbolic": f"{r.lhs} = {r.symbolic}",
                    "substituted": r.substituted,
                },
            )


STACKS = {"z": "z", "dgates": "d"}  # per step: z_t = [za_t; …; zo_t], δgates_t = [δa_t; …; δo_t]
WHOLE = ("W", "U", "b", "W_new", "U_new", "b_new", "dW", "dU", "db")  # W = [W_a; W_i; W_f; W_o], …


def _parts(name: str, gates: tuple[str, ...], stacks: tuple[str, ...]) -> list[str] | None:
    """The per-gate quantities a stacked one is made of, in gate order; None for any other.
    stacks: the per-step stacks the model has (z_t only where the gates' pre-activations are stacked:
    a GRU's z_t is its update gate)."""
    if not gates:
        return None
    if name in WHOLE:
        base, _, new = name.partition("_")
        return [f"{base}_{g}" + (f"_{new}" if new else "") for g in gates]
    base, _, step = name.rpartition("_")
    if base in stacks and step.lstrip("-").isdigit():
        return [f"{STACKS[base]}{g}_{step}" for g in gates]
    return None


def _part_names(values: Any, gates: tuple[str, ...], stacks: tuple[str, ...]) -> set[str]:
    return {p for name in values for p in (_parts(name, gates, stacks) or ()) if p in values}


def _values(trace: Trace) -> Iterator[tuple[str, str]]:
    """Every value as JSON text, in the trace's order. Each number is formatted once: a stack's text
    joins its parts' (each part's text is kept only until both it and its stack are written)."""
    values = trace.values
    gates = trace.scenario.shape.gates
    stacks = ("z", "dgates") if trace.model.linear else ("dgates",)
    shared = _part_names(values, gates, stacks)
    kept: dict[str, str] = {}

    def text(name: str) -> str:
        if name in kept:
            return kept.pop(name)  # its second use
        parts = (
            _parts(name, gates, stacks) if name in WHOLE or not batch else None
        )  # a batch's z_t is N×4H: not its parts' rows
        if parts is not None and all(p in values for p in parts):
            out = "[" + ",".join(text(p)[1:-1] for p in parts) + "]"
        else:
            out = _array(values[name])
        if name in shared:
            kept[name] = out  # its stack, or itself, still to be written
        return out

    own = {f"{d}{k}{new}" for k, _ in trace.scenario.given for d, new in (("d", ""), ("", "_new"))}
    batch = trace.scenario.batch
    for name in values:  # a source's own dP, P_new (CS231n's db) are in its order: written as they are
        yield name, _array(values[name]) if name in own else text(name)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)  # compact, C encoder; strict


def render_json(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> str:
    """The trace's JSON document whole: json_chunks' pieces joined (the CLI writes them as they come)."""
    return "".join(json_chunks(trace, groups))


_HOLE, _ROWS = "\x00values\x00", "\x00equations\x00"


def json_chunks(trace: Trace, groups: Iterable[tuple[str, Iterable[RowText]]], size: int = 1 << 20) -> Iterator[str]:
    """The trace's JSON document in pieces of about `size` characters, one value and one row converted at a time:
    a big trace's JSON (hundreds of MB) is never held whole, nor all its numbers as Python floats, nor
    (groups given as a generator, streamed_groups) all its rows' equations."""
    document = json_safe(_dumps(_document(trace, _HOLE, _ROWS)))  # values are only numbers
    opening, rest = document.split(_dumps(_HOLE), 1)
    middle, rest = rest.split(_dumps(_ROWS), 1)
    # a batch's sequences share their rows' names: the last one's entry is kept, as a dict would
    entries = _equations(groups).items() if trace.scenario.batch else _entries(groups)
    values = ((_dumps(name), text) for name, text in _values(trace))
    equations = ((_dumps(name), json_safe(_dumps(entry))) for name, entry in entries)
    yield from _pieces([opening], values, [middle], equations, rest, size)


def _pieces(
    out: list[str],
    values: Iterable[tuple[str, str]],
    middle: list[str],
    rows: Iterable[tuple[str, str]],
    rest: str,
    size: int,
) -> Iterator[str]:
    """The values as one JSON object, then the rows as another, in pieces of about size characters."""
    n = 0
    for items, after in ((values, middle), (rows, [rest])):
        out.append("{")
        for k, (key, text) in enumerate(items):
            piece = ("," if k else "") + json_safe(key) + ":" + text
            out.append(piece)
            n += len(piece)
            if n >= size:
                yield "".join(out)
                out, n = [], 0
        out += ["}", *after]
    yield "".join(out)


def streamed_groups(trace: Trace, steps: set[int] | None, sections: tuple[str, ...] | None, *options: Any) -> Iterator:
    """rows.grouped's groups one at a time (REMEMBERED groups printed at once), so that a long sequence's
    rows are never all held; a batch's (a block per sequence) as batchview.grouped makes them."""
    if trace.scenario.batch:
        yield from grouped(trace, steps, sections, *options)
        return
    yield from each_group(trace, steps, sections, *options, remembered=REMEMBERED)


REMEMBERED = 64  # groups printed with one memory of the arrays' texts: W_a once, the memory kept small


_NUMBERS = {"$ref": "#/$defs/numbers"}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "lstm-trace run --format json",
    "description": "A traced scenario: every quantity's value by canonical name, and each row's equations.",
    "type": "object",
    "required": ["lstm_trace", "scenario", "values", "equations", "loss", "iteration", "iterations", "warnings"],
    "additionalProperties": False,
    "properties": {
        "lstm_trace": {"type": "string", "description": "The version that wrote the document."},
        "scenario": {
            "type": "object",
            "required": ["name", "source", "file", "cell", "output", "bias", "loss", "optimizer", "D", "H", "T"],
            "properties": {
                "name": {"type": "string"},
                "source": {"type": "string"},
                "file": {"type": "string"},
                "cell": {"enum": ["lstm", "peephole", "cifg", "gru", "rnn", "custom"]},
                "option": {
                    "type": "string",
                    "description": "The cell's own choice: a peephole output gate's state (current, previous), a "
                    "GRU's reset (after, before), an RNN's activation (tanh, relu); empty for the others.",
                },
                "layers": {"type": "integer", "minimum": 1, "description": "Stacked layers (names carry _l0, _l1)."},
                "bidirectional": {
                    "type": "boolean",
                    "description": "Each layer also run from the last step back (names carry _l0r); out_t is "
                    "[out_l0_t; out_l0r_t].",
                },
                "cell_equations": {
                    "type": "object",
                    "description": "A custom cell's forward equations as the scenario wrote them, by quantity.",
                    "additionalProperties": {"type": "string"},
                },
                "output": {"enum": ["none", "softmax"]},
                "bias": {"type": "boolean"},
                "loss": {"enum": ["l2", "cross_entropy", "upstream", "none"]},
                "layout": {"enum": ["gomez", "pytorch", "cs231n", "keras", "tensorflow", "deeplearning.ai"]},
                "gates": {"type": "string", "description": "How the source's gate letters are this tool's a, i, f, o."},
                "N": {"type": "integer", "minimum": 0, "description": "Sequences in the batch (0: no batch axis)."},
                "reduction": {"enum": ["sum", "mean"]},
                "optimizer": {
                    "type": "object",
                    "required": ["name", "lr"],
                    "properties": {"name": {"enum": ["sgd", "adagrad"]}, "lr": {"type": "number"}},
                },
                "D": {"type": "integer", "minimum": 1},
                "H": {"type": "integer", "minimum": 1},
                "T": {"type": "integer", "minimum": 1},
            },
        },
        "values": {
            "type": "object",
            "description": "Every quantity by canonical name (a_0, dstate_1, Dout_-1, z_0, dgates_0, W, W_a, dW, "
            "dW_a, W_a_new, E): a number list for a vector, a list of rows for a matrix, float64 written exactly. "
            "A batch's per-step values have the sequence as their first index. Parameters given in another "
            "layout also appear as dP and P_new under the names the scenario gave them (dweight_ih_l0, Wx_new).",
            "additionalProperties": _NUMBERS,
        },
        "equations": {
            "type": "object",
            "description": "Each shown row by canonical name: its equation with names, and with the numbers.",
            "additionalProperties": {
                "type": "object",
                "required": ["section", "step", "symbolic", "substituted"],
                "properties": {
                    "section": {"enum": ["forward", "backward", "gradients", "update"]},
                    "step": {"type": ["integer", "null"]},
                    "symbolic": {"type": "string"},
                    "substituted": {"type": "string"},
                },
            },
        },
        "loss": {
            "type": ["object", "null"],
            "description": "null for loss: none (forward only); for given dout, E is Σ_t ⟨dout_t, out_t⟩.",
            "required": ["E_t", "E"],
            "properties": {"E_t": {"type": "array", "items": {"type": "number"}}, "E": {"type": "number"}},
        },
        "iteration": {"type": "integer", "minimum": 1},
        "iterations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["iteration", "E"],
                "properties": {"iteration": {"type": "integer"}, "E": {"type": "number"}},
            },
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
    "$defs": {
        "numbers": {
            "oneOf": [
                {"type": "array", "items": {"type": "number"}},
                {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            ]
        }
    },
}
