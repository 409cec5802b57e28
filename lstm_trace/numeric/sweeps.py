"""A bidirectional or stacked network's passes, as sweeps over the steps (symbolic/cells/layers.py).

A reverse direction reads its recurrence from the step after (out_{t+1}), so one loop over the steps cannot
compute it beside the forward direction: each layer's direction is a sweep of its own — the forward
direction from the first step on, the reverse one from the last back, the layer above after both — and the
output layer and the loss a last sweep, once every direction's out_t exists. The backward pass runs the
sweeps the other way round, each the other way in time. Rows carry their sweep (l0, l0r, out), so a
worked solution titles them "Forward @ t=2, layer 0, reverse direction".

A stacked network's layers run the same way, a layer's loop over all steps at a time (layered), so that the
layer above's W·x_t and each layer's δx_t are one product over all steps, as a hand-written loop makes
them; its rows are put back in the order one loop over the steps makes them, and carry no sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..scenario.scenario import Scenario
from ..symbolic.model import Equation, Model
from . import allsteps
from .models import compiled
from .sections import OUTPUT
from .stepnames import step_names
from .steprows import made


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
    none for a softmax's class, which the output layer reads whole. Every step's at once, given the T×2H labels:
    the halves' column blocks, row t step t's halves."""
    if model.loss == "cross_entropy" or not model.outputs:
        return []
    return list(zip(model.outputs, np.split(np.asarray(label), len(model.outputs), axis=-1), strict=True))


def data(model: Model, values: dict, sc: Scenario) -> None:
    """Every step's input, and its label (or given ∂L/∂out_t) with each direction's half of it."""
    target = allsteps.target_of(model)
    names = [n for pair in zip(step_names("x", 0, sc.T), step_names(target, 0, sc.T), strict=True) for n in pair]
    values.update(zip(names, [v for pair in zip(sc.x, sc.label, strict=True) for v in pair], strict=True))
    blocks = halves(model, sc.label)  # a bidirectional network: each direction's half of the label, as views
    each = [step_names(f"{target}{o}", 0, sc.T) for o, _ in blocks]
    names = [n for at_t in zip(*each, strict=True) for n in at_t]
    values.update(zip(names, [half[t] for t in range(sc.T) for _, half in blocks], strict=True))


def forward(model: Model, values: dict, sc: Scenario, rows: list | None, kit: Kit) -> list[float]:
    """The forward pass, sweep by sweep, into values (rows appended if given); E_t of each step, made for all
    steps once every sweep is done (allsteps.losses)."""
    data(model, values, sc)
    by_name = {e.name: e for e in (*model.forward, *model.head)}
    for names, direction in model.sweeps:
        if names:  # W·x_t, W_l1·out_l0_t: made before the loop
            eqs = tuple(by_name[n] for n in names)
            sweep(kit, eqs, "forward", values, sc, in_time(direction, sc.T), rows, label_of(names))
    each = [step_names(f"out{o}", 0, sc.T) for o in model.outputs]
    for name, parts in zip(step_names("out", 0, sc.T), zip(*each, strict=True), strict=True):
        values[name] = np.concatenate([values[n] for n in parts])  # out_t as PyTorch returns it: [out_l0_t; out_l0r_t]
    return allsteps.losses(model, values, sc)


def backward(model: Model, values: dict, sc: Scenario, rows: list, kit: Kit) -> dict:
    """The backward pass: the sweeps the other way round, each the other way in time. A direction's Δout
    from beyond its last step (Δout_l0_{T-1}, Δout_l0r_0) is zero; its δx_t made after its loop (allsteps.later).
    The steps' columns those products stacked, beside [x_0 … x_{T-1}] (the gradients' sums read them again)."""
    columns = allsteps.given_columns(sc)
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
        sweep(kit, eqs, "backward", values, sc, order, rows, label, columns)
    return columns


def sweep(  # noqa: PLR0913
    kit: Kit,
    eqs: tuple[Equation, ...],
    section: str,
    values: dict,
    sc: Scenario,
    steps: range,
    rows: list | None,
    label: str = "",
    columns: dict | None = None,
) -> None:
    """One sweep: eqs as one generated loop over steps (either way in time), its rows labelled label. Going
    forward, the products' terms that read nothing the sweep makes are made for all steps before the loop
    (allsteps.hoisted: W·x_t, the layer below's out_t); going back, the products that nothing in the loop
    reads after it (allsteps.later: δx_t), the steps' columns they stack kept in columns (else given_columns)."""
    calls, direction = kit.runs(eqs), 1 if steps.step > 0 else -1
    if section == "forward":
        hoisted = allsteps.hoisted(calls.calls, frozenset(eq.name for eq in eqs))
        loop = kit.loop(calls, section, None, label, frozenset(), direction, None, hoisted)
        loop(values, sc, steps, rows, None, allsteps.hoist(hoisted, values, sc))
        return
    later = allsteps.later(calls.calls)
    kit.loop(calls, section, None, label, later, direction)(values, sc, steps, rows, None, None)
    allsteps.after(calls.calls, later, values, sc, allsteps.given_columns(sc) if columns is None else columns)


def by_layer(eqs: tuple[Equation, ...], sc: Scenario, links_down: bool) -> list[tuple[Equation, ...]] | None:
    """A stacked network's pass as one sweep per layer (None where it is not one, or cannot be): layer k's
    equations, in the pass's order, those of the layer that runs first first. One without a layer's name
    (out_t, the loss's dout_t, δx_t) goes with the one before it, or the first after it if none is before.
    links_down (the forward pass): an equation that reads only quantities of a layer that runs earlier, at
    the same step (x_l1_t = out_l0_t, out_t = out_l1_t), goes with that layer, so that the next layer's
    W·x_l1_t reads nothing its own sweep makes and is one product over all steps (allsteps.hoisted).
    A layer's sweep may read what an earlier one made at any step; where one would read what a later one
    makes, the pass stays one loop (None)."""
    if sc.layers < 2 or sc.directions != 1 or sc.final_dstate is not None:
        return None
    key = (eqs, links_down)
    if key not in _LAYERS:
        _LAYERS[key] = _by_layer(eqs, links_down)
    return _LAYERS[key]


_LAYERS: dict[tuple[tuple[Equation, ...], bool], list[tuple[Equation, ...]] | None] = {}


def _by_layer(eqs: tuple[Equation, ...], links_down: bool) -> list[tuple[Equation, ...]] | None:
    own = [_layer(eq.name) for eq in eqs]
    first = next((k for k in own if k is not None), None)
    if first is None:
        return None
    group, last = [], first
    for k in own:
        last = k if k is not None else last
        group.append(last)
    order = list(dict.fromkeys(group))  # the layers in the order the pass first meets them
    at = {eq.name: group[j] for j, eq in enumerate(eqs)}
    if links_down:
        for j, eq in enumerate(eqs):
            read = {at[b] for b, s, _ in compiled(eq).plan if b in at and s is not None}  # type: ignore[attr-defined]
            steps = {s for b, s, _ in compiled(eq).plan if b in at}  # type: ignore[attr-defined]
            if len(read) == 1 and steps == {0} and order.index(lower := read.pop()) < order.index(group[j]):
                group[j] = at[eq.name] = lower
    for j, eq in enumerate(eqs):  # what each reads is made by its own sweep or an earlier one
        for b, s, _ in compiled(eq).plan:  # type: ignore[attr-defined]
            if s is not None and b in at and order.index(at[b]) > order.index(group[j]):
                return None
    return [tuple(eq for eq, g in zip(eqs, group, strict=True) if g == k) for k in order]


def _layer(name: str) -> int | None:
    """The layer a name carries (a_l1: 1), or None."""
    head, _, tail = name.rpartition("_l")
    return int(tail) if head and tail.isdigit() else None


def interleaved(parts: list[list], per_step: list[int], order: dict[Equation, int], rows: list) -> bool:
    """The rows of a pass's sweeps (each sweep's rows, per_step of them at each step, its steps in the pass's
    order) into rows in the order one loop over the steps makes them: step by step, at each step in the
    order of the equations (order: a row's equation -> its place in the pass). False, and nothing
    added, where a sweep's rows are not per_step a step."""
    steps = len(parts[0]) // per_step[0] if per_step[0] else 0
    if any(len(p) != n * steps for p, n in zip(parts, per_step, strict=True)):
        return False
    chunk = [r for p, n in zip(parts, per_step, strict=True) for r in p[:n]]
    place = sorted(range(len(chunk)), key=lambda i: order[chunk[i].equation])
    for t in range(steps):
        chunk = [r for p, n in zip(parts, per_step, strict=True) for r in p[t * n : (t + 1) * n]]
        rows += [chunk[i] for i in place]
    return True


def layered(  # noqa: PLR0913
    kit: Kit,
    everything: tuple[Equation, ...],
    layers: list[tuple[Equation, ...]],
    section: str,
    values: dict,
    sc: Scenario,
    rows: list | None,
    steps: range,
    columns: dict | None = None,
) -> None:
    """A stacked network's pass as a loop per layer (by_layer), each over all steps: going forward, the
    layer above's W·x_t (x_t the out_t of the layer below) one product over all steps made before its loop;
    going back, each layer's δx_t one product after its loop (allsteps.later). A product so made is its
    equation to within the products' rounding, every other value bit for bit the one loop's. The rows are
    put back in the order one loop over the steps makes them (interleaved): everything's. columns: the
    steps' columns the products after the loops stack (the gradients' sums read them again)."""
    parts: list[list] = []
    for eqs in layers:  # no δgates_t: a layer's are δa_l0_t …
        mine = [] if rows is not None else None
        sweep(kit, eqs, section, values, sc, steps, mine, columns=columns)
        parts.append(None if mine is None else made(mine))  # type: ignore[arg-type]
    if rows is not None:
        order = {eq: k for k, eq in enumerate(everything)}  # the rows of a step in the equations' order
        if not interleaved(parts, [len(eqs) for eqs in layers], order, rows):
            rows += [r for p in parts for r in p]
