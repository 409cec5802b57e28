"""The numeric engine: evaluate a model's equations on a scenario, in float64.

Each equation is generated as numpy code once per model (codegen.py), and a step's
consecutive elementwise equations run as one fused function; a step evaluates whole
vectors (and the stacked gates with one matrix product), so the cost per step is
O(H·(D+H)) numpy work and a fixed number of Python calls, whatever H is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from . import cache as model_cache
from .codegen import Compiled, Fetch, call, fuse, generate, load
from .model import Equation, Model
from .names import canonical
from .refs import GATES, Ref
from .render.text import TEMPLATES, Template
from .scenario import Scenario

SECTIONS = ("forward", "backward", "gradients", "update")


_COMPILED: dict[tuple[Equation, bool], Compiled] = {}
# each equation's rounding bound (rounding.py), compiled at the same time and cached with the model
BOUNDS: dict[tuple[Equation, bool], Compiled] = {}


def compiled(eq: Equation, stacked: bool = False) -> Compiled:
    """The equation as a numpy function (from the model cache when the model came from it)."""
    c = _COMPILED.get((eq, stacked))
    if c is None:
        c = _COMPILED[(eq, stacked)] = load(*generate(eq.stacked if stacked else eq.expr, eq.kind))
    return c


class Row(NamedTuple):
    """One traced quantity: name_step = equation, at a step (None for gradients and updates).

    A named tuple, not a dataclass: a big trace makes hundreds of thousands of them."""

    section: str
    step: int | None
    name: str  # canonical name, e.g. "a_0", "Dout_-1", "dW", "W_a_new"
    equation: Equation | None  # None for a boundary value such as Δout_{T-1} = 0
    stacked: bool = False
    note: str = ""


@dataclass(frozen=True)
class Trace:
    """An evaluated scenario: every quantity by canonical name, and rows in the seed's order."""

    scenario: Scenario
    model: Model
    values: Mapping[str, np.ndarray]
    rows: tuple[Row, ...]
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
        return _lookup(self.values, self.scenario, ref, step or 0)

    def _repr_markdown_(self) -> str:
        from .render.markdown import render_markdown
        from .render.text import notation

        with notation(self.scenario.notation):
            return render_markdown(self)


TITLES = {"forward": "Forward", "backward": "Backward", "gradients": "Parameter gradients", "update": "Update"}


def section_title(trace: Trace, section: str, step: int | None) -> str:
    """Forward @ t=0, Backward @ t=1, Parameter gradients, Update: SGD, λ = 0.1."""
    if step is not None:
        return f"{TITLES[section]} @ t={step}"
    if section == "update":
        sc = trace.scenario
        if sc.optimizer == "adagrad":
            return f"Update: Adagrad, λ = {sc.lr:g}, ε = {sc.eps:g}"
        return f"Update: {sc.optimizer.upper()}, λ = {sc.lr:g}"
    return TITLES[section]


_MODELS: dict[tuple, Model] = {}


def model_for(scenario: Scenario) -> Model:
    """The scenario's derived model, its equations compiled: from the cache, else derived and stored."""
    sc = scenario
    variant = (sc.cell, sc.bias, sc.peephole_output if sc.cell == "peephole" else "", sc.output, sc.loss, sc.optimizer)
    if variant in _MODELS:
        return _MODELS[variant]
    stored = model_cache.load(variant)
    if stored is not None:
        model, specs, bounds, templates = stored
        for (eq, stacked), spec in specs.items():
            _COMPILED[(eq, stacked)] = load(*spec)
        for (eq, stacked), spec in bounds.items():
            BOUNDS[(eq, stacked)] = load(*spec)
        TEMPLATES.update(templates)
    else:
        from .cells import lstm, peephole
        from .cells.heads import no_head, softmax_head
        from .derive import derive
        from .rounding import bound_expr

        cell = peephole(bias=sc.bias, output_gate=sc.peephole_output) if sc.cell == "peephole" else lstm(bias=sc.bias)
        model = derive(cell, sc.loss, sc.optimizer, softmax_head() if sc.output == "softmax" else no_head())
        specs = {(eq, st): compiled(eq, st).spec for eq, st in _equations(model)}
        bounds = {
            (eq, st): generate(bound_expr(eq.stacked if st else eq.expr), eq.kind) for eq, st in _equations(model)
        }
        for key, spec in bounds.items():
            BOUNDS[key] = load(*spec)
        model_cache.store(variant, (model, specs, bounds, _templates(model)))
    _MODELS[variant] = model
    return model


def _templates(model: Model) -> dict[tuple, Template]:
    """Every equation printed once, in both notations, with slots for names and for numbers."""
    from .render.text import LatexStyle, Style, template

    forward = {*model.linear, *model.forward, *model.head, model.loss_eq}  # printed with za_t written out
    for style in (Style, LatexStyle):
        for eq, stacked in _equations(model):
            for names in (True, False):
                template(style, eq, stacked, model.linear if eq in forward else (), names)
    mine = set(_all(model))
    return {k: v for k, v in TEMPLATES.items() if k[1] in mine}


def _all(model: Model) -> tuple[Equation, ...]:
    return (*model.linear, *model.forward, *model.head, model.loss_eq, *model.backward, *model.gradients, *model.update)


def _equations(model: Model) -> Iterator[tuple[Equation, bool]]:
    """Every equation a trace, a check or an explanation evaluates, plain and stacked."""
    for eq in (*model.linear, *model.forward, *model.head, model.loss_eq, *model.backward, *model.gradients):
        yield eq, False
        if eq.has_stacked:
            yield eq, True
    for eq in model.update:
        yield eq, False


def _size(base: str, sc: Scenario) -> int:
    if base == "x" or base == "dx":
        return sc.D
    if base in ("s", "ds", "y") or (base == "label" and sc.K):
        return sc.K  # the output layer's classes (a label is one-hot over them)
    return 4 * sc.H if base in ("dgates", "z") else sc.H


def _lookup(values: Mapping[str, np.ndarray], sc: Scenario, r: Ref, step: int) -> np.ndarray:
    if r.shift is None:
        if r.base in ("lr", "eps"):
            return np.array(sc.lr if r.base == "lr" else sc.eps)
        return values[r.base]
    name = f"{r.base}_{step + r.shift}"
    if name in values:
        return values[name]
    if r.base in ("dgates", "z") and f"{r.base[0]}a_{step + r.shift}" in values:
        return np.concatenate([values[f"{r.base[0]}{g}_{step + r.shift}"] for g in GATES])
    return np.zeros(_size(r.base, sc))


def fetcher(values: Mapping[str, np.ndarray], sc: Scenario) -> Fetch:
    """Look symbols up in a mapping of values (zeros beyond the sequence's ends)."""
    return lambda r, step: _lookup(values, sc, r, step)


def apply(eq: Equation, fetch: Fetch, step: int, T: int, stacked: bool = False) -> np.ndarray:  # noqa: N803
    """Evaluate an equation at a step, reading its symbols through fetch."""
    return call(compiled(eq, stacked), fetch, step, T)


def _call(
    eq: Equation,
    values: Mapping[str, np.ndarray],
    sc: Scenario,
    step: int,
    stacked: bool = False,
    columns: dict | None = None,
) -> np.ndarray:
    return _at(compiled(eq, stacked), values, sc, step, columns)


def _at(
    c: Compiled, values: Mapping[str, np.ndarray], sc: Scenario, step: int, columns: dict | None = None
) -> np.ndarray:
    """apply() on the trace's own values, without a fetch closure per argument: the per-step hot path."""
    if c.kind == "sum":
        return call(c, fetcher(values, sc), step, sc.T, columns)
    vals = []
    get = values.get
    for base, shift, column in c.plan:  # type: ignore[attr-defined]
        v = get(base if shift is None else f"{base}_{step + shift}")
        if v is None:
            v = _lookup(values, sc, Ref(base, shift), step)
        vals.append(v.reshape(-1, 1) if column and v.ndim == 1 else v)
    out = c.fn(*vals)
    if c.kind == "fused":  # a tuple, one array per equation
        return tuple(o if type(o) is np.ndarray else np.asarray(o, dtype=np.float64) for o in out)
    return out.ravel() if c.kind == "linear" else np.asarray(out, dtype=np.float64)


_FUSED: dict[tuple[Equation, ...], list[tuple[Compiled, tuple[Equation, ...]]]] = {}


def _runs(eqs: tuple[Equation, ...]) -> list[tuple[Compiled, tuple[Equation, ...]]]:
    """A step's equations as calls: each run of consecutive elementwise ones fused into one (codegen.fuse)."""
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
        _FUSED[eqs] = calls
    return _FUSED[eqs]


GATE_ADJOINTS = tuple(f"d{g}" for g in GATES)


def _stack_gates(values: dict, t: int) -> None:
    """δgates_t = [δa_t; δi_t; δf_t; δo_t], once its four parts exist: Δout_{t-1} and δx_t read it."""
    name = f"dgates_{t}"
    if name not in values and all(f"{d}_{t}" in values for d in GATE_ADJOINTS):
        values[name] = np.concatenate([values[f"{d}_{t}"] for d in GATE_ADJOINTS])


def _step(
    calls: list[tuple[Compiled, tuple[Equation, ...]]], values: dict, sc: Scenario, t: int
) -> Iterator[tuple[str, Equation]]:
    """Evaluate a step's calls into values; yields each quantity's name and equation, in order."""
    for c, eqs in calls:
        out = _at(c, values, sc, t)
        for eq, v in zip(eqs, out if c.kind == "fused" else (out,), strict=True):
            name = f"{eq.name}_{t + eq.shift}"
            values[name] = v
            yield name, eq
        if any(eq.name in GATE_ADJOINTS for eq in eqs):
            _stack_gates(values, t)


def trace(scenario: Scenario, iteration: int = 1) -> Trace:
    """The scenario's iterations, each from the last one's parameters and optimizer state; one traced in full.

    An iteration is a forward pass over the sequence, the backward pass in reverse,
    the parameter gradients and the update.
    """
    if not 1 <= iteration <= scenario.iterations:
        raise ValueError(f"iteration {iteration} is outside 1 … {scenario.iterations}")
    sc, state, losses, chosen = scenario, {}, [], None
    for k in range(1, scenario.iterations + 1):
        tr = _iterate(sc, state)
        losses.append(tr.E)
        if k == iteration:
            chosen = tr
        new = {p: np.asarray(tr.values[f"{p}_new"]).reshape(v.shape) for p, v in sc.params.items()}
        for v in new.values():
            v.setflags(write=False)
        sc = replace(sc, params=MappingProxyType(new))
        if k < scenario.iterations:
            state = {
                n[: -len("_new")]: v for n, v in tr.values.items() if n.startswith("cache_") and n.endswith("_new")
            }
    assert chosen is not None
    return replace(chosen, iteration=iteration, losses=tuple(losses))  # its scenario holds that iteration's parameters


def _iterate(sc: Scenario, state: Mapping[str, np.ndarray]) -> Trace:
    """One iteration on sc's parameters, the optimizer's state (Adagrad's cache) given."""
    model = model_for(sc)
    values: dict[str, np.ndarray] = {**sc.params, **state}
    # the stacked W = [W_a; W_i; W_f; W_o] (and U, b), built once: every step reads them
    for p, stack in (("W", np.vstack), ("U", np.vstack), ("b", np.concatenate)):
        if f"{p}_a" in values:
            values[p] = stack([values[f"{p}_{g}"] for g in GATES])
    values["out_-1"], values["state_-1"] = sc.init_out, sc.init_state
    rows: list[Row] = []
    losses = []
    H = sc.H  # noqa: N806 - the maths' name
    # each equation's compiled form looked up once, not once per step
    # the loss E_t (per unit, then summed) is computed with the step's last forward equations
    linear, loss = compiled(model.linear[0], True), model.loss_eq
    forward, backward = _runs((*model.forward, *model.head, loss)), _runs(model.backward)
    for t in range(sc.T):
        values[f"x_{t}"], values[f"label_{t}"] = sc.x[t], sc.label[t]
        z = values[f"z_{t}"] = _at(linear, values, sc, t)
        for k, g in enumerate(GATES):
            values[f"z{g}_{t}"] = z[k * H : (k + 1) * H]
        rows += [Row("forward", t, name, eq) for name, eq in _step(forward, values, sc, t) if eq.name != loss.name]
        losses.append(float(values[f"E_{t}"].sum()))
        values[f"E_{t}"] = np.array([losses[-1]])
    values["E"] = np.array([sum(losses)])
    last = sc.T - 1
    values[f"Dout_{last}"] = np.zeros(H)
    rows.append(Row("backward", last, f"Dout_{last}", None, note="no later step"))
    for t in range(last, -1, -1):
        rows += [Row("backward", t, name, eq) for name, eq in _step(backward, values, sc, t)]
        _stack_gates(values, t)
    rows += _gradients(model, values, sc)
    rows += _update(model, values, sc)
    return Trace(sc, model, MappingProxyType(values), tuple(rows), tuple(_warnings(sc)))


def _gradients(model: Model, values: dict[str, np.ndarray], sc: Scenario) -> list[Row]:
    rows = []
    done: set[str] = set()
    columns: dict[Ref, np.ndarray] = {}  # [δgates_0 … δgates_T] is read by δW, δU and δb: stacked once
    for eq in model.gradients:
        family = eq.name.split("_")[0]  # dW_a -> dW
        if eq.has_stacked:
            if family in done:
                continue
            whole = _call(eq, values, sc, 0, stacked=True, columns=columns)
            values[family] = whole
            for g, part in zip(GATES, np.split(whole, 4), strict=True):
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
    for p in ("W", "U", "b"):
        if f"{p}_a_new" in values:
            stack = np.vstack if p in "WU" else np.concatenate
            values[f"{p}_new"] = stack([values[f"{p}_{g}_new"] for g in GATES])
    return rows


def _warnings(sc: Scenario) -> list[str]:
    out = []
    if sc.loss == "l2":
        for t, label in enumerate(sc.label):
            bad = label[~((label > -1) & (label < 1))]
            if bad.size:
                out.append(f"label_{t} = {bad[0]:g} is outside (-1, 1): out_t = tanh(state_t) ⊙ o_t can never reach it")
    return out
