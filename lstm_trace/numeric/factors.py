"""A backward step's factors that read only the forward pass, made for a window of steps at once.

Going back, most of a step's arithmetic reads the forward pass alone: δa_t = δstate_t ⊙ (i_t ⊙ (1 - a_t²))
multiplies δstate_t by a factor that every step's forward values fix, and Δ_t = out_t - label_t reads
nothing the backward pass makes at all (codegen.generate groups such factors: fusing.grouped). A hand-written
loop makes those factors for many steps at once, as numpy calls over arrays of rows, and a step is then a few
products; so does the generated loop (stepcode.py): a fused backward call is split (factored) into

- before: the statements and factors that read no quantity the pass makes, made for a window of STEPS steps
  at once (every), on those steps' values stacked as the rows of one array each, when the loop reaches the
  window (so a long sequence's factors are never all held), and
- step: the rest, reading those factors' rows (its last parameters) beside its own arguments.

Elementwise numpy functions give each entry the same bits whether it is evaluated alone or among others
(tests/test_stepcode.py compares every value with the call-by-call walk), so every value is the fused
call's own. A factor reading a function over all units (softmax) is not made this way.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..refs import Ref
from ..scenario.scenario import Scenario
from ..symbolic.codegen import ACROSS_UNITS, Arg, Compiled, load, source_of
from ..symbolic.fusing import names_read
from .allsteps import rows_of
from .models import lookup


class Factored(NamedTuple):
    """A fused call as its factors for many steps (before) and the step's rest (step, whose last count parameters
    are the factors' rows at the step, after its own arguments)."""

    before: Compiled
    step: Compiled
    count: int


_SPLITS: dict[tuple[Compiled, frozenset[str]], Factored | None] = {}


def factored(c: Compiled, moving: frozenset[str]) -> Factored | None:
    """c split (see the module's docstring); moving: the bases of what the pass makes. None where no factor
    reads only the forward pass (nothing to make ahead of the step)."""
    key = (c, moving)
    if key not in _SPLITS:
        _SPLITS[key] = _factored(c, moving) if c.kind == "fused" else None
    return _SPLITS[key]


def _factored(c: Compiled, moving: frozenset[str]) -> Factored | None:
    fn = ast.parse(c.source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    params = [a.arg for a in fn.args.args]
    *body, ret = [st for st in fn.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
    assert isinstance(ret, ast.Return) and ret.value is not None
    split = _Split(
        {p for p, a in zip(params, c.args, strict=True) if a.ref.base in moving},
        {p for p, a in zip(params, c.args, strict=True) if a.ref.shift is not None},
    )
    kept = [st for st in map(split.statement, body) if st is not None]
    read = set().union(*(names_read(st) for st in (*kept, ret)))
    outputs = [name for name, _ in split.factors.values()] + [n for n in split.early if n in read]
    if not outputs:
        return None
    made = [ast.Assign([ast.Name(name, ast.Store())], node, lineno=0) for name, node in split.factors.values()]
    ahead = [*split.before, *made, ast.Return(ast.Tuple([ast.Name(n, ast.Load()) for n in outputs], ast.Load()))]
    return Factored(_load(ahead, params, c.args, []), _load([*kept, ret], params, c.args, outputs), len(outputs))


class _Split(ast.NodeTransformer):
    """Sorts a fused function's statements into those made ahead of the steps and the step's, the latter's factors
    that read nothing made in the loop replaced by parameters (a factor: an operation, not a name alone, that
    reads some step's value and calls no function over all units)."""

    def __init__(self, moving: set[str], steps: set[str]) -> None:
        self.late = moving  # what the step makes or reads of the pass's: the pass's names, the step's locals
        self.steps = steps  # the arguments that are a step's value (not a parameter's)
        self.early: list[str] = []  # the locals made ahead of the steps
        self.before: list[ast.stmt] = []
        self.factors: dict[str, tuple[str, ast.expr]] = {}  # a factor's dump -> its name, itself

    def statement(self, st: ast.stmt) -> ast.stmt | None:
        """st made ahead of the steps (None) or the step's, its factors replaced."""
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            if self._early(st.value):
                self.before.append(st)
                self.early.append(st.targets[0].id)
                return None
        self.late |= set().union(*map(names_read, getattr(st, "targets", ())))
        return self.visit(st)  # type: ignore[no-any-return]

    def _early(self, node: ast.expr) -> bool:
        """Whether node reads some step's value and nothing made in the loop, entry by entry: no function over
        all units, no method (a product's .dot) or subscript, which would read the stacked rows otherwise."""
        names, nodes = names_read(node), list(ast.walk(node))
        calls = {n.func.id if isinstance(n.func, ast.Name) else "" for n in nodes if isinstance(n, ast.Call)}
        whole = calls & ACROSS_UNITS or "" in calls or any(isinstance(n, ast.Attribute | ast.Subscript) for n in nodes)
        return bool(names & (self.steps | set(self.early))) and not (names & self.late or whole)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call) and self._early(node):
            dump = ast.dump(node)
            if dump not in self.factors:
                self.factors[dump] = (f"_factor_{len(self.factors)}", node)
            return ast.Name(self.factors[dump][0], ast.Load())
        return super().generic_visit(node)


def _load(body: list[ast.stmt], params: list[str], args: tuple[Arg, ...], tail: list[str]) -> Compiled:
    """The statements as a fused function of the parameters they read (in c's order), then tail's."""
    read = set().union(*(names_read(st) for st in body))
    keep = [k for k, p in enumerate(params) if p in read and p not in tail]
    source = source_of("_lambdifygenerated_fused", [params[k] for k in keep] + tail, body)
    return load("fused", tuple(args[k] for k in keep), 1, source)


STEPS = 128  # the steps whose factors are made at once: a window's rows stay in cache, and a long sequence's
# factors never all exist at once (at T = 8192, H = 128, each factor of all steps would hold 8 MB)


def window(t: int, T: int) -> tuple[int, int]:  # noqa: N803 - the maths' name
    """The steps [lo, hi) whose factors are made with step t's: the block of STEPS that holds it (the same
    blocks whichever way the loop walks the steps)."""
    lo = t - t % STEPS
    return lo, min(lo + STEPS, T)


def every(before: Compiled, count: int, values: dict, sc: Scenario, lo: int, hi: int) -> Sequence:
    """before's values for the steps lo … hi-1: each as the rows of one array (entry t - lo step t's), from each
    argument's steps stacked; or, where the steps' values do not stack (a batch's matrices beside a
    boundary's vector), a list of each step's, before evaluated step by step."""
    plan = before.plan  # type: ignore[attr-defined]
    at = slice(lo, hi)
    args = [_rows(Ref(b, s), sc, values, at) if s is not None else lookup(values, sc, Ref(b, s), 0) for b, s, _ in plan]
    if all(a is not None for a in args):
        out = before.fn(*args)
        if all(type(o) is np.ndarray and o.ndim >= 2 and len(o) == hi - lo for o in out):  # noqa: E721 - exactly ndarray
            return out  # type: ignore[no-any-return]
    each = [before.fn(*(lookup(values, sc, Ref(b, s), t) for b, s, _ in plan)) for t in range(lo, hi)]
    return [[np.asarray(e[j], dtype=np.float64) for e in each] for j in range(count)]


def _rows(ref: Ref, sc: Scenario, values: dict, steps: slice) -> np.ndarray | None:
    """ref's values at the steps as the rows of one array (None where they are not one shape); one within the
    sequence not yet made is a bug (allsteps.rows_of, made): the pass would read it before making it."""
    try:
        rows = rows_of(ref, values, sc, made=True, steps=steps)
    except ValueError:  # steps of different shapes
        return None
    return rows if rows.ndim == 2 else None
