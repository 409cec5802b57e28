"""check-formula: right and wrong forms, equivalent rewritings, injection attempts, malformed text."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lstm_trace.cli import cli
from lstm_trace.grading.formula import FormulaError, judge
from lstm_trace.symbolic.cells import lstm
from lstm_trace.symbolic.derive import derive

MODEL = derive(lstm())


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


CORRECT = [
    # the seed's backward equations, as printed and rewritten
    "δstate_t = δout_t ⊙ o_t ⊙ (1 − tanh²(state_t)) + δstate_{t+1} ⊙ f_{t+1}",
    "dstate_t = dout_t * o_t * (1 - tanh(state_t)**2) + dstate_{t+1} * f_{t+1}",
    "dstate_t = dstate_{t+1} * f_{t+1} + (Delta_t + Dout_t) * o_t * (1 - tanh(state_t)**2)",
    "dstate_t = dout_t * sigmoid(zo_t) * (1 - tanh(state_t)) * (1 + tanh(state_t)) + dstate_{t+1} * f_{t+1}",
    "da_t = dstate_t * i_t * (1 - a_t**2)",
    "δa_t = δstate_t ⊙ i_t ⊙ (1 − tanh(za_t)²)",
    "di_t = dstate_t * a_t * i_t * (1 - i_t)",
    "di_t = dstate_t * a_t * sigmoid(zi_t) * (1 - sigmoid(zi_t))",
    "di_t = dstate_t * a_t * exp(-zi_t) / (1 + exp(-zi_t))**2",
    "df_t = dstate_t * state_{t-1} * f_t * (1 - f_t)",
    "do_t = dout_t * tanh(state_t) * o_t * (1 - o_t)",
    "dout_t = Delta_t + Dout_t",
    "Δ_t = out_t − label_t",
    "Delta_t = tanh(state_t) * o_t - label_t",
    # seed 001's notation: hats for pre-activations, c/h, ∂E/∂v
    "dahat_t = dE/da_t * (1 - tanh(ahat_t)**2)",
    "∂E/∂â_t = ∂E/∂a_t ⊙ (1 − a_t²)",
    "dihat_t = dE/di_t * i_t * (1 - i_t)",
    "dfhat_t = dE/df_t * f_t * (1 - f_t)",
    "dE/da_t = dc_t * i_t",
    "dE/di_t = dc_t * a_t",
    "dE/df_t = dc_t * c_{t-1}",
    "dE/do_t = dh_t * tanh(c_t)",
    "dc_t = dh_t * o_t * (1 - tanh(c_t)**2) + dc_{t+1} * f_{t+1}",
    # forward ones
    "state_t = a_t * i_t + f_t * state_{t-1}",
    "out_t = tanh(state_t) * o_t",
    "a_t = tanh(za_t)",
    "dstate_{t-1} = dout_{t-1} * o_{t-1} * (1 - tanh(state_{t-1})**2) + dstate_t * f_t",
]

WRONG = [
    # seed 001's printed mistakes
    "dahat_t = dE/da_t * (1 - tanh(ahat_t))",
    "∂E/∂â_t = ∂E/∂a_t ⊙ (1 − tanh(â_t))",
    "dihat_t = dE/di_t * ahat_t * (1 - ahat_t)",
    "dfhat_t = dE/df_t * fhat_t * (1 - fhat_t)",
    # the FAQ's tanh²(state_{t−1})
    "δstate_t = δout_t ⊙ o_t ⊙ (1 − tanh²(state_{t−1})) + δstate_{t+1} ⊙ f_{t+1}",
    # a term left out, the wrong step, a sign
    "dstate_t = dout_t * o_t * (1 - tanh(state_t)**2)",
    "dstate_t = dout_t * o_t * (1 - tanh(state_t)**2) + dstate_{t+1} * f_t",
    "da_t = dstate_t * i_t * (1 + a_t**2)",
    "df_t = dstate_t * state_t * f_t * (1 - f_t)",
    "dout_t = Delta_t - Dout_t",
]


@pytest.mark.parametrize("text", CORRECT)
def test_correct_forms(text):
    j = judge(MODEL, text)
    assert j.verdict == "correct", j.counterexample


@pytest.mark.parametrize("text", WRONG)
def test_wrong_forms_with_a_counterexample(text):
    j = judge(MODEL, text)
    assert j.verdict == "wrong"
    ce = j.counterexample
    assert abs(ce["expected"] - ce["given"]) > 1e-6


@pytest.mark.parametrize(
    "text, message, caret",
    [
        ("__import__('os').system('echo hi') = 1", "only functions can be called", "^^^^^^^^^^^^^^^^^^^^^^^"),
        ("da_t = __import__('os').system('echo hi')", "only functions can be called", "       ^^^^^^^^^^^^^^^^^^^^^^^"),
        ("da_t = eval('1')", "unknown function 'eval'", "       ^^^^"),
        ("da_t = dstate_t.real", "Attribute is not allowed", "       ^^^^^^^^^^^^^"),
        ("da_t = [dstate_t]", "List is not allowed", "       ^^^^^^^^^^"),
        ("da_t = lambda: 1", "Lambda is not allowed", "       ^^^^^^^^^"),
        ("da_t = 'a'", "Constant is not allowed", "       ^^^"),
        ("da_t = dstate_t * (i_t", "'(' was never closed", "                  ^"),
        ("da_t = dstat_t * i_t", "unknown quantity 'dstat_t'; did you mean 'dstate_t'?", "       ^^^^^^^"),
        ("da_t = dstate * i_t", "'dstate' needs a time suffix", "       ^^^^^^"),
        ("dx_t = W * dgates_t", "W is a parameter matrix", "       ^"),
        ("da_t + 1 = 2", "the left-hand side must name one quantity", "^"),
        ("da_t", "expected 'quantity = formula'", "    ^"),
        ("da_t = dstate_t @ i_t", "the operator MatMult is not allowed", "       ^^^^^^^^^^^^^^"),
        ("da_t = dstate_{t+1} ⊙ i_t % 2", "the operator Mod is not allowed", "       ^^^^^^^^^^^^^^^^^^^^^^"),
    ],
)
def test_unreadable_formulas_point_at_the_place(text, message, caret):
    with pytest.raises(FormulaError) as exc:
        judge(MODEL, text)
    lines = str(exc.value).split("\n")
    assert message in lines[0]
    assert lines[1] == "  " + text
    assert lines[2] == "  " + caret


def test_cli_exit_codes_and_json(tmp_path):
    r = invoke("check-formula", "dahat_t = dE/da_t * (1 - tanh(ahat_t)**2)")
    assert r.exit_code == 0 and r.output.startswith("correct: δa_t = ")
    r = invoke("check-formula", "dahat_t = dE/da_t * (1 - tanh(ahat_t))", "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert set(data) == {"verdict", "quantity", "expected", "given", "counterexample"}
    assert data["verdict"] == "wrong" and data["expected"] == "δa_t = δstate_t ⊙ i_t ⊙ (1 − a_t²)"
    assert data["given"] == "δa_t = δstate_t ⊙ i_t ⊙ (1 − tanh(za_t))"
    assert set(data["counterexample"]["at"]) == {"δstate_t", "za_t", "zi_t"}
    marker = tmp_path / "pwned"
    r = invoke("check-formula", f"da_t = __import__('os').system('touch {marker}')")
    assert r.exit_code == 2 and "Traceback" not in r.output and not marker.exists()


def test_the_gradient_of_an_activation_is_named_as_written():
    r = invoke("check-formula", "dE/da_{t+1} = dstate_{t+1} * i_{t+1}")
    assert r.exit_code == 0 and r.output.startswith("correct: ∂E/∂a_{t+1} = δstate_{t+1} ⊙ i_{t+1}\n")
