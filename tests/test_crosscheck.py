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
