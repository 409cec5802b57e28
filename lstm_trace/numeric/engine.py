"""The numeric engine: evaluate a model's equations on a scenario, in float64.

Each equation is generated as numpy code once per model (models.py), and a step's
consecutive elementwise equations run as one fused function; a step evaluates whole
vectors (and the stacked gates with one matrix product), so the cost per step is
O(H·(D+H)) numpy work and a fixed number of Python calls, whatever H is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from ..names import canonical
from ..refs import Ref, split_weights
from ..scenario import layouts
from ..scenario.scenario import Scenario
from ..symbolic.codegen import Compiled, fuse
from ..symbolic.model import Equation, Model
from . import allsteps, batch, sweeps
from .finite import finite
from .models import at, compiled, initial_values, lookup, model_for
from .sections import SECTIONS as SECTIONS
from .sections import section_title as section_title
from .stepcode import LoopFn, Project, Step
from .steprows import Rows


class Row(NamedTuple):
    """One traced quantity: name_step = equation, at a step (None for gradients and updates).

    A named tuple, not a dataclass: a big trace makes hundreds of thousands of them."""

    section: str
    step: int | None
    name: str  # canonical name, e.g. "a_0", "Dout_-1", "dW", "W_a_new"
    equation: Equation | None  # None for a boundary value such as Δout_{T-1} = 0
    stacked: bool = False
    note: str = ""
    sweep: str = ""  # a bidirectional network's: the layer and direction (l0, l0r) or the output's (numeric/sweeps.py)


@dataclass(frozen=True)
class Trace:
    """An evaluated scenario: every quantity by canonical name, and rows in the seed's order.

    In a notebook it shows itself as the worked solution (render/notebook.py attaches the display).
    """

    scenario: Scenario
    model: Model
    values: Mapping[str, np.ndarray]
    rows: Sequence[Row]  # a tuple's behaviour; a loop's rows made when first read (steprows.Rows)
    warnings: tuple[str, ...]
    iteration: int = 1  # which of the scenario's iterations this is (1-based)
    losses: tuple[float, ...] = ()  # E of every iteration, 1 … N

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[canonical(name, self.values)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    @property
    def E(self) -> float:  # noqa: N802 - the maths' name
        return float(self.values["E"][0])

    def row(self, name: str) -> Row | None:
        """The row a quantity is printed in, by canonical name."""
        return next((r for r in self.rows if r.name == name), None)

    def value_at(self, ref: Ref, step: int | None) -> np.ndarray:
        """The value a quantity takes at a step (zeros beyond the sequence's ends)."""
        return lookup(self.values, self.scenario, ref, step or 0)


def _call(eq: Equation, values: Mapping[str, np.ndarray], sc: Scenario, step: int, **kw: object) -> np.ndarray:
    c, columns = compiled(eq, bool(kw.get("stacked"))), kw.get("columns")
    if c.kind == "sum" and isinstance(columns, dict):  # each quantity's steps stacked once, as allsteps does it
        allsteps.columns_of(c.plan, values, sc, columns)  # type: ignore[attr-defined]
    return at(c, values, sc, step, columns)  # type: ignore[arg-type]


_FUSED: dict[tuple[Equation, ...], Step] = {}


def _runs(eqs: tuple[Equation, ...]) -> Step:
    """A step's equations as calls: each run of consecutive elementwise ones fused into one (codegen.fuse),
    the lot generated as one function per section (stepcode.py)."""
    if eqs not in _FUSED:
        calls: list[tuple[Compiled, tuple[Equation, ...]]] = []
        run: list[Equation] = []
        for eq in (*eqs, None):
            if eq is not None and eq.kind == "elementwise":
                run.append(eq)
                continue
            if run:
                c = fuse([(Ref(e.name, e.shift), compiled(e)) for e in run]) if len(run) > 1 else compiled(run[0])
                calls.append((c, tuple(run)))
                run = []
            if eq is not None:
                calls.append((compiled(eq), (eq,)))
        _FUSED[eqs] = Step(calls)
    return _FUSED[eqs]


def _loop(  # noqa: PLR0913
    calls: Step,
    section: str,
    gates: allsteps.GateRows | None = None,
    sweep: str = "",
    later: frozenset[int] = frozenset(),
    direction: int = 1,
    project: Project | None = None,
    hoisted: tuple[allsteps.Hoist, ...] = (),
) -> LoopFn:
    """A pass's steps as one generated function fn(values, sc, steps, rows, gates, inputs) (stepcode.py): it
    evaluates each step's calls into values, each quantity's row appended to rows (if given), in order;
    sweep: a bidirectional network's (sweeps.py); later: the
    calls whose rows it makes, their values made after the loop (allsteps.later); direction: +1 from the
    first step on, -1 from the last back; project: z_t's product (inputs["z"]: its other terms, all steps');
    hoisted: the products whose terms that read nothing the pass makes are made before it (inputs[k])."""
    stacked = gates.names if gates is not None else ()
    own = tuple((k, rec) for k, rec, _ in hoisted)
    return calls.loop(section, Row, stacked, sweep, later, direction, project, own)


SWEEPS = sweeps.Kit(_runs, _loop, Row)  # what a bidirectional network's sweeps use of the engine


def trace(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any], iteration: int = 1) -> Trace:
    """The scenario's iterations, each from the last one's parameters and optimizer state; one traced in full.

    scenario: a Scenario, or what load_scenario reads (a path, a bundled example's name, a dict).
    An iteration is a forward pass over the sequence, the backward pass in reverse,
    the parameter gradients and the update. A value that leaves float64's finite range
    is an error naming the first quantity it reached (LstmTraceError), never a silent inf.
    """
    if not isinstance(scenario, Scenario):
        from ..scenario.load import load_scenario

        scenario = load_scenario(scenario)
    if not 1 <= iteration <= scenario.iterations:
        raise ValueError(f"iteration {iteration} is outside 1 … {scenario.iterations}")
    sc, state, losses, chosen = scenario, {}, [], None
    for k in range(1, scenario.iterations + 1):
        tr = finite(_iterate, sc, state, k)
        losses.append(tr.E)
        if k == iteration:
            chosen = tr
        if k < scenario.iterations:
            sc, state = _next(sc, tr)
    assert chosen is not None
    return replace(chosen, iteration=iteration, losses=tuple(losses))  # its scenario holds that iteration's parameters


def _next(sc: Scenario, tr: Trace) -> tuple[Scenario, dict[str, np.ndarray]]:
    """The next iteration's scenario (the updated parameters) and optimizer state (Adagrad's cache)."""
    new = {p: np.asarray(tr.values[f"{p}_new"]).reshape(v.shape) for p, v in sc.params.items()}
    new = layouts.next_params(sc.layout, sc.params, new, sc.cell, *sc.stack)  # PyTorch's two biases: b takes two steps
    for v in new.values():
        v.setflags(write=False)
    given = layouts.next_given(sc.layout, dict(sc.given), tr.values, sc.cell, *sc.stack) if sc.given else {}
    state = {n[: -len("_new")]: v for n, v in tr.values.items() if n.startswith("cache_") and n.endswith("_new")}
    return replace(sc, params=MappingProxyType(new), given=tuple(given.items())), state


def _iterate(sc: Scenario, state: Mapping[str, np.ndarray]) -> Trace:
    """One iteration on sc's parameters, the optimizer's state (Adagrad's cache) given; a batch's
    sequences one by one, then their gradients summed (or averaged)."""
    each = [_passes(sc.sequence(n), state) for n in range(sc.batch)] if sc.batch else None
    model, values, rows = batch.combined(sc, each) if each else _passes(sc, state)
    if sc.loss != "none":
        rows += _update(model, values, sc)
        mine = layouts.source_values(sc.layout, dict(sc.given), values, sc.cell, *sc.stack)
        values.update(mine)  # dWx, weight_ih_l0_new, …
    for whole, parts in split_weights(sc.params):  # V = [Vf Vr], W_a_l1 = [Wf_a_l1 Wr_a_l1], dV, V_new
        if all(p in values for p in parts):
            values[whole] = np.hstack([values[p] for p in parts])
    return Trace(sc, model, MappingProxyType(values), Rows(rows), batch.warnings(sc))


def _passes(sc: Scenario, state: Mapping[str, np.ndarray]) -> tuple[Model, dict[str, np.ndarray], list[Row]]:
    """The forward pass, then (unless loss: none) the backward pass and the gradients: model, values, rows."""
    model = model_for(sc)
    values = initial_values(sc, state)
    rows: list[Row] = []
    losses = _forward(model, values, sc, rows)
    values["E"] = np.array([sum(losses)])
    if sc.loss == "none":
        return model, values, rows
    if model.sweeps:  # a bidirectional network: each layer's direction a sweep of its own
        columns = sweeps.backward(model, values, sc, rows, SWEEPS)  # and the steps' columns its products stacked
        return model, values, rows + _gradients(model, values, sc, columns)
    H, last = sc.H, sc.T - 1  # noqa: N806 - the maths' name
    for eq in model.backward:  # Δout_{T-1} (each layer's): nothing comes back from beyond the last step
        if eq.shift == -1:
            values[f"{eq.name}_{last}"] = np.zeros(H)
            rows.append(Row("backward", last, f"{eq.name}_{last}", None, note="no later step"))
    if sc.final_dstate is not None:  # δstate_{T-1} reads δstate_T ⊙ f_T: the given gradient, passed whole (an LSTM's)
        values[f"dstate_{last + 1}"], values[f"f_{last + 1}"] = sc.final_dstate, np.ones(H)
    gates = allsteps.GateRows(sc.T, sc.shape.gates)
    columns = allsteps.given_columns(sc)  # [x_0 … x_{T-1}]: no copy; the sums' other columns join it once made
    layers = sweeps.by_layer(model.backward, sc, links_down=False)
    if layers is not None:  # a stacked network: the layer above's loop first, its δx_t then read by the one below
        sweeps.layered(SWEEPS, model.backward, layers, "backward", values, sc, rows, range(last, -1, -1), columns)
    else:
        backward = _runs(model.backward)  # each equation's compiled form looked up once, not once per step
        later = allsteps.later(backward.calls)  # δx_t: one product after the loop
        live = gates if gates.names else None  # none for a cell without gates (an RNN's): nothing to stack a step
        _loop(backward, "backward", live, later=later, direction=-1)(values, sc, range(last, -1, -1), rows, live, None)
        columns.update(gates.columns())  # [δgates_0 …]: the array's transpose, no copy
        allsteps.after(backward.calls, later, values, sc, columns)
    rows += [Row("backward", -1, n, eq, note="the initial output's") for n, eq in allsteps.initial(model, values, sc)]
    rows += _gradients(model, values, sc, columns)
    return model, values, rows


def loss(scenario: Scenario) -> float:
    """E = Σ_t E_t of the scenario's parameters: the forward pass alone, all finite differences need."""
    with np.errstate(all="ignore"):  # a perturbed loss is compared, not shown
        if scenario.batch:
            return batch.reduce(scenario, [loss(scenario.sequence(n)) for n in range(scenario.batch)])
        return float(sum(_forward(model_for(scenario), initial_values(scenario, {}), scenario, None)))


def _forward(model: Model, values: dict[str, np.ndarray], sc: Scenario, rows: list[Row] | None) -> list[float]:
    """The forward pass into values (its rows appended to rows, if given); E_t of each step.

    The loss E_t (per unit, then summed), which nothing in the recurrence reads, is computed for all steps
    at once after the loop (allsteps.losses); a stacked network's layers each loop over all steps in turn."""
    if model.sweeps:
        return sweeps.forward(model, values, sc, rows, SWEEPS)
    H, gates = sc.H, sc.shape.gates  # noqa: N806 - the maths' name
    sweeps.data(model, values, sc)  # every step's x_t and label_t
    everything = (*model.forward, *model.head)
    layers = sweeps.by_layer(everything, sc, links_down=True)
    if layers is not None:  # a stacked network: a loop per layer, the one above reading all steps of the one below
        sweeps.layered(SWEEPS, everything, layers, "forward", values, sc, rows, range(sc.T))
        return allsteps.losses(model, values, sc)
    forward = _runs(everything)
    project, inputs = None, {}
    if model.linear:  # W·x_t + b made for all t before the loop (inputs), U·out_{t-1} in it
        linear, z = allsteps.inputs(compiled(model.linear[0], True), forward, values, sc)
        project = Project(linear, tuple((f"z{g}", k * H, (k + 1) * H) for k, g in enumerate(gates)))
        inputs = {} if z is None else {"z": z}
    made = frozenset(eq.name for _, eqs in forward for eq in eqs) | {f"z{g}" for g in gates if project}
    hoisted = allsteps.hoisted(forward.calls, made)  # a GRU's W_g·x_t + b_g, an RNN's W·x_t + b
    inputs.update(allsteps.hoist(hoisted, values, sc))
    _loop(forward, "forward", project=project, hoisted=hoisted)(values, sc, range(sc.T), rows, None, inputs)
    losses = allsteps.losses(model, values, sc)
    if sc.final_dstate is not None:  # a given ∂L/∂state_{T-1}: E holds ⟨dstate, state_{T-1}⟩, whose gradient it is
        losses.append(float(np.sum(sc.final_dstate * values[f"state_{sc.T - 1}"])))
    return losses


def _gradients(model: Model, values: dict[str, np.ndarray], sc: Scenario, columns: dict[Ref, np.ndarray]) -> list[Row]:
    """The parameter gradients; columns: [δgates_0 … δgates_T] and the others the sums read, stacked once."""
    rows = []
    done: set[str] = set()
    own = {k for k, _ in sc.given}  # CS231n's b: its δb is in CS231n's order, so the per-gate rows are shown
    for eq in model.gradients:
        family = eq.name.split("_")[0]  # dW_a -> dW
        if eq.has_stacked and family[1:] not in own:
            if family in done:
                continue
            whole = _call(eq, values, sc, 0, stacked=True, columns=columns)
            values[family] = whole
            gates = sc.shape.gates
            for g, part in zip(gates, np.split(whole, len(gates)), strict=True):
                values[f"{family}_{g}"] = part
            done.add(family)
            rows.append(Row("gradients", None, family, eq, stacked=True))
        else:
            values[eq.name] = _call(eq, values, sc, 0, columns=columns)
            rows.append(Row("gradients", None, eq.name, eq))
    return rows


def _update(model: Model, values: dict[str, np.ndarray], sc: Scenario) -> list[Row]:
    rows = []
    for eq in model.update:  # an optimizer's state (Adagrad's cache) starts at zero
        for a in compiled(eq).args:
            name = a.ref.base
            if name.startswith("cache_") and not name.endswith("_new"):
                values.setdefault(name, np.zeros_like(sc.params[name[len("cache_") :]]))
    for eq in model.update:
        values[eq.name] = _call(eq, values, sc, 0)
        rows.append(Row("update", None, eq.name, eq))
    gates = sc.shape.gates
    for p in ("W", "U", "b"):
        if gates and f"{p}_{gates[0]}_new" in values and all(k != p for k, _ in sc.given):
            stack = np.vstack if p in "WU" else np.concatenate
            values[f"{p}_new"] = stack([values[f"{p}_{g}_new"] for g in gates])
    return rows
