"""Central finite differences against the traced gradients: ∂E/∂p ≈ (E(p + h) − E(p − h)) / 2h.

Every entry of every parameter (δW_g, δU_g, δb_g), every input (δx_t) and the
initial output (Δout_{-1}) is perturbed in turn and the whole sequence rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from ..scenario.scenario import Scenario
from .engine import Trace, trace


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


def _targets(sc: Scenario) -> list[tuple[str, str, np.ndarray, Callable[[np.ndarray], Scenario]]]:
    """(gradient name, perturbed name, value, how to build the scenario with another value)."""
    out = []
    for p, v in sc.params.items():
        out.append((f"d{p}", p, v, lambda a, p=p: replace(sc, params=MappingProxyType({**sc.params, p: a}))))
    for t in range(sc.T):

        def with_x(a: np.ndarray, t: int = t) -> Scenario:
            x = sc.x.copy()
            x[t] = a
            return replace(sc, x=x)

        out.append((f"dx_{t}", f"x_{t}", sc.x[t], with_x))
    out.append(("Dout_-1", "out_-1", sc.init_out, lambda a: replace(sc, init_out=a)))
    return out


def gradcheck(
    tr: Trace, h: float = 1e-6, atol: float = 1e-7, rtol: float = 1e-5, max_entries: int | None = None
) -> tuple[Check, ...]:
    """Compare each traced gradient with central differences of E; at most max_entries entries each."""
    rng = np.random.default_rng(0)
    checks = []
    for grad, of, value, rebuild in _targets(replace(tr.scenario, iterations=1)):  # E of the traced iteration
        g = np.asarray(tr.values[grad], dtype=np.float64).reshape(value.shape)
        idx = list(np.ndindex(value.shape))
        if max_entries is not None and len(idx) > max_entries:
            idx = [idx[k] for k in sorted(rng.choice(len(idx), max_entries, replace=False))]
        errs, rels = [], []
        for i in idx:
            e = []
            for sign in (1, -1):
                a = np.array(value, dtype=np.float64)
                a[i] += sign * h
                e.append(trace(rebuild(a)).E)
            fd = (e[0] - e[1]) / (2 * h)
            errs.append(abs(fd - g[i]))
            rels.append(errs[-1] / max(abs(fd), abs(g[i]), 1e-300))
        ok = all(err <= atol + rtol * abs(g[i]) for err, i in zip(errs, idx, strict=True))
        worst, worst_rel = float(max(errs, default=0.0)), float(max(rels, default=0.0))
        checks.append(Check(grad, of, len(idx), worst, worst_rel, ok, value.size))
    return tuple(checks)
