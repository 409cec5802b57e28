"""Cells the user writes (model: {cell: custom, equations: …}): read safely, derived like the built-in
cells. The LSTM written out gives the built-in LSTM's numbers bit for bit; a cell of one's own (the
minimal gated unit) is what PyTorch autograd and central differences say."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from lstm_trace import load_scenario, trace
from lstm_trace.errors import ScenarioError
from lstm_trace.grading.grade import grade
from lstm_trace.numeric.gradcheck import gradcheck
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.examples import path_of
from lstm_trace.scenario.yamlio import parse

LSTM = {
    "a": "tanh(W_a·x_t + U_a·out_{t-1} + b_a)",
    "i": "σ(W_i·x_t + U_i·out_{t-1} + b_i)",
    "f": "σ(W_f·x_t + U_f·out_{t-1} + b_f)",
    "o": "σ(W_o·x_t + U_o·out_{t-1} + b_o)",
    "state": "a_t ⊙ i_t + f_t ⊙ state_{t-1}",
    "out": "tanh(state_t) ⊙ o_t",
}


def _restated(example: str) -> dict:
    doc = yaml.safe_load(path_of(example).read_text())
    doc["model"] = {"cell": "custom", "equations": LSTM}
    return doc


@pytest.mark.parametrize("example", ["gomez", "gomez-homework"])
def test_the_lstm_written_out_is_the_built_in_lstm_bit_for_bit(example):
    """Every value of every iteration is the same float64, and so is the worked solution's every row."""
    doc = _restated(example)
    doc.pop("expected", None)
    doc["iterations"] = 2
    for k in (1, 2):
        a, b = trace(_iterations(example, 2), iteration=k), trace(doc, iteration=k)
        assert set(a.values) == set(b.values)
        for name, v in a.values.items():
            assert np.array_equal(np.asarray(v), np.asarray(b.values[name])), (k, name)
        assert sorted(r.name for r in a.rows) == sorted(r.name for r in b.rows)


def _iterations(example: str, n: int) -> dict:
    doc = yaml.safe_load(path_of(example).read_text())
    doc.pop("expected", None)
    return {**doc, "iterations": n}


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("upstream", [False, True], ids=["labels", "upstream"])
def test_a_cell_of_ones_own_is_what_autograd_computes(upstream):
    doc = yaml.safe_load(path_of("custom-mgu").read_text())
    rng = np.random.default_rng(2)
    if upstream:
        doc["sequence"] = [{"x": s["x"], "dout": rng.normal(size=2).tolist()} for s in doc["sequence"]]
    sc = load_scenario(doc)
    tr = trace(sc)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in sc.params.items()}
    h0 = torch.tensor(sc.init_out, requires_grad=True)
    h, E = h0, 0.0  # noqa: N806
    for t in range(sc.T):
        x = torch.tensor(sc.x[t])
        f = torch.sigmoid(p["W_f"] @ x + p["U_f"] @ h + p["b_f"])
        n = torch.tanh(p["W_n"] @ x + p["U_n"] @ (f * h) + p["b_n"])
        h = (1 - f) * h + f * n
        np.testing.assert_allclose(tr[f"out_{t}"], h.detach().numpy(), rtol=1e-14, atol=1e-16)
        y = torch.tensor(sc.label[t])
        E = E + ((h * y).sum() if upstream else 0.5 * ((h - y) ** 2).sum())  # noqa: N806
    E.backward()
    for k, v in p.items():
        np.testing.assert_allclose(tr[f"d{k}"], v.grad.numpy(), rtol=1e-11, atol=1e-15, err_msg=k)
    np.testing.assert_allclose(tr["dout_-1"], h0.grad.numpy(), rtol=1e-11, atol=1e-15)


def test_a_cell_of_ones_own_against_finite_differences():
    checks = gradcheck(trace("custom-mgu"))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_a_custom_answer_key_is_graded_correct_and_a_slip_is_named():
    tr = trace("custom-mgu")
    names = [r.name for r in tr.rows if r.equation is not None and r.section in ("forward", "backward")]
    text = "\n".join(f"{n}: {np.round(np.asarray(tr[n], dtype=np.float64), 6).tolist()}" for n in names)
    report = grade(tr, from_document(parse(text + "\n", "a.yaml")))
    assert {v.verdict for v in report.verdicts} == {"correct"}
    slipped = text.replace(
        f"dn_0: {np.round(tr['dn_0'], 6).tolist()}", f"dn_0: {np.round(tr['dout_0'] * tr['f_0'], 6).tolist()}"
    )
    report = grade(tr, from_document(parse(slipped + "\n", "a.yaml")))
    wrong = [v for v in report.verdicts if v.verdict == "wrong"]
    assert [v.name for v in wrong] == ["dn_0"] and wrong[0].cause.kind == "missing-derivative"


def test_a_second_pre_activation_in_one_equation_is_named_apart():
    """n = tanh(W_n·x_t + b_n + r_t ⊙ (U_n·out_{t-1} + b_hn)): two sums with matrix products, zn and zn2 —
    the GRU written out, whose numbers are the built-in GRU's."""
    doc = yaml.safe_load(path_of("gru").read_text())
    doc.pop("parts")
    p = doc["parameters"]
    doc["parameters"] = {f"{k}_{g}": v for k in "WUb" for g, v in p[k].items()} | {"b_hn": p["b_hn"]}
    doc["model"] = {
        "cell": "custom",
        "equations": {
            "r": "σ(W_r·x_t + U_r·out_{t-1} + b_r)",
            "z": "σ(W_z·x_t + U_z·out_{t-1} + b_z)",
            "n": "tanh(W_n·x_t + b_n + r_t ⊙ (U_n·out_{t-1} + b_hn))",
            "out": "(1 − z_t) ⊙ n_t + z_t ⊙ out_{t-1}",
        },
    }
    mine, theirs = trace(doc), trace("gru")
    np.testing.assert_allclose(mine["zn2_1"], theirs["hn_1"], rtol=0, atol=1e-15)
    for name in ("out_1", "dout_0", "dW_n", "dU_n", "db_hn", "dout_-1"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-14, atol=1e-16, err_msg=name)


def test_equations_are_read_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = _restated("gomez")
    for text in ('__import__("os").system("touch pwned")', "(lambda: 1)()", "[x for x in ()]", "x_t.__class__"):
        doc["model"]["equations"] = {**LSTM, "out": text}
        with pytest.raises(ScenarioError, match="cannot read the equation"):
            load_scenario(doc)
    assert not (tmp_path / "pwned").exists()


def test_a_cell_without_recurrence_or_with_a_recurrence_of_its_own():
    """out_{t-1} read by no equation (no Δout at all), and a quantity of the user's own carried from step
    to step (its δ named and carried back): both derived, and their gradients what central differences say."""
    base = {
        "parameters": {"W_f": [[0.3, -0.1], [0.2, 0.4]], "b_f": [0.1, -0.1]},
        "sequence": [{"x": [1.0, 0.5], "label": [0.4, -0.2]}, {"x": [-0.5, 1.0], "label": [0.1, 0.3]}],
    }
    feedforward = {"f": "σ(W_f·x_t + b_f)", "out": "tanh(f_t)"}
    carried = {"f": "σ(W_f·x_t + b_f)", "m": "f_t ⊙ m_{t-1} + (1 − f_t) ⊙ 0.5", "out": "tanh(m_t)"}
    for equations in (feedforward, carried):
        tr = trace({**base, "model": {"cell": "custom", "equations": equations}})
        assert ("Dout_0" in tr.values) is False
        assert all(c.ok for c in gradcheck(tr))
    assert tr.scenario.shape.recurrent == ("m",) and tr.row("dm_0").equation is not None
