"""lstm_trace.from_torch: an nn.LSTM and its input as a scenario, in one call."""

from __future__ import annotations

import numpy as np
import pytest

import lstm_trace
from lstm_trace import load_scenario, trace

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("batch_first", [False, True])
def test_from_torch_traces_the_module_as_autograd_does(tmp_path, batch_first):
    torch.manual_seed(3)
    m = torch.nn.LSTM(3, 2, batch_first=batch_first).double()
    x = torch.randn(4, 3, 3, dtype=torch.float64)  # (T, N, D), or (N, T, D) with batch_first
    y = torch.rand(4, 3, 2, dtype=torch.float64) - 0.5
    made = lstm_trace.from_torch(m, x, target=y)
    assert made.data["layout"] == "pytorch" and "weight_ih_l0" in made.data["parameters"]
    f = tmp_path / "m.yaml"
    f.write_text(made.yaml)  # the YAML text reads back as the same scenario
    tr = trace(load_scenario(f))
    assert (tr.scenario.batch, tr.scenario.T) == ((4, 3) if batch_first else (3, 4))
    out, _ = m(x)
    E = 0.5 * ((out - y) ** 2).sum()  # noqa: N806
    E.backward()
    assert tr.E == pytest.approx(E.item(), rel=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)


def test_from_torch_with_upstream_gradients_and_an_initial_state():
    torch.manual_seed(4)
    m = torch.nn.LSTM(2, 3).double()
    x = torch.randn(3, 2, dtype=torch.float64)  # one sequence, no batch axis
    dout = torch.randn(3, 3, dtype=torch.float64)
    h0, c0 = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    sc = load_scenario(lstm_trace.from_torch(m, x, upstream=dout, initial=(h0, c0)).data)
    assert sc.loss == "upstream" and sc.batch == 0
    tr = trace(sc)
    out, _ = m(x[:, None], (h0[None, None], c0[None, None]))
    (out[:, 0] * dout).sum().backward()
    np.testing.assert_allclose(tr["dweight_hh_l0"], m.weight_hh_l0.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_from_torch_forward_only_and_what_it_refuses():
    m = torch.nn.LSTM(2, 2).double()
    made = lstm_trace.from_torch(m, torch.zeros(2, 2, dtype=torch.float64))
    assert made.data["loss"] == "none" and {r.section for r in trace(made.data).rows} == {"forward"}
    with pytest.raises(ValueError, match="without proj_size"):
        lstm_trace.from_torch(torch.nn.LSTM(2, 2, proj_size=1), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="bidirectional layers start from zeros"):
        lstm_trace.from_torch(torch.nn.LSTM(2, 2, bidirectional=True), torch.zeros(2, 2), initial=torch.zeros(2, 2))
    with pytest.raises(ValueError, match="reads an nn.LSTM, nn.GRU or nn.RNN, found Linear"):
        lstm_trace.from_torch(torch.nn.Linear(2, 2), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="not both"):
        lstm_trace.from_torch(m, torch.zeros(2, 2), target=torch.zeros(2, 2), upstream=torch.zeros(2, 2))
