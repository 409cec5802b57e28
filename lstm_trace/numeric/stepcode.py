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
  grouped product's blocks to the four terms side by side (joined); names are f-strings over t, a step's
  rows are built in one go at its end.

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
from .models import at, lookup
from .products import grouped, in_loop, offsets

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
        hidden: str,
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
        key = (section, hidden, row, stacked, sweep, later, direction, project, hoisted)
        fn = self._fns.get(key)
        if fn is None:
            shape = Shape(section, hidden, row, stacked, sweep, later, direction, project, hoisted)
            fn = self._fns[key] = build(self.calls, shape)
        return fn


class Shape(NamedTuple):
    """What a generated loop is made for, beside its calls (Step.loop's arguments)."""

    section: str
    hidden: str
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


def _name(base: str, shift: int | None) -> str:
    """The source of a quantity's name at the step: 'W', f"a_{t}", f"state_{t + -1}"."""
    if shift is None:
        return repr(base)
    return f'f"{base}_{{t}}"' if shift == 0 else f'f"{base}_{{t + {shift}}}"'


class _Source:
    """The generated function's lines, its globals, and where each quantity it reads is held: a local made
    earlier in the step, one carried from the step before, or a parameter read before the loop."""

    def __init__(self, lines: list[str], env: dict[str, Any], carried: dict) -> None:
        self.lines, self.env, self.pad = lines, env, " " * 8  # the loop's body
        self.local: dict[tuple[str, int | None], str] = {}  # made earlier in this step
        self.carried: dict[tuple[str, int | None], str] = carried  # made the step before: its carrying local
        self.before: list[str] = []  # the parameters' reads, before the loop
        self.constant: dict[str, str] = {}  # a parameter's (column's) local
        self.rewritten: dict = {}  # a call's function reading its grouped products (stacked)
        self.groups: tuple = ()
        self.ready: set[int] = set()  # the groups whose product the step has made, so far in its source
        self.joins: dict[int, tuple[int, int, int]] = {}  # a joined call k: (its group, the run's first block, its)

    def add(self, line: str) -> None:
        self.lines.append(self.pad + line)

    def arguments(self, k: int | str, c: Compiled) -> None:
        """Call k's arguments a{k}_j bound: a local, a carried one, a parameter read once, else the values'."""
        for j, (base, shift, column) in enumerate(c.plan):  # type: ignore[attr-defined]
            a, ref = f"a{k}_{j}", (base, shift)
            if ref in self.local:
                self.add(f"{a} = {self.local[ref]}")
            elif shift is None:  # a parameter: read once, before the loop
                self.add(f"{a} = {self._constant(k, j, base, column)}")
                continue
            elif ref in self.carried:
                self.add(f"{a} = {self.carried[ref]}")
                self.add(f"if {a} is None:")
                self.add(f"    {a} = get({_name(base, shift)})")
                self.add(f"    if {a} is None: {a} = lookup(values, sc, R{k}_{j}, t)")
            else:
                self.add(f"{a} = get({_name(base, shift)})")
                self.add(f"if {a} is None: {a} = lookup(values, sc, R{k}_{j}, t)")
            self.env[f"R{k}_{j}"] = Ref(base, shift)
            if column:
                self.add(f"if {a}.ndim == 1: {a} = {a}.reshape(-1, 1)")

    def _constant(self, k: int | str, j: int, base: str, column: bool) -> str:
        key = f"{base}{'|col' if column else ''}"
        if key not in self.constant:
            p = self.constant[key] = f"p{len(self.constant)}"
            self.env[f"R{k}_{j}"] = Ref(base, None)
            self.before += [f"    {p} = get({base!r})", f"    if {p} is None: {p} = lookup(values, sc, R{k}_{j}, 0)"]
            if column:
                self.before.append(f"    if {p}.ndim == 1: {p} = {p}.reshape(-1, 1)")
        return self.constant[key]

    def stacked(self, fns: dict[int, Compiled]) -> None:
        """The calls' (fns) products grouped (products.py): their matrices stacked once, before the loop."""
        self.rewritten, self.groups = grouped(fns)
        self.env.update(vstack=np.vstack, offsets=offsets, concatenate=np.concatenate)
        for g, group in enumerate(self.groups):
            ps = ", ".join(self._constant(k, j, fns[k].plan[j][0], fns[k].plan[j][2]) for k, j in group.matrices)  # type: ignore[attr-defined]
            self.before += [f"    MS{g} = vstack(({ps},)){'.T' * group.transposed}", f"    o{g} = offsets(({ps},))"]

    def joined(self, hoisted: dict[int, Compiled | None]) -> None:
        """Runs of two or more blocks of one group's product that are each a hoisted call's whole in-loop term
        (a stacked LSTM's z_g = (W_g·x_t + b_g, made before the loop) + U_g·out_{t-1}, for g = a, i, f, o), made
        as one: the calls' rows of the terms made before the loop side by side in one array, row t plus the
        blocks in one addition, each call's value its slice (the same sums, entry by entry, so the same bits)."""
        for g, group in enumerate(self.groups):
            if group.transposed:
                continue
            run: list[tuple[int, int]] = []  # (block, call) of the run so far
            for m, (k, _) in enumerate((*group.matrices, (-1, -1))):
                r = self.rewritten.get(k)
                if hoisted.get(k) is not None and r is not None and r.alone and r.params == (("block", g, m),):
                    run.append((m, k))
                    continue
                if len(run) > 1:
                    lo, hi = run[0][0], run[-1][0] + 1
                    ins = ", ".join(f"inputs[{c}]" for _, c in run)
                    self.before += [
                        f"    IJ{g}_{lo} = concatenate(({ins},), axis=1)",
                        f"    SJ{g}_{lo} = slice(o{g}[{lo}], o{g}[{hi}])",
                    ]
                    for b, c in run:
                        self.before.append(f"    S{g}_{b} = slice(o{g}[{b}] - o{g}[{lo}], o{g}[{b + 1}] - o{g}[{lo}])")
                        self.joins[c] = (g, lo, b)
                run = []

    def _product(self, k: int, c: Compiled, g: int, summed: bool) -> None:
        """Group g's product made, at the step's first call that reads it (k, whose arguments are bound)."""
        if g in self.ready:
            return
        at = [next(j for j, (b, s, _) in enumerate(c.plan) if (b, s) == v) for v in self.groups[g].vectors]  # type: ignore[attr-defined]
        vector = f"concatenate(({', '.join(f'a{k}_{j}' for j in at)},))" if summed else f"a{k}_{at[0]}"
        self.add(f"y{g} = MS{g}.dot({vector})")
        self.ready.add(g)

    def _invoke(self, k: int, c: Compiled, fn: str) -> str:
        """The source calling c's function (named fn) on call k's arguments, bound here; a rewritten one's
        (products.py) on its blocks, each group's product made at its first call in the step."""
        self.arguments(k, c)
        rewritten = self.rewritten.get(k)
        if rewritten is None:
            return f"{fn}({', '.join(f'a{k}_{j}' for j in range(len(c.plan)))})"  # type: ignore[attr-defined]
        self.env[f"G{k}"] = rewritten.fn
        args = []
        for p in rewritten.params:
            if p[0] == "arg":
                args.append(f"a{k}_{p[1]}")
                continue
            g = p[1]
            self._product(k, c, g, p[0] == "sum")
            args.append(f"y{g}" if p[0] == "sum" else f"y{g}[o{g}[{p[2]}] : o{g}[{p[2] + 1}]]")
        return f"G{k}({', '.join(args)})"

    def made(self, k: int, c: Compiled, eqs: tuple[Equation, ...], hoisted: dict) -> None:
        """Call k made: its arguments bound, the call, each equation's value v{k}_j named n{k}_j into values; a
        hoisted call: row t of its terms made before the loop, plus those made in it (if any)."""
        if k in self.joins:  # its run's terms made before the loop, plus the run's blocks, at the run's first
            g, lo, b = self.joins[k]
            if b == lo:
                self.arguments(k, hoisted[k])  # type: ignore[arg-type]
                self._product(k, hoisted[k], g, False)  # type: ignore[arg-type]
                self.add(f"zj{g}_{lo} = IJ{g}_{lo}[t]")
                self.add(f"zj{g}_{lo} += y{g}[SJ{g}_{lo}].ravel()")
            self.add(f"r{k} = zj{g}_{lo}[S{g}_{b}]")
        elif k in hoisted:
            self.before.append(f"    I{k} = inputs[{k}]")
            self.add(f"r{k} = I{k}[t]")
            if hoisted[k] is not None:
                self.env[f"H{k}"] = hoisted[k]
                self.add(f"r{k} += {self._invoke(k, hoisted[k], f'H{k}.fn')}.ravel()")
        elif c.kind == "sum":  # a Σ_t (never within a step's calls in practice): as models.at does it
            self.add(f"r{k} = at(F{k}, values, sc, t)")
        else:
            self.add(f"r{k} = {self._invoke(k, c, f'F{k}.fn')}")
        for j, eq in enumerate(eqs):
            v, n = f"v{k}_{j}", f"n{k}_{j}"
            if c.kind == "fused":
                self.add(f"{v} = r{k}[{j}]")
                self.add(f"if type({v}) is not ndarray: {v} = asarray({v}, dtype=float64)")
            elif c.kind == "linear":
                self.add(f"{v} = r{k}.ravel()")
            elif c.kind == "sum":
                self.add(f"{v} = r{k}")
            else:
                self.add(f"{v} = asarray(r{k}, dtype=float64)")
            self.add(f"{n} = {_name(eq.name, eq.shift)}")
            self.add(f"values[{n}] = {v}")
            self.local[(eq.name, eq.shift)] = v


def build(calls: list[Call], shape: Shape) -> LoopFn:
    """Generate and load the pass's loop (see the module's docstring); a call in shape.later is not made,
    its rows are (its values come after the loop)."""
    env: dict[str, Any] = {"lookup": lookup, "at": at, "Ref": Ref, "ndarray": np.ndarray, "asarray": np.asarray}
    env.update({"float64": np.float64, "new": tuple.__new__, "Row": shape.row})
    carried = _carried(calls, shape)
    body: list[str] = []
    source = _Source(body, env, {ref: f"c_{k}" for k, ref in enumerate(carried)})
    if shape.project is not None:
        _project(source, shape.project)
    source.stacked(in_loop(calls, shape.later, shape.hoisted))
    source.joined(dict(shape.hoisted))
    made: list[tuple[str, str]] = []  # (the name's local, the equation's) of each row, in order
    putting, hoisted = False, dict(shape.hoisted)
    for k, (c, eqs) in enumerate(calls):
        env[f"F{k}"] = c
        if k not in shape.later:
            source.made(k, c, eqs, hoisted)
        for j, eq in enumerate(eqs):
            if k in shape.later:
                source.add(f"n{k}_{j} = {_name(eq.name, eq.shift)}")
            if eq.name != shape.hidden:
                env[f"E{k}_{j}"] = eq
                made.append((f"n{k}_{j}", f"E{k}_{j}"))
        if shape.stacked and eqs[-1].name in shape.stacked:
            putting = True
            source.add(f"if gates is not None: {_stacking(eqs, shape.stacked, k)}")
    if not putting and shape.stacked:  # the parts made by several calls: stacked once all exist
        source.add("if gates is not None: gates.stack(values, t)")
    for k, ref in enumerate(carried):  # what the next step reads of this one's
        source.add(f"c_{k} = {source.local[carried[ref]]}")
    if made:
        each = ", ".join(f"new(Row, ({shape.section!r}, t, {n}, {e}, False, '', {shape.sweep!r}))" for n, e in made)
        source.add(f"if rows is not None: rows.extend(({each},))")
    lines = ["def _loop(values, sc, steps, rows, gates, inputs):", "    get = values.get", *source.before]
    lines += [f"    c_{k} = None" for k in range(len(carried))]
    lines += ["    for t in steps:", *body]
    return _load(lines, env, "_loop")


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


def _project(source: _Source, project: Project) -> None:
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
    source.add('values[f"z_{t}"] = z')
    for name, start, stop in project.blocks:
        source.add(f"zb_{name} = z[{start}:{stop}]")
        source.add(f'values[f"{name}_{{t}}"] = zb_{name}')
        source.local[(name, 0)] = f"zb_{name}"


def _stacking(eqs: tuple[Equation, ...], stacked: tuple[str, ...], k: int) -> str:
    """gates.put with the parts in hand when this call made them all (at this step), else gates.stack."""
    at_t = {eq.name: j for j, eq in enumerate(eqs) if eq.shift == 0}
    if not all(d in at_t for d in stacked):
        return "gates.stack(values, t)"
    names = ", ".join(f"n{k}_{at_t[d]}" for d in stacked)
    parts = ", ".join(f"v{k}_{at_t[d]}" for d in stacked)
    return f"gates.put(values, t, ({names},), ({parts},))"
