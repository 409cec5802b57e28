"""Exercise forms: a given upstream gradient (dout per step, final dstate) and the forward pass only."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.errors import ScenarioError

from .conftest import GATES, central_difference, random_scenario

torch = pytest.importorskip("torch")


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def _upstream(seed: int, D: int, H: int, T: int, final: bool, cell: str = "lstm") -> dict:  # noqa: N803
    doc = random_scenario(seed, D, H, T, cell=cell)
    rng = np.random.default_rng(seed + 100)
    for step in doc["sequence"]:
        del step["label"]
        step["dout"] = rng.normal(size=H).tolist()
    doc.pop("loss", None)
    if final:
        doc["final"] = {"dstate": rng.normal(size=H).tolist()}
    return doc


def _torch_upstream(sc) -> dict[str, np.ndarray]:
    """The same LSTM in torch float64; L = Σ_t ⟨dout_t, out_t⟩ + ⟨final, state_{T-1}⟩, whose gradients are the
    exercise's (CS231n's dnext_h, dnext_c)."""
    P = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in sc.params.items()}  # noqa: N806
    xs = [torch.tensor(x, requires_grad=True) for x in sc.x]
    out0 = torch.tensor(sc.init_out, requires_grad=True)
    out, state, L = out0, torch.tensor(sc.init_state), torch.zeros((), dtype=torch.float64)  # noqa: N806
    states = []
    for t, x in enumerate(xs):
        z = {g: P[f"W_{g}"] @ x + P[f"U_{g}"] @ out + P[f"b_{g}"] for g in GATES}
        a, i, f, o = torch.tanh(z["a"]), torch.sigmoid(z["i"]), torch.sigmoid(z["f"]), torch.sigmoid(z["o"])
        state = a * i + f * state
        state.retain_grad()
        states.append(state)
        out = torch.tanh(state) * o
        L = L + (out * torch.tensor(sc.label[t])).sum()  # noqa: N806
    if sc.final_dstate is not None:
        L = L + (state * torch.tensor(sc.final_dstate)).sum()  # noqa: N806
    L.backward()
    ref = {f"d{k}": v.grad.numpy() for k, v in P.items()}
    ref.update({f"dx_{t}": x.grad.numpy() for t, x in enumerate(xs)})
    ref.update({f"dstate_{t}": s.grad.numpy() for t, s in enumerate(states)})
    ref["Dout_-1"], ref["E"] = out0.grad.numpy(), L.item()
    return ref


@pytest.mark.parametrize("final", [False, True])
@pytest.mark.parametrize("seed,D,H,T", [(0, 2, 3, 3), (1, 3, 2, 4)])
def test_given_upstream_gradients_agree_with_pytorch_autograd(seed, D, H, T, final):  # noqa: N803
    sc = load_scenario(_upstream(seed, D, H, T, final))
    assert sc.loss == "upstream"
    tr = trace(sc)
    ref = _torch_upstream(sc)
    assert tr.E == pytest.approx(ref.pop("E"), rel=1e-12)
    for name, want in ref.items():
        np.testing.assert_allclose(tr[name], want, rtol=1e-10, atol=1e-13, err_msg=name)
    for t in range(T):  # Δ_t is the given dout_t itself
        np.testing.assert_array_equal(tr[f"Delta_{t}"], sc.label[t])


def test_given_upstream_gradients_match_finite_differences():
    """E (with the final term) is the function whose gradients the trace gives: central differences agree."""
    sc = load_scenario(_upstream(4, 2, 2, 3, final=True))
    tr, h = trace(sc), 1e-6
    for p in ("W_f", "U_a", "b_o"):
        for idx in np.ndindex(sc.params[p].shape):
            assert central_difference(sc, p, idx, h) == pytest.approx(tr[f"d{p}"][idx], abs=1e-8), (p, idx)


def test_gradcheck_agrees_on_a_given_upstream_gradient(tmp_path):
    import yaml

    f = tmp_path / "u.yaml"
    f.write_text(yaml.safe_dump(_upstream(5, 2, 3, 3, final=True)))
    r = invoke("gradcheck", f)
    assert r.exit_code == 0, r.output


def test_the_final_gradient_reaches_the_last_state_whole():
    doc = _upstream(2, 2, 2, 2, final=False)
    plain = trace(doc)
    doc["final"] = {"dstate": [0.5, -1.0]}
    tr = trace(doc)
    np.testing.assert_allclose(tr["dstate_1"] - plain["dstate_1"], [0.5, -1.0], rtol=1e-12)


def test_forward_only_has_no_backward_section_and_no_loss_line(tmp_path):
    import yaml

    doc = random_scenario(3, 2, 2, 2)
    for step in doc["sequence"]:
        del step["label"]
    doc["loss"] = "none"
    tr = trace(doc)
    assert {r.section for r in tr.rows} == {"forward"}
    assert "dW" not in tr.values and "W_a_new" not in tr.values
    f = tmp_path / "f.yaml"
    f.write_text(yaml.safe_dump(doc))
    r = invoke("run", f, env={"COLUMNS": "120"})
    assert r.exit_code == 0 and "Backward" not in r.output and "Loss:" not in r.output and "Forward @ t=1" in r.output
    import json

    data = json.loads(invoke("run", f, "--format", "json").output)
    assert data["loss"] is None and data["scenario"]["loss"] == "none"


def test_the_table_says_what_delta_is(tmp_path):
    import yaml

    f = tmp_path / "u.yaml"
    f.write_text(yaml.safe_dump(_upstream(1, 2, 2, 2, final=True)))
    r = invoke("run", f, env={"COLUMNS": "140"})
    assert r.exit_code == 0
    assert "Δ_t is the given upstream gradient dout_t" in r.output and "final dstate is δstate_2" in r.output
    assert "Loss:" not in r.output  # E is only the function whose gradients these are: the header says so
    assert "upstream_1" in r.output  # Δ_1 = upstream_1


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda d: d["sequence"][1].pop("dout"), "sequence[1]: missing: dout (step 0 gives one: every step must)"),
        (lambda d: d.update(loss="l2"), "loss: the steps give dout, ∂L/∂out_t itself: leave loss out (found l2)"),
        (lambda d: d.update(loss="none"), "loss: loss: none traces the forward pass only: it uses no dout"),
        (lambda d: d["sequence"][0].update(dout=[0.1]), "sequence[0].dout: expected dout_0 (one per hidden unit, H)"),
        (
            lambda d: d.update(final={"dstate": [1.0]}),
            "final.dstate: expected final dstate (H entries) to be 2 entries",
        ),
        (lambda d: d.update(final={"state": [1.0]}), "final.dstate: missing"),
    ],
)
def test_bad_upstream_input_names_the_key(change, message):
    doc = _upstream(0, 2, 2, 2, final=False)
    change(doc)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    assert message in str(exc.value)


def test_a_step_without_label_or_dout_is_named(tmp_path):
    doc = random_scenario(0, 2, 2, 2)
    del doc["sequence"][1]["label"]
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    assert "sequence[1]: missing: label (or dout, the upstream gradient ∂L/∂out_t; or loss: none)" in str(exc.value)
    doc["loss"], doc["iterations"] = "none", 2
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    assert "iterations: loss: none traces the forward pass only" in str(exc.value)
