"""A step's equations as one generated Python function: the per-step hot path without a plan walk.

The engine evaluates a step as a list of calls (each equation's compiled numpy function, or a run of
elementwise ones fused into one, codegen.fuse). Walked call by call, each argument costs a name
formatted, a dict read and a branch, each value a Row built through its Python constructor. Here the
same calls are written out once per (calls, section) as straight-line source: a quantity read by a
later call in the step is a local, names are f-strings over t, rows are built in one go at the end.
The numpy functions called, their arguments and so every value are exactly those of models.at
(tests/test_stepcode.py compares every value of every bundled example with the call-by-call walk).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..refs import Ref
from ..symbolic.codegen import Compiled
from ..symbolic.model import Equation
from .models import at, lookup

Call = tuple[Compiled, tuple[Equation, ...]]
StepFn = Callable[..., None]  # (values, sc, t, rows, gates) -> None
_NONE: frozenset[int] = frozenset()


class Step:
    """A step's calls, in order, and their generated functions (one per section shown, per hidden row)."""

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls
        self._fns: dict[tuple[str, str, Any, tuple[str, ...]], StepFn] = {}

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    def function(  # noqa: PLR0913
        self, section: str, hidden: str, row: Any, stacked: tuple[str, ...], sweep: str = "", later: frozenset = _NONE
    ) -> StepFn:
        """The step as one function fn(values, sc, t, rows, gates); row: the Row class rows are made of,
        stacked: the names whose last call hands the values to gates.stack (δa … δo); sweep: the rows' (a
        bidirectional network's layer and direction, numeric/sweeps.py); later: the calls whose rows the step
        makes but whose values the pass computes for all steps at once after its loop (allsteps.later)."""
        key = (section, hidden, row, stacked, sweep, later)
        fn = self._fns.get(key)
        if fn is None:
            fn = self._fns[key] = build(self.calls, section, hidden, row, stacked, sweep, later)
        return fn


_VALUES: dict[Compiled, Callable[[dict, Any, int], np.ndarray]] = {}


def value(c: Compiled) -> Callable[[dict, Any, int], np.ndarray]:
    """models.at(c, values, sc, t) as a generated fn(values, sc, t): the same call, its arguments read directly."""
    fn = _VALUES.get(c)
    if fn is None:
        env: dict[str, Any] = {"lookup": lookup, "at": at, "Ref": Ref, "asarray": np.asarray, "float64": np.float64}
        env["F0"] = c
        lines = ["def _value(values, sc, t):", "    get = values.get"]
        if c.kind in ("sum", "fused"):
            lines.append("    return at(F0, values, sc, t)")
        else:
            lines += _arguments(0, c, {}, env)
            call = f"F0.fn({', '.join(f'a0_{j}' for j in range(len(c.plan)))})"  # type: ignore[attr-defined]
            done = f"{call}.ravel()" if c.kind == "linear" else f"asarray({call}, dtype=float64)"
            lines.append(f"    return {done}")
        fn = _VALUES[c] = _load(lines, env, "_value")
    return fn


def _load(lines: list[str], env: dict[str, Any], name: str) -> Any:
    """The function name that lines define, loaded with env as its globals."""
    code = compile("\n".join(lines) + "\n", f"<lstm-trace {name}>", "exec")
    exec(code, env)  # noqa: S102 - source generated here from the model's own compiled equations
    return env[name]


def _name(base: str, shift: int | None) -> str:
    """The source of a quantity's name at the step: "W", f"state_{t + -1}"."""
    return repr(base) if shift is None else f'f"{base}_{{t + {shift}}}"'


def build(  # noqa: PLR0913
    calls: list[Call],
    section: str,
    hidden: str,
    row: Any,
    stacked: tuple[str, ...],
    sweep: str = "",
    later: frozenset[int] = _NONE,
) -> StepFn:
    """Generate and load the step's function (see the module's docstring); a call in later is not made,
    its rows are (its values come after the pass's loop)."""
    lines = ["def _step(values, sc, t, rows, gates):", "    get = values.get"]
    env: dict[str, Any] = {"lookup": lookup, "at": at, "Ref": Ref, "ndarray": np.ndarray, "asarray": np.asarray}
    env.update({"float64": np.float64, "new": tuple.__new__, "Row": row})
    local: dict[tuple[str, int | None], str] = {}  # a quantity this step already holds
    made: list[tuple[str, str]] = []  # (the name's local, the equation's) of each row, in order
    for k, (c, eqs) in enumerate(calls):
        env[f"F{k}"] = c
        if k not in later:
            lines += _made(k, c, eqs, local, env)
        for j, eq in enumerate(eqs):
            if k in later:
                lines.append(f"    n{k}_{j} = {_name(eq.name, eq.shift)}")
            if eq.name != hidden:
                env[f"E{k}_{j}"] = eq
                made.append((f"n{k}_{j}", f"E{k}_{j}"))
        if stacked and eqs[-1].name in stacked:
            lines.append(f"    if gates is not None: {_stacking(eqs, stacked, k)}")
    if made:
        each = ", ".join(f"new(Row, ({section!r}, t, {n}, {e}, False, '', {sweep!r}))" for n, e in made)
        lines.append(f"    if rows is not None: rows.extend(({each},))")
    return _load(lines, env, "_step")


def _made(k: int, c: Compiled, eqs: tuple[Equation, ...], local: dict, env: dict[str, Any]) -> list[str]:
    """Source making call k: its arguments bound, the call, each equation's value v{k}_j named n{k}_j into values."""
    lines = []
    if c.kind == "sum":  # a Σ_t (never within a step's calls in practice): as models.at does it
        lines.append(f"    r{k} = at(F{k}, values, sc, t)")
    else:
        lines += _arguments(k, c, local, env)
        lines.append(f"    r{k} = F{k}.fn({', '.join(f'a{k}_{j}' for j in range(len(c.plan)))})")
    for j, eq in enumerate(eqs):
        v, n = f"v{k}_{j}", f"n{k}_{j}"
        if c.kind == "fused":
            lines.append(f"    {v} = r{k}[{j}]")
            lines.append(f"    if type({v}) is not ndarray: {v} = asarray({v}, dtype=float64)")
        elif c.kind == "linear":
            lines.append(f"    {v} = r{k}.ravel()")
        elif c.kind == "sum":
            lines.append(f"    {v} = r{k}")
        else:
            lines.append(f"    {v} = asarray(r{k}, dtype=float64)")
        lines.append(f"    {n} = {_name(eq.name, eq.shift)}")
        lines.append(f"    values[{n}] = {v}")
        local[(eq.name, eq.shift)] = v
    return lines


def _stacking(eqs: tuple[Equation, ...], stacked: tuple[str, ...], k: int) -> str:
    """gates.put with the parts in hand when this call made them all (at this step), else gates.stack."""
    at_t = {eq.name: j for j, eq in enumerate(eqs) if eq.shift == 0}
    if not all(d in at_t for d in stacked):
        return "gates.stack(values, t)"
    names = ", ".join(f"n{k}_{at_t[d]}" for d in stacked)
    parts = ", ".join(f"v{k}_{at_t[d]}" for d in stacked)
    return f"gates.put(values, t, ({names},), ({parts},))"


def _arguments(k: int, c: Compiled, local: dict[tuple[str, int | None], str], env: dict[str, Any]) -> list[str]:
    """Source binding call k's arguments a{k}_j: a local if the step made it, else the values' (or lookup's)."""
    lines = []
    for j, (base, shift, column) in enumerate(c.plan):  # type: ignore[attr-defined]
        a = f"a{k}_{j}"
        if (base, shift) in local:
            lines.append(f"    {a} = {local[(base, shift)]}")
        else:
            env[f"R{k}_{j}"] = Ref(base, shift)
            lines.append(f"    {a} = get({_name(base, shift)})")
            lines.append(f"    if {a} is None: {a} = lookup(values, sc, R{k}_{j}, t)")
        if column:
            lines.append(f"    if {a}.ndim == 1: {a} = {a}.reshape(-1, 1)")
    return lines
