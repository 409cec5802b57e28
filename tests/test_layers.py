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


def _one_loop(monkeypatch: pytest.MonkeyPatch, doc: dict):  # noqa: ANN202
    """The scenario traced with every pass one loop over the steps, as before layers ran as sweeps."""
    from lstm_trace.numeric import sweeps

    with monkeypatch.context() as m:
        m.setattr(sweeps, "by_layer", lambda *a, **k: None)
        return trace(lstm_trace.load_scenario(doc))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_loop_per_layer_gives_the_one_loops_rows_and_values(cell, monkeypatch):
    """Each layer's pass is a loop of its own over all steps (the layer above's W·x_t one product over all
    steps, each layer's δx_t one after its loop): the rows are the one loop's, in its order; every value is
    its bits but for those products, and they within rounding (the products' own, ~1e-16 relative)."""
    doc = _doc(_spec(cell, 3))
    ours, one = trace(lstm_trace.load_scenario(doc)), _one_loop(monkeypatch, doc)
    key = [(r.section, r.step, r.name, r.equation, r.note, r.sweep) for r in ours.rows]
    assert key == [(r.section, r.step, r.name, r.equation, r.note, r.sweep) for r in one.rows]
    assert set(ours.values) == set(one.values)
    moved = 0
    for name, v in one.values.items():
        if not np.array_equal(ours.values[name], v):
            moved += 1
            np.testing.assert_allclose(ours.values[name], v, rtol=1e-12, atol=1e-14, err_msg=name)
    assert moved  # the upper layers' z_t and the δx_t are products made over all steps
    np.testing.assert_allclose(ours.losses, one.losses, rtol=1e-13)  # and the next iteration's from them


def _spec(cell: str, layers: int):  # noqa: ANN202
    from lstm_trace.numeric.generate import Spec

    return Spec(3, 4, 6, 7, cell=cell, decimals=3, iterations=2, layers=layers)


def _doc(spec) -> dict:  # noqa: ANN001
    from lstm_trace.numeric.generate import scenario_text

    return yaml.safe_load(scenario_text(spec))


def test_the_layers_sweeps_take_the_links_with_the_layer_below():
    """x_l1_t = out_l0_t is made in layer 0's loop, so that layer 1's W·x_l1_t reads nothing its own loop
    makes; δx_t (unsuffixed) goes with layer 0, the loss's δout_t with the top layer."""
    from lstm_trace.numeric import sweeps
    from lstm_trace.numeric.models import model_for

    sc = lstm_trace.load_scenario(_doc(_spec("rnn", 2)))
    model = model_for(sc)
    forward = sweeps.by_layer((*model.forward, *model.head), sc, links_down=True)
    assert [[e.name for e in eqs] for eqs in forward] == [["z_l0", "out_l0", "x_l1"], ["z_l1", "out_l1", "out"]]
    backward = sweeps.by_layer(model.backward, sc, links_down=False)
    assert [[e.name for e in eqs] for eqs in backward] == [
        ["dout", "Delta_l1", "dout_l1", "dz_l1", "dx_l1", "Dout_l1"],
        ["Delta_l0", "dout_l0", "dz_l0", "dx", "Dout_l0"],
    ]
    one = lstm_trace.load_scenario(_doc(_spec("rnn", 1)))
    assert sweeps.by_layer(model_for(one).forward, one, links_down=True) is None


def test_rows_not_a_whole_number_of_steps_are_left_in_sweep_order():
    from lstm_trace.numeric import sweeps

    rows: list = []
    assert not sweeps.interleaved([[1, 2, 3], [4]], [2, 1], {}, rows)
    assert rows == []
