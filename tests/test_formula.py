"""check-formula: right and wrong forms, equivalent rewritings, injection attempts, malformed text."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Hostile formulas: each ends in one message naming what is wrong (exit 2), or a fair verdict, quickly.
# The message is the first line; the formula and a caret under the culprit follow.

MINUSES = "-" * 2000
RANGE = "this number is out of range: a formula's numbers are at most 1e12 in size and 100 digits long"
NOT_REAL = "this is not a real number: a log or fractional power of a negative number"
HOSTILE = [
    # undefined as written, on either side of =, whatever the quantity
    ("dstate_t = a_t/0", "this divides by zero, which is undefined", "           ^^^^^"),
    ("a_t/0 = dstate_t", "this divides by zero, which is undefined", "^^^^^"),
    ("da_t = dstate_t * i_t / (1 - 1)", "this divides by zero, which is undefined", "       " + "^" * 24),
    ("da_t = 1.0/0.0", "this divides by zero, which is undefined", "       ^^^^^^^"),
    ("dout_t = -(0.0/0.0)", "this divides by zero, which is undefined", "           ^^^^^^^"),
    ("da_t = 0**-1", "0 to a negative power divides by zero, which is undefined", "       ^^^^^"),
    ("0**-1 = da_t", "0 to a negative power divides by zero, which is undefined", "^^^^^"),
    ("di_t = log(0)", "log(0) is −∞, which is undefined", "       ^^^^^^"),
    ("a_t = log(0)", "log(0) is −∞, which is undefined", "      ^^^^^^"),
    ("dE/da_t = dstate_t * log(0)", "log(0) is −∞, which is undefined", " " * 21 + "^^^^^^"),
    ("da_t = log(-1)", NOT_REAL, "       ^^^^^^^"),
    ("dstate_t = (-1)**0.5", NOT_REAL, "           ^^^^^^^^^"),
    ("state_t = a_t * (-8)**(1/3)", NOT_REAL, "                ^^^^^^^^^^^"),
    # numbers and exponents too large for a formula
    ("da_t = 2**20000", "the exponent 20000 is too large: exponents are from -10 to 10", "          ^^^^^"),
    ("state_t = 10**400", "the exponent 400 is too large", "              ^^^"),
    ("da_t = 9**9**9**9", "the exponent 387420489 is too large", "             ^^^^"),
    ("da_t = a_t**(10**10)", "the exponent 10000000000 is too large", "             ^^^^^^"),
    ("da_t = (9**9)**9", RANGE, "       ^^^^^^^^^"),
    ("da_t = 1e400", RANGE, "       ^^^^^"),
    ("da_t = 1e13 * a_t", RANGE, "       ^^^^"),
    ("da_t = " + "1" * 450, RANGE, "       " + "^" * 450),
    ("da_t = exp(exp(exp(10)))", RANGE, "           ^^^^^^^^^^^^"),
    ("da_t = a_t*1000000000000*1000000000000", RANGE, "       " + "^" * 31),
    ("da_t = a_t * (1/10**10)**10", RANGE, "             " + "^" * 14),  # 1/10**100: too long
    # too long, too many parts, nested too deeply
    ("da_t = " + MINUSES + "a_t", "the formula is too long: 2010 characters, at most 500", " " * 40 + "^"),
    (MINUSES + "da_t = a_t", "the formula is too long: 2010 characters, at most 500", " " * 40 + "^"),
    (
        "da_t = " + "-" * 100 + "a_t",
        "the formula nests more than 32 operations (a + b + c nests two)",
        " " * 107 + "^^^",
    ),
    ("-" * 100 + "da_t = a_t", "the formula nests more than 32 operations", " " * 100 + "^^^^"),
    ("da_t = " + "tanh(" * 40 + "a_t" + ")" * 40, "the formula nests more than 32 operations", None),
    ("da_t = " + "+".join(["a_t"] * 40), "the formula nests more than 32 operations", None),
    ("da_t = " + "+".join(["(1*1*1*1*1*1*1*1*1)"] * 20), "the formula is too long: more than 200 names, numbers", None),
    ("da_t = " + "(" * 210 + "a_t" + ")" * 210, "too many nested parentheses", None),
    # what Python's parser would warn about, or refuse outright
    ('da_t = "\\d"', "Constant is not allowed in a formula", "       ^^^^"),
    ("da_t = 1 is 1", "Compare is not allowed in a formula", "       ^^^^^^"),
    ("da_t = a\x00_t", "null", None),
]


@pytest.mark.parametrize("text, message, caret", HOSTILE)
def test_hostile_formulas_end_in_one_message(text, message, caret):
    start = time.monotonic()
    r = invoke("check-formula", "--", text)
    assert time.monotonic() - start < 5
    assert r.exit_code == 2, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("Error: cannot read the formula: ") and message in lines[0], r.output
    assert len(lines) == 3 and len(lines[1]) <= 2 + 500  # the message, the formula (cut short when long), the caret
    if caret is not None:
        assert lines[2] == "  " + caret
    assert "internal error" not in r.output and "Warning" not in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    "text, yours",
    [
        # undefined at the comparison points only: wrong, with the point where it is undefined
        ("da_t = (a_t - 2)**0.5", "yours is undefined there (not a real number)"),
        ("da_t = (-2)**a_t", "yours is undefined there (not a real number)"),
        ("dstate_t = dstate_{t+1} * f_{t+1} * log(za_t - 2)", "yours is undefined there (not a real number)"),
        # 0 once a_t is read as tanh(za_t): a division by zero everywhere
        ("da_t = 1/(a_t - tanh(za_t))", "yours is ∞ there (it divides by zero or overflows)"),
        ("da_t = exp(exp(exp(exp(za_t**2 + 2))))", "yours is ∞ there (it divides by zero or overflows)"),
    ],
)
def test_formulas_undefined_where_the_derived_one_is_defined_are_wrong(text, yours):
    r = invoke("check-formula", text)
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("wrong: ") and lines[2].startswith("They differ at ")
    assert "the derived form gives " in lines[2] and lines[2].endswith(f", {yours}.")
    assert "internal error" not in r.output and "Warning" not in r.output
    r = invoke("check-formula", text, "--format", "json")
    ce = json.loads(r.output, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))["counterexample"]
    assert ce["given"] is None and isinstance(ce["expected"], float)


def test_formulas_merely_wrong_or_right_with_odd_numbers_are_judged():
    for text, code in [
        ("da_t = dstate_t * i_t * (1 - a_t**2) * exp(log(a_t)) / a_t", 0),
        ("da_t = dstate_t * i_t * (1 - a_t**2) + 0.0/1e12", 0),
        ("da_t = dstate_t * i_t * (1 - a_t**2) * (1e6)**2 / 1e12", 0),
        ("da_t = dstate_t * i_t * (1 - a_t**2)**(1/2)", 1),
        ("da_t = a_t**(-0.5)", 1),
        ("da_t = 0**a_t", 1),
        ("da_t = σ(1e12) * tanh(-1e12) * exp(-1e12)", 1),
    ]:
        r = invoke("check-formula", text)
        assert r.exit_code == code, (text, r.output)
        assert "internal error" not in r.output and "Warning" not in r.output


@pytest.fixture(scope="module")
def warm():
    """The model derived and the renderers loaded before any example's deadline starts."""
    invoke("check-formula", "da_t = dstate_t * i_t * (1 - a_t**2)")


NAMES = ["a_t", "i_t", "f_{t+1}", "za_t", "state_{t-1}", "dstate_t", "δout_t", "dE/da_t", "Delta_t", "c_t", "P_i"]
NUMBERS = ["0", "1", "2", "-1", "0.5", "0.0", "10", "9", "1e308", "1e-320", "1e12", "(1/3)"]
OPERATORS = ["+", "-", "−", "*", "⊙", "/", "**", "²"]
FUNCTIONS_ = ["tanh", "σ", "sigmoid", "exp", "log", "tanh²"]
TOKENS = NAMES + NUMBERS + OPERATORS + [f + "(" for f in FUNCTIONS_] + ["(", ")", " ", "=", ",", ".", "x", "_t", "j"]
LEFT = ["da_t", "dstate_t", "a_t", "state_t", "dE/da_t", "δo_t", "dout_t", "Δ_t", "out_t", "dx_t"]


def _grown(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(parts, st.sampled_from(OPERATORS[:-1]), parts).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(FUNCTIONS_), parts).map(lambda t: f"{t[0]}({t[1]})"),
        parts.map(lambda x: f"-{x}"),
        parts.map(lambda x: f"{x}²"),
    )


# well-formed formulas grown from the names, numbers, operators and functions; and token soup
WELL_FORMED = st.recursive(st.sampled_from(NAMES + NUMBERS), _grown, max_leaves=8)
SOUP = st.lists(st.sampled_from(TOKENS), max_size=16).map("".join)


@settings(derandomize=True, max_examples=80, deadline=timedelta(seconds=3), database=None)
@given(
    left=st.sampled_from(LEFT),
    right=st.one_of(WELL_FORMED, SOUP),
    raw=st.booleans(),
    cell=st.sampled_from(["lstm", "peephole"]),
)
def test_random_formulas_from_the_grammar_never_end_in_an_internal_error(warm, left, right, raw, cell):
    text = right if raw else f"{left} = {right}"
    r = invoke("check-formula", "--cell", cell, "--", text)
    assert r.exit_code in (0, 1, 2), r.output
    assert "internal error" not in r.output and "Warning" not in r.output and "Traceback" not in r.output
