"""A pass over the steps as one generated Python function: the hot loop without a plan walk.

The engine evaluates a step as a list of calls (each equation's compiled numpy function, or a run of
elementwise ones fused into one, codegen.fuse). Walked call by call, each argument costs a name
formatted, a dict read and a branch, each value a Row built through its Python constructor. Here the
same calls are written out once per (calls, section, …) as the body of one loop over the pass's steps:

- a quantity read by a later call in the step is a local;
- one the step before made (state_{t-1} going forward, Δout_t and δstate_{t+1} going back) is carried
  over in a local from that step, read from the values only at the pass's first step;
- the parameters the calls read (W, U, b) are read once, before the loop;
- z_t = (W·x_t + b, made for all steps before the loop) + U·out_{t-1} and its gates' blocks za_t … are
  made in the loop (project), each block a local the gates read; likewise a stacked or bidirectional LSTM's
  z_g = (W_g·x_t + b_g, made before the loop) + U_g·out_{t-1} of its four gates is one addition of the
  grouped product's blocks to the four terms side by side (stepsource.Source.joined);
- a step's names are entry t of each quantity's names at every step (stepnames.py), and the loop's rows
  one steprows.Loop appended after it, made when first read (the source written line by line in
  stepsource.py).

The numpy functions called, their arguments and so every value are those of models.at (tests/test_stepcode.py
compares every value of every bundled example with the call-by-call walk), but for the products (products.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..refs import Ref
from ..symbolic.codegen import Compiled
from ..symbolic.model import Equation
from .factors import Factored, every, factored, window
from .models import at, lookup
from .products import in_loop
from .stepnames import step_names
from .steprows import Loop
from .stepsource import Source

Call = tuple[Compiled, tuple[Equation, ...]]
LoopFn = Callable[..., None]  # (values, sc, steps, rows, gates, inputs) -> None
_NONE: frozenset[int] = frozenset()


class Project(NamedTuple):
    """z_t's terms that read the recurrence (U·out_{t-1}), added in the loop to row t of the other terms
    made before it (inputs, or none), and the gates' blocks of z_t: (name, start, stop)."""

    linear: Compiled
    blocks: tuple[tuple[str, int, int], ...]


class Step:
    """A step's calls, in order, and the loops generated from them (one per section shown, direction, …)."""

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls
        self._fns: dict[tuple, LoopFn] = {}

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    def loop(  # noqa: PLR0913
        self,
        section: str,
        row: Any,
        stacked: tuple[str, ...],
        sweep: str = "",
        later: frozenset[int] = _NONE,
        direction: int = 1,
        project: Project | None = None,
        hoisted: tuple[tuple[int, Compiled | None], ...] = (),
    ) -> LoopFn:
        """The pass as one function fn(values, sc, steps, rows, gates, inputs) over steps, consecutive in
        time (direction +1: the first on; -1: the last back). row: the Row class rows are made of; stacked:
        the names whose last call hands the values to gates.put (δa … δo); sweep: the rows' (a bidirectional
        network's layer and direction, numeric/sweeps.py); later: the calls whose rows the step makes but
        whose values the pass makes for all steps after the loop (allsteps.later); project: z_t's (inputs["z"]:
        its other terms, all steps', or none); hoisted: (k, the terms of call k made in the loop, or None), call
        k's other terms made for all steps before it (inputs[k], allsteps.hoisted)."""
        key = (section, row, stacked, sweep, later, direction, project, hoisted)
        fn = self._fns.get(key)
        if fn is None:
            shape = Shape(section, row, stacked, sweep, later, direction, project, hoisted)
            fn = self._fns[key] = build(self.calls, shape)
        return fn


class Shape(NamedTuple):
    """What a generated loop is made for, beside its calls (Step.loop's arguments)."""

    section: str
    row: Any
    stacked: tuple[str, ...]
    sweep: str = ""
    later: frozenset[int] = _NONE
    direction: int = 1
    project: Project | None = None
    hoisted: tuple[tuple[int, Compiled | None], ...] = ()


def _load(lines: list[str], env: dict[str, Any], name: str) -> Any:
    """The function name that lines define, loaded with env as its globals."""
    code = compile("\n".join(lines) + "\n", f"<lstm-trace {name}>", "exec")
    exec(code, env)  # noqa: S102 - source generated here from the model's own compiled equations
    return env[name]


def build(calls: list[Call], shape: Shape) -> LoopFn:
    """Generate and load the pass's loop (see the module's docstring); a call in shape.later is not made,
    its rows are (its values come after the loop)."""
    env: dict[str, Any] = {"lookup": lookup, "at": at, "Ref": Ref, "ndarray": np.ndarray, "asarray": np.asarray}
    env.update({"float64": np.float64, "Row": shape.row, "names": step_names})
    carried = _carried(calls, shape)
    body: list[str] = []
    source = Source(body, env, {ref: f"c_{k}" for k, ref in enumerate(carried)})
    if shape.project is not None:
        _project(source, shape.project)
    hoisted = dict(shape.hoisted)
    source.stacked(in_loop(calls, shape.later, shape.hoisted))
    source.joined(hoisted)
    made: list[tuple[str, int, Equation]] = []  # each row's quantity at a step, in order (steprows.Loop)
    putting, moving = False, frozenset(eq.name for _, eqs in calls for eq in eqs)
    for k, (c, eqs) in enumerate(calls):
        env[f"F{k}"] = c
        if k not in shape.later:
            _made(source, k, c, eqs, factored(c, moving) if shape.section == "backward" else None, hoisted)
        made += [(eq.name, eq.shift, eq) for eq in eqs]
        if shape.stacked and eqs[-1].name in shape.stacked:
            putting = True
            source.add(f"if gates is not None: {_stacking(eqs, shape.stacked, k)}")
    if not putting and shape.stacked:  # the parts made by several calls: stacked once all exist
        source.add("if gates is not None: gates.stack(values, t)")
    for k, ref in enumerate(carried):  # what the next step reads of this one's
        source.add(f"c_{k} = {source.local[carried[ref]]}")
    lines = ["def _loop(values, sc, steps, rows, gates, inputs):", "    get, T = values.get, sc.T"]
    lines += [
        "    if steps and not (0 <= steps[0] < T and 0 <= steps[-1] < T): raise IndexError(steps)",
        *source.before,
    ]
    lines += [f"    c_{k} = None" for k in range(len(carried))]
    lines += ["    for t in steps:", *body]
    if made:  # the loop's rows, made when first read (steprows.py)
        env.update(Loop=Loop, QUANTITIES=tuple(made))
        lines.append(
            f"    if rows is not None: rows.append(Loop(Row, {shape.section!r}, {shape.sweep!r}, steps, T, QUANTITIES))"
        )
    return _load(lines, env, "_loop")


def _made(
    source: Source, k: int, c: Compiled, eqs: tuple[Equation, ...], split: Factored | None, hoisted: dict
) -> None:
    """Call k made in the step; split (a backward call's, factors.py): its factors that read only the forward
    pass made a window of steps at a time, the step's rest in it. A call whose products are grouped with others
    (products.py) is made whole: its rewritten function is the unsplit call's."""
    if split is None or k in source.rewritten:
        source.made(k, c, eqs, hoisted)
        return
    source.env.update({f"B{k}": split.before, f"S{k}": split.step, "every": every, "window": window})
    source.made(k, split.step, eqs, hoisted, split.count)


def _carried(calls: list[Call], shape: Shape) -> dict[tuple[str, int], tuple[str, int]]:
    """What a step reads that the step before made: (base, shift) read -> (base, shift) made, one step on in
    the pass's direction (state_{t-1} read is state_t made going forward; δstate_{t+1} is δstate_t going back)."""
    made = {(eq.name, eq.shift) for k, (_, eqs) in enumerate(calls) if k not in shape.later for eq in eqs}
    out = {}
    plans = [c.plan for c in in_loop(calls, shape.later, shape.hoisted).values()]  # type: ignore[attr-defined]
    plans += [shape.project.linear.plan] if shape.project is not None else []
    for plan in plans:  # type: ignore[attr-defined]
        for base, shift, _ in plan:
            if shift is not None and (base, shift + shape.direction) in made:
                out[(base, shift)] = (base, shift + shape.direction)
    return out


def _project(source: Source, project: Project) -> None:
    """z_t = inputs[t] + U·out_{t-1} (or the product alone), into values, and its gates' blocks as locals."""
    source.env["FP"] = project.linear
    source.arguments("P", project.linear)
    call = f"FP.fn({', '.join(f'aP_{j}' for j in range(len(project.linear.plan)))}).ravel()"  # type: ignore[attr-defined]
    source.before.append('    IZ = None if inputs is None else inputs.get("z")')
    source.add("if IZ is None:")
    source.add(f"    z = {call}")
    source.add("else:  # z_t = (its recurrent terms) + (W·x_t + b), written into row t of the inputs' array")
    source.add("    z = IZ[t]")
    source.add(f"    z += {call}")
    source.add(f"values[{source.name('z', 0)}] = z")
    for name, start, stop in project.blocks:
        source.add(f"zb_{name} = z[{start}:{stop}]")
        source.add(f"values[{source.name(name, 0)}] = zb_{name}")
        source.local[(name, 0)] = f"zb_{name}"


def _stacking(eqs: tuple[Equation, ...], stacked: tuple[str, ...], k: int) -> str:
    """gates.put with the parts in hand when this call made them all (at this step), else gates.stack."""
    at_t = {eq.name: j for j, eq in enumerate(eqs) if eq.shift == 0}
    if not all(d in at_t for d in stacked):
        return "gates.stack(values, t)"
    names = ", ".join(f"n{k}_{at_t[d]}" for d in stacked)
    parts = ", ".join(f"v{k}_{at_t[d]}" for d in stacked)
    return f"gates.put(values, t, ({names},), ({parts},))"
