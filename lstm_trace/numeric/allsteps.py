"""The work of all steps at once, and per-step quantities kept without copies.

The recurrence is a loop over the steps, but part of a step's linear equation reads none of it:
W·x_t + b of z_t = U·out_{t-1} + W·x_t + b is one matrix product over all the steps' columns
before the loop, W·[x_0 … x_{T-1}] + b, and z_t is written into its row (the sum reassociated:
z_t may differ from the equation evaluated alone in the last bit); so are any forward product's terms
that read nothing the pass makes (hoisted: a GRU's W_g·x_t + b_g, the layer below's W·out_t). Likewise a
product of the backward step that nothing in the loop reads, δx_t = Wᵀ·δgates_t, is one product after
it, Wᵀ·[δgates_0 …] (later): T matrix-vector products are one matrix product, as PyTorch computes δx,
and the loss E_t of every step is one evaluation (losses). Each such product is its equation to within
the products' rounding (tests/test_cache.py, tests/test_engine_speed.py), as are the products the loop makes
(numeric/products.py); every elementwise row is bit for bit its equation's.
δgates_t = [δa_t; δi_t; δf_t; δo_t] is row t of one T×4H array and δa_t … are its slices, so the
gradients' Σ_t read [δgates_0 … δgates_{T-1}] as that array's transpose and [x_0 … x_{T-1}] as the
scenario's own x: a long sequence's values are held once.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import numpy as np

from ..refs import Ref
from ..scenario.scenario import Scenario
from ..symbolic.codegen import Compiled, load, source_of, unitwise
from ..symbolic.fusing import names_read
from ..symbolic.model import Equation, Model
from .models import at, compiled, lookup
from .stepnames import step_names

Plan = tuple[tuple[str, int | None, bool], ...]


Split = tuple[Compiled, Compiled]  # a linear equation's terms that read the recurrence, and the others
_SPLITS: dict[tuple[Compiled, frozenset[str]], Split | None] = {}


def split(c: Compiled, recurrent: frozenset[str]) -> Split | None:
    """c's sum of terms as the terms reading a recurrent quantity and the others (None if it is not such a sum)."""
    key = (c, recurrent)
    if key not in _SPLITS:
        _SPLITS[key] = _split(c, recurrent)
    return _SPLITS[key]


def _split(c: Compiled, recurrent: frozenset[str]) -> Split | None:
    parsed = sum_of(c)
    if parsed is None:
        return None
    params, terms = parsed
    moving = {p for p, (base, shift, _) in zip(params, c.plan, strict=True) if shift is not None and base in recurrent}
    rec = [t for t in terms if names_read(t) & moving]
    rest = [t for t in terms if not names_read(t) & moving]
    if not rec or not rest:
        return None
    return _function(rec, params, c), _function(rest, params, c)


def sum_of(c: Compiled) -> tuple[list[str], list[ast.expr]] | None:
    """A linear function's parameters and the terms of the sum it returns (None if it is not one return)."""
    fn = ast.parse(c.source).body[0]
    if c.kind != "linear" or not isinstance(fn, ast.FunctionDef) or len(fn.body) != 1:
        return None
    ret = fn.body[0]
    if not isinstance(ret, ast.Return) or ret.value is None:
        return None
    return [a.arg for a in fn.args.args], terms_of(ret.value)


def terms_of(node: ast.expr) -> list[ast.expr]:
    """A sum's terms, in order (a + b + c: [a, b, c])."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return terms_of(node.left) + terms_of(node.right)
    return [node]


def _function(terms: list[ast.expr], params: list[str], c: Compiled) -> Compiled:
    """The sum of terms as a linear equation of the arguments they read (in the equation's order)."""
    used = set().union(*(names_read(t) for t in terms))
    keep = [k for k, p in enumerate(params) if p in used]
    body = terms[0]
    for t in terms[1:]:
        body = ast.BinOp(body, ast.Add(), t)
    source = source_of("_lambdifygenerated", [params[k] for k in keep], [ast.Return(body)])
    return load(c.kind, tuple(c.args[k] for k in keep), c.cols, source)


def inputs(
    linear: Compiled, forward: list[tuple[Compiled, tuple]], values: dict, sc: Scenario
) -> tuple[Compiled, np.ndarray | None]:
    """z_t's terms that read the recurrence, and the others for all steps (W·[x_0 … x_{T-1}] + b), if they
    read only what the scenario holds as columns; else z_t's equation whole."""
    recurrent = frozenset(eq.name for _, eqs in forward for eq in eqs)
    parts, given = split(linear, recurrent), given_columns(sc)
    if parts is None or any(s is not None and Ref(b, s) not in given for b, s, _ in parts[1].plan):
        return linear, None
    return parts[0], every_step(parts[1], values, sc, given)


Hoist = tuple[int, Compiled | None, Compiled]  # call k; its terms that read the pass's own (None: none); the others


def hoisted(calls: list[tuple[Compiled, tuple[Equation, ...]]], made: frozenset[str]) -> tuple[Hoist, ...]:
    """A forward step's products whose terms read no quantity the pass makes: W_g·x_t + b_g of a GRU's gates, a
    layer's W·out_t of the layer (or direction) below, made by an earlier sweep. Those terms are made for all
    steps before the loop (hoist: one product in place of T), the others in it (z_t's as in inputs); the
    value is reassociated as z_t's is. Only terms that read some step's value (not b alone)."""
    out = []
    for k, (c, _) in enumerate(calls):
        if c.kind != "linear":
            continue
        parts = split(c, made) if any(s is not None and b in made for b, s, _ in c.plan) else (None, c)
        if parts is not None and any(s is not None for _, s, _ in parts[1].plan):
            out.append((k, *parts))
    return tuple(out)


def hoist(which: tuple[Hoist, ...], values: dict, sc: Scenario) -> dict[int, np.ndarray]:
    """The hoisted terms of each call (hoisted) for all steps: call k's as a T×n array, row t step t's."""
    columns = given_columns(sc)
    return {k: every_step(rest, values, sc, columns) for k, _, rest in which}


def columns_of(plan: Plan, values: dict, sc: Scenario, columns: dict[Ref, np.ndarray]) -> list[np.ndarray]:
    """A plan's arguments for all steps at once: a quantity at a step as the columns [v_0 … v_{T-1}]."""
    out = []
    for base, shift, column in plan:
        if shift is None:
            v = lookup(values, sc, Ref(base, None), 0)
            out.append(v.reshape(-1, 1) if column and v.ndim == 1 else v)
            continue
        ref = Ref(base, shift)
        if ref not in columns:
            each = rows_of(ref, values, sc)  # [v_0; …; v_{T-1}] copied in one go, seen as its columns
            columns[ref] = each.T if each.ndim == 2 else np.stack(list(each), axis=1)
        out.append(columns[ref])
    return out


def every_step(c: Compiled, values: dict, sc: Scenario, columns: dict) -> np.ndarray:
    """A linear equation evaluated on all steps' columns: row t is step t's value (a T×n array, rows contiguous)."""
    return np.ascontiguousarray(np.asarray(c.fn(*columns_of(c.plan, values, sc, columns)), dtype=np.float64).T)


def later(calls: list[tuple[Compiled, tuple[Equation, ...]]]) -> frozenset[int]:
    """The step's matrix products whose values no other call of the pass reads (δx_t = Wᵀ·δgates_t, not a
    stacked layer's, whose δx_t the layer below reads in the step): made for all steps after the loop."""
    out = set()
    for k, (c, eqs) in enumerate(calls):
        made = {eq.name for eq in eqs}
        if c.kind == "linear" and not any(b in made for j, (o, _) in enumerate(calls) if j != k for b, _, _ in o.plan):
            out.add(k)
    return frozenset(out)


def after(
    calls: list[tuple[Compiled, tuple[Equation, ...]]],
    which: frozenset[int],
    values: dict,
    sc: Scenario,
    columns: dict[Ref, np.ndarray],
) -> None:
    """The calls in which (later) made for every step at once, step t's value row t of one array."""
    for k in sorted(which):
        c, (eq,) = calls[k]
        named(values, eq.name, eq.shift, every_step(c, values, sc, columns))


def target_of(model: Model) -> str:
    """What a step's label is named: a given ∂L/∂out_t (upstream_t) or a label (label_t)."""
    return "upstream" if model.loss == "upstream" else "label"


def losses(model: Model, values: dict, sc: Scenario) -> list[float]:
    """E_t of every step, its equation evaluated on all steps at once and each step's units summed (the bits
    of E_t's own sum: a contiguous row is summed as the vector alone), into values as E_t; the list. A loss
    that reads each unit alone (l2, upstream) takes the steps as the rows of a T×n array, as the label is
    held; one that reads all units (cross-entropy's logsumexp) takes them as columns."""
    loss, target, label = compiled(model.loss_eq), target_of(model), np.asarray(sc.label)
    if unitwise(loss) and all(shift is not None for _, shift, _ in loss.plan):  # type: ignore[attr-defined]
        whole = loss.fn(
            *(
                label if (b, s) == (target, 0) and label.ndim == 2 else rows_of(Ref(b, s), values, sc)
                for b, s, _ in loss.plan
            )  # type: ignore[attr-defined]
        )
        whole = np.asarray(whole, dtype=np.float64)
    else:
        columns = given_columns(sc)
        if label.ndim == 2:
            columns[Ref(target, 0)] = label.T
        whole = every_step(loss, values, sc, columns)
    sums = np.add.reduce(whole.reshape(sc.T, -1), axis=1)
    named(values, "E", 0, sums.reshape(-1, 1))
    return sums.tolist()


def named(values: dict, base: str, shift: int, whole: np.ndarray) -> None:
    """Row t of whole (step t's value, a view) into values as base_{t + shift}, every step in one go."""
    values.update(zip(step_names(base, shift, len(whole)), whole, strict=True))


def rows_of(ref: Ref, values: dict, sc: Scenario, made: bool = False, steps: slice = slice(None)) -> np.ndarray:
    """A quantity's values at every step (or at those of steps) as the rows of one array: [v_0; …; v_{T-1}]
    (np.array of the steps' arrays: np.stack's result and bits, in under half its time). made: every value
    within the sequence must be in values already (one that is not would be read as a zero: a bug, raised)."""
    each = list(map(values.get, step_names(ref.base, ref.shift, sc.T)[steps]))
    if any(v is None for v in each):
        at = range(sc.T)[steps]
        each = [v if v is not None else _beyond(values, sc, ref, t, made) for t, v in zip(at, each, strict=True)]
    return np.array(each)


def _beyond(values: dict, sc: Scenario, ref: Ref, t: int, made: bool) -> np.ndarray:
    if made and 0 <= t + (ref.shift or 0) < sc.T:
        raise AssertionError(f"{ref.base}_{t + (ref.shift or 0)} is read before the loop that makes it")
    return lookup(values, sc, ref, t)


def given_columns(sc: Scenario) -> dict[Ref, np.ndarray]:
    """The columns a scenario holds already: [x_0 … x_{T-1}] is its x, transposed."""
    return {Ref("x", 0): sc.x.T} if sc.x.ndim == 2 else {}


class GateRows:
    """δgates_t as row t of one array, δa_t … δo_t its slices (no copy made twice)."""

    def __init__(self, T: int, gates: tuple[str, ...]) -> None:  # noqa: N803 - the maths' name
        self.T, self.rows = T, None  # type: ignore[var-annotated]
        self.names = tuple(f"d{g}" for g in gates)  # empty for a cell without gates: no δgates_t
        self.whole = step_names("dgates", 0, T) if self.names else ()  # δgates_t's name at each step

    def stack(self, values: dict, t: int) -> None:
        """δgates_t = [δa_t; δi_t; δf_t; δo_t], once its four parts exist: Δout_{t-1} and δx_t read it."""
        name = f"dgates_{t}"
        if not self.names or name in values:
            return
        names = [f"{d}_{t}" for d in self.names]
        parts = [values.get(n) for n in names]
        if any(p is None for p in parts):
            return
        if self.rows is None and 0 <= t < self.T and all(p.ndim == 1 for p in parts):
            self.rows = np.zeros((self.T, sum(p.size for p in parts)))
        if not self._into_row(values, t, names, parts):
            values[name] = np.concatenate(parts)

    def put(self, values: dict, t: int, names: tuple[str, ...], parts: tuple[np.ndarray, ...]) -> None:
        """stack() with δa_t … δo_t in hand, named (a step's generated function has them as locals)."""
        made = 0 <= t < self.T and self.whole[t] in values  # beyond the steps: stack() sees to it
        if made or not self._into_row(values, t, names, parts):
            self.stack(values, t)

    def _into_row(self, values: dict, t: int, names: Sequence[str], parts: Sequence[np.ndarray]) -> bool:
        """The parts copied into row t (the same bits), each named as its slice, the row as δgates_t; False
        where there is no row for them (before the array is made, beyond the steps, a batch's matrices)."""
        if self.rows is None or not 0 <= t < self.T or any(p.ndim != 1 for p in parts):
            return False
        row, k = self.rows[t], 0
        np.concatenate(parts, out=row)
        for n, p in zip(names, parts, strict=True):
            values[n] = row[k : k + p.size]
            k += p.size
        values[self.whole[t]] = row
        return True

    def columns(self) -> dict[Ref, np.ndarray]:
        """[δgates_0 … δgates_{T-1}] as the array's transpose, for the gradients' sums."""
        return {} if self.rows is None else {Ref("dgates", 0): self.rows.T}


def initial(model: Model, values: dict, sc: Scenario) -> list[tuple[str, Equation]]:
    """δout_{-1}, where out_{t-1} reaches the loss by more than Uᵀ (a GRU's z_t ⊙ out_{t-1}): the initial
    output's whole gradient, its equation evaluated one step before the first. (An LSTM's is Δout_{-1}.)"""
    eq = next((e for e in model.backward if e.name == "dout"), None)
    if eq is None or not any(shift == 1 for _, shift, _ in compiled(eq).plan):
        return []
    values["dout_-1"] = at(compiled(eq), values, sc, -1)
    return [("dout_-1", eq)]
