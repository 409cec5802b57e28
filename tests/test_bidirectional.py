"""Bidirectional layers (model: {bidirectional: true}): each layer's reverse direction reads its recurrence
from the step after (a_l0r_t from out_l0r_{t+1}) and is computed from the last step back, each direction a
sweep of its own; out_t is [out_t; out_t reverse] as PyTorch returns it. Against nn.LSTM, nn.GRU and nn.RNN
with bidirectional=True (one to three layers, labels and given upstream gradients, two SGD iterations, a
batch), the LSTM worked example's published numbers (the forward direction of the bundled example is that
example), central differences, and the grader."""

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


def _module(kind: str, layers: int, seed: int = 0, bias: bool = True):  # noqa: ANN202
    torch.manual_seed(seed)
    return getattr(torch.nn, kind)(3, 2, num_layers=layers, bidirectional=True, bias=bias).double()


@pytest.mark.parametrize(
    ("kind", "layers"), [("LSTM", 1), ("LSTM", 2), ("LSTM", 3), ("GRU", 1), ("GRU", 2), ("RNN", 2)]
)
def test_nn_modules_bidirectional_over_two_iterations(kind, layers):
    m = _module(kind, layers, seed=layers)
    x = torch.randn(4, 3, dtype=torch.float64)
    y = torch.rand(4, 4, dtype=torch.float64) - 0.5  # 2H: both directions' halves
    made = lstm_trace.from_torch(m, x, target=y, lr=0.2)
    assert made.data["model"]["bidirectional"] is True
    data = {**made.data, "iterations": 2}
    opt = torch.optim.SGD(m.parameters(), lr=0.2)
    top = f"_l{layers - 1}"
    for it in (1, 2):
        tr = trace(data, iteration=it)
        opt.zero_grad()
        xg = x.clone().requires_grad_(True)
        out, _ = m(xg)
        E = 0.5 * ((out - y) ** 2).sum()  # noqa: N806
        E.backward()
        assert tr.E == pytest.approx(E.item(), rel=1e-12)
        for t in range(4):
            mine = np.concatenate([tr[f"out{top}_{t}"], tr[f"out{top}r_{t}"]])
            np.testing.assert_allclose(mine, out[t].detach().numpy(), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(tr[f"dx_{t}"], xg.grad[t].numpy(), rtol=1e-10, atol=1e-14)
        for name, p in m.named_parameters():
            np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        opt.step()
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"{name}_new"], p.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_given_upstream_gradients_without_bias(kind):
    """CS231n's way: ∂L/∂out_t given (2H entries), each direction reading its half."""
    m = _module(kind, 2, seed=5, bias=False)
    x = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    dout = torch.randn(3, 4, dtype=torch.float64)
    tr = trace(lstm_trace.from_torch(m, x, upstream=dout).data)
    out, _ = m(x)
    (out * dout).sum().backward()
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(np.stack([tr[f"dx_{t}"] for t in range(3)]), x.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(tr["Delta_l1r_2"], dout[2, 2:].numpy())  # the given half, as it is


def test_a_batch_through_a_bidirectional_lstm():
    m = _module("LSTM", 2, seed=7)
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    y = torch.rand(4, 3, 4, dtype=torch.float64) - 0.5
    tr = trace(lstm_trace.from_torch(m, x, target=y).data)
    out, _ = m(x)
    E = 0.5 * ((out - y) ** 2).sum()  # noqa: N806
    E.backward()
    assert tr.scenario.batch == 3 and tr.E == pytest.approx(E.item(), rel=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)


SOFTMAX = """
name: a bidirectional RNN with a softmax layer
model: {cell: rnn, bidirectional: true, layers: 2, output: softmax}
parameters:
  l0: {W: [[0.5, -0.3], [0.2, 0.4]], U: [[0.1, -0.4], [0.3, 0.2]], b: [0.1, -0.2]}
  l0r: {W: [[-0.2, 0.3], [0.4, 0.1]], U: [[0.2, 0.1], [-0.1, 0.3]], b: [0.0, 0.2]}
  l1: {W: [[0.3, 0.1, -0.2, 0.2], [-0.2, 0.5, 0.1, 0.3]], U: [[0.2, 0.1], [0.0, 0.3]], b: [0.0, 0.1]}
  l1r: {W: [[0.1, -0.1, 0.4, 0.2], [0.3, 0.2, -0.3, 0.1]], U: [[0.1, 0.2], [0.3, -0.1]], b: [0.1, 0.0]}
  V: [[0.5, -0.2, 0.1, 0.3], [0.1, 0.4, -0.3, 0.2], [-0.4, 0.1, 0.2, -0.1]]
  c: [0.1, 0.0, -0.1]
sequence:
  - {x: [1.0, 0.5], label: 2}
  - {x: [-0.5, 1.0], label: 0}
  - {x: [0.2, -0.8], label: 1}
loss: cross_entropy
optimizer: {name: adagrad, lr: 0.1}
"""


def test_a_softmax_layer_on_both_directions_in_this_tools_layout():
    """V (K×2H) reads [out_t; out_t reverse]: Vf·out_l1_t + Vr·out_l1r_t; W_l1 (H×2H) likewise: Wf_l1, Wr_l1.
    The gradients of the file's own V and W_l1 are there whole, and graded whole."""
    sc = load_scenario(yaml.safe_load(SOFTMAX))
    tr = trace(sc)
    raw = yaml.safe_load(SOFTMAX)["parameters"]

    def leaf(v):  # noqa: ANN001, ANN202
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    p = {k: leaf(v) for k, v in raw.items() if k in ("V", "c")}
    for block in ("l0", "l0r", "l1", "l1r"):
        p.update({f"{k}_{block}": leaf(v) for k, v in raw[block].items()})
    x = [torch.tensor(v) for v in sc.x]

    def direction(s, inputs, order):  # noqa: ANN001, ANN202
        h, outs = torch.zeros(2, dtype=torch.float64), {}
        for t in order:
            h = outs[t] = torch.tanh(p[f"W_{s}"] @ inputs[t] + p[f"U_{s}"] @ h + p[f"b_{s}"])
        return [outs[t] for t in range(3)]

    fwd, back = range(3), range(2, -1, -1)
    l0 = [torch.cat(pair) for pair in zip(direction("l0", x, fwd), direction("l0r", x, back), strict=True)]
    top = [torch.cat(pair) for pair in zip(direction("l1", l0, fwd), direction("l1r", l0, back), strict=True)]
    logits = [p["V"] @ h + p["c"] for h in top]
    E = sum(
        torch.nn.functional.cross_entropy(s[None], torch.tensor([k])) for s, k in zip(logits, [2, 0, 1], strict=True)
    )  # noqa: N806
    E.backward()
    assert tr.E == pytest.approx(E.item(), rel=1e-13)
    np.testing.assert_allclose(np.hstack([tr["dVf"], tr["dVr"]]), p["V"].grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tr["dV"], p["V"].grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.hstack([tr["dWf_l1"], tr["dWr_l1"]]), p["W_l1"].grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tr["dW_l1r"], p["W_l1r"].grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(tr["V"], np.array(raw["V"]))
    np.testing.assert_array_equal(tr["V_new"], np.hstack([tr["Vf_new"], tr["Vr_new"]]))
    whole = {"dV": tr["dV"], "dW_l1": tr["dW_l1"], "W_l1r_new": tr["W_l1r_new"]}
    sheet = "".join(f"{k}: {np.round(v, 6).tolist()}\n" for k, v in whole.items())
    sheet += f"dW_l1: {np.round(tr['dW_l1'] * [1, 1, 1, -1], 6).tolist()}\n".replace("dW_l1", "dW_l1r")
    verdicts = {v.name: v.verdict for v in grade(tr, from_document(parse(sheet, "a.yaml"))).verdicts}
    assert verdicts == {"dV": "correct", "dW_l1": "correct", "W_l1r_new": "correct", "dW_l1r": "wrong"}
    for k in ("U_l0", "b_l0r", "U_l1r", "c"):
        np.testing.assert_allclose(tr[f"d{k}"], p[k].grad.numpy(), rtol=1e-12, err_msg=k)
    checks = gradcheck(tr)
    assert all(c.ok for c in checks) and {c.of for c in checks} >= set(sc.params)


def test_the_forward_direction_of_the_bundled_example_is_the_worked_examples_published_numbers():
    """The worked example's own printed numbers (its expected: block), found again in the forward direction
    (all but its misprints, which the worked example's own trace does not reproduce either)."""
    tr, gomez = trace("bidirectional"), load_scenario("gomez")
    own = trace(gomez)
    compared = 0
    for answer in gomez.expected:
        name, printed = answer.given_name, np.asarray(answer.raw, dtype=np.float64)
        if name.startswith("dx"):
            continue  # δx_t: here it has the reverse direction's share as well
        base, _, step = name.rpartition("_")
        mine = f"{base}_l0_{step}" if step.lstrip("-").isdigit() else f"{name}_l0"
        mine = f"{name.removesuffix('_new')}_l0_new" if name.endswith("_new") else mine
        if mine not in tr.values or not np.allclose(own[name], printed, atol=6e-5):
            continue
        shaped = printed.reshape(np.shape(tr[mine]))
        np.testing.assert_allclose(tr[mine], shaped, atol=6e-5, err_msg=f"{name} as {mine}")
        np.testing.assert_allclose(tr[mine], own[name], rtol=1e-13, atol=1e-16, err_msg=f"{name} as {mine}")
        compared += 1
    assert compared >= 30


def test_rows_are_titled_by_layer_and_direction_and_run_the_reverse_way():
    tr = trace("bidirectional")
    forward = [(r.step, r.sweep) for r in tr.rows if r.section == "forward"]
    assert [s for s, sweep in forward if sweep == "l0r" and s is not None][::10] == [1, 0]
    backward = [(r.step, r.sweep, r.name) for r in tr.rows if r.section == "backward"]
    assert backward[0] == (0, "l0r", "Dout_l0r_0")  # nothing comes back from before the reverse direction's last step
    assert [b[1] for b in backward][-1] == "l0"
    from lstm_trace.render.rows import grouped

    titles = [title for title, _ in grouped(tr)]
    assert titles[:4] == [
        "Forward @ t=0, layer 0",
        "Forward @ t=1, layer 0",
        "Forward @ t=1, layer 0, reverse direction",
        "Forward @ t=0, layer 0, reverse direction",
    ]
    assert "Backward @ t=0, layer 0, reverse direction" in titles and len(set(titles)) == len(titles)


def test_an_answer_key_is_graded_and_a_slip_in_the_reverse_direction_carries():
    tr = trace("bidirectional")
    names = [r.name for r in tr.rows if r.equation is not None and r.step in (0, 1, None)]
    right = {n: np.round(np.asarray(tr[n], dtype=np.float64), 6) for n in names}

    def sheet(d: dict) -> str:
        return "\n".join(f"{n}: {v.tolist()}" for n, v in d.items()) + "\n"

    assert {v.verdict for v in grade(tr, from_document(parse(sheet(right), "a.yaml"))).verdicts} == {"correct"}
    # δstate_l0r_1 without its carried δstate_l0r_0 ⊙ f_l0r_0 (the reverse direction's "next" step is t-1)
    slip = tr["dstate_l0r_1"] - tr["dstate_l0r_0"] * tr["f_l0r_0"]
    right["dstate_l0r_1"] = np.round(slip, 6)
    right["da_l0r_1"] = np.round(slip * tr["i_l0r_1"] * (1 - tr["a_l0r_1"] ** 2), 6)
    verdicts = {v.name: v for v in grade(tr, from_document(parse(sheet(right), "a.yaml"))).verdicts}
    assert verdicts["dstate_l0r_1"].verdict == "wrong"
    assert verdicts["dstate_l0r_1"].cause is not None and verdicts["dstate_l0r_1"].cause.kind == "missing-term"
    assert verdicts["da_l0r_1"].verdict == "carried" and verdicts["da_l0_1"].verdict == "correct"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("bidirectional: true", "bidirectional: yes please"), "model.bidirectional"),
        (("  l0r:\n", "  l1:\n"), "parameters.l1: unknown key 'l1': with bidirectional: true, parameters are given"),
        (("label: [0.5, 0.2]", "label: [0.5]"), "sequence[0].label"),
        (("sequence:", "initial: {out: [0.1]}\nsequence:"), "initial.out: bidirectional layers start from zeros"),
        (("cell: lstm, bidirectional", "cell: peephole, bidirectional"), "with bidirectional layers"),
        (("model: {", "layout: cs231n\nmodel: {"), "bidirectional layers are read in layout: gomez or pytorch"),
    ],
)
def test_bad_bidirectional_scenarios_are_named_where_they_are(change, message):
    from lstm_trace.scenario.examples import path_of

    text = path_of("bidirectional").read_text().replace(*change)
    assert text != path_of("bidirectional").read_text()
    with pytest.raises(ScenarioError) as exc:
        load_scenario(parse(text, "b.yaml").data | {})
    assert message in str(exc.value)


def test_pytorch_keys_of_a_missing_reverse_direction_are_named():
    m = _module("GRU", 1)
    data = lstm_trace.from_torch(m, torch.randn(2, 3, dtype=torch.float64), target=torch.zeros(2, 4)).data
    del data["parameters"]["weight_hh_l0_reverse"]
    with pytest.raises(ScenarioError, match="weight_hh_l0_reverse"):
        load_scenario(data)
    data = lstm_trace.from_torch(m, torch.randn(2, 3, dtype=torch.float64), target=torch.zeros(2, 4)).data
    data["parameters"]["weight_ih_l1_reverse"] = data["parameters"]["weight_ih_l0"]
    with pytest.raises(ScenarioError, match="weight_ih_l1_reverse is not a parameter of a 1-layer bidirectional"):
        load_scenario(data)


def test_derive_writes_the_reverse_directions_recurrence_at_t_plus_1(tmp_path):
    from click.testing import CliRunner

    from lstm_trace.cli import cli

    from .conftest import compile_latex

    lines = CliRunner().invoke(cli, ["derive", "--cell", "gru", "--bidirectional"]).output.splitlines()
    for line in [
        "1-layer bidirectional gru cell, loss l2: equations at step t (derived by lstm-trace "
        + lstm_trace.__version__
        + ")",
        "  out_l0r_t = n_l0r_t ⊙ (1 − z_l0r_t) + z_l0r_t ⊙ out_l0r_{t+1}",
        "  E_t = Σ_k [(out_l0_{t,k} − label_l0_{t,k})²/2 + (out_l0r_{t,k} − label_l0r_{t,k})²/2]",
        "  δout_l0r_t     = δout_l0r_{t-1} ⊙ z_l0r_{t-1} + Δ_l0r_t + Δout_l0r_t",
        "  δout_l0_t      = Δ_l0_t + Δout_l0_t + δout_l0_{t+1} ⊙ z_l0_{t+1}",
        "  Δout_l0r_{t+1} = U_r_l0rᵀ·δr_l0r_t + U_z_l0rᵀ·δz_l0r_t + U_n_l0rᵀ·δhn_l0r_t",
    ]:
        assert line in lines, line
    options = ["--cell", "lstm", "--bidirectional", "--layers", "2", "--output-layer", "softmax"]
    tex = CliRunner().invoke(cli, ["derive", *options, "--format", "latex"]).output
    assert r"\mathrm{out}^{(1,\leftarrow)}" in tex and r"\mathrm{Wr}_{a}^{(1)}" in tex
    compile_latex(tex, tmp_path)


def test_the_page_has_an_anchor_per_direction_and_a_picture_of_both():
    import re

    from lstm_trace.render import pictures
    from lstm_trace.render.html import render_page

    tr = trace("bidirectional")
    page = render_page(tr)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and {"forward-1-l0", "forward-1-l0r", "backward-0-l0r"} <= set(ids)
    assert "Forward @ t=1, layer 0, reverse direction" in page
    if pictures.missing():
        pytest.skip(pictures.missing())
    arrows = set(re.findall(r"<title>([^<]*)</title>", pictures.pictures_section(tr, [0, 1])))
    # the reverse direction hands on from t=1 to t=0; E_t reads both directions' out_t
    for arrow in ["out_l0r_1->gates_l0r_0", "state_l0r_1->state_l0r_0", "out_l0_0->gates_l0_1", "out_l0r_0->E_0"]:
        assert arrow.replace("->", "&#45;&gt;") in arrows, arrow


def test_out_t_is_both_directions_as_pytorch_returns_it_and_is_graded():
    tr = trace("bidirectional")
    for t in (0, 1):
        np.testing.assert_array_equal(tr[f"out_{t}"], np.concatenate([tr[f"out_l0_{t}"], tr[f"out_l0r_{t}"]]))
    sheet = f"out_1: {np.round(tr['out_1'], 5).tolist()}\nE: {round(tr.E, 5)}\nout_0: [0.5, 0.1]\n"
    verdicts = {v.name: v.verdict for v in grade(tr, from_document(parse(sheet, "a.yaml"))).verdicts}
    assert verdicts == {"out_1": "correct", "E": "correct", "out_0": "wrong"}


def test_pytorchs_weight_ih_l1_of_both_directions_is_explained_and_graded_whole(tmp_path):
    from click.testing import CliRunner

    from lstm_trace.cli import cli

    m = _module("LSTM", 2, seed=11)
    made = lstm_trace.from_torch(m, torch.randn(3, 3, dtype=torch.float64), target=torch.zeros(3, 4))
    (tmp_path / "s.yaml").write_text(made.yaml)
    tr = trace(made.data)
    assert tr["dweight_ih_l1"].shape == (8, 4)
    np.testing.assert_array_equal(tr["dweight_ih_l1"][2:4, 2:], tr["dWr_f_l1"])  # PyTorch's rows i, f, g, o
    out = CliRunner().invoke(cli, ["explain", str(tmp_path / "s.yaml"), "dweight_ih_l1_reverse"]).output
    assert "(given)" not in out.splitlines()[0] and "δWf_a_l1r" in out
    wrong = tr["dweight_ih_l1"].copy()
    wrong[:, 2:] = tr["dweight_ih_l1"][:, :2]  # the reverse half's columns given the forward half's numbers
    sheet = f"dweight_ih_l1: {np.round(wrong, 6).tolist()}\ndweight_ih_l1_reverse: "
    sheet += f"{np.round(tr['dweight_ih_l1_reverse'], 6).tolist()}\n"
    verdicts = {v.name: v for v in grade(tr, from_document(parse(sheet, "a.yaml"))).verdicts}
    assert verdicts["dweight_ih_l1_reverse"].verdict == "correct" and verdicts["dweight_ih_l1"].verdict == "wrong"


def test_the_scenario_schema_takes_layer_blocks_beside_a_softmax_layer():
    """Blocks l0, l0r … with an output layer's V (K×2H) and c: valid to the schema as to the reader."""
    jsonschema = pytest.importorskip("jsonschema")
    from lstm_trace.scenario.examples import path_of
    from lstm_trace.scenario.sourceschema import json_schema

    data = yaml.safe_load(SOFTMAX)
    jsonschema.validate(data, json_schema())
    data = yaml.safe_load(path_of("bidirectional").read_text())  # per-gate blocks (W: {a: …}), as new writes them
    data["model"] |= {"output": "softmax"}
    data["parameters"] |= {"V": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "c": [0.0, 0.1, 0.2]}
    data["loss"] = "cross_entropy"
    data["sequence"] = [{"x": s["x"], "label": 1} for s in data["sequence"]]
    load_scenario(data)
    jsonschema.validate(data, json_schema())


def test_a_softmax_scenarios_latex_compiles(tmp_path):
    from click.testing import CliRunner

    from lstm_trace.cli import cli

    from .conftest import compile_latex

    (tmp_path / "s.yaml").write_text(SOFTMAX)
    tex = CliRunner().invoke(cli, ["run", str(tmp_path / "s.yaml"), "--format", "latex"]).output
    assert r"\mathrm{Wr}^{(1)}" in tex and r"\mathrm{Vf}" in tex
    compile_latex(tex, tmp_path)


def test_check_formula_judges_the_reverse_directions_recurrence():
    """δstate of the reverse direction carries the step before it (t-1), not after: the derived form says so."""
    from click.testing import CliRunner

    from lstm_trace.cli import cli

    lhs = "dstate_l0r_t = dout_l0r_t * o_l0r_t * (1 - tanh(state_l0r_t)**2)"
    runner = CliRunner()
    right = runner.invoke(cli, ["check-formula", "--bidirectional", lhs + " + dstate_l0r_{t-1} * f_l0r_{t-1}"])
    wrong = runner.invoke(cli, ["check-formula", "--bidirectional", lhs + " + dstate_l0r_{t+1} * f_l0r_{t+1}"])
    assert right.exit_code == 0 and right.output.startswith("correct:")
    assert wrong.exit_code == 1 and "δstate_l0r_{t-1} ⊙ f_l0r_{t-1}" in wrong.output
    stacked = runner.invoke(
        cli, ["check-formula", "--cell", "rnn", "--layers", "2", "dz_l1_t = dout_l1_t * (1 - out_l1_t**2)"]
    )
    assert stacked.exit_code == 0 and stacked.output.startswith("correct:")
    refused = runner.invoke(cli, ["check-formula", "--cell", "peephole", "--layers", "2", lhs])
    assert refused.exit_code == 2 and "--cell peephole cannot be used with --layers" in refused.output
