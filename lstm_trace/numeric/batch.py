"""A batch of N sequences sharing the parameters (the courses' minibatch), and the warnings a trace carries.

Each sequence is traced as its own exercise (its steps read nothing of the others'), and the traces
are joined: a quantity at a step gets the batch as a leading axis (out_0 is N×H), the loss and the
parameter gradients are summed over the sequences (reduction: sum) or averaged (mean), and the
update is made once, from those gradients.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..scenario.scenario import Scenario


def reduce(sc: Scenario, per_sequence: list[float]) -> float:
    """E = Σ_n E_n, or its mean for reduction: mean."""
    total = float(sum(per_sequence))
    return total / len(per_sequence) if sc.reduction == "mean" else total


def shared(name: str, sc: Scenario) -> bool:
    """A parameter (or its stack), or the optimizer's state: the same in every sequence."""
    return name in sc.params or name in ("W", "U", "b") or name.startswith("cache_")


def gradient(name: str, sc: Scenario) -> bool:
    """δW, δW_a, δb, δV, …: a parameter's gradient, summed over the sequences."""
    return name.startswith("d") and shared(name[1:], sc) and not name.startswith("dcache_")


def combined(sc: Scenario, parts: list[tuple[Any, dict[str, np.ndarray], list[Any]]]) -> tuple[Any, dict, list]:
    """The sequences' (model, values, rows) as one: per-step values stacked on a leading batch axis,
    E, E_t and the gradients summed or averaged. The rows are the first sequence's (the same equations)."""
    model, first, rows = parts[0]
    each = [values for _, values, _ in parts]
    scale = 1 / len(parts) if sc.reduction == "mean" else 1.0
    values: dict[str, np.ndarray] = {}
    for name in first:
        if shared(name, sc):
            values[name] = first[name]
        elif gradient(name, sc):
            values[name] = scale * sum(v[name] for v in each)
        elif name == "E" or name.startswith("E_"):
            values[name] = np.array([reduce(sc, [float(v[name][0]) for v in each])])
        else:
            values[name] = np.stack([v[name] for v in each])
    return model, values, rows


def sequence_values(sc: Scenario, values: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Sequence n's own values in a batch's trace: its row of each quantity at a step (a_0, Dout_-1);
    the parameters, gradients, updates and losses as they are."""
    return {k: v[n] if _STEP.search(k) and not k.startswith("E_") else v for k, v in values.items()}


_STEP = re.compile(r"_-?[0-9]+$")


def warnings(sc: Scenario) -> tuple[str, ...]:
    """A label an l2 loss can never reach: the cell's out_t lies in (-1, 1) (a relu RNN's and a cell of the
    user's own may not)."""
    out = []
    bounded = {"gru": "out_t mixes tanh's n_t with out_{t-1}", "rnn": "out_t = tanh(z_t)"}
    why = bounded.get(sc.cell, "out_t = tanh(state_t) ⊙ o_t")
    if sc.loss == "l2" and not (sc.cell == "rnn" and sc.option == "relu") and sc.cell != "custom":
        labels = sc.label.swapaxes(0, 1) if sc.batch else sc.label  # steps first
        outside = ~((labels > -1) & (labels < 1))  # all steps at once: a long sequence's cost is one pass
        for t in np.flatnonzero(outside.reshape(len(labels), -1).any(axis=1)):
            bad = np.flatnonzero(outside[t])[0]
            k = int(bad % labels[t].shape[-1])  # a bidirectional out_t's unit: the forward half, or the reverse
            name = f"label_{t}" if sc.directions == 1 else f"label_l{sc.layers - 1}{'r' * (k >= sc.H)}_{t}"
            out.append(f"{name} = {labels[t].flat[bad]:g} is outside (-1, 1): {why} can never reach it")
    return tuple(out)
