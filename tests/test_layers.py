"""Stacked layers (model: {layers: L}): layer l+1 reads layer l's out_t, names carry the layer (a_l0_t,
W_a_l1), and the upper layer's δx_t is the lower layer's Δ_t — derived, not written. Against PyTorch's
nn.LSTM / nn.GRU / nn.RNN with num_layers, over two SGD iterations, and against central differences."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import lstm_trace
from lstm_trace import load_scenario, trace
from lstm_trace.errors import ScenarioError
from lstm_trace.grading.grade import grade
from lstm_trace.numeric.gradcheck import gradcheck
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.yamlio import parse

torch = pytest.importorskip("torch")

RNN2 = """
name: two stacked RNN layers
model: {cell: rnn, layers: 2}
parameters:
  l0: {W: [[0.5, -0.3], [0.2, 0.4]], U: [[0.1, -0.4], [0.3, 0.2]], b: [0.1, -0.2]}
  l1: {W: [[0.3, 0.1], [-0.2, 0.5]], U: [[0.2, 0.1], [0.0, 0.3]], b: [0.0, 0.1]}
sequence:
  - {x: [1.0, 0.5], label: [0.3, -0.1]}
  - {x: [-0.5, 1.0], label: [0.2, 0.4]}
  - {x: [0.2, -0.8], label: [-0.3, 0.1]}
"""


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers", [2, 3])
def test_nn_modules_with_num_layers_over_two_iterations(kind, layers):
    torch.manual_seed(layers)
    m = getattr(torch.nn, kind)(3, 2, num_layers=layers).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    y = torch.rand(4, 2, dtype=torch.float64) - 0.5
    made = lstm_trace.from_torch(m, x, target=y, lr=0.2)
    assert made.data["model"]["layers"] == layers
    data = {**made.data, "iterations": 2}
    opt = torch.optim.SGD(m.parameters(), lr=0.2)
    for it in (1, 2):
        tr = trace(data, iteration=it)
        opt.zero_grad()
        out, _ = m(x[:, None])
        E = 0.5 * ((out[:, 0] - y) ** 2).sum()  # noqa: N806
        E.backward()
        assert tr.E == pytest.approx(E.item(), rel=1e-12)
        np.testing.assert_allclose(tr["out_3"], out[3, 0].detach().numpy(), rtol=1e-13, atol=1e-15)
        for name, p in m.named_parameters():
            np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        opt.step()
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"{name}_new"], p.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


def test_the_upper_layers_dx_is_the_lower_layers_delta():
    """The worked example's FAQ: "you would use δx if there were LSTMs stacked beneath"."""
    tr = trace(yaml.safe_load(RNN2))
    for t in range(3):
        np.testing.assert_array_equal(tr[f"Delta_l0_{t}"], tr[f"dx_l1_{t}"])
        np.testing.assert_array_equal(tr[f"x_l1_{t}"], tr[f"out_l0_{t}"])
        np.testing.assert_array_equal(tr[f"out_{t}"], tr[f"out_l1_{t}"])
    assert tr.row("Delta_l0_1").equation is not None and tr.row("dx_l1_1").equation.kind == "linear"


def test_layers_in_this_tools_layout_against_autograd_and_finite_differences():
    sc = load_scenario(yaml.safe_load(RNN2))
    tr = trace(sc)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in sc.params.items()}
    h0, h1, E = torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64), 0.0  # noqa: N806
    for t in range(sc.T):
        h0 = torch.tanh(p["W_l0"] @ torch.tensor(sc.x[t]) + p["U_l0"] @ h0 + p["b_l0"])
        h1 = torch.tanh(p["W_l1"] @ h0 + p["U_l1"] @ h1 + p["b_l1"])
        E = E + 0.5 * ((h1 - torch.tensor(sc.label[t])) ** 2).sum()  # noqa: N806
    E.backward()
    for k, v in p.items():
        np.testing.assert_allclose(tr[f"d{k}"], v.grad.numpy(), rtol=1e-12, atol=1e-15, err_msg=k)
    checks = gradcheck(tr)
    assert all(c.ok for c in checks) and {c.of for c in checks} >= set(sc.params)


def test_a_layered_answer_key_is_graded_and_a_slip_in_the_lower_layer_carries_upwards():
    tr = trace(yaml.safe_load(RNN2))
    names = [r.name for r in tr.rows if r.equation is not None and r.step in (0, None)]
    right = {n: np.round(np.asarray(tr[n], dtype=np.float64), 6) for n in names}
    text = "\n".join(f"{n}: {v.tolist()}" for n, v in right.items())
    assert {v.verdict for v in grade(tr, from_document(parse(text + "\n", "a.yaml"))).verdicts} == {"correct"}
    wrong = tr["Delta_l0_0"] + tr["Dout_l0_0"]  # δz_l0_0 left without tanh′: δout_l0_0 itself
    right["dz_l0_0"] = np.round(wrong, 6)
    right["dx_0"] = np.round(tr["W_l0"].T @ wrong, 6)
    text = "\n".join(f"{n}: {v.tolist()}" for n, v in right.items())
    verdicts = {v.name: v for v in grade(tr, from_document(parse(text + "\n", "a.yaml"))).verdicts}
    assert verdicts["dz_l0_0"].verdict == "wrong" and verdicts["dz_l0_0"].cause.kind == "missing-derivative"
    assert verdicts["dx_0"].verdict == "carried" and verdicts["dx_l1_0"].verdict == "correct"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  l1: {", "  l2: {"), "parameters.l2: unknown key 'l2': with layers: 2, parameters are given per layer"),
        (("b: [0.0, 0.1]", "b: [0.0, true]"), "parameters.l1.b[1]: expected a number, found the boolean true"),
        (("sequence:", "initial: {out: [0.1, 0.2]}\nsequence:"), "initial.out: stacked layers start from zeros"),
        (("model: {cell: rnn, layers: 2}", "model: {cell: rnn, layers: 9}"), "model.layers"),
    ],
)
def test_bad_layered_parameters_are_named_where_they_are(change, message):
    text = RNN2.replace(*change)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(parse(text, "l.yaml").data | {})
    assert message in str(exc.value)


@pytest.mark.parametrize(("kind", "layers"), [("GRU", 1), ("RNN", 2), ("LSTM", 2)])
def test_a_batch_through_new_cells_and_stacked_layers(kind, layers):
    """N = 3 sequences at once (x_t N×D), the gradients summed over the batch, as autograd sums them."""
    torch.manual_seed(2)
    m = getattr(torch.nn, kind)(3, 2, num_layers=layers).double()
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    y = torch.rand(4, 3, 2, dtype=torch.float64) - 0.5
    tr = trace(lstm_trace.from_torch(m, x, target=y).data)
    out, _ = m(x)
    E = 0.5 * ((out - y) ** 2).sum()  # noqa: N806
    E.backward()
    assert tr.scenario.batch == 3 and tr.E == pytest.approx(E.item(), rel=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
