"""Why an answer is wrong: the slips of hand derivations, each tried on the student's own numbers.

A slip (a sign flipped, the point moved, another step's value, a term left out, an input read at the
wrong step, also inside an unanswered pre-activation, steps left out of a Σ_t, a derivative factor or
λ written wrong: slips.py) is named only when it explains the student's number clearly better than
rounding does (clearly_better).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graph import JOIN, Graph, Node
from .slips import slips

STEP_NAME = re.compile(r"(.+)_(-?\d+)")
SCALES = (1, -1, 2, -2, 3, -3)
FAR = 3.0  # a slip is named only when rounding misses the answer by more than FAR times the slip's allowance
SPREAD = 10.0  # the rounding carried through a slipped equation, allowed for up to this many allowances


@dataclass(frozen=True)
class Cause:
    """A likely slip.  kind, and what its words need:

    transposed, sign; scale (factor: the answer is 10^factor times the value); step (other: the
    quantity whose value the answer is); missing-term, flipped-term (term, step); input-step (term: the
    symbol the equation needs, used: the one used); inner-input-step, missing-bias (other: the
    unanswered pre-activation the slip is inside, or "" for the answered one); sum-term (step: the step
    left out of Σ_t); sum-terms (steps: those left out, or step: the only one kept); derivative (other:
    tanh or σ, term: the factor the equation has, used: the one written); missing-derivative (other,
    term); activation, complement (term: what the equation has, used: the gate or 1 − gate written);
    update-sign, missing-lr (other: the updated quantity and term: its equation, when one); wrong-lr
    (term: the scenario's λ, used: the λ used); untransposed (other: the matrix used where its transpose
    is needed).
    """

    kind: str
    other: str = ""
    term: Any = None  # a symbolic/slipcode.Term, or λ (a float)
    used: Any = None
    step: int | None = None  # the step terms are printed at
    factor: int = 0
    steps: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class Entry:
    """One wrong entry of a vector or matrix answer."""

    index: tuple[int, ...]
    label: str  # canonical: db_o, dW_i[1], dx_0[1]
    given: float
    expected: float
    cause: Cause | None


def clearly_better(v: np.ndarray, x: np.ndarray, misses: tuple[np.ndarray, ...], fit: np.ndarray) -> bool:
    """Whether a slip's value x explains the answer v clearly better than rounding does.

    Every entry of v lies within fit (the rounding written plus carried) of x, and some entry written
    with a nonzero digit lies more than FAR × fit from each of misses (the value on the student's own
    numbers, the true value): a miss rounding cannot explain.  An answer of 0 is what any small value
    rounds to, so its zeros are no evidence.
    """
    if x.shape != v.shape or not np.all(np.abs(v - x) <= fit):
        return False
    miss = np.min([np.abs(v - m) for m in misses], axis=0)
    return bool(np.any((miss > FAR * fit) & (v != 0)))


def _shortest_half_unit(v: np.ndarray) -> np.ndarray:
    """Half a unit in the last digit of each number's shortest form: -0.19390 -> 0.00005."""
    places = [len(np.format_float_positional(float(x), trim="-").partition(".")[2]) for x in v.ravel()]
    return (0.5 * 10.0 ** -np.array(places, dtype=np.float64)).reshape(v.shape)


def _simple(
    v: np.ndarray, s: np.ndarray, written: np.ndarray, carried: np.ndarray, t: np.ndarray | None = None
) -> Cause | None:
    """A flipped sign or a misplaced decimal point, over the whole answer.

    written: the rounding of the student's number; carried: the rounding carried into s,
    which moves with s when the point moves; t: the true value.
    """
    allow = written + carried
    misses = (s,) if t is None else (s, t)
    if not np.any(np.abs(s) > allow):
        return None
    if clearly_better(v, -s, misses, allow):
        return Cause("sign")
    if not np.any(np.abs(v) > written):  # 0 is not the value with its point moved
        return None
    loose = np.maximum(written, _shortest_half_unit(v))  # -0.19390 for -0.01939: the zero pads the moved point
    for k in SCALES:
        if clearly_better(v, s * 10.0**k, misses, loose + carried * 10.0**k):
            return Cause("scale", factor=k)
    return None


def find_cause(
    graph: Graph,
    node: Node,
    v: np.ndarray,
    s: np.ndarray,
    tols: tuple[np.ndarray, np.ndarray],
    world: dict[str, np.ndarray],
) -> Cause | None:
    """The first slip that explains the student's number v clearly better than rounding (s: the value on
    their own inputs).

    tols: (the rounding the student wrote, the rounding carried into s).  A slip's value is worked out
    on the student's numbers; where those are roundings of the true ones, anything between that and
    the slip made on the exact numbers fits too (the rounding carried through the slipped equation).
    """
    allow = np.broadcast_to(tols[0] + tols[1], v.shape)
    true = graph.trace.values
    misses = (s, true[node.name].reshape(v.shape))
    found = _simple(v, s, *tols, t=misses[1])
    if found:
        return found
    sound = bool(np.all(np.abs(s - misses[1]) <= allow))
    for cause, at in _candidates(graph, node, world):
        x = at(world)
        fit = allow
        if sound and not np.all(np.abs(v - x) <= allow):
            fit = allow + np.minimum(np.abs(x - at(true)), SPREAD * allow)
        if clearly_better(v, x, misses, fit):
            return cause
    return None


def _candidates(graph: Graph, node: Node, world: Mapping[str, np.ndarray]) -> Iterator[tuple[Cause, Callable]]:
    """Another step's value of the same quantity, then each slip of its equation: (cause, its value on numbers)."""
    match = STEP_NAME.fullmatch(node.name)
    if match:
        base, step = match[1], int(match[2])
        for u in range(-1, graph.trace.scenario.T + 1):
            other = f"{base}_{u}"
            if u != step and other in graph.trace.values:
                yield Cause("step", other=other), lambda values, o=other: _value(graph, o, values)
    for kind, fields, at in slips(graph, node, world):
        yield Cause(kind, **fields), at  # type: ignore[arg-type]


def _value(graph: Graph, name: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
    node = graph[name]
    if node.parts:
        return JOIN[node.join]([_value(graph, p, values) for p in node.parts])
    return values[name]


def wrong_entries(
    graph: Graph,
    node: Node,
    v: np.ndarray,
    t: np.ndarray,
    s: np.ndarray,
    tols: tuple[np.ndarray, np.ndarray],
    ok: np.ndarray,
) -> tuple[Entry, ...]:
    """The entries of a vector or matrix answer that are wrong, each named and, where it can be, explained."""
    if v.size == 1:
        return ()
    out = []
    for idx in zip(*np.nonzero(~ok), strict=True):
        idx = tuple(int(i) for i in idx)
        w, c = (np.array(np.broadcast_to(x, v.shape)[idx]) for x in tols)
        cause = _simple(np.array(v[idx]), np.array(s[idx]), w, c, np.array(t[idx]))
        out.append(Entry(idx, entry_label(graph, node, idx), float(v[idx]), float(t[idx]), cause))
    return tuple(out)


def entry_label(graph: Graph, node: Node, idx: tuple[int, ...]) -> str:
    """db[3] -> db_o (H = 1); dW[2][1] -> dW_f[1]; dx_0[1] stays dx_0[1]; a source's own layout
    (CS231n's dWx[0][2], D×4H, gates i f o g) -> the part the entry belongs to (dW_f[0])."""
    name, rest = node.name, idx
    if node.parts and node.join != "sum":
        shape = graph.trace.values[node.name].shape
        flat = int(np.ravel_multi_index(idx, shape))
        for part, where in graph.split(node.name, np.arange(int(np.prod(shape))).reshape(shape)).items():
            found = np.argwhere(np.asarray(where) == flat)
            if found.size:
                name, rest = part, tuple(int(i) for i in found[0])
                break
    shape = graph.trace.values[name].shape
    return name + "".join(f"[{i}]" for i, n in zip(rest, shape, strict=True) if n > 1)
