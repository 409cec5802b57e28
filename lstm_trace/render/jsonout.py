"""The trace for machines: full float64 values under canonical names."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import __version__
from ..evaluate import Trace
from .rows import RowText


def _plain(v: np.ndarray) -> Any:
    return (np.asarray(v, dtype=np.float64) + 0.0).tolist()


def to_dict(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> dict[str, Any]:
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
        "values": {k: _plain(v) for k, v in trace.values.items()},
        "equations": {
            r.name: {
                "section": r.section,
                "step": r.step,
                "symbolic": f"{r.lhs} = {r.symbolic}",
                "substituted": r.substituted,
            }
            for _, rows in groups
            for r in rows
        },
        "loss": {"E_t": [float(trace.values[f"E_{t}"][0]) for t in range(sc.T)], "E": trace.E},
        "iteration": trace.iteration,
        "iterations": [{"iteration": k, "E": e} for k, e in enumerate(trace.losses, start=1)],
        "warnings": list(trace.warnings),
    }


def render_json(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> str:
    return json.dumps(to_dict(trace, groups), ensure_ascii=False, separators=(",", ":"))  # compact: the C encoder
