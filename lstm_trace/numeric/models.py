"""Each variant's model, derived once and compiled to numpy functions; what those functions read.

A variant (cell, bias, output layer, loss, optimizer) is derived by the symbolic layer,
each of its equations generated as numpy source once (symbolic/codegen.py) together
with its rounding bound (symbolic/bounds.py) and its printed templates
(symbolic/templates.py), and the lot is kept in the cache (cache.py), so a variant seen
before is neither derived nor printed again, and sympy is not imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from .. import cache as model_cache
from ..errors import LstmTraceError
from ..refs import Ref
from ..scenario.scenario import Scenario
from ..symbolic.codegen import Compiled, Fetch, call, generate, load
from ..symbolic.model import Equation, Model
from ..symbolic.slipcode import FormSlips
from ..symbolic.templates import TEMPLATES

__all__ = [
    "BOUNDS",
    "Compiled",
    "Fetch",
    "apply",
    "at",
    "compiled",
    "compiled_bound",
    "fetcher",
    "initial_values",
    "lookup",
    "model_for",
    "slip_code",
    "slips_for",
]

_COMPILED: dict[tuple[Equation, bool], Compiled] = {}
# each equation's rounding bound (symbolic/bounds.py), compiled at the same time and cached with the model
BOUNDS: dict[tuple[Equation, bool], Compiled] = {}


def compiled(eq: Equation, stacked: bool = False) -> Compiled:
    """The equation as a numpy function (from the model cache when the model came from it)."""
    c = _COMPILED.get((eq, stacked))
    if c is None:
        c = _COMPILED[(eq, stacked)] = load(*generate(eq.stacked if stacked else eq.expr, eq.kind))
    return c


def compiled_bound(eq: Equation, stacked: bool = False) -> Compiled:
    """An equation's rounding bound as a numpy function: compiled with the model (and cached with it), else here."""
    c = BOUNDS.get((eq, stacked))
    if c is None:
        c = BOUNDS[(eq, stacked)] = load(*_bound_spec(eq, stacked))
    return c


def _bound_spec(eq: Equation, stacked: bool) -> tuple:
    """The source of an equation's rounding bound (symbolic/boundexpr.py: inputs and sub-results)."""
    from ..symbolic.boundexpr import bound_expr

    return generate(bound_expr(eq.stacked if stacked else eq.expr, eq.kind), eq.kind)


_MODELS: dict[tuple, Model] = {}


def variant_of(sc: Scenario) -> tuple:
    """What a model depends on: cell, bias, the cell's option (a peephole output gate's state, a GRU's reset, an
    RNN's activation), output layer, loss, optimizer; stacked layers, and a bidirectional network's directions."""
    stack = (sc.layers, sc.directions) if sc.directions > 1 else (sc.layers,) if sc.layers > 1 else ()
    return (sc.cell, sc.bias, sc.option, sc.output, sc.loss, sc.optimizer, *stack)


def model_for(scenario: Scenario) -> Model:
    """The scenario's derived model, its equations compiled: from the cache, else shipped with the
    package (a built-in variant), else derived and stored."""
    variant = variant_of(scenario)
    if variant in _MODELS:
        return _MODELS[variant]
    stored = model_cache.load(variant)
    if stored is None:
        stored = model_cache.load_shipped(variant)
    if stored is None:
        try:
            stored = build(variant)
        except LstmTraceError as e:  # a custom cell's equation that simplifies to nothing usable
            raise LstmTraceError(e.message, file=scenario.file, path=("model", "equations")) from None
        model_cache.store(variant, stored)
    model, specs, bounds, templates = stored
    for (eq, stacked), spec in specs.items():
        _COMPILED[(eq, stacked)] = load(*spec)
    for (eq, stacked), spec in bounds.items():
        BOUNDS[(eq, stacked)] = load(*spec)
    TEMPLATES.update(templates)
    _MODELS[variant] = model
    return model


def builtin_variants() -> list[tuple]:
    """The variants the bundled examples use, the ones shipped with the package (tools/ship_models.py)."""
    from ..scenario.examples import names, path_of
    from ..scenario.load import load_scenario

    return sorted({variant_of(load_scenario(path_of(n))) for n in names()}, key=repr)  # type: ignore[arg-type]


def build(variant: tuple) -> tuple:
    """Derive a variant (sympy): (model, each equation's numpy source, its rounding bound's, templates)."""
    from ..symbolic.templates import model_templates
    from ..symbolic.variants import variant as derived

    cell, bias, option, output, loss, optimizer, *layers = variant
    model = derived(cell, bias, option, output, optimizer, loss, *layers)  # or the loss follows the output
    back = frozenset(eq.name for eq in model.backward)  # a backward equation's factors of the forward pass grouped
    specs = {
        (eq, st): generate(eq.stacked if st else eq.expr, eq.kind, back if eq in model.backward else frozenset())
        for eq, st in model.forms()
    }
    bounds = {(eq, st): _bound_spec(eq, st) for eq, st in model.forms()}
    # only this model's own: an equation another variant shares (o_t = σ(zo_t)) has templates with its za_t inlined
    templates = {k: v for k, v in model_templates(model).items() if k[3] in ((), model.linear)}
    return model, specs, bounds, templates


_SLIPS: dict[tuple, dict] = {}
_SLIP_CODE: dict[tuple, Compiled] = {}


def slips_ident(variant: tuple) -> tuple:
    """The cache entry (and shipped file) of a variant's slips, apart from its model: `run` never reads it."""
    return ("slips", *variant)


def slips_for(scenario: Scenario) -> dict[tuple[Equation, bool], FormSlips]:
    """Each equation form's slips (symbolic/slipcode.py), rewritten and compiled: from the cache, else
    shipped with the package, else built (sympy) and stored."""
    variant = variant_of(scenario)
    found = _SLIPS.get(variant)
    if found is None:
        ident = slips_ident(variant)
        found = model_cache.load(ident, "slips")
        if found is None:
            found = model_cache.load_shipped(ident)
        if found is None:
            from ..symbolic.slipcode import build_slips

            found = build_slips(model_for(scenario))
            model_cache.store(ident, found, "slips")
        _SLIPS[variant] = found
    return found


def slip_code(spec: tuple) -> Compiled:
    """A slip's compiled code (loaded once per process)."""
    c = _SLIP_CODE.get(spec)
    if c is None:
        c = _SLIP_CODE[spec] = load(*spec)
    return c


def _size(base: str, sc: Scenario) -> int:
    if base == "x" or base == "dx":
        return sc.D
    if base in ("s", "ds", "y") or (base == "label" and sc.K):
        return sc.K  # the output layer's classes (a label is one-hot over them)
    return sc.shape.width(base) * sc.H


def lookup(values: Mapping[str, np.ndarray], sc: Scenario, r: Ref, step: int) -> np.ndarray:
    if r.shift is None:
        if r.base in ("lr", "eps"):
            return np.array(sc.lr if r.base == "lr" else sc.eps)
        return values[r.base]
    name = f"{r.base}_{step + r.shift}"
    if name in values:
        return values[name]
    gates = sc.shape.gates
    if sc.shape.width(r.base) > 1 and f"{r.base[0]}{gates[0]}_{step + r.shift}" in values:
        return np.concatenate([values[f"{r.base[0]}{g}_{step + r.shift}"] for g in gates])
    return np.zeros(_size(r.base, sc))


REVERSE = re.compile(r"_l\d+r$")  # a bidirectional layer's reverse direction: out_l0r, state_l1r


def initial_values(sc: Scenario, state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What a trace starts from: the parameters, the optimizer's state and the initial state;
    W = [W_a; W_i; W_f; W_o] (and U, b) stacked once, since every step reads them."""
    values: dict[str, np.ndarray] = {**sc.params, **state}
    gates = sc.shape.gates
    for p, stack in (("W", np.vstack), ("U", np.vstack), ("b", np.concatenate)):
        if gates and f"{p}_{gates[0]}" in values:
            values[p] = stack([values[f"{p}_{g}"] for g in gates])
    values.update(initial_state(sc))
    return values


def initial_state(sc: Scenario) -> dict[str, np.ndarray]:
    """What each step hands on, before the first: out_{-1}, state_{-1} (each stacked layer's zeros, a reverse
    direction's at t=T: out_l0r_T)."""
    given = {"out": sc.init_out, "state": sc.init_state}
    return {
        f"{name}_{sc.T if REVERSE.search(name) else -1}": given[name] if name in given else np.zeros(sc.H)
        for name in sc.shape.recurrent
    }


def fetcher(values: Mapping[str, np.ndarray], sc: Scenario) -> Fetch:
    """Look symbols up in a mapping of values (zeros beyond the sequence's ends)."""
    return lambda r, step: lookup(values, sc, r, step)


def apply(eq: Equation, fetch: Fetch, step: int, T: int, stacked: bool = False) -> np.ndarray:  # noqa: N803
    """Evaluate an equation at a step, reading its symbols through fetch."""
    return call(compiled(eq, stacked), fetch, step, T)


def at(
    c: Compiled, values: Mapping[str, np.ndarray], sc: Scenario, step: int, columns: dict | None = None
) -> np.ndarray:
    """apply() on a trace's own values, without a fetch closure per argument: the per-step hot path."""
    if c.kind == "sum":
        return call(c, fetcher(values, sc), step, sc.T, columns)
    vals = []
    get = values.get
    for base, shift, column in c.plan:  # type: ignore[attr-defined]
        v = get(base if shift is None else f"{base}_{step + shift}")
        if v is None:
            v = lookup(values, sc, Ref(base, shift), step)
        vals.append(v.reshape(-1, 1) if column and v.ndim == 1 else v)
    out = c.fn(*vals)
    if c.kind == "fused":  # a tuple, one array per equation
        return tuple(o if type(o) is np.ndarray else np.asarray(o, dtype=np.float64) for o in out)
    return out.ravel() if c.kind == "linear" else np.asarray(out, dtype=np.float64)
