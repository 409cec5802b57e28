"""The numeric pieces of slips slips.py re-evaluates: Mᵀ·v evaluated untransposed, a Σ_t's per-step
terms in one pass, and the sets of steps a Σ_t may have left out. (The slips that rewrite an
equation are rewritten and compiled at derive time: symbolic/rewrites.py, symbolic/slipcode.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import numpy as np

from ..numeric.models import Compiled, Fetch

SMALL_T = 6  # a Σ_t over at most this many steps is tried with every set of steps left out


def untransposed(m: np.ndarray, v: np.ndarray) -> np.ndarray | None:
    """Mᵀ·v evaluated as M·v, gate by gate (Σ_g M_g·v_g), where M stacks square blocks M_g, one per gate
    (the LSTM's four, the GRU's three, the RNN's one; None when the slip is not possible)."""
    v = v.ravel()
    if m.ndim != 2 or not m.shape[1] or m.shape[0] % m.shape[1] or v.size != m.shape[0]:
        return None
    blocks = m.shape[0] // m.shape[1]
    h = m.shape[1]
    out = sum(m[g * h : (g + 1) * h] @ v[g * h : (g + 1) * h] for g in range(blocks))
    return np.asarray(out, dtype=np.float64)


def step_terms(c: Compiled, fetch: Fetch, T: int) -> list[np.ndarray]:  # noqa: N803
    """Each step's term of a compiled Σ_t equation, in one pass over the steps (linear in T): a vector
    term for all steps in one call (the function maps stacked columns to stacked terms), a matrix
    term (an outer product) one small call per step."""
    cols = {a.ref: np.stack([fetch(a.ref, t) for t in range(T)], axis=1) for a in c.args if a.ref.shift is not None}
    fixed = {a.ref: fetch(a.ref, 0) for a in c.args if a.ref.shift is None}
    fixed = {r: v.reshape(-1, 1) if v.ndim == 1 else v for r, v in fixed.items()}
    if c.cols == 1:
        out = np.asarray(c.fn(*(cols[a.ref] if a.ref in cols else fixed[a.ref] for a in c.args)), dtype=np.float64)
        return [np.broadcast_to(out, (out.shape[0], T))[:, t] for t in range(T)]
    return [
        np.asarray(c.fn(*(cols[a.ref][:, t : t + 1] if a.ref in cols else fixed[a.ref] for a in c.args)))
        for t in range(T)
    ]


def left_out(T: int) -> Iterator[tuple[tuple[int, ...], int | None]]:  # noqa: N803
    """The sets of steps a Σ_t may have left out, fewest first, as (steps, None), or ((), kept) for all
    but one: every set for a short sequence; else one step, the first or last two or three, or all but one
    (O(T) sets, each small)."""
    if T < 2:
        return
    if T <= SMALL_T:
        for n in range(1, max(T - 1, 2)):
            yield from ((steps, None) for steps in combinations(range(T), n))
    else:
        yield from (((t,), None) for t in range(T))
        for k in (2, 3):
            yield tuple(range(k)), None
            yield tuple(range(T - k, T)), None
    if T > 2:
        yield from (((), t) for t in range(T))
