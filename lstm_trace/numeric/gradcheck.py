"""Central finite differences against the traced gradients: ∂E/∂p ≈ (E(p + h) − E(p − h)) / 2h.

Every entry of every parameter (δW_g, δU_g, δb_g), every input (δx_t) and the initial output
(Δout_{-1}) is perturbed and the forward pass rerun (E needs nothing else), all the entries together
as columns of one pass (nudged.py). An entry that agrees at ±h within the tolerance is done; one that
does not is moved by ±2h as well: the Richardson extrapolation of the two differences is then the
estimate, and their gap its error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from ..errors import LstmTraceError
from ..scenario.scenario import Scenario
from .engine import Trace, loss
from .nudged import Nudge, Unbatchable, differences


@dataclass(frozen=True)
class Check:
    """One gradient against its finite differences."""

    name: str  # the gradient's canonical name: dW_a, dx_0, Dout_-1
    of: str  # what was perturbed: W_a, x_0, out_-1
    entries: int  # how many entries were perturbed
    max_abs: float  # max |finite difference − traced|
    max_rel: float  # the same, relative to max(|finite difference|, |traced|)
    ok: bool
    size: int = 0  # the gradient's entries in all (more than entries when sampled)


def _targets(sc: Scenario, first: str) -> list[tuple[str, str, np.ndarray, Callable[[np.ndarray], Scenario]]]:
    """(gradient name, perturbed name, value, how to build the scenario with another value); first: the
    initial output's gradient (Δout_{-1}, or a GRU's δout_{-1}, which adds z_0 ⊙ δout_0)."""
    out = []
    for p, v in sc.params.items():
        out.append((f"d{p}", p, v, lambda a, p=p: replace(sc, params=MappingProxyType({**sc.params, p: a}))))
    for t in range(sc.T):

        def with_x(a: np.ndarray, t: int = t) -> Scenario:
            x = sc.x.copy()
            x[..., t, :] = a  # a batch's x_t is N×D, one row per sequence
            return replace(sc, x=x)

        out.append((f"dx_{t}", f"x_{t}", sc.x[..., t, :], with_x))
    if "out" in sc.shape.recurrent:  # (stacked layers start from zeros: no initial output is given)
        out.append((first, "out_-1", sc.init_out, lambda a: replace(sc, init_out=a)))
    return out


def _entries(sc: Scenario, targets: list, max_entries: int | None, rng: np.random.Generator) -> list[list]:
    """The entries to perturb, per target: at most max_entries of each parameter, and at most
    max_entries of all the inputs x_0 … x_{T-1} together (each x_t is its own target, so a long
    sequence would otherwise cost T times as much), spread over the sequence: one from each of
    max_entries equal stretches of it, the first from x_0 and the last from x_{T-1}, where a wrong
    boundary (out_{-1}, Δout_{T-1} = 0) shows."""
    picked = [list(np.ndindex(v.shape)) for _, _, v, _ in targets]
    if max_entries is None:
        return picked
    inputs = [k for k, (name, *_) in enumerate(targets) if name.startswith("dx_")]
    for k, idx in enumerate(picked):
        if k not in inputs and len(idx) > max_entries:
            picked[k] = [idx[j] for j in sorted(rng.choice(len(idx), max_entries, replace=False))]
    pool = [(k, i) for k in inputs for i in picked[k]]
    n = len(pool)
    if n > max_entries > 0:
        at = [int(rng.integers(j * n // max_entries, (j + 1) * n // max_entries)) for j in range(max_entries)]
        per = targets[inputs[0]][2].size  # an x_t's entries (N·D in a batch)
        at[0], at[-1] = int(rng.integers(0, per)), n - 1 - int(rng.integers(0, per))
        chosen = {pool[j] for j in at}
        for k in inputs:
            picked[k] = [i for i in picked[k] if (k, i) in chosen]
    return picked


def _differences(sc: Scenario, entries: list[tuple], by: float) -> np.ndarray:
    """E(p + by) − E(p − by) for each (perturbed name, index, rebuild, value): all in one forward pass
    over columns (nudged.py); entry by entry, two passes each, should the model read a matrix in a way
    that pass cannot nudge."""
    try:
        return differences(sc, [Nudge(of, i, s) for of, i, _, _ in entries for s in (by, -by)])
    except (Unbatchable, TypeError, AttributeError):  # a nudged matrix used other than as M·v
        return np.array([_difference(rebuild, value, i, by) for _, i, rebuild, value in entries])


def _difference(rebuild: Callable[[np.ndarray], Scenario], value: np.ndarray, i: tuple, h: float) -> float:
    """E(p + h) − E(p − h), from two forward passes."""
    e = []
    for step in (h, -h):
        a = np.array(value, dtype=np.float64)
        a[i] += step
        e.append(loss(rebuild(a)))
    return e[0] - e[1]


def _estimates(sc: Scenario, entries: list[tuple], g: np.ndarray, h: float, atol: float, rtol: float) -> np.ndarray:
    """(estimate, its error) per entry: the central difference at h where it agrees within atol + rtol·|g|;
    elsewhere the Richardson extrapolation of the differences at h and 2h, which cancels the h² term, and
    how far the two differed (truncation and rounding)."""
    near = _differences(sc, entries, h) / (2 * h)
    out = np.stack([near, np.zeros_like(near)], axis=1)
    doubtful = np.flatnonzero(np.abs(near - g) > atol + rtol * np.abs(g))
    if doubtful.size:
        far = _differences(sc, [entries[k] for k in doubtful], 2 * h) / (4 * h)
        out[doubtful, 0] = (4 * near[doubtful] - far) / 3
        out[doubtful, 1] = np.abs(near[doubtful] - far)
    return out


def step_for(tr: Trace, h: float) -> float:
    """The step used: h, grown with the loss as ∛max(1, |E|). A long sequence's E (thousands) carries
    rounding of about 1e-12 that a difference over 2h = 2e-6 turns into errors of 1e-6; the cube
    root balances that against the h² truncation (measured at D=64 H=128 T=128, E = 2422: errors
    of 4e-7 … 7e-7 at h = 1e-6, 2e-8 … 7e-8 at h = 1e-5)."""
    return h * max(1.0, abs(tr.E)) ** (1 / 3)


def gradcheck(
    tr: Trace, h: float = 1e-6, atol: float = 1e-7, rtol: float = 1e-5, max_entries: int | None = None
) -> tuple[Check, ...]:
    """Compare each traced gradient with central differences of E (forward passes only); at most
    max_entries entries of each parameter, and of all the inputs together (None or 0: every entry, as the
    command line's --max-entries 0).

    An entry agrees when |difference − traced| ≤ atol + rtol·|traced| + an allowance for the difference's
    own error (3× its estimate, at most 1e-6 + 1e-3·|traced|): a long recurrence's loss carries
    rounding that a fixed tolerance would call a mismatch, while a step too large to resolve the
    gradient still differs.
    """
    if tr.scenario.loss == "none":
        raise LstmTraceError("the scenario has no loss (loss: none), so no gradients to check", file=tr.scenario.file)
    max_entries = max_entries or None
    rng = np.random.default_rng(0)
    sc = replace(tr.scenario, iterations=1)  # E of the traced iteration
    h = step_for(tr, h)
    targets = _targets(sc, "dout_-1" if "dout_-1" in tr.values else "Dout_-1")
    chosen = _entries(sc, targets, max_entries, rng)
    traced = [np.asarray(tr.values[grad], dtype=np.float64).reshape(value.shape) for grad, _, value, _ in targets]
    entries = [
        (of, i, rebuild, value) for (_, of, value, rebuild), idx in zip(targets, chosen, strict=True) for i in idx
    ]
    g = np.array([traced[k][i] for k, idx in enumerate(chosen) for i in idx])
    estimates = iter(zip(_estimates(sc, entries, g, h, atol, rtol), g, strict=True))
    checks = []
    for (grad, of, value, _), idx in zip(targets, chosen, strict=True):
        errs, rels, ok = [], [], True
        for (fd, noise), gi in (next(estimates) for _ in idx):
            errs.append(abs(fd - gi))
            rels.append(errs[-1] / max(abs(fd), abs(gi), 1e-300))
            allowance = min(3 * noise, 1e-6 + 1e-3 * abs(gi))  # noise, never a licence
            ok = ok and bool(errs[-1] <= atol + rtol * abs(gi) + allowance)
        if idx:
            checks.append(Check(grad, of, len(idx), float(max(errs)), float(max(rels)), ok, value.size))
    return tuple(checks)
