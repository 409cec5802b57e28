"""Every value and gradient against PyTorch autograd (float64) and central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace import load_scenario, trace

from .conftest import GOMEZ, random_scenario

SIZES = [(1, 1, 1), (2, 1, 2), (3, 2, 3), (5, 5, 6), (4, 3, 1), (1, 4, 5), (2, 2, 4), (6, 8, 10)]  # (D, H, T)
CASES = [
    (seed, D, H, T, bias, stacked)
    for seed, (D, H, T) in enumerate(SIZES)
    for bias, stacked in [(True, False), (False, True), (True, True)]
]


@pytest.mark.parametrize("seed,D,H,T,bias,stacked", CASES)
def test_agrees_with_pytorch_autograd(seed, D, H, T, bias, stacked):
    pytest.importorskip("torch")
    from .reference import torch_trace

    sc = load_scenario(random_scenario(seed, D, H, T, bias, stacked))
    tr = trace(sc)
    ref = torch_trace(sc)
    assert set(ref) <= set(tr.values), set(ref) - set(tr.values)
    for name, want in ref.items():
        np.testing.assert_allclose(tr[name], want, rtol=0, atol=1e-10, err_msg=name)


def test_worked_example_agrees_with_pytorch():
    pytest.importorskip("torch")
    from .reference import torch_trace

    sc = load_scenario(GOMEZ)
    tr, ref = trace(sc), torch_trace(sc)
    for name, want in ref.items():
        np.testing.assert_allclose(tr[name], want, rtol=0, atol=1e-12, err_msg=name)


def _loss(data: dict) -> float:
    return trace(load_scenario(data)).E


def _perturbed(data: dict, path: tuple, h: float) -> dict:
    import copy

    d = copy.deepcopy(data)
    node = d
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] += h
    return d


def _fd(data: dict, path: tuple, h: float = 1e-6) -> float:
    return (_loss(_perturbed(data, path, h)) - _loss(_perturbed(data, path, -h))) / (2 * h)


@pytest.mark.parametrize("seed,D,H,T,bias", [(11, 2, 2, 3, True), (12, 3, 1, 2, False), (13, 1, 3, 4, True)])
def test_gradients_match_central_finite_differences(seed, D, H, T, bias):
    data = random_scenario(seed, D, H, T, bias)
    tr = trace(load_scenario(data))
    for kind in ("W", "U", "b") if bias else ("W", "U"):
        for g in ("a", "i", "f", "o"):
            value = np.asarray(data["parameters"][kind][g])
            for idx in np.ndindex(value.shape):
                fd = _fd(data, ("parameters", kind, g, *idx))
                assert tr[f"d{kind}_{g}"][idx] == pytest.approx(fd, abs=1e-8), (kind, g, idx)
    for t in range(T):
        for j in range(D):
            assert tr[f"dx_{t}"][j] == pytest.approx(_fd(data, ("sequence", t, "x", j)), abs=1e-8)
    for j in range(H):
        assert tr["Dout_-1"][j] == pytest.approx(_fd(data, ("initial", "out", j)), abs=1e-8)


def test_stacked_and_per_gate_parameters_trace_the_same():
    per_gate = trace(load_scenario(random_scenario(5, 3, 2, 3, stacked=False)))
    stacked = trace(load_scenario(random_scenario(5, 3, 2, 3, stacked=True)))
    for name in per_gate.values:
        np.testing.assert_array_equal(per_gate[name], stacked[name], err_msg=name)


@pytest.mark.parametrize("seed,D,H,T,bias", [(21, 2, 1, 2, True), (22, 3, 4, 3, False), (23, 5, 3, 6, True)])
def test_adagrad_agrees_with_pytorch(seed, D, H, T, bias):
    """torch.optim.Adagrad puts ε outside the root; with ε = 1e-30 the two rules coincide."""
    pytest.importorskip("torch")
    from .reference import torch_trace

    data = random_scenario(seed, D, H, T, bias)
    data["optimizer"] = {"name": "adagrad", "lr": 0.05, "eps": 1e-30}
    sc = load_scenario(data)
    tr, ref = trace(sc), torch_trace(sc)
    for name in [n for n in ref if n.endswith("_new")]:
        np.testing.assert_allclose(tr[name], ref[name], rtol=0, atol=1e-10, err_msg=name)
    assert any(n.startswith("cache_") for n in ref)


def test_adagrad_puts_eps_inside_the_root_as_seed_004_does():
    data = random_scenario(24, 2, 2, 3)
    data["optimizer"] = {"name": "adagrad", "lr": 0.1, "eps": 0.01}
    tr = trace(load_scenario(data))
    for p in ("W_a", "U_f", "b_o"):
        g = tr[f"d{p}"]
        np.testing.assert_allclose(tr[f"cache_{p}_new"], g**2, rtol=0, atol=1e-15)
        np.testing.assert_allclose(tr[f"{p}_new"], tr.scenario.params[p] - 0.1 * g / np.sqrt(g**2 + 0.01), atol=1e-15)
    assert "cache_W_a" in tr.values and not tr.values["cache_W_a"].any()  # the cache starts at zero


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad"])
def test_iterations_agree_with_pytorch(optimizer):
    """Three iterations, each from the last one's parameters (and Adagrad's cache, carried by torch's optimizer)."""
    torch = pytest.importorskip("torch")

    data = random_scenario(31, 3, 2, 4)
    data["iterations"] = 3
    data["optimizer"] = {"name": optimizer, "lr": 0.2, **({"eps": 1e-30} if optimizer == "adagrad" else {})}
    sc = load_scenario(data)
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in sc.params.items()}
    params = list(P.values())
    opt = torch.optim.Adagrad(params, lr=0.2, eps=1e-30) if optimizer == "adagrad" else torch.optim.SGD(params, lr=0.2)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        out = torch.tensor(sc.init_out, dtype=torch.float64)
        state = torch.tensor(sc.init_state, dtype=torch.float64)
        E = torch.zeros((), dtype=torch.float64)
        for x, label in zip(sc.x, sc.label, strict=True):
            x = torch.tensor(x, dtype=torch.float64)
            z = {g: P[f"W_{g}"] @ x + P[f"U_{g}"] @ out + P[f"b_{g}"] for g in "aifo"}
            state = torch.tanh(z["a"]) * torch.sigmoid(z["i"]) + torch.sigmoid(z["f"]) * state
            out = torch.tanh(state) * torch.sigmoid(z["o"])
            E = E + 0.5 * ((out - torch.tensor(label, dtype=torch.float64)) ** 2).sum()
        E.backward()
        losses.append(E.item())
        opt.step()
    for k in (1, 2, 3):
        tr = trace(sc, k)
        assert tr.losses == pytest.approx(losses, abs=1e-10)
        assert tr.E == pytest.approx(losses[k - 1], abs=1e-10)
    last = trace(sc, 3)
    for name, p in P.items():
        np.testing.assert_allclose(last[f"{name}_new"], p.detach().numpy(), rtol=0, atol=1e-10, err_msg=name)


def test_each_iteration_starts_from_the_last_ones_parameters_and_cache():
    data = random_scenario(32, 2, 2, 2)
    data["iterations"] = 2
    data["optimizer"] = {"name": "adagrad", "lr": 0.1}
    sc = load_scenario(data)
    first, second = trace(sc, 1), trace(sc, 2)
    np.testing.assert_array_equal(second["W_a"], first["W_a_new"])
    np.testing.assert_array_equal(second["cache_W_a"], first["cache_W_a_new"])
    assert second.iteration == 2 and second.losses == first.losses and len(first.losses) == 2


VARIANTS = [
    (cell, K, optimizer, bias)
    for cell in ("lstm", "peephole", "peephole-previous")
    for K in (0, 3)  # no output layer (l2 on out_t), or softmax over 3 classes with cross-entropy
    for optimizer in ("sgd", "adagrad")
    for bias in (True, False)
]


@pytest.mark.parametrize("cell,K,optimizer,bias", VARIANTS)
@pytest.mark.parametrize("seed,D,H,T", [(41, 2, 1, 2), (42, 3, 4, 5)])
def test_every_variant_agrees_with_pytorch_and_finite_differences(cell, K, optimizer, bias, seed, D, H, T):  # noqa: N803
    pytest.importorskip("torch")
    from lstm_trace.numeric.gradcheck import gradcheck

    from .reference import torch_trace

    data = random_scenario(seed, D, H, T, bias, cell=cell, K=K)
    data["optimizer"] = {"name": optimizer, "lr": 0.1, **({"eps": 1e-30} if optimizer == "adagrad" else {})}
    sc = load_scenario(data)
    tr, ref = trace(sc), torch_trace(sc)
    assert set(ref) <= set(tr.values), set(ref) - set(tr.values)
    for name, want in ref.items():
        np.testing.assert_allclose(tr[name], want, rtol=0, atol=1e-10, err_msg=name)
    if cell.startswith("peephole"):
        assert {"dP_i", "dP_f", "dP_o", "P_i_new"} <= set(ref)
    if K:
        assert {"y_0", "ds_0", "dV", "dc", "V_new", "c_new"} <= set(ref)
    assert all(c.ok for c in gradcheck(tr, max_entries=3))
