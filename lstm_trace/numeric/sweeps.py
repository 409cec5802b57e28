"""A bidirectional network's passes, as sweeps over the steps (symbolic/cells/layers.py).

A reverse direction reads its recurrence from the step after (out_{t+1}), so one loop over the steps cannot
compute it beside the forward direction: each layer's direction is a sweep of its own — the forward
direction from the first step on, the reverse one from the last back, the layer above after both — and the
output layer and the loss a last sweep, once every direction's out_t exists. The backward pass runs the
sweeps the other way round, each the other way in time. Rows carry their sweep (l0, l0r, out), so a
worked solution titles them "Forward @ t=2, layer 0, reverse direction".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..scenario.scenario import Scenario
from ..symbolic.model import Model
from . import allsteps
from .sections import OUTPUT


class Kit(NamedTuple):
    """The engine's own pieces a sweep uses: its calls for a step's equations, a pass's loop made of them
    (fn(values, sc, steps, rows, gates, inputs)), and a row."""

    runs: Callable[[tuple], Any]
    loop: Callable[..., Callable[..., None]]
    row: Callable[..., Any]


def label_of(names: tuple[str, ...]) -> str:
    """A sweep's label: its layer and direction (l0, l0r, from za_l0r), or the output layer's."""
    first = names[0] if names else ""
    return first[first.rindex("_l") + 1 :] if "_l" in first else OUTPUT


def in_time(direction: int, T: int) -> range:  # noqa: N803 - the maths' name
    """A sweep's steps: from the first on (direction +1), or from the last back (-1)."""
    return range(T) if direction > 0 else range(T - 1, -1, -1)


def halves(model: Model, label: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """A step's label (or given ∂L/∂out_t) as the halves each direction's out_t is compared with, by the
    output's suffix (_l0: label_l0_t, _l0r: label_l0r_t; PyTorch's [out_t; out_t reverse] is 2H entries);
    none for a softmax's class, which the output layer reads whole."""
    if model.loss == "cross_entropy" or not model.outputs:
        return []
    return list(zip(model.outputs, np.split(np.asarray(label), len(model.outputs)), strict=True))


def data(model: Model, values: dict, sc: Scenario) -> None:
    """Every step's input, and its label (or given ∂L/∂out_t) with each direction's half of it."""
    target = allsteps.target_of(model)
    names = [n for t in range(sc.T) for n in (f"x_{t}", f"{target}_{t}")]
    values.update(zip(names, [v for pair in zip(sc.x, sc.label, strict=True) for v in pair], strict=True))
    if model.outputs:  # a bidirectional network: each direction's half of the label
        for t in range(sc.T):
            for o, half in halves(model, sc.label[t]):
                values[f"{target}{o}_{t}"] = half


def forward(model: Model, values: dict, sc: Scenario, rows: list | None, kit: Kit) -> list[float]:
    """The forward pass, sweep by sweep, into values (rows appended if given); E_t of each step, made for all
    steps once every sweep is done (allsteps.losses)."""
    data(model, values, sc)
    by_name = {e.name: e for e in (*model.forward, *model.head)}
    for names, direction in model.sweeps:
        if names:
            calls = kit.runs(tuple(by_name[n] for n in names))
            hoisted = allsteps.hoisted(calls.calls, frozenset(names))  # W·x_t, W_l1·out_l0_t: before the loop
            loop = kit.loop(calls, "forward", None, "", label_of(names), frozenset(), direction, None, hoisted)
            loop(values, sc, in_time(direction, sc.T), rows, None, allsteps.hoist(hoisted, values, sc))
    for t in range(sc.T):  # the network's out_t as PyTorch returns it: [out_l0_t; out_l0r_t]
        values[f"out_{t}"] = np.concatenate([values[f"out{o}_{t}"] for o in model.outputs])
    return allsteps.losses(model, values, sc)


def backward(model: Model, values: dict, sc: Scenario, rows: list, kit: Kit) -> None:
    """The backward pass: the sweeps the other way round, each the other way in time. A direction's Δout
    from beyond its last step (Δout_l0_{T-1}, Δout_l0r_0) is zero; its δx_t made after its loop (allsteps.later)."""
    by_name = {e.name: e for e in model.backward}
    for names, (forward_names, direction) in zip(model.back_sweeps, reversed(model.sweeps), strict=True):
        if not names:
            continue
        eqs = tuple(by_name[n] for n in names)
        label = label_of(forward_names)
        order = in_time(-direction, sc.T)
        for eq in eqs:
            if eq.shift == -direction:
                values[f"{eq.name}_{order[0]}"] = np.zeros(sc.H)
                rows.append(
                    kit.row("backward", order[0], f"{eq.name}_{order[0]}", None, note="no later step", sweep=label)
                )
        calls = kit.runs(eqs)
        later = allsteps.later(calls.calls)
        kit.loop(calls, "backward", None, "", label, later, -direction)(values, sc, order, rows, None, None)
        allsteps.after(calls.calls, later, values, sc, allsteps.given_columns(sc))
