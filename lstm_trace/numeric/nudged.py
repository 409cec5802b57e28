"""The loss of many nudged copies of a scenario at once: one forward pass whose values are columns.

Column k of every quantity is the scenario with one entry moved: a parameter's (W_f[2, 0] + h),
an input's (x_t[3] − 2h) or the initial output's. The model's own compiled forward equations
evaluate all the columns together (elementwise equations broadcast; softmax and Σ over the units
act on axis 0), so a finite-difference check of N entries costs one forward pass over 4N columns,
not 4N passes. A matrix's nudges travel beside it: (M + h·e_r e_cᵀ)·v = M·v + h·v_c·e_r, so every
column shares the one matrix product and adds its own entry.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..refs import Ref
from ..scenario.scenario import Scenario
from ..symbolic.codegen import function
from ..symbolic.model import Equation, Model
from . import sweeps
from .models import compiled, initial_state, lookup, model_for

CHUNK = 128  # columns evaluated together: wide enough to share the products, narrow enough to stay in cache
WORKERS = 2  # chunks evaluated at once, each in a thread (its products single-threaded, as the CLI sets the BLAS)


@dataclass(frozen=True)
class Nudge:
    """One entry moved: of is a parameter's name, an input's (x_3) or out_-1."""

    of: str
    index: tuple[int, ...]
    by: float


class Unbatchable(Exception):
    """An equation reads a nudged matrix other than as M·v: the entries are checked one pass at a time."""


class _Nudged:
    """A matrix and its nudges: column k sees M + by_k·e_{rows_k} e_{cols_k}ᵀ. Only nudged_dot reads it."""

    __array_ufunc__ = None  # any other use is a TypeError, never a silently wrong number

    def __init__(self, base: np.ndarray, nudges: list[tuple[int, int, int, float]], width: int) -> None:
        self.base, self.width = base, width
        self.rows, self.cols, self.columns, by = (np.array(v) for v in zip(*nudges, strict=True))
        self.by = by.astype(np.float64)


def nudged_dot(m: Any, v: Any) -> np.ndarray:
    """M·v, column by column when M carries nudges."""
    if isinstance(v, _Nudged):
        raise Unbatchable("a nudged matrix on the right of a product")
    if not isinstance(m, _Nudged):
        return m.dot(v)
    out = m.base.dot(v)
    out = np.repeat(out, m.width, axis=1) if out.shape[1] == 1 else out.copy()
    out[m.rows, m.columns] += m.by * v[m.cols, m.columns if v.shape[1] > 1 else 0]
    return out


class _ToNudgedDot(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "dot":
            return ast.Call(ast.Name("nudged_dot", ast.Load()), [node.func.value, *node.args], [])
        return node


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{−x}) in three passes (codegen's overflow-free σ takes seven): under the
    pass's errstate, e^{−x} = inf for x < −709 gives exactly 0, σ's limit."""
    e = np.asarray(np.exp(np.negative(x, dtype=np.float64)))  # an array even for a scalar: out= needs one
    e += 1.0
    return np.reciprocal(e, out=e)


def tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x) = 2σ(2x) − 1: numpy's float64 tanh takes twice as long as its exp here; the results
    differ by a few units in the last place, far below what a difference of losses resolves."""
    e = np.asarray(np.exp(np.multiply(x, -2.0, dtype=np.float64)))
    e += 1.0
    np.divide(2.0, e, out=e)
    e -= 1.0
    return e


_BATCHED: dict[tuple[Equation, bool], tuple[Callable[..., Any], tuple]] = {}


def batched(eq: Equation, stacked: bool = False) -> tuple[Callable[..., Any], tuple]:
    """The equation's generated function with each M.dot(v) as nudged_dot(M, v), and its arguments."""
    if (eq, stacked) not in _BATCHED:
        c = compiled(eq, stacked)
        tree = ast.fix_missing_locations(_ToNudgedDot().visit(ast.parse(c.source)))
        _BATCHED[(eq, stacked)] = (
            function(ast.unparse(tree), {"nudged_dot": nudged_dot, "sigmoid": sigmoid, "tanh": tanh}),
            c.plan,
        )  # type: ignore[attr-defined]
    return _BATCHED[(eq, stacked)]


def _targets(sc: Scenario, nudge: Nudge) -> list[tuple[str, tuple[int, ...]]]:
    """Where a nudge lands: the parameter itself, and its rows of the stacked W, U or b (W_f: rows 2H … 3H)."""
    out = [(nudge.of, nudge.index)]
    base, _, gate = nudge.of.partition("_")
    gates = sc.shape.gates
    if base in ("W", "U", "b") and gate in gates and f"{base}_{gates[0]}" in sc.params:
        rows = sc.params[nudge.of].shape[0]
        out.append((base, (nudge.index[0] + gates.index(gate) * rows, *nudge.index[1:])))
    return out


def _given(sc: Scenario, nudges: Sequence[Nudge]) -> dict[str, Any]:
    """Parameters (and W, U, b stacked), inputs and the initial state as columns, each with its nudges."""
    width = len(nudges)
    plain: dict[str, np.ndarray] = {p: v if v.ndim == 2 else v.reshape(-1, 1) for p, v in sc.params.items()}
    gates = sc.shape.gates
    for p in ("W", "U", "b"):
        if gates and f"{p}_{gates[0]}" in plain:
            plain[p] = np.vstack([plain[f"{p}_{g}"] for g in gates])
    plain.update({f"x_{t}": x.reshape(-1, 1) for t, x in enumerate(sc.x)})
    plain.update({name: v.reshape(-1, 1) for name, v in initial_state(sc).items()})
    moved: dict[str, list[tuple]] = {}
    for k, n in enumerate(nudges):
        for name, index in _targets(sc, n):
            moved.setdefault(name, []).append((*index, k, n.by))
    given: dict[str, Any] = dict(plain)
    for name, entries in moved.items():
        if name in ("W", "U") or (name in sc.params and sc.params[name].ndim == 2):  # a matrix
            given[name] = _Nudged(plain[name], entries, width)
        else:
            v = np.repeat(plain[name], width, axis=1)
            rows, columns, by = zip(*entries, strict=True)
            v[list(rows), list(columns)] += by
            given[name] = v
    return given


def differences(sc: Scenario, nudges: Sequence[Nudge]) -> np.ndarray:
    """Σ_t (E_t with nudge 2j − E_t with nudge 2j+1), one per pair: each step's losses are differenced
    before they are summed, so the long sum's rounding (E reaches thousands) never enters the difference.

    A batch's E is Σ_n E_n (or its mean): each sequence with the parameters' nudges, and with an input's
    or out_-1's (indexed n, …) only in sequence n. A given ∂L/∂state_{T-1} (final_dstate) adds
    ⟨final_dstate, state_{T-1}⟩ to E, the term whose gradient it is."""
    if sc.batch:
        parts = [differences(sc.sequence(n), [_of_sequence(sc, x, n) for x in nudges]) for n in range(sc.batch)]
        return sum(parts) / (sc.batch if sc.reduction == "mean" else 1)  # type: ignore[return-value]
    chunks = [nudges[start : start + CHUNK] for start in range(0, len(nudges), CHUNK)]
    if len(chunks) < 2:
        return _chunk(sc, chunks[0]) if chunks else np.zeros(0)
    model_for(sc)  # loaded once, before the threads
    with ThreadPoolExecutor(min(len(chunks), os.cpu_count() or 1, WORKERS)) as pool:  # numpy lets go of the GIL
        return np.concatenate(list(pool.map(lambda c: _chunk(sc, c), chunks)))


def _of_sequence(sc: Scenario, nudge: Nudge, n: int) -> Nudge:
    """A batch's nudge as sequence n sees it: a parameter's as it is; an input's (n, i) as (i), else none."""
    if nudge.of in sc.params:
        return nudge
    return Nudge(nudge.of, nudge.index[1:], nudge.by if nudge.index[0] == n else 0.0)


def _chunk(sc: Scenario, nudges: Sequence[Nudge]) -> np.ndarray:
    model, H, width = model_for(sc), sc.H, len(nudges)  # noqa: N806 - the maths' name
    assert width % 2 == 0, "nudges come in pairs"
    linear = batched(model.linear[0], stacked=True) if model.linear else None
    gates = sc.shape.gates if linear else ()
    calls = [(eq, *batched(eq)) for eq in (*model.forward, *model.head, model.loss_eq)]
    values = _given(sc, nudges)
    if model.sweeps:
        return _swept(sc, model, values, calls, width)
    total = np.zeros(width // 2)
    made: list[list[str]] = []
    with np.errstate(all="ignore"):  # a nudged loss is compared, not shown
        for t in range(sc.T):
            values[f"label_{t}"] = values[f"upstream_{t}"] = sc.label[t].reshape(-1, 1)  # a label, or a given ∂L/∂out_t
            names = [f"label_{t}", f"upstream_{t}"]
            if linear is not None:  # the gates' pre-activations stacked (a GRU computes each in its place)
                z = values[f"z_{t}"] = _apply(linear, values, sc, t)
                names += [f"z_{t}", *(f"z{g}_{t}" for g in gates)]
                for k, g in enumerate(gates):
                    values[f"z{g}_{t}"] = z[k * H : (k + 1) * H]
            for eq, fn, plan in calls:
                names.append(f"{eq.name}_{t + eq.shift}")
                values[names[-1]] = _apply((fn, plan), values, sc, t)
            e = np.asarray(values[f"{model.loss_eq.name}_{t}"], dtype=np.float64)
            e = np.broadcast_to(e, (e.shape[0], width)).sum(axis=0)
            total += e[0::2] - e[1::2]
            made.append(names)
            if t >= 2:  # a step reads the one before it, never earlier ones: memory stays flat in T
                for name in made[t - 2]:
                    values.pop(name, None)
                values.pop(f"x_{t - 2}", None)
        if sc.final_dstate is not None:
            e = np.broadcast_to(sc.final_dstate.reshape(-1, 1) * values[f"state_{sc.T - 1}"], (H, width)).sum(axis=0)
            total += e[0::2] - e[1::2]
    return total


def _swept(sc: Scenario, model: Model, values: dict[str, Any], calls: list, width: int) -> np.ndarray:
    """A bidirectional network's forward pass on columns, sweep by sweep (numeric/sweeps.py): every step's
    values kept, since a reverse direction reads the step after."""
    by_name = {eq.name: (eq, fn, plan) for eq, fn, plan in calls}
    for t in range(sc.T):  # a label, or a given ∂L/∂out_t, and each direction's half of it
        values[f"label_{t}"] = values[f"upstream_{t}"] = sc.label[t].reshape(-1, 1)
        for o, half in sweeps.halves(model, sc.label[t]):
            values[f"label{o}_{t}"] = values[f"upstream{o}_{t}"] = half.reshape(-1, 1)
    total = np.zeros(width // 2)
    with np.errstate(all="ignore"):  # a nudged loss is compared, not shown
        for k, (names, direction) in enumerate(model.sweeps):
            last = k == len(model.sweeps) - 1
            run = [by_name[n] for n in (*names, *((model.loss_eq.name,) if last else ()))]
            for t in sweeps.in_time(direction, sc.T):
                for eq, fn, plan in run:
                    values[f"{eq.name}_{t + eq.shift}"] = _apply((fn, plan), values, sc, t)
                if last:
                    e = np.asarray(values[f"{model.loss_eq.name}_{t}"], dtype=np.float64)
                    e = np.broadcast_to(e, (e.shape[0], width)).sum(axis=0)
                    total += e[0::2] - e[1::2]
    return total


def _apply(call: tuple[Callable[..., Any], tuple], values: dict[str, Any], sc: Scenario, t: int) -> Any:
    fn, plan = call
    args = []
    for base, shift, _ in plan:
        v = values.get(base if shift is None else f"{base}_{t + shift}")
        if v is None:
            v = lookup(values, sc, Ref(base, shift), t).reshape(-1, 1)  # zeros beyond the sequence's ends
        args.append(v)
    return fn(*args)
