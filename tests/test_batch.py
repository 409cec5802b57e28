"""Batches: N sequences sharing the parameters (each step's x is N×D), the loss summed or averaged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.errors import ScenarioError

from .conftest import central_difference, random_scenario

torch = pytest.importorskip("torch")


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def _pytorch_batch(seed: int, D: int, H: int, T: int, N: int, reduction: str = "sum", iterations: int = 1):  # noqa: N803
    torch.manual_seed(seed)
    m = torch.nn.LSTM(D, H).double()
    x = torch.randn(T, N, D, dtype=torch.float64)
    y = torch.rand(T, N, H, dtype=torch.float64) - 0.5
    doc = {
        "layout": "pytorch",
        "parameters": {k: v.detach().numpy().tolist() for k, v in m.state_dict().items()},
        "sequence": [{"x": x[t].tolist(), "label": y[t].tolist()} for t in range(T)],
        "reduction": reduction,
        "iterations": iterations,
    }
    return m, x, y, doc


def _torch_loss(m, x, y, reduction):
    out, _ = m(x)
    per_sequence = 0.5 * ((out - y) ** 2).sum(dim=(0, 2))
    return out, per_sequence.sum() if reduction == "sum" else per_sequence.mean()


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("seed,D,H,T,N", [(0, 3, 2, 3, 3), (1, 2, 3, 2, 2)])
def test_a_batch_agrees_with_nn_lstm_and_autograd(seed, D, H, T, N, reduction):  # noqa: N803
    m, x, y, doc = _pytorch_batch(seed, D, H, T, N, reduction)
    tr = trace(doc)
    assert tr.scenario.batch == N
    xg = x.clone().requires_grad_()
    out, E = _torch_loss(m, xg, y, reduction)  # noqa: N806
    E.backward()
    assert tr.E == pytest.approx(E.item(), rel=1e-12)
    scale = N if reduction == "mean" else 1  # a step's δ is each sequence's own, ∂E_n/∂·
    for t in range(T):
        np.testing.assert_allclose(tr[f"out_{t}"], out[t].detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(tr[f"dx_{t}"], scale * xg.grad[t].numpy(), rtol=1e-10, atol=1e-14)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(tr[f"{name}_new"], (p - 0.1 * p.grad).detach().numpy(), rtol=1e-12, atol=1e-15)


def test_nn_lstm_with_a_batch_of_three_over_two_iterations():
    m, x, y, doc = _pytorch_batch(2, 2, 2, 3, 3, "mean", iterations=2)
    tr = trace(doc, iteration=2)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        _, E = _torch_loss(m, x, y, "mean")  # noqa: N806
        E.backward()
        opt.step()
    assert tr.E == pytest.approx(E.item(), rel=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"{name}_new"], p.detach().numpy(), rtol=1e-11, atol=1e-14, err_msg=name)


def _batch_of(docs: list[dict]) -> dict:
    """Sequences of the same parameters, as one batch scenario."""
    out = dict(docs[0])
    T = len(docs[0]["sequence"])  # noqa: N806
    out["sequence"] = [
        {"x": [d["sequence"][t]["x"] for d in docs], "label": [d["sequence"][t]["label"] for d in docs]}
        for t in range(T)
    ]
    out["initial"] = {k: [d["initial"][k] for d in docs] for k in ("out", "state")}
    return out


@pytest.mark.parametrize("cell,K,optimizer", [("lstm", 3, "sgd"), ("peephole", 0, "adagrad")])
def test_a_batch_is_its_sequences_traced_alone_and_summed(cell, K, optimizer):  # noqa: N803
    base = random_scenario(7, 2, 3, 3, cell=cell, K=K)
    base["optimizer"] = {"name": optimizer, "lr": 0.1}
    docs = []
    for seed in (11, 12, 13):
        other = random_scenario(seed, 2, 3, 3, cell=cell, K=K)
        docs.append({**base, "sequence": other["sequence"], "initial": other["initial"]})
    singles = [trace(d) for d in docs]
    tr = trace(_batch_of(docs))
    assert tr.E == pytest.approx(sum(s.E for s in singles), rel=1e-12)
    for p in tr.scenario.params:
        np.testing.assert_allclose(tr[f"d{p}"], sum(s[f"d{p}"] for s in singles), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(tr["dstate_1"][2], singles[2]["dstate_1"])
    if optimizer == "adagrad":
        np.testing.assert_allclose(tr["cache_W_a_new"], tr["dW_a"] ** 2, rtol=1e-12)


def test_a_mean_batch_matches_finite_differences():
    m, x, y, doc = _pytorch_batch(4, 2, 2, 2, 3, "mean")
    sc = load_scenario(doc)
    tr, h = trace(sc), 1e-6
    for p in ("W_a", "U_f", "b_o"):
        for idx in np.ndindex(sc.params[p].shape):
            assert central_difference(sc, p, idx, h) == pytest.approx(tr[f"d{p}"][idx], abs=1e-9), (p, idx)
    assert invoke("gradcheck", "cs231n").exit_code == 0  # a batch with given upstream gradients


def test_the_tables_show_each_sequence_in_a_block_of_its_own():
    r = invoke("run", "cs231n", env={"COLUMNS": "140"})
    assert r.exit_code == 0, r.output
    assert "Forward @ t=0 · sequence 0" in r.output and "Backward @ t=0 · sequence 1" in r.output
    assert "Batch of N=2 sequences: each shown on its own; loss and gradients summed over them" in r.output
    assert "Σ_n of each" in r.output  # δW: the sum over the sequences of each one's Σ_t
    # a block holds one sequence's numbers: out_0 of sequence 1 is a vector of H entries, not a matrix
    tr = trace(load_scenario("cs231n"))
    shown = " ".join(f"{v:.5f}" for v in tr["out_0"][1])
    assert f"[{shown}]" in r.output.replace("\n", " ") or shown.split()[0] in r.output
    data = json.loads(invoke("run", "cs231n", "--format", "json").output)
    assert data["scenario"]["N"] == 2 and np.array(data["values"]["out_0"]).shape == (2, 2)


@pytest.mark.parametrize(
    "change,message",
    [
        (
            lambda d: d["sequence"][1].update(x=d["sequence"][1]["x"][:2]),
            "sequence[1].x: expected x_1 (N×D, like x_0) to be 3×2, found 2×2",
        ),
        (
            lambda d: d["sequence"][0].update(label=d["sequence"][0]["label"][:2]),
            "sequence[0].label: expected label_0 (one row of H per sequence, N×H) to be 3×2, found 2×2",
        ),
        (
            lambda d: d.update(initial={"out": [[0.0, 0.0]] * 2}),
            "initial.out: expected initial out (H entries, or N×H)",
        ),
        (lambda d: d.update(reduction="avg"), "reduction: expected one of 'sum' or 'mean', found 'avg'"),
    ],
)
def test_bad_batch_input_names_the_key(change, message):
    _, _, _, doc = _pytorch_batch(0, 2, 2, 2, 3)
    change(doc)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    assert message in str(exc.value)


def test_check_says_it_grades_one_sequence_not_a_batch(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("a_0: 0.5\n")
    r = invoke("check", "cs231n", answers)
    assert r.exit_code == 2 and "check grades one sequence; this is a batch of N=2" in r.output
