"""Parameters typed as other sources name and shape them: PyTorch, CS231n, Keras, TensorFlow, deeplearning.ai.

Each layout is checked three ways: against PyTorch float64 autograd on random scenarios (the test
writes torch's parameters into the layout itself, restating the source's shapes and gate order);
against the numbers the source itself printed, where it printed any; and on bad input.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.errors import ScenarioError
from lstm_trace.names import split_entry

from .conftest import SCENARIOS

torch = pytest.importorskip("torch")

LAYOUT_EXAMPLES = ("pytorch", "cs231n", "keras", "tensorflow", "deeplearning-ai")


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def _torch_lstm(seed: int, D: int, H: int):  # noqa: N803
    torch.manual_seed(seed)
    return torch.nn.LSTM(D, H).double()


def _blocks(m) -> dict[str, np.ndarray]:
    """nn.LSTM's blocks by PyTorch's gate letter: Wi (H×D), Ui (H×H), bi (the two biases added), …"""
    out = {}
    w_ih, w_hh = m.weight_ih_l0.detach().numpy(), m.weight_hh_l0.detach().numpy()
    b = (m.bias_ih_l0 + m.bias_hh_l0).detach().numpy()
    for k, g in enumerate("ifgo"):
        H = w_hh.shape[1]  # noqa: N806
        out[f"W{g}"], out[f"U{g}"], out[f"b{g}"] = (
            w_ih[k * H : (k + 1) * H],
            w_hh[k * H : (k + 1) * H],
            b[k * H : (k + 1) * H],
        )
    return out


def _write(layout: str, p: dict[str, np.ndarray]) -> dict[str, list]:
    """torch's blocks (or their gradients) written in a source's own layout, as the source documents it."""
    cat = np.concatenate
    if layout == "pytorch":
        rows = "ifgo"
        return {
            "weight_ih_l0": cat([p[f"W{g}"] for g in rows]).tolist(),
            "weight_hh_l0": cat([p[f"U{g}"] for g in rows]).tolist(),
            "bias_ih_l0": cat([p[f"b{g}"] for g in rows]).tolist(),
            "bias_hh_l0": np.zeros(4 * len(p["bi"])).tolist(),
        }
    if layout == "cs231n":  # a = x·Wx + h·Wh + b, columns i, f, o, g
        cols = "ifog"
        return {
            "Wx": cat([p[f"W{g}"] for g in cols]).T.tolist(),
            "Wh": cat([p[f"U{g}"] for g in cols]).T.tolist(),
            "b": cat([p[f"b{g}"] for g in cols]).tolist(),
        }
    if layout == "keras":  # kernel D×4H, recurrent_kernel H×4H, columns i, f, c, o
        cols = "ifgo"
        return {
            "kernel": cat([p[f"W{g}"] for g in cols]).T.tolist(),
            "recurrent_kernel": cat([p[f"U{g}"] for g in cols]).T.tolist(),
            "bias": cat([p[f"b{g}"] for g in cols]).tolist(),
        }
    if layout == "tensorflow":  # kernel on [x; h], columns i, j, f, o; f's bias stored less forget_bias
        cols = "igfo"
        kernel = np.vstack([cat([p[f"W{g}"] for g in cols]).T, cat([p[f"U{g}"] for g in cols]).T])
        bias = cat([p[f"b{g}"] - (0.75 if g == "f" else 0.0) for g in cols])
        return {"kernel": kernel.tolist(), "bias": bias.tolist(), "forget_bias": 0.75}
    if layout == "deeplearning.ai":  # W_g on [a_prev; xt], b_g H×1
        names = {"f": "f", "i": "i", "g": "c", "o": "o"}
        out = {f"W{n}": np.hstack([p[f"U{g}"], p[f"W{g}"]]).tolist() for g, n in names.items()}
        out.update({f"b{n}": p[f"b{g}"].reshape(-1, 1).tolist() for g, n in names.items()})
        return out
    raise AssertionError(layout)


LAYOUTS = ("pytorch", "cs231n", "keras", "tensorflow", "deeplearning.ai")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("seed,D,H,T", [(0, 3, 2, 3), (1, 2, 4, 2)])
def test_each_layout_agrees_with_pytorch_autograd(layout, seed, D, H, T):  # noqa: N803
    m = _torch_lstm(seed, D, H)
    rng = np.random.default_rng(seed)
    xs, labels = rng.uniform(-1, 1, (T, D)), rng.uniform(-0.9, 0.9, (T, H))
    doc = {
        "layout": layout,
        "parameters": _write(layout, _blocks(m)),
        "sequence": [{"x": x.tolist(), "label": y.tolist()} for x, y in zip(xs, labels, strict=True)],
    }
    tr = trace(doc)
    x = torch.tensor(xs[:, None, :], requires_grad=True)
    out, _ = m(x)
    E = 0.5 * ((out[:, 0] - torch.tensor(labels)) ** 2).sum()  # noqa: N806
    E.backward()
    assert tr.E == pytest.approx(E.item(), rel=1e-12)
    for t in range(T):
        np.testing.assert_allclose(tr[f"out_{t}"], out[t, 0].detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tr[f"dx_{t}"], x.grad[t, 0].numpy(), rtol=1e-10, atol=1e-14)
    grads = {
        "weight_ih_l0": m.weight_ih_l0.grad.numpy(),
        "weight_hh_l0": m.weight_hh_l0.grad.numpy(),
        "bias_ih_l0": m.bias_ih_l0.grad.numpy(),
    }
    H_ = H  # gradients as blocks, as _blocks reads parameters (b's gradient is each bias's)
    per = {}
    for k, g in enumerate("ifgo"):
        s = slice(k * H_, (k + 1) * H_)
        per[f"W{g}"], per[f"U{g}"], per[f"b{g}"] = (
            grads["weight_ih_l0"][s],
            grads["weight_hh_l0"][s],
            grads["bias_ih_l0"][s],
        )
    want = _write(layout, per)
    for key, value in want.items():
        if key == "forget_bias":
            continue
        if layout == "tensorflow" and key == "bias":
            value = np.array(value) + np.concatenate([np.zeros(2 * H), 0.75 * np.ones(H), np.zeros(H)])
        if layout == "pytorch" and key == "bias_hh_l0":
            value = per["bi"].tolist() and np.concatenate([per[f"b{g}"] for g in "ifgo"])
        np.testing.assert_allclose(tr[f"d{key}"], np.array(value), rtol=1e-10, atol=1e-14, err_msg=f"d{key}")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_update_in_a_layout_is_the_source_parameter_less_its_step(layout):
    """P_new = P − λ·δP in the source's own names and shapes (PyTorch: each bias takes b's whole step)."""
    m = _torch_lstm(3, 2, 3)
    params = _write(layout, _blocks(m))
    doc = {"layout": layout, "parameters": params, "sequence": [{"x": [0.5, -1.0], "label": [0.1, 0.2, -0.3]}]}
    tr = trace(doc)
    for key, value in params.items():
        if key == "forget_bias":
            continue
        np.testing.assert_allclose(tr[f"{key}_new"], np.array(value) - 0.1 * tr[f"d{key}"], rtol=1e-12, atol=1e-15)


def test_two_iterations_in_pytorch_layout_move_both_biases_as_torch_sgd_does():
    m = _torch_lstm(5, 2, 2)
    params = {k: v.detach().numpy().tolist() for k, v in m.state_dict().items()}
    xs = [[0.5, -0.2], [0.1, 0.9]]
    ys = [[0.3, -0.1], [0.2, 0.4]]
    doc = {
        "layout": "pytorch",
        "parameters": params,
        "sequence": [{"x": x, "label": y} for x, y in zip(xs, ys, strict=True)],
    }
    doc["iterations"] = 2
    tr = trace(doc, iteration=2)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        out, _ = m(torch.tensor(xs, dtype=torch.float64)[:, None])
        E = 0.5 * ((out[:, 0] - torch.tensor(ys, dtype=torch.float64)) ** 2).sum()  # noqa: N806
        E.backward()
        opt.step()
    assert tr.E == pytest.approx(E.item(), rel=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(tr[f"{name}_new"], p.detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=name)


def test_cs231n_lstm_step_forward_check_as_the_notebook_prints_it():
    """CS231n's LSTM notebook: lstm_step_forward on np.linspace inputs, a minibatch of three."""
    N, D, H = 3, 4, 5  # noqa: N806
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)  # noqa: N806
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)  # noqa: N806
    b = np.linspace(0.3, 0.7, num=4 * H)
    doc = {
        "layout": "cs231n",
        "parameters": {"Wx": Wx.tolist(), "Wh": Wh.tolist(), "b": b.tolist()},
        "initial": {"out": prev_h.tolist(), "state": prev_c.tolist()},
        "sequence": [{"x": x.tolist()}],
        "loss": "none",
    }
    tr = trace(doc)
    expected_next_h = [
        [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
        [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
        [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299],
    ]
    expected_next_c = [
        [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
        [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
        [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676],
    ]
    np.testing.assert_allclose(tr["out_0"], expected_next_h, atol=5e-9)
    np.testing.assert_allclose(tr["state_0"], expected_next_c, atol=5e-9)


def test_cs231n_lstm_forward_check_as_the_notebook_prints_it():
    """CS231n's lstm_forward check: N = 2 sequences of T = 3 steps, h0 given, c0 zero."""
    N, D, H, T = 2, 5, 4, 3  # noqa: N806
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)  # noqa: N806
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)  # noqa: N806
    b = np.linspace(0.2, 0.7, num=4 * H)
    doc = {
        "layout": "cs231n",
        "parameters": {"Wx": Wx.tolist(), "Wh": Wh.tolist(), "b": b.tolist()},
        "initial": {"out": h0.tolist()},
        "sequence": [{"x": x[:, t].tolist()} for t in range(T)],
        "loss": "none",
    }
    tr = trace(doc)
    expected_h = [
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232], [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945], [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]],
    ]  # fmt: skip
    got = np.stack([tr[f"out_{t}"] for t in range(T)], axis=1)
    np.testing.assert_allclose(got, expected_h, atol=5e-9)
    assert not any(r.section != "forward" for r in tr.rows)  # forward only: no backward section


def test_deeplearning_ai_lstm_cell_forward_prints_a_next_c_next_and_yt():
    """The assignment's lstm_cell_forward check, with its output layer Wy, by as the softmax's V, c."""
    rng = np.random.RandomState(1)  # the assignment's np.random.seed(1), draws in its order
    xt, a_prev, c_prev = rng.randn(3, 10), rng.randn(5, 10), rng.randn(5, 10)
    p = {}
    for k in ("Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc", "Wy", "by"):
        p[k] = rng.randn(
            *((5, 8) if k[0] == "W" and k != "Wy" else (2, 5) if k == "Wy" else (2, 1) if k == "by" else (5, 1))
        )
    params = {k: p[k].tolist() for k in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")}
    doc = {
        "layout": "deeplearning.ai",
        "model": {"output": "softmax"},
        "parameters": {**params, "V": p["Wy"].tolist(), "c": p["by"].ravel().tolist()},
        "initial": {"out": a_prev.T.tolist(), "state": c_prev.T.tolist()},
        "sequence": [{"x": xt.T.tolist()}],
        "loss": "none",
    }
    tr = trace(doc)
    a_next_4 = [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339, 0.00138482, 0.76566531, 0.34631421,
                -0.00215674, 0.43827275]  # fmt: skip
    c_next_2 = [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718, 0.11832942, 0.76449811, -0.0981561,
                -0.74348425, -0.26810932]  # fmt: skip
    yt_1 = [0.79913913, 0.15986619, 0.22412122, 0.15606108, 0.97057211, 0.31146381, 0.00943007, 0.12666353,
            0.39380172, 0.07828381]  # fmt: skip
    np.testing.assert_allclose(tr["out_0"][:, 4], a_next_4, atol=5e-9)
    np.testing.assert_allclose(tr["state_0"][:, 2], c_next_2, atol=5e-9)
    np.testing.assert_allclose(tr["y_0"][:, 1], yt_1, atol=5e-9)


@pytest.mark.parametrize("name", [n for n in LAYOUT_EXAMPLES if n != "cs231n"])
def test_each_bundled_layout_example_gives_the_numbers_its_source_printed(name):
    """Every `expected:` entry of the layout examples, to the source's printed precision."""
    sc = load_scenario(SCENARIOS / f"{name}.yaml")
    assert sc.layout == ("deeplearning.ai" if name == "deeplearning-ai" else name)
    tr = trace(sc)
    texts = sc.expected.texts()
    assert sc.expected.raw()
    for key, value in sc.expected.raw().items():
        base, idx = split_entry(key)
        written = np.atleast_1d(np.array(value, dtype=float))
        digits = [t for path, t in texts.items() if path[0] == key]
        decimals = max(len(t.split(".")[1]) if "." in t else 0 for t in digits)
        got = np.atleast_1d(tr[base][idx]).reshape(written.shape)
        # Gomez's article rounds its intermediates to 5 decimals, so its later numbers carry that rounding
        tol = 3e-5 if decimals <= 5 else 10**-decimals
        np.testing.assert_allclose(got, written, atol=tol, err_msg=key)


def test_deeplearning_ai_lstm_cell_backward_prints_its_gradients():
    """The assignment's lstm_cell_backward check (da_next as dout, dc_next as final dstate), and its dc_prev,
    which is δstate_0 ⊙ f_0 here (the initial state's gradient is not a quantity of its own)."""
    tr = trace(SCENARIOS / "deeplearning-ai.yaml")
    assert tr["dx_0"][2][1] == pytest.approx(3.23055911511, abs=1e-11)
    assert tr["Dout_-1"][3][2] == pytest.approx(-0.0639621419711, abs=1e-12)
    assert (tr["dstate_0"] * tr["f_0"])[3][2] == pytest.approx(0.797522038797, abs=1e-12)
    assert tr["dWc"][3][1] == pytest.approx(2.30456216369, abs=1e-11) and tr["dWc"].shape == (5, 8)
    assert tr["dbo"].shape == (5, 1)


def test_the_header_names_the_sources_gate_letters():
    r = invoke("run", "cs231n", "--section", "forward", env={"COLUMNS": "100"})
    assert r.exit_code == 0
    assert "Layout cs231n (CS231n's LSTM assignment): its gates i, f, o, g are this tool's i, f, o, a" in r.output
    r = invoke("run", "pytorch", "--format", "json")
    doc = json.loads(r.output)
    assert doc["scenario"]["layout"] == "pytorch" and "i, f, g, o" in doc["scenario"]["gates"]
    # the source's names beside the canonical per-gate ones, in the source's shapes
    assert np.array(doc["values"]["dweight_ih_l0"]).shape == (4, 2) and "dW_a" in doc["values"]
    np.testing.assert_allclose(np.array(doc["values"]["dweight_ih_l0"])[2], doc["values"]["dW_a"][0], rtol=1e-15)


def test_cs231n_db_is_in_cs231ns_order_everywhere():
    """CS231n names its bias b: δb in JSON, check and the tables is CS231n's (i, f, o, g), not the tool's."""
    tr = trace(SCENARIOS / "cs231n.yaml")
    H = tr.scenario.H  # noqa: N806
    np.testing.assert_array_equal(tr["db"][:H], tr["db_i"])
    np.testing.assert_array_equal(tr["db"][3 * H :], tr["db_a"])
    r = invoke("run", "cs231n", "--format", "json")
    np.testing.assert_array_equal(json.loads(r.output)["values"]["db"], tr["db"])


def _cs231n_scenario() -> dict:
    m = _torch_lstm(7, 2, 2)
    return {
        "layout": "cs231n",
        "parameters": _write("cs231n", _blocks(m)),
        "sequence": [{"x": [0.5, -1.0], "dout": [0.3, -0.2]}, {"x": [1.0, 0.25], "dout": [0.1, 0.4]}],
    }


def test_check_accepts_the_sources_names(tmp_path):
    """An answers file may use dWx, dWh, db, Wx_new; a wrong entry is wrong."""
    import yaml

    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(_cs231n_scenario()))
    tr = trace(f)
    answers = {k: np.round(tr[k], 6).tolist() for k in ("dWx", "dWh", "db", "Wx_new", "Wh_new")}
    good = tmp_path / "good.yaml"
    good.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in answers.items()))
    r = invoke("check", f, good)
    assert r.exit_code == 0, r.output
    assert "Score: 5/5" in r.output
    answers["dWx"][1][5] += 0.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in answers.items()))
    r = invoke("check", f, bad)
    assert r.exit_code == 1 and "Score: 4/5" in r.output


def test_the_schema_covers_every_layout():
    r = invoke("schema")
    schema = json.loads(r.output)
    assert set(schema["properties"]["layout"]["enum"]) == {"gomez", *LAYOUTS}
    text = json.dumps(schema)
    for key in ("weight_ih_l0", "bias_hh_l0", "Wx", "Wh", "recurrent_kernel", "forget_bias", "Wf", "bc"):
        assert f'"{key}"' in text, key


GOOD_PYTORCH = """layout: pytorch
parameters:
  weight_ih_l0: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]
  weight_hh_l0: [[0.1], [0.2], [0.3], [0.4]]
  bias_ih_l0: [0.1, 0.2, 0.3, 0.4]
  bias_hh_l0: [0.0, 0.0, 0.0, 0.0]
sequence:
  - {x: [1.0, 2.0], label: 0.5}
"""


@pytest.mark.parametrize(
    "edit,where,message",
    [
        (
            (
                "weight_ih_l0: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]",
                "weight_ih_l0: [[0.1, 0.3, 0.5, 0.7], [0.2, 0.4, 0.6, 0.8]]",
            ),
            ":3:",
            "parameters.weight_ih_l0: expected weight_ih_l0 to be 4×2, found 2×4 (its transpose would fit",
        ),
        (
            ("  bias_hh_l0: [0.0, 0.0, 0.0, 0.0]\n", ""),
            ":",
            "parameters: missing: bias_hh_l0 (nn.LSTM adds both biases; give both, or neither)",
        ),
        (
            ("layout: pytorch", "layout: torch"),
            ":1:",
            "layout: expected one of gomez, pytorch, cs231n, keras, tensorflow",
        ),
        (
            ("weight_hh_l0:", "Wh:"),
            ":4:",
            "parameters.Wh: 'Wh' is a key of layout: cs231n, layout: pytorch expects weight_ih_l0",
        ),
        (
            ("weight_hh_l0: [[0.1], [0.2], [0.3], [0.4]]", "weight_hh_l0: [[0.1, 0.2, 0.3, 0.4]]"),
            ":4:",
            "(its transpose would fit",
        ),
        (
            ("bias_ih_l0: [0.1, 0.2, 0.3, 0.4]", "bias_ih_l0: [0.1, 0.2, 0.3]"),
            ":5:",
            "expected bias_ih_l0 to be 4H = 4 entries, found 3",
        ),
        (("weight_ih_l0:", "weight_ih:"), "", None),  # the name without _l0 is accepted
    ],
)
def test_bad_input_in_a_layout_names_file_line_and_key(tmp_path, edit, where, message):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD_PYTORCH.replace(*edit))
    r = invoke("run", f)
    if message is None:
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 2, r.output
    assert r.output.startswith(f"Error: {f}{where}"), r.output
    assert message in r.output and "Traceback" not in r.output
    with pytest.raises(ScenarioError):
        load_scenario(f)


@pytest.mark.parametrize(
    "layout,params,message",
    [
        ("cs231n", {"Wx": [[0.1] * 8], "Wh": [[0.1] * 8] * 2}, "parameters.b: missing: this key is required"),
        (
            "keras",
            {"kernel": [[0.1] * 4] * 3, "recurrent_kernel": [[0.1] * 4], "bias": [0.0] * 4},
            "expected kernel to be 2×4, found 3×4",
        ),
        (
            "tensorflow",
            {"kernel": [[0.1] * 4] * 3, "bias": [0.0] * 4},
            "parameters.forget_bias: missing: this key is required",
        ),
        (
            "deeplearning.ai",
            {**{f"W{g}": [[0.1] * 3] for g in "fico"}, **{f"b{g}": [0.0] for g in "fic"}},
            "parameters.bo: missing",
        ),
        (
            "deeplearning.ai",
            {**{f"W{g}": [[0.1] * 4] for g in "fico"}, **{f"b{g}": [0.0] for g in "fico"}},
            "expected Wf to be H×(H+D) = 1×3",
        ),
        ("keras", {"W": [[0.1, 0.2]], "U": [[0.1]]}, "'W' is a key of layout: gomez, layout: keras expects kernel"),
    ],
)
def test_bad_input_in_other_layouts(tmp_path, layout, params, message):
    doc = {"layout": layout, "parameters": params, "sequence": [{"x": [1.0, 2.0], "label": 0.5}]}
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    assert message in str(exc.value)


def test_explain_opens_a_source_name_into_the_tools_per_gate_parts():
    r = invoke("explain", "pytorch", "dbias_hh_l0", "--depth", "1", env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    rows = [line.split("│")[1].strip() for line in r.output.splitlines() if line.startswith("│")]
    assert rows[:4] == ["δb_i", "δb_f", "δb_a", "δb_o"]  # PyTorch's order i, f, g, o


def test_pytorch_without_biases_is_a_cell_without_bias():
    torch.manual_seed(8)
    m = torch.nn.LSTM(2, 2, bias=False).double()
    doc = {
        "layout": "pytorch",
        "parameters": {k.removesuffix("_l0"): v.detach().numpy().tolist() for k, v in m.state_dict().items()},
        "sequence": [{"x": [0.5, -0.5], "label": [0.2, 0.1]}],
    }
    tr = trace(doc)
    assert not tr.scenario.bias and "dweight_ih" in tr.values and "dbias_ih_l0" not in tr.values
    out, _ = m(torch.tensor([[[0.5, -0.5]]], dtype=torch.float64))
    (0.5 * ((out[0, 0] - torch.tensor([0.2, 0.1], dtype=torch.float64)) ** 2).sum()).backward()
    np.testing.assert_allclose(tr["dweight_ih"], m.weight_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", ["dweight_hh", "dweight_hh_l0", "weight_hh_new", "weight_hh_l0_new"])
def test_check_reads_pytorchs_names_with_and_without_l0(name: str) -> None:
    """The scenario writes weight_hh_l0; an answer under the one-layer name without _l0 is the same one."""
    from lstm_trace.grading.grade import grade
    from lstm_trace.scenario.answers import from_document as answers_from
    from lstm_trace.scenario.yamlio import parse as parse_yaml

    tr = trace("pytorch")
    value = tr["weight_hh_l0_new" if name.endswith("_new") else "dweight_hh_l0"]
    report = grade(tr, answers_from(parse_yaml(f"{name}: {np.round(value, 8).tolist()}\n", "a.yaml")))
    assert [v.verdict for v in report.verdicts if v.given_name == name] == ["correct"]
