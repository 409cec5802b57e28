"""The trace for machines: full float64 values under canonical names.

z_t, the four pre-activations stacked, is left out of "values": it is za_t … zo_t in that
order, named by no worked solution (δgates_t, which the seed names, stays).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import __version__
from ..numeric.engine import Trace
from ..refs import GATES
from .rows import RowText


def _plain(v: np.ndarray) -> Any:
    return (np.asarray(v, dtype=np.float64) + 0.0).tolist()


def to_dict(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> dict[str, Any]:
    return _document(trace, {k: _plain(v) for k, v in _values(trace)}, _equations(groups))


def _document(trace: Trace, values: Any, equations: Any) -> dict[str, Any]:
    sc = trace.scenario
    return {
        "lstm_trace": __version__,
        "scenario": {
            "name": sc.name,
            "source": sc.source,
            "file": sc.file,
            "cell": sc.cell,
            "output": sc.output,
            "bias": sc.bias,
            "loss": sc.loss,
            "optimizer": {"name": sc.optimizer, "lr": sc.lr},
            "D": sc.D,
            "H": sc.H,
            "T": sc.T,
        },
        "values": values,
        "equations": equations,
        "loss": {"E_t": [float(trace.values[f"E_{t}"][0]) for t in range(sc.T)], "E": trace.E},
        "iteration": trace.iteration,
        "iterations": [{"iteration": k, "E": e} for k, e in enumerate(trace.losses, start=1)],
        "warnings": list(trace.warnings),
    }


def _equations(groups: list[tuple[str, list[RowText]]]) -> dict[str, Any]:
    return {
        r.name: {
            "section": r.section,
            "step": r.step,
            "symbolic": f"{r.lhs} = {r.symbolic}",
            "substituted": r.substituted,
        }
        for _, rows in groups
        for r in rows
    }


STACKS = ("z", "dgates")  # per step: za_t … zo_t and δa_t … δo_t, stacked
WHOLE = ("W", "U", "b", "W_new", "U_new", "b_new")  # W = [W_a; W_i; W_f; W_o], and the updated ones


def _values(trace: Trace) -> Iterator[tuple[str, np.ndarray]]:
    """Every number once: a quantity that only stacks listed ones (z_t, δgates_t, W, W_new) and the
    per-gate slices of a stacked gradient row (δW_a of δW) are left out; JSON readers join or slice."""
    sliced = {r.name for r in trace.rows if r.stacked}  # dW, dU, db
    for k, v in trace.values.items():
        base, _, last = k.rpartition("_")
        if base in STACKS or k in WHOLE or (base in sliced and last in GATES):
            continue
        yield k, v


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # compact, by the C encoder


def render_json(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> str:
    return _dumps(to_dict(trace, groups))


_HOLE = "\x00values\x00"


def json_chunks(trace: Trace, groups: list[tuple[str, list[RowText]]], size: int = 1 << 20) -> Iterator[str]:
    """render_json's text in pieces of about `size` characters, one value converted at a time:
    a big trace's JSON (tens of MB) is never held whole, nor all its numbers as Python floats."""
    opening, rest = _dumps(_document(trace, _HOLE, _equations(groups))).split(_dumps(_HOLE), 1)
    out, n = [opening, "{"], 0
    for k, (name, v) in enumerate(_values(trace)):
        piece = ("," if k else "") + _dumps(name) + ":" + _dumps(_plain(v))
        out.append(piece)
        n += len(piece)
        if n >= size:
            yield "".join(out)
            out, n = [], 0
    yield "".join([*out, "}", rest])
