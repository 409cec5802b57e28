"""The floors the numeric trace is measured against (issue 20), in one process, interleaved with it:

- a plain hand-written numpy BPTT loop that keeps every intermediate (the input projection and the
  parameter gradients as single matrix products over all steps, the recurrence as a loop), checked
  against the trace's own numbers before it is timed;
- the arithmetic: the trace's floating-point work (its matrix products, 2·m·n·k each) at the rate this
  core reaches on a 512×512 float64 matrix product.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # read when numpy loads the BLAS:
    os.environ.setdefault(_var, "1")  # one core, as the command line runs (lstm_trace/__main__.py)

import numpy as np  # noqa: E402

GATES = ("a", "i", "f", "o")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def plain_loop(W, U, b, X, labels, out0, state0, lr):  # noqa: ANN001, ANN201, N803, PLR0913 - the maths' names
    """One SGD iteration of an LSTM (gates a, i, f, o; l2 loss on out_t), every intermediate kept."""
    T, H = X.shape[0], U.shape[1]  # noqa: N806
    zx = X @ W.T + b  # the input projection of all steps, one product
    z, a, i, f, o = (np.empty((T, H if k else 4 * H)) for k in range(5))
    state, out = np.empty((T, H)), np.empty((T, H))
    h, c = out0, state0
    for t in range(T):
        z[t] = zx[t] + U @ h
        a[t], i[t] = np.tanh(z[t, :H]), _sigmoid(z[t, H : 2 * H])
        f[t], o[t] = _sigmoid(z[t, 2 * H : 3 * H]), _sigmoid(z[t, 3 * H :])
        c = state[t] = a[t] * i[t] + f[t] * c
        h = out[t] = o[t] * np.tanh(c)
    delta = out - labels
    E = 0.5 * float((delta * delta).sum())  # noqa: N806
    dgates, dout, dstate = np.empty((T, 4 * H)), np.empty((T, H)), np.empty((T, H))
    Dout, ds_next, f_next = np.zeros(H), np.zeros(H), np.zeros(H)  # noqa: N806
    for t in range(T - 1, -1, -1):
        dout[t] = delta[t] + Dout
        tc = np.tanh(state[t])
        ds = dstate[t] = dout[t] * o[t] * (1 - tc * tc) + ds_next * f_next
        c_prev = state[t - 1] if t else state0
        dgates[t, :H] = ds * i[t] * (1 - a[t] * a[t])
        dgates[t, H : 2 * H] = ds * a[t] * i[t] * (1 - i[t])
        dgates[t, 2 * H : 3 * H] = ds * c_prev * f[t] * (1 - f[t])
        dgates[t, 3 * H :] = dout[t] * tc * o[t] * (1 - o[t])
        Dout = U.T @ dgates[t]  # noqa: N806
        ds_next, f_next = ds, f[t]
    dX = dgates @ W  # noqa: N806 - δx_t of all steps, one product
    dW = dgates.T @ X  # noqa: N806 - Σ_t δgates_t ⊗ x_t, one product
    dU = dgates.T @ np.vstack([out0, out[:-1]])  # noqa: N806
    db = dgates.sum(axis=0)
    return E, dW, dU, db, dX, Dout, (W - lr * dW, U - lr * dU, b - lr * db)


def arguments(sc) -> tuple:  # noqa: ANN001
    p = sc.params
    W = np.vstack([p[f"W_{g}"] for g in GATES])  # noqa: N806
    U = np.vstack([p[f"U_{g}"] for g in GATES])  # noqa: N806
    b = np.concatenate([p[f"b_{g}"] for g in GATES])
    return W, U, b, np.asarray(sc.x), np.asarray(sc.label), sc.init_out, sc.init_state, sc.lr


def check_against(tr) -> None:  # noqa: ANN001
    """The loop computes what the trace does (E, δW, δU, δb, δx_0, Δout_{-1}), else the comparison is void."""
    E, dW, dU, db, dX, Dout, _ = plain_loop(*arguments(tr.scenario))  # noqa: N806
    v = tr.values
    for name, mine in (("dW", dW), ("dU", dU), ("db", db), ("dx_0", dX[0]), ("Dout_-1", Dout)):
        assert np.allclose(np.asarray(v[name]).reshape(mine.shape), mine, rtol=1e-9, atol=1e-12), name
    assert abs(E - tr.E) <= 1e-9 * abs(tr.E)


def trace_flops(D: int, H: int, T: int) -> float:  # noqa: N803
    """The trace's matrix products: per step W·x, U·out (forward), Wᵀ·δgates, Uᵀ·δgates (backward),
    δgates ⊗ x and δgates ⊗ out (the gradients' Σ_t): 3 × 2·4H·(D + H)."""
    return 3 * 2 * 4 * H * (D + H) * T


def gflops(n: int = 512, repeats: int = 20) -> float:
    """This core's rate on an n×n float64 matrix product, the best of repeats."""
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    a @ b
    best = min(_time(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def interleaved(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """The best time of each function, run in turns so that all see the same machine."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            times[k].append(_time(fn))
    return [min(t) for t in times]


def _time(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
