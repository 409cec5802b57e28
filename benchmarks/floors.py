"""The floors the numeric trace is measured against (issue 20), in one process, interleaved with it:

- a plain hand-written numpy BPTT loop that keeps every intermediate (the input projection and the
  parameter gradients as single matrix products over all steps, the recurrence as a loop), checked
  against the trace's own numbers before it is timed: the LSTM's (plain_loop), and those of the other cells
  (GRU, vanilla RNN) and layouts (stacked, bidirectional) from one layer's forward and backward each
  (network_loop);
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


def lstm_forward(p: dict, X: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> dict:  # noqa: N803
    """One LSTM layer (gates a, i, f, o) over the sequence X, every intermediate kept."""
    U, T, H = p["U"], X.shape[0], p["U"].shape[1]  # noqa: N806
    zx = X @ p["W"].T + p["b"]  # the input projection of all steps, one product
    z, a, i, f, o = (np.empty((T, H if k else 4 * H)) for k in range(5))
    state, out = np.empty((T, H)), np.empty((T, H))
    h, c = h0, c0
    for t in range(T):
        z[t] = zx[t] + U @ h
        a[t], i[t] = np.tanh(z[t, :H]), _sigmoid(z[t, H : 2 * H])
        f[t], o[t] = _sigmoid(z[t, 2 * H : 3 * H]), _sigmoid(z[t, 3 * H :])
        c = state[t] = a[t] * i[t] + f[t] * c
        h = out[t] = o[t] * np.tanh(c)
    return {"X": X, "h0": h0, "c0": c0, "z": z, "a": a, "i": i, "f": f, "o": o, "state": state, "out": out}


def lstm_backward(p: dict, fw: dict, dY: np.ndarray) -> tuple:  # noqa: N803
    """δx_t, the parameters' gradients and Δout_{-1} of one LSTM layer, given the gradient dY reaching its
    out_t from outside the recurrence (the loss's, or the layer above's δx_t)."""
    U, a, i, f, o, state = p["U"], fw["a"], fw["i"], fw["f"], fw["o"], fw["state"]  # noqa: N806
    T, H = state.shape  # noqa: N806
    dgates, dout, dstate = np.empty((T, 4 * H)), np.empty((T, H)), np.empty((T, H))
    Dout, ds_next, f_next = np.zeros(H), np.zeros(H), np.zeros(H)  # noqa: N806
    for t in range(T - 1, -1, -1):
        dout[t] = dY[t] + Dout
        tc = np.tanh(state[t])
        ds = dstate[t] = dout[t] * o[t] * (1 - tc * tc) + ds_next * f_next
        c_prev = state[t - 1] if t else fw["c0"]
        dgates[t, :H] = ds * i[t] * (1 - a[t] * a[t])
        dgates[t, H : 2 * H] = ds * a[t] * i[t] * (1 - i[t])
        dgates[t, 2 * H : 3 * H] = ds * c_prev * f[t] * (1 - f[t])
        dgates[t, 3 * H :] = dout[t] * tc * o[t] * (1 - o[t])
        Dout = U.T @ dgates[t]  # noqa: N806
        ds_next, f_next = ds, f[t]
    return _products(p, fw, dgates, dgates), Dout


def gru_forward(p: dict, X: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None) -> dict:  # noqa: N803, ARG001
    """One GRU layer (gates r, z, n; the reset after U_n·out_{t-1} + b_hn, as PyTorch), every intermediate kept."""
    U, bh, T, H = p["U"], p["bh"], X.shape[0], p["U"].shape[1]  # noqa: N806
    zx = X @ p["W"].T + p["b"]
    pre, r, z, n, hn, out = (np.empty((T, H if k else 3 * H)) for k in range(6))
    h = h0
    for t in range(T):
        uh = U @ h
        pre[t, : 2 * H] = zx[t, : 2 * H] + uh[: 2 * H]
        r[t], z[t] = _sigmoid(pre[t, :H]), _sigmoid(pre[t, H : 2 * H])
        hn[t] = uh[2 * H :] + bh
        pre[t, 2 * H :] = zx[t, 2 * H :] + r[t] * hn[t]
        n[t] = np.tanh(pre[t, 2 * H :])
        h = out[t] = (1 - z[t]) * n[t] + z[t] * h
    return {"X": X, "h0": h0, "pre": pre, "r": r, "z": z, "n": n, "hn": hn, "out": out}


def gru_backward(p: dict, fw: dict, dY: np.ndarray) -> tuple:  # noqa: N803
    """As lstm_backward, for the GRU: W and b see δ(r, z, n), U sees δ(r, z, hn), b_hn δhn."""
    U, r, z, n, hn, out = p["U"], fw["r"], fw["z"], fw["n"], fw["hn"], fw["out"]  # noqa: N806
    T, H = out.shape  # noqa: N806
    dx_gates, dh_gates, dout = np.empty((T, 3 * H)), np.empty((T, 3 * H)), np.empty((T, H))
    Dout = np.zeros(H)  # noqa: N806
    for t in range(T - 1, -1, -1):
        d = dout[t] = dY[t] + Dout
        h_prev = out[t - 1] if t else fw["h0"]
        dn = dx_gates[t, 2 * H :] = d * (1 - z[t]) * (1 - n[t] * n[t])
        dx_gates[t, H : 2 * H] = d * (h_prev - n[t]) * z[t] * (1 - z[t])
        dx_gates[t, :H] = dn * hn[t] * r[t] * (1 - r[t])
        dh_gates[t, : 2 * H] = dx_gates[t, : 2 * H]
        dh_gates[t, 2 * H :] = dn * r[t]
        Dout = U.T @ dh_gates[t] + d * z[t]  # noqa: N806
    grads = _products(p, fw, dx_gates, dh_gates)
    grads[1]["bh"] = dh_gates[:, 2 * H :].sum(axis=0)
    return grads, Dout


def rnn_forward(p: dict, X: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None) -> dict:  # noqa: N803, ARG001
    """One vanilla RNN layer, out_t = tanh(W·x_t + U·out_{t-1} + b), every intermediate kept."""
    U, T, H = p["U"], X.shape[0], p["U"].shape[1]  # noqa: N806
    zx = X @ p["W"].T + p["b"]
    z, out = np.empty((T, H)), np.empty((T, H))
    h = h0
    for t in range(T):
        z[t] = zx[t] + U @ h
        h = out[t] = np.tanh(z[t])
    return {"X": X, "h0": h0, "z": z, "out": out}


def rnn_backward(p: dict, fw: dict, dY: np.ndarray) -> tuple:  # noqa: N803
    U, out = p["U"], fw["out"]  # noqa: N806
    T, H = out.shape  # noqa: N806
    dz, dout = np.empty((T, H)), np.empty((T, H))
    Dout = np.zeros(H)  # noqa: N806
    for t in range(T - 1, -1, -1):
        dout[t] = dY[t] + Dout
        dz[t] = dout[t] * (1 - out[t] * out[t])
        Dout = U.T @ dz[t]  # noqa: N806
    return _products(p, fw, dz, dz), Dout


def _products(p: dict, fw: dict, dx_gates: np.ndarray, dh_gates: np.ndarray) -> tuple:
    """δx_t of all steps and the parameters' gradients (Σ_t δgates_t ⊗ x_t, ...), each one product."""
    prev = np.vstack([fw["h0"], fw["out"][:-1]])
    grads = {"W": dx_gates.T @ fw["X"], "U": dh_gates.T @ prev, "b": dx_gates.sum(axis=0)}
    return dx_gates @ p["W"], grads


CELLS = {"lstm": (GATES, lstm_forward, lstm_backward), "gru": (("r", "z", "n"), gru_forward, gru_backward)}
CELLS["rnn"] = (("",), rnn_forward, rnn_backward)


def plain_loop(W, U, b, X, labels, out0, state0, lr):  # noqa: ANN001, ANN201, N803, PLR0913 - the maths' names
    """One SGD iteration of an LSTM (gates a, i, f, o; l2 loss on out_t), every intermediate kept."""
    p = {"W": W, "U": U, "b": b}
    fw = lstm_forward(p, X, out0, state0)
    delta = fw["out"] - labels
    E = 0.5 * float((delta * delta).sum())  # noqa: N806
    (dX, g), Dout = lstm_backward(p, fw, delta)  # noqa: N806
    return E, g["W"], g["U"], g["b"], dX, Dout, (W - lr * g["W"], U - lr * g["U"], b - lr * g["b"])


def tuned_loop(W, U, b, X, labels, out0, state0, lr):  # noqa: ANN001, ANN201, N803, PLR0913 - the maths' names
    """plain_loop written for speed, to show how near the arithmetic a loop over the steps in numpy gets: every
    step's values written in place into rows of whole arrays (out=, no copies), σ over the three gates at once,
    and going back, the factors of δgates_t that read only the forward pass (i_t(1 - a_t²), o_t(1 - tanh²
    state_t), …) made for all steps before the loop, so that a step is five numpy calls and Uᵀ·δgates_t (with
    Uᵀ contiguous). It keeps every intermediate, but names none and makes no rows."""
    T, H = X.shape[0], U.shape[1]  # noqa: N806
    Z, G = X @ W.T + b, np.empty((T, 4 * H))  # noqa: N806 - z_t (the recurrence added in place), the gates
    S, TS, OUT = np.empty((T, H)), np.empty((T, H)), np.empty((T, H))  # noqa: N806 - state_t, tanh(state_t), out_t
    h, c = out0, state0
    for t in range(T):
        z, g = Z[t], G[t]
        z += U.dot(h)
        np.tanh(z[:H], out=g[:H])
        s = g[H:]
        np.negative(z[H:], out=s)
        np.minimum(s, 709.0, out=s)
        np.exp(s, out=s)
        s += 1.0
        np.divide(1.0, s, out=s)
        c_t = S[t]
        np.multiply(g[:H], g[H : 2 * H], out=c_t)
        c_t += g[2 * H : 3 * H] * c
        np.tanh(c_t, out=TS[t])
        h, c = np.multiply(g[3 * H :], TS[t], out=OUT[t]), c_t
    delta = OUT - labels
    E = 0.5 * float((delta * delta).sum())  # noqa: N806
    a, i, f, o = G[:, :H], G[:, H : 2 * H], G[:, 2 * H : 3 * H], G[:, 3 * H :]
    before = np.vstack([state0, S[:-1]])
    ahead = np.vstack([f[1:], np.zeros((1, H))])  # f_{t+1}, 0 beyond the last step
    K = o * (1 - TS * TS)  # noqa: N806 - δstate_t = δout_t ⊙ K_t + δstate_{t+1} ⊙ f_{t+1}
    C = np.hstack([i * (1 - a * a), a * i * (1 - i), before * f * (1 - f), TS * o * (1 - o)])  # noqa: N806
    C3 = C[:, : 3 * H].reshape(T, 3, H)  # noqa: N806 - δa, δi, δf: δstate_t ⊙ their factors
    UT = np.ascontiguousarray(U.T)  # noqa: N806
    DG, DS, DOUT = np.empty((T, 4 * H)), np.empty((T, H)), np.empty((T, H))  # noqa: N806
    Dout, ds = np.zeros(H), np.zeros(H)  # noqa: N806
    for t in range(T - 1, -1, -1):
        dout, ds_t, dg = DOUT[t], DS[t], DG[t]
        np.add(delta[t], Dout, out=dout)
        np.multiply(dout, K[t], out=ds_t)
        ds_t += ds * ahead[t]
        np.multiply(ds_t, C3[t], out=dg[: 3 * H].reshape(3, H))
        np.multiply(dout, C[t, 3 * H :], out=dg[3 * H :])
        Dout, ds = UT.dot(dg), ds_t  # noqa: N806
    return finished(W, U, b, X, out0, lr, E, DG, OUT, Dout)


def finished(W, U, b, X, out0, lr, E, DG, OUT, Dout) -> tuple:  # noqa: ANN001, N803, PLR0913 - the maths' names
    """A loop's results from its δgates_t and out_t of all steps (rows): E, δW, δU, δb, δx_t, Δout_{-1} and the
    updated W, U, b, the gradients each one product over all steps."""
    dW, dU, db = DG.T @ X, DG.T @ np.vstack([out0, OUT[:-1]]), DG.sum(axis=0)  # noqa: N806
    return E, dW, dU, db, DG @ W, Dout, (W - lr * dW, U - lr * dU, b - lr * db)


def arguments(sc) -> tuple:  # noqa: ANN001
    p = sc.params
    W = np.vstack([p[f"W_{g}"] for g in GATES])  # noqa: N806
    U = np.vstack([p[f"U_{g}"] for g in GATES])  # noqa: N806
    b = np.concatenate([p[f"b_{g}"] for g in GATES])
    return W, U, b, np.asarray(sc.x), np.asarray(sc.label), sc.init_out, sc.init_state, sc.lr


def check_against(tr, loop: Callable[..., tuple] = plain_loop) -> None:  # noqa: ANN001
    """The loop computes what the trace does (E, δW, δU, δb, δx_0, Δout_{-1}), else the comparison is void."""
    E, dW, dU, db, dX, Dout, _ = loop(*arguments(tr.scenario))  # noqa: N806
    v = tr.values
    for name, mine in (("dW", dW), ("dU", dU), ("db", db), ("dx_0", dX[0]), ("Dout_-1", Dout)):
        assert np.allclose(np.asarray(v[name]).reshape(mine.shape), mine, rtol=1e-9, atol=1e-12), name
    assert abs(E - tr.E) <= 1e-9 * abs(tr.E)


def _named(kind: str, gate: str, suffix: str) -> str:
    return f"{kind}_{gate}{suffix}" if gate else f"{kind}{suffix}"


def _param(p: dict, name: str) -> np.ndarray:
    """A parameter, or (a layer reading both directions of the one below) its two blocks side by side."""
    if name in p:
        return np.asarray(p[name])
    k = name.index("W") + 1  # W_a_l1 is [Wf_a_l1 Wr_a_l1], δW_a_l1 [δWf_a_l1 δWr_a_l1]
    return np.hstack([np.asarray(p[name[:k] + side + name[k:]]) for side in "fr"])


def _suffixes(sc) -> list[list[str]]:  # noqa: ANN001
    if sc.layers == 1 and sc.directions == 1:
        return [[""]]
    return [[f"_l{k}" + "r" * r for r in range(sc.directions)] for k in range(sc.layers)]


def unit_params(sc, suffix: str) -> dict:  # noqa: ANN001
    """One layer's (direction's) parameters, the gates stacked: W, U, b (and the GRU's b_hn as bh)."""
    gates, p = CELLS[sc.cell][0], sc.params
    unit = {k: np.vstack([_param(p, _named(k, g, suffix)) for g in gates]) for k in ("W", "U")}
    unit["b"] = np.concatenate([_param(p, _named("b", g, suffix)) for g in gates])
    if sc.cell == "gru":
        unit["bh"] = _param(p, f"b_hn{suffix}")
    return unit


def network_arguments(sc) -> tuple:  # noqa: ANN001
    """What network_loop reads from a scenario of any cell, layers and directions (l2 loss, SGD)."""
    units = [[unit_params(sc, s) for s in layer] for layer in _suffixes(sc)]
    return sc.cell, units, np.asarray(sc.x), np.asarray(sc.label), sc.init_out, sc.init_state, sc.lr


def network_loop(cell, units, X, labels, out0, state0, lr):  # noqa: ANN001, ANN201, N803, PLR0913
    """One SGD iteration of stacked (and bidirectional) layers of a cell: each layer reads the one below's
    out_t (both directions', side by side), a reverse direction the sequence from its end; l2 loss on the
    top layer's out_t. Returns E, the gradients and Δout of each unit (layer by layer), δx_t, the update."""
    _, forward, backward = CELLS[cell]
    fws, seq = [], X
    for layer in units:
        fws.append([forward(p, seq[::-1] if r else seq, out0, state0) for r, p in enumerate(layer)])
        seq = np.hstack([fw["out"][::-1] if r else fw["out"] for r, fw in enumerate(fws[-1])])
    delta = seq - labels
    E = 0.5 * float((delta * delta).sum())  # noqa: N806
    grads, douts, dY = [], [], delta  # noqa: N806
    for layer, fw in zip(reversed(units), reversed(fws), strict=True):
        H, dX, layer_grads, layer_douts = layer[0]["U"].shape[1], 0, [], []  # noqa: N806
        for r, (p, f) in enumerate(zip(layer, fw, strict=True)):
            part = dY[:, r * H : (r + 1) * H]
            (dx, g), Dout = backward(p, f, part[::-1] if r else part)  # noqa: N806
            dX = dX + (dx[::-1] if r else dx)  # noqa: N806
            layer_grads.append(g)
            layer_douts.append(Dout)
        # the layer's δx_t is the gradient reaching the out_t of the one below
        grads, douts, dY = layer_grads + grads, layer_douts + douts, dX  # noqa: N806
    updated = [{k: p[k] - lr * g[k] for k in g} for p, g in zip(sum(units, []), grads, strict=True)]
    return E, grads, douts, dY, updated


def check_network(tr) -> None:  # noqa: ANN001
    """network_loop computes what the trace does (E, every parameter's gradient, δx_0 and each unit's
    Δout at its first step), else the comparison is void."""
    sc, v = tr.scenario, tr.values
    cell, *args = network_arguments(sc)
    E, grads, douts, dX, _ = network_loop(cell, *args)  # noqa: N806
    mine = {"dx_0": dX[0]}
    for suffix, g, Dout in zip(sum(_suffixes(sc), []), grads, douts, strict=True):  # noqa: N806
        H = g["U"].shape[1]  # noqa: N806
        for k, gate in enumerate(CELLS[cell][0]):
            mine.update({"d" + _named(p, gate, suffix): g[p][k * H : (k + 1) * H] for p in ("W", "U", "b")})
        mine.update({f"db_hn{suffix}": g["bh"]} if cell == "gru" else {})
        first, before = (sc.T - 1, sc.T) if suffix.endswith("r") else (0, -1)
        if cell == "gru":  # the trace's Δout_{-1} is the part through U; out_{-1} reaches out_0 through z_0 too
            Dout = Dout - _param(v, f"dout{suffix}_{first}") * _param(v, f"z{suffix}_{first}")  # noqa: N806
        mine[f"Dout{suffix}_{before}"] = Dout
    for name, value in mine.items():
        theirs = _param(v, name).reshape(value.shape)
        assert np.allclose(theirs, value, rtol=1e-9, atol=1e-12), name
    assert abs(E - tr.E) <= 1e-9 * abs(tr.E), "E"


def trace_flops(D: int, H: int, T: int) -> float:  # noqa: N803
    """The trace's matrix products: per step W·x, U·out (forward), Wᵀ·δgates, Uᵀ·δgates (backward),
    δgates ⊗ x and δgates ⊗ out (the gradients' Σ_t): 3 × 2·4H·(D + H)."""
    return 3 * 2 * 4 * H * (D + H) * T


def recurrence_products(U: np.ndarray, T: int) -> None:  # noqa: N803 - the maths' names
    """The recurrence's matrix-vector products and nothing else: T of U·out_{t-1} going forward, T of Uᵀ·δgates_t
    going back (Uᵀ contiguous), which any loop over the steps must make one at a time: its floor. Each reads
    all of U (4H×H) for 2·4H·H flops, so it runs at the memory's pace, not the 512×512 product's."""
    UT = np.ascontiguousarray(U.T)  # noqa: N806
    rng = np.random.default_rng(0)
    v, g = rng.standard_normal(U.shape[1]), rng.standard_normal(U.shape[0])
    for _ in range(T):
        U.dot(v)
    for _ in range(T):
        UT.dot(g)


def gflops(n: int = 512, repeats: int = 50) -> float:
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
