"""The source of a pass's generated loop (stepcode.py), line by line: where each quantity a call reads is held
(a local made earlier in the step, one carried from the step before, a parameter read before the loop), a
call's arguments bound, its grouped products made (products.py), its values named into values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..refs import Ref
from ..symbolic.codegen import Compiled
from ..symbolic.model import Equation
from .products import grouped, offsets


class Source:
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
        self.names: dict[tuple[str, int], str] = {}  # a quantity's names at every step (stepnames.py): their local

    def name(self, base: str, shift: int | None) -> str:
        """The source of a quantity's name at the step: 'W' (a parameter's), else entry t of its names at every
        step (stepnames.step_names: a_t, state_{t-1}), read into a local before the loop."""
        if shift is None:
            return repr(base)
        if (base, shift) not in self.names:
            local = self.names[(base, shift)] = f"NM{len(self.names)}"
            self.before.append(f"    {local} = names({base!r}, {shift}, T)")
        return f"{self.names[(base, shift)]}[t]"

    def add(self, line: str) -> None:
        self.lines.append(self.pad + line)

    def arguments(self, k: int | str, c: Compiled, only: set[int] | None = None) -> None:
        """Call k's arguments a{k}_j bound (those in only, if given): a local, a carried one, a parameter read
        once, else the values' (then a local for the step's later calls, unless made a column here)."""
        for j, (base, shift, column) in enumerate(c.plan):  # type: ignore[attr-defined]
            if only is not None and j not in only:
                continue
            a, ref = f"a{k}_{j}", (base, shift)
            if ref in self.local:
                self.add(f"{a} = {self.local[ref]}")
            elif shift is None:  # a parameter: read once, before the loop
                self.add(f"{a} = {self._constant(k, j, base, column)}")
                continue
            elif ref in self.carried:
                self.add(f"{a} = {self.carried[ref]}")
                self.add(f"if {a} is None:")
                self.add(f"    {a} = get({self.name(base, shift)})")
                self.add(f"    if {a} is None: {a} = lookup(values, sc, R{k}_{j}, t)")
            else:
                self.add(f"{a} = get({self.name(base, shift)})")
                self.add(f"if {a} is None: {a} = lookup(values, sc, R{k}_{j}, t)")
                if not column:
                    self.local[ref] = a
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
        """The calls' (fns) products grouped (products.py): their matrices stacked once, before the loop, a
        transposed group's [M_1; M_2; …]ᵀ copied to rows of its own (a matrix-vector product reading a
        transposed view runs about a third slower)."""
        self.rewritten, self.groups = grouped(fns)
        self.env.update(vstack=np.vstack, offsets=offsets, concatenate=np.concatenate, contiguous=np.ascontiguousarray)
        for g, group in enumerate(self.groups):
            ps = ", ".join(self._constant(k, j, fns[k].plan[j][0], fns[k].plan[j][2]) for k, j in group.matrices)  # type: ignore[attr-defined]
            stack = f"contiguous(vstack(({ps},)).T)" if group.transposed else f"vstack(({ps},))"
            self.before += [f"    MS{g} = {stack}", f"    o{g} = offsets(({ps},))"]

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

    def _vectors(self, c: Compiled, g: int) -> list[int]:
        """Where group g's vectors are among call c's arguments."""
        return [next(j for j, (b, s, _) in enumerate(c.plan) if (b, s) == v) for v in self.groups[g].vectors]  # type: ignore[attr-defined]

    def _product(self, k: int, c: Compiled, g: int) -> None:
        """Group g's product made, at the step's first call that reads it (k, whose vectors are bound)."""
        if g in self.ready:
            return
        at = self._vectors(c, g)
        vector = f"concatenate(({', '.join(f'a{k}_{j}' for j in at)},))" if len(at) > 1 else f"a{k}_{at[0]}"
        self.add(f"y{g} = MS{g}.dot({vector})")
        self.ready.add(g)

    def _invoke(self, k: int, c: Compiled, fn: str, tail: tuple[str, ...] = ()) -> str:
        """The source calling c's function (named fn) on call k's arguments, bound here, then tail's; a rewritten one's
        (products.py) on its blocks, each group's product made at its first call in the step (only the
        arguments it reads bound); one that is its product alone (Rewritten.alone), that block itself."""
        rewritten = self.rewritten.get(k)
        if rewritten is None:
            self.arguments(k, c)
            return f"{fn}({', '.join([*(f'a{k}_{j}' for j in range(len(c.plan))), *tail])})"  # type: ignore[attr-defined]
        only = {p[1] for p in rewritten.params if p[0] == "arg"}
        for p in rewritten.params:
            if p[0] != "arg" and p[1] not in self.ready:
                only.update(self._vectors(c, p[1]))
        self.arguments(k, c, only)
        self.env[f"G{k}"] = rewritten.fn
        args = []
        for p in rewritten.params:
            if p[0] == "arg":
                args.append(f"a{k}_{p[1]}")
                continue
            g = p[1]
            self._product(k, c, g)
            args.append(f"y{g}" if p[0] == "sum" else f"y{g}[o{g}[{p[2]}] : o{g}[{p[2] + 1}]]")
        return args[0] if rewritten.alone else f"G{k}({', '.join(args)})"

    def made(self, k: int, c: Compiled, eqs: tuple[Equation, ...], hoisted: dict, factors: int = 0) -> None:
        """Call k made: its arguments bound, the call, each equation's value v{k}_j named n{k}_j into values; a
        hoisted call: row t of its terms made before the loop, plus those made in it (if any); a factored one
        (factors.py: c its step, S{k}): its factors made for a window of steps as the loop reaches it, row t of
        each passed."""
        if k in self.joins:  # its run's terms made before the loop, plus the run's blocks, at the run's first
            g, lo, b = self.joins[k]
            if b == lo:
                self.arguments(k, hoisted[k])  # type: ignore[arg-type]
                self._product(k, hoisted[k], g)  # type: ignore[arg-type]
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
        elif factors:  # made a window of steps at a time (factors.window), as the loop reaches it
            rows = [f"K{k}_{n}" for n in range(factors)]
            self.before.append(f"    lo{k} = hi{k} = 0")
            self.add(f"if not lo{k} <= t < hi{k}:")
            self.add(f"    lo{k}, hi{k} = window(t, T)")
            self.add(f"    {', '.join(rows)}, = every(B{k}, {factors}, values, sc, lo{k}, hi{k})")
            self.add(f"r{k} = {self._invoke(k, c, f'S{k}.fn', tuple(f'{r}[t - lo{k}]' for r in rows))}")
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
            self.add(f"{n} = {self.name(eq.name, eq.shift)}")
            self.add(f"values[{n}] = {v}")
            self.local[(eq.name, eq.shift)] = v
