"""What compiled code reaches, for issue 20's goal of a trace within 4x the arithmetic floor: the tuned numpy
loop (floors.tuned_loop) stays near 5x on this project's machine, since each numpy call costs about a
microsecond and a step makes a dozen of them. This is the same LSTM step written as one numba kernel per
pass, each entry's gates computed in a scalar loop, the recurrence's products by numba's BLAS call.

It needs numba and scipy (numba's matrix products call scipy's BLAS), which the project does not depend on:
`pip install numba scipy` (about 320 MB installed), then `python benchmarks/run.py --trace`. Without them run.py
says so and goes on. The kernel is checked against the trace's numbers before it is timed (floors.check_against),
and names nothing: it is a measurement of the ceiling, not a second implementation of the tool.
"""

from __future__ import annotations

import time

import floors  # before numpy: it sets the BLAS to one thread, as the command line runs
import numpy as np

try:
    import numba
except ImportError:  # the benchmark's optional comparison; run.py reports it missing
    numba = None


def _kernels() -> tuple:
    @numba.njit(cache=False)
    def forward(Z, U, h0, c0, G, S, OUT):  # noqa: ANN001, ANN202, N803, PLR0913 - the maths' names
        T, H = S.shape  # noqa: N806
        h, c = h0.copy(), c0.copy()
        for t in range(T):
            z = Z[t] + U @ h
            for j in range(H):
                a, i = np.tanh(z[j]), 1.0 / (1.0 + np.exp(-z[H + j]))
                f, o = 1.0 / (1.0 + np.exp(-z[2 * H + j])), 1.0 / (1.0 + np.exp(-z[3 * H + j]))
                G[t, j], G[t, H + j], G[t, 2 * H + j], G[t, 3 * H + j] = a, i, f, o
                c[j] = S[t, j] = a * i + f * c[j]
                h[j] = OUT[t, j] = o * np.tanh(c[j])

    @numba.njit(cache=False)
    def backward(G, S, c0, delta, UT, DG):  # noqa: ANN001, ANN202, N803, PLR0913
        T, H = S.shape  # noqa: N806
        Dout, ds, f_next = np.zeros(H), np.zeros(H), np.zeros(H)  # noqa: N806
        for t in range(T - 1, -1, -1):
            for j in range(H):
                a, i, f, o = G[t, j], G[t, H + j], G[t, 2 * H + j], G[t, 3 * H + j]
                before, tc, dout = S[t - 1, j] if t else c0[j], np.tanh(S[t, j]), delta[t, j] + Dout[j]
                d = dout * o * (1 - tc * tc) + ds[j] * f_next[j]
                DG[t, j], DG[t, H + j] = d * i * (1 - a * a), d * a * i * (1 - i)
                DG[t, 2 * H + j], DG[t, 3 * H + j] = d * before * f * (1 - f), dout * tc * o * (1 - o)
                ds[j], f_next[j] = d, f
            Dout = UT @ DG[t]  # noqa: N806
        return Dout

    return forward, backward


def compiled_loop(W, U, b, X, labels, out0, state0, lr):  # noqa: ANN001, ANN201, N803, PLR0913
    """floors.plain_loop's results, the recurrence in two numba kernels, the products over all steps in numpy."""
    forward, backward = KERNELS
    T, H = X.shape[0], U.shape[1]  # noqa: N806
    G, S, OUT = np.empty((T, 4 * H)), np.empty((T, H)), np.empty((T, H))  # noqa: N806
    forward(X @ W.T + b, U, out0, state0, G, S, OUT)
    delta, DG = OUT - labels, np.empty((T, 4 * H))  # noqa: N806
    E = 0.5 * float((delta * delta).sum())  # noqa: N806
    Dout = backward(G, S, state0, delta, np.ascontiguousarray(U.T), DG)  # noqa: N806
    return floors.finished(W, U, b, X, out0, lr, E, DG, OUT, Dout)


KERNELS: tuple = ()


def against(tr, floor: float, repeats: int) -> str:  # noqa: ANN001
    """One line for run.py --trace: the compiled loop's time against the floor and the trace, or why not."""
    global KERNELS  # noqa: PLW0603 - compiled once, on first use
    if numba is None:
        return "a compiled loop (numba): not measured, numba and scipy not installed (pip install numba scipy)"
    from lstm_trace import trace

    t = time.perf_counter()
    KERNELS = _kernels()
    floors.check_against(tr, compiled_loop)  # the first call compiles the kernels
    jit = time.perf_counter() - t
    args, sc = floors.arguments(tr.scenario), tr.scenario
    mine, ours = floors.interleaved([lambda: compiled_loop(*args), lambda: trace(sc)], repeats)
    out = compiled_loop(*args)[1]
    gap = float(np.max(np.abs(out - np.asarray(tr.values["dW"]).reshape(out.shape)) / np.abs(out).max()))
    return (
        f"a compiled loop (numba {numba.__version__}, the LSTM's step hand-written, scalar tanh and exp): "
        f"{mine * 1e3:.0f} ms, {mine / floor:.1f}x the floor (the trace in turns with it {ours * 1e3:.0f} ms, "
        f"{ours / floor:.1f}x); compiled in {jit:.1f} s; its dW differs from the trace's by up to {gap:.0e} "
        "of the largest entry"
    )
