"""How far hand rounding can move a result, in numbers: each equation's bound evaluated.

symbolic/bounds.py writes the bound of an equation, Σ_v |∂f/∂v| ⊙ e_v (first-order
propagation) plus Σ_u |∂f/∂u| · h over the sub-results u rounded inside it; the engine
compiles it with the model (numeric/models.py). Here it is evaluated on the true values,
on how far each input may be off, and on the half-unit h the sub-results are rounded to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from ..numeric.models import Compiled, compiled_bound, lookup
from ..refs import Ref
from ..scenario.scenario import Scenario
from ..symbolic.bounds import ABS, ERR, ONE, ROUND
from ..symbolic.codegen import call
from ..symbolic.model import Equation


class Bound(NamedTuple):
    """How far a result may be off, by where the rounding comes from (each an array, entry by entry)."""

    carried: np.ndarray  # from how far the inputs may be off (errors)
    fresh: np.ndarray  # the part of carried from the inputs' own rounding (fresh): it has not compounded
    made: np.ndarray  # from the sub-results rounded inside the equation
    # Σ_v |∂f/∂v|·|v|: the size of what the result is made of, even where its terms cancel; worked out
    # only when asked (only a cap that binds reads it)
    scale: Callable[[], np.ndarray]


def bound(
    eq: Equation,
    step: int,
    sc: Scenario,
    values: Mapping[str, np.ndarray],
    errors: Mapping[str, np.ndarray],
    stacked: bool = False,
    half: float = 0.0,
    columns: dict | None = None,
    fresh: Mapping[str, np.ndarray] | None = None,
) -> Bound:
    """How far eq's result may be off when each input is off by errors[name] (0 where absent), of
    which fresh[name] is its own rounding, and each sub-result inside the equation is rounded by half.

    columns: a Σ_t's stacked per-step arguments, kept for the next Σ_t on the same values and errors
    (a Σ_t comes as one: Bound(all of it, 0, 0, 0)).
    """
    c = compiled_bound(eq, stacked)
    if c.kind == "sum":
        total = call(c, _fetcher(sc, values, errors, half), step, sc.T, columns)
        zero = np.zeros_like(total)
        return Bound(total, zero, zero, lambda: zero)
    fresh = {} if fresh is None else fresh
    vals, own = [], []
    at, same = -1, True
    for k, (kind, base, shift, column) in enumerate(_plan(c)):  # the per-step path, no fetch per argument
        if kind == ROUND:
            at = k
            v = f = _ZERO
        elif kind == ERR:
            v = _error(sc, values, errors, base, shift, step)
            f = _error(sc, values, fresh, base, shift, step)
            same = same and f is v
        else:
            v = f = _value(sc, values, kind, base, shift, step)
        vals.append(v.reshape(-1, 1) if column and v.ndim == 1 else v)
        own.append(f.reshape(-1, 1) if column and f.ndim == 1 else f)
    carried = _result(c, c.fn(*vals))
    made = np.zeros_like(carried)
    if at >= 0:  # sub-results are rounded inside (not in a_t = tanh(za_t))
        vals[at] = np.asarray(half, dtype=np.float64)
        made = _result(c, c.fn(*vals)) - carried
    # an input's error that is all its own rounding (the same array) has not compounded: own = carried
    return Bound(carried, carried if same else _result(c, c.fn(*own)), made, lambda: _scale(c, sc, values, step))


def _scale(c: Compiled, sc: Scenario, values: Mapping[str, np.ndarray], step: int) -> np.ndarray:
    """Σ_v |∂f/∂v|·|v|: the bound with each input off by its own size and no sub-result rounded."""
    args = []
    for kind, base, shift, column in _plan(c):
        if kind == ROUND:
            x = _ZERO
        else:
            x = _value(sc, values, ABS if kind == ERR else kind, base, shift, step)
        args.append(x.reshape(-1, 1) if column and x.ndim == 1 else x)
    return _result(c, c.fn(*args))


def _error(sc: Scenario, values: Mapping, errors: Mapping, base: str, shift: int | None, t: int) -> np.ndarray:
    found = errors.get(base if shift is None else f"{base}_{t + shift}")
    return _fetch(sc, values, errors, ERR, Ref(base, shift), t) if found is None else found


def _value(sc: Scenario, values: Mapping, kind: str, base: str, shift: int | None, t: int) -> np.ndarray:
    """A value, |value| or ones like it: parameters' made once, a step's at once from the mapping."""
    v = values.get(base if shift is None else f"{base}_{t + shift}")
    if v is None:
        return _fetch(sc, values, {}, kind, Ref(base, shift), t)
    if kind == ABS:
        return _derived(v, kind) if shift is None else np.abs(v)
    if kind == ONE:
        return _derived(v, kind) if shift is None else _ones(v.shape)
    return v


_ZERO = np.zeros(())
_ZERO.setflags(write=False)


def _result(c: Compiled, out: np.ndarray) -> np.ndarray:
    return out.ravel() if c.kind == "linear" else np.asarray(out, dtype=np.float64)


def _plan(c: Compiled) -> list[tuple[str, str, int | None, bool]]:
    """Each argument of a compiled bound as (what it is: ROUND, ABS, ONE, ERR or "" for a value,
    the quantity it reads, its shift, whether a column), worked out once and kept on the bound."""
    plan = c.__dict__.get("bound_plan")
    if plan is None:
        plan = []
        for a in c.args:
            base, kind = a.ref.base, ""
            for tag in (ABS, ONE, ERR):
                if base.startswith(tag):
                    base, kind = base[len(tag) :], tag
                    break
            plan.append((ROUND if a.ref.base == ROUND else kind, base, a.ref.shift, a.column))
        object.__setattr__(c, "bound_plan", plan)  # as Compiled keeps its own plan (a frozen dataclass)
    return plan


_DERIVED: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}


def _derived(v: np.ndarray, kind: str) -> np.ndarray:
    """|v|, ones like v or zeros like v for a parameter (the same arrays all along), made once."""
    key = (id(v), kind)
    found = _DERIVED.get(key)
    if found is None or found[0] is not v:
        made = np.abs(v) if kind == ABS else np.ones_like(v) if kind == ONE else np.zeros_like(v)
        made.setflags(write=False)
        if len(_DERIVED) > 4096:  # parameters of many traces: start again
            _DERIVED.clear()
        found = _DERIVED[key] = (v, made)
    return found[1]


_ONES: dict[tuple[int, ...], np.ndarray] = {}


def _ones(shape: tuple[int, ...]) -> np.ndarray:
    """Ones of a shape, read-only and made once (one_out_{t-1} counts the products of U·out_{t-1})."""
    found = _ONES.get(shape)
    if found is None:
        found = _ONES[shape] = np.ones(shape)
        found.setflags(write=False)
    return found


def _fetch(sc: Scenario, values: Mapping, errors: Mapping, kind: str, r: Ref, t: int) -> np.ndarray:
    """One argument of a bound: |value|, ones like it, its error (0 where none is known), or the value."""
    if kind == ERR:
        if r.shift is None:
            return errors.get(r.base) if r.base in errors else _derived(lookup(values, sc, r, t), ERR)
        return lookup(errors, sc, r, t)
    v = lookup(values, sc, r, t)
    if r.shift is None and kind in (ABS, ONE):
        return _derived(v, kind)
    return np.abs(v) if kind == ABS else np.ones_like(v) if kind == ONE else v


def _fetcher(sc: Scenario, values: Mapping, errors: Mapping, half: float) -> Callable[[Ref, int], np.ndarray]:
    def fetch(r: Ref, t: int) -> np.ndarray:
        if r.base == ROUND:
            return np.asarray(half, dtype=np.float64)
        kind, base = next(
            ((tag, r.base[len(tag) :]) for tag in (ABS, ONE, ERR) if r.base.startswith(tag)), ("", r.base)
        )
        return _fetch(sc, values, errors, kind, Ref(base, r.shift), t)

    return fetch
