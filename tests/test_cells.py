"""The cells after the LSTM — GRU (reset after or before U_n), vanilla RNN (tanh, relu), coupled input and
forget gates — each written once as forward equations; everything else derived. Proven against PyTorch
autograd in float64, CS231n's published RNN numbers and central finite differences."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import lstm_trace
from lstm_trace import load_scenario, trace
from lstm_trace.grading.grade import grade
from lstm_trace.numeric.gradcheck import gradcheck
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.examples import path_of
from lstm_trace.scenario.yamlio import parse

torch = pytest.importorskip("torch")
CELLS = ["gru", "gru-cho", "rnn", "cifg"]


def _torch_step(cell: str, p: dict, x, h, c):  # noqa: ANN001, ANN202 - the cells as torch writes them by hand
    sig, tanh = torch.sigmoid, torch.tanh
    if cell == "rnn":
        return tanh(p["W"] @ x + p["U"] @ h + p["b"]), c
    if cell == "cifg":
        a = tanh(p["W_a"] @ x + p["U_a"] @ h + p["b_a"])
        f, o = (sig(p[f"W_{g}"] @ x + p[f"U_{g}"] @ h + p[f"b_{g}"]) for g in "fo")
        c = a * (1 - f) + f * c
        return tanh(c) * o, c
    r, z = (sig(p[f"W_{g}"] @ x + p[f"U_{g}"] @ h + p[f"b_{g}"]) for g in "rz")
    if cell == "gru-cho":
        n = tanh(p["W_n"] @ x + p["U_n"] @ (r * h) + p["b_n"])
    else:
        n = tanh(p["W_n"] @ x + p["b_n"] + r * (p["U_n"] @ h + p["b_hn"]))
    return (1 - z) * n + z * h, c


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("upstream", [False, True], ids=["labels", "upstream"])
def test_each_cell_is_what_autograd_computes(name, upstream):
    """Forward values, every parameter's gradient, the input's and the initial output's, in float64,
    with labels (the l2 loss) and with a given ∂L/∂out_t, over two SGD iterations."""
    sc = load_scenario(name)
    rng = np.random.default_rng(1)
    douts = rng.normal(size=sc.label.shape)
    if upstream:
        doc = parse(path_of(name).read_text(), name).data
        doc["sequence"] = [{"x": s["x"], "dout": d.tolist()} for s, d in zip(doc["sequence"], douts, strict=True)]
        doc.pop("parts", None)
        sc = load_scenario(doc)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in sc.params.items()}
    h0 = torch.tensor(sc.init_out, requires_grad=True)
    h, c, E = h0, torch.zeros(sc.H, dtype=torch.float64), 0.0  # noqa: N806
    outs = []
    for t in range(sc.T):
        h, c = _torch_step(name, p, torch.tensor(sc.x[t]), h, c)
        outs.append(h)
        y = torch.tensor(douts[t] if upstream else sc.label[t])
        E = E + ((h * y).sum() if upstream else 0.5 * ((h - y) ** 2).sum())  # noqa: N806
    E.backward()
    tr = trace(sc)
    for t, o in enumerate(outs):
        np.testing.assert_allclose(tr[f"out_{t}"], o.detach().numpy(), rtol=1e-13, atol=1e-15)
    for k, v in p.items():
        np.testing.assert_allclose(tr[f"d{k}"], v.grad.numpy(), rtol=1e-11, atol=1e-15, err_msg=k)
        np.testing.assert_allclose(tr[f"{k}_new"], (v - sc.lr * v.grad).detach().numpy(), rtol=1e-13, atol=1e-15)
    first = "dout_-1" if name.startswith("gru") else "Dout_-1"  # a GRU's out_{-1} also reaches out_0 through z_0
    np.testing.assert_allclose(tr[first], h0.grad.numpy(), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("kind", ["GRU", "RNN", "RNN-relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_pytorch_modules_in_their_own_layout_over_two_iterations(kind, bias):
    """nn.GRU's and nn.RNN's state_dict (layout: pytorch) as from_torch writes it: gradients under
    PyTorch's names and two SGD steps, the second from the first's parameters, against autograd."""
    torch.manual_seed(5)
    if kind == "GRU":
        m = torch.nn.GRU(3, 2, bias=bias).double()
    else:
        m = torch.nn.RNN(3, 2, bias=bias, nonlinearity="relu" if "relu" in kind else "tanh").double()
    x = torch.randn(4, 3, dtype=torch.float64)
    y = torch.rand(4, 2, dtype=torch.float64) - 0.5
    made = lstm_trace.from_torch(m, x, target=y, lr=0.2)
    data = {**made.data, "iterations": 2}
    second = trace(data, iteration=2)
    first = trace(data, iteration=1)
    opt = torch.optim.SGD(m.parameters(), lr=0.2)
    for it, tr in enumerate((first, second)):
        opt.zero_grad()
        out, _ = m(x[:, None])
        E = 0.5 * ((out[:, 0] - y) ** 2).sum()  # noqa: N806
        E.backward()
        assert tr.E == pytest.approx(E.item(), rel=1e-12), it
        for name, p in m.named_parameters():
            np.testing.assert_allclose(tr[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        opt.step()
    for name, p in m.named_parameters():  # the second update lands where PyTorch's does
        np.testing.assert_allclose(second[f"{name}_new"], p.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_cs231n_rnn_step_forward_and_rnn_forward_published_numbers():
    """CS231n's RNN notebook (assignment 3): rnn_step_forward's expected_next_h and rnn_forward's
    expected_h, read in CS231n's own layout (Wx D×H, Wh H×H, a minibatch)."""
    N, D, H = 3, 10, 4  # noqa: N806
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)  # noqa: N806
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)  # noqa: N806
    b = np.linspace(-0.2, 0.4, num=H)
    doc = {
        "layout": "cs231n",
        "model": {"cell": "rnn"},
        "parameters": {"Wx": Wx.tolist(), "Wh": Wh.tolist(), "b": b.tolist()},
        "initial": {"out": prev_h.tolist()},
        "sequence": [{"x": x.tolist()}],
        "loss": "none",
    }
    expected_next_h = [
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353],
    ]
    np.testing.assert_allclose(trace(doc)["out_0"], expected_next_h, atol=5e-9)
    N, T, D, H = 2, 3, 4, 5  # noqa: N806
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)  # noqa: N806
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)  # noqa: N806
    b = np.linspace(-0.7, 0.1, num=H)
    doc["parameters"] = {"Wx": Wx.tolist(), "Wh": Wh.tolist(), "b": b.tolist()}
    doc["initial"] = {"out": h0.tolist()}
    doc["sequence"] = [{"x": x[:, t].tolist()} for t in range(T)]
    expected_h = np.array(
        [
            [
                [-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
                [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
                [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525],
            ],
            [
                [-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
                [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
                [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043],
            ],
        ]
    )
    tr = trace(doc)
    for t in range(T):
        np.testing.assert_allclose(tr[f"out_{t}"], expected_h[:, t], atol=5e-9)


@pytest.mark.parametrize("name", CELLS)
def test_finite_differences_agree_with_every_gradient(name):
    checks = gradcheck(trace(name))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert {c.of for c in checks} >= {*load_scenario(name).params, "x_0", "out_-1"}


def test_relu_rnn_against_finite_differences():
    sc = load_scenario("rnn")
    doc = parse(path_of("rnn").read_text(), "rnn").data
    doc["model"] = {"cell": "rnn", "activation": "relu"}
    tr = trace(doc)
    assert tr.scenario.option == "relu" and np.all(tr["out_0"] >= 0)
    assert any((tr[f"z_{t}"] < 0).any() for t in range(tr.scenario.T)), "the example should reach relu's flat side"
    checks = gradcheck(tr)
    assert all(c.ok for c in checks) and sc.params.keys() <= {c.of for c in checks}


def _key(tr, names, decimals=5):  # noqa: ANN001, ANN202
    lines = []
    for n in names:
        v = np.round(np.asarray(tr[n], dtype=np.float64), decimals)
        lines.append(f"{n}: {v.tolist() if v.size > 1 or v.ndim else float(v)}")
    return from_document(parse("\n".join(lines) + "\n", "answers.yaml"))


def test_check_grades_a_gru_key_correct_and_a_planted_mistake_with_its_carried_answers():
    tr = trace("gru")
    names = [n for p in tr.scenario.parts for n in p.quantities]
    report = grade(tr, _key(tr, names))
    assert {v.verdict for v in report.verdicts} == {"correct"}, [v for v in report.verdicts if v.verdict != "correct"]
    # the student leaves tanh′ out of δn_0 = δout_0 ⊙ (1 − z_0) ⊙ (1 − n_0²)
    wrong = tr["dout_0"] * (1 - tr["z_0"])
    values = {n: tr[n] for n in names} | {"dn_0": wrong}
    # what follows from it, computed right from the wrong δn_0: δhn_0 = δn_0 ⊙ r_0, δx_0 = Wᵀ·δgates_0
    values["dhn_0"] = wrong * tr["r_0"]
    values["dx_0"] = tr["W"].T @ np.concatenate([tr["dr_0"], tr["dz_0"], wrong])
    text = "\n".join(f"{n}: {np.round(np.asarray(v, dtype=np.float64), 5).tolist()}" for n, v in values.items())
    report = grade(tr, from_document(parse(text + "\n", "answers.yaml")))
    verdicts = {v.name: v.verdict for v in report.verdicts}
    assert verdicts["dn_0"] == "wrong"
    assert verdicts["dhn_0"] == verdicts["dx_0"] == "carried"
    assert verdicts["dout_0"] == verdicts["out_0"] == verdicts["dz_0"] == "correct"
    first = next(v for v in report.verdicts if v.verdict == "wrong")
    assert first.name == "dn_0" and (first.cause.kind, first.cause.other) == ("missing-derivative", "tanh")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstm_trace", *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("cell", "extra"), [("gru", []), ("gru", ["--reset", "before"]), ("rnn", ["--activation", "relu"]), ("cifg", [])]
)
def test_new_writes_an_exercise_and_key_of_each_cell_that_check_grades_all_correct(tmp_path, cell, extra):
    ex, key = tmp_path / "ex.yaml", tmp_path / "key.yaml"
    r = _run("new", "--input", "2", "--hidden", "2", "--length", "3", "--seed", "4", "--cell", cell, *extra,
             "--parts", "-o", str(ex), "--answers", str(key))  # fmt: skip
    assert r.returncode == 0, r.stderr
    sc = load_scenario(ex)
    assert sc.cell == cell and sc.option == {"gru": "before" if extra else "after", "rnn": "relu"}.get(cell, "")
    r = _run("check", str(ex), str(key))
    assert r.returncode == 0, r.stdout + r.stderr
    r = _run("template", str(ex))
    assert r.returncode == 0 and "dout_0:" in r.stdout


def test_an_option_for_another_cell_is_a_usage_error():
    r = _run("derive", "--cell", "lstm", "--reset", "before")
    assert r.returncode == 2 and "--reset is for --cell gru, not --cell lstm" in r.stderr


def test_a_gate_for_its_complement_is_named_as_the_slip():
    """A GRU's commonest slip: z_t where 1 − z_t belongs (δn_t = δout_t ⊙ (1 − z_t) ⊙ (1 − n_t²))."""
    tr = trace("gru")
    names = [n for p in tr.scenario.parts for n in p.quantities]
    values = {n: tr[n] for n in names} | {"dn_0": tr["dout_0"] * tr["z_0"] * (1 - tr["n_0"] ** 2)}
    text = "\n".join(f"{n}: {np.round(np.asarray(v, dtype=np.float64), 5).tolist()}" for n, v in values.items())
    first = next(v for v in grade(tr, from_document(parse(text + "\n", "a.yaml"))).verdicts if v.verdict == "wrong")
    assert first.name == "dn_0" and first.cause.kind == "complement"
