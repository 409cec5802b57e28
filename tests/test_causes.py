"""check names the likely slip only when it explains an answer clearly better than rounding does.

The new slips, each tried on the student's own numbers: the decimal point moved with trailing zeros,
an input at the wrong step inside an unanswered pre-activation, a bias left out, several steps left
out of a Σ_t, the derivative factors (tanh for tanh², 1 − a for 1 − a², σ′ left out or written as
tanh′), tanh for σ, a wrong or missing λ, + for − in the update, U for Uᵀ. Answers are written as
YAML text, as a student writes them.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace import load_scenario, trace
from lstm_trace.grading.causes import clearly_better
from lstm_trace.grading.grade import grade
from lstm_trace.grading.rewrites import left_out
from lstm_trace.numeric.generate import Spec, answers_text, exercise
from lstm_trace.render.report import message
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.load import from_document as scenario_from
from lstm_trace.scenario.yamlio import parse

from .conftest import GOMEZ, SCENARIOS, random_scenario

TR = trace(load_scenario(GOMEZ))
HW = trace(load_scenario(SCENARIOS / "gomez-homework.yaml"))
P = TR.scenario.params
X = TR.scenario.x


def v(name: str, tr=TR) -> float:
    return float(np.asarray(tr.values[name]).ravel()[0])


def printed(**changes: str) -> str:
    """The worked example's printed answers as an answers file, with some answers rewritten."""
    lines = [f"{a.given_name}: {changes.pop(a.given_name, a.written)}" for a in TR.scenario.expected]
    return "\n".join(lines + [f"{k}: {t}" for k, t in changes.items()]) + "\n"


def check(text: str, tr=TR):
    return grade(tr, from_document(parse(text, "answers.yaml")))


def only_wrong(text: str, tr=TR):
    """The one answer not correct, which must be wrong."""
    bad = [x for x in check(text, tr).verdicts if x.verdict != "correct"]
    assert [x.verdict for x in bad] == ["wrong"], [(x.name, x.verdict) for x in bad]
    return bad[0]


def vec(a: np.ndarray) -> str:
    a = np.asarray(a)
    return "[" + ", ".join(f"{x:.5f}" if a.ndim == 1 else vec(x) for x in a) + "]"


# --- a cause only where it clearly beats rounding ------------------------------------------


def test_clearly_better_asks_for_a_match_and_a_miss_far_beyond_the_rounding():
    fit = np.array([0.005])
    assert clearly_better(np.array([0.12]), np.array([0.118]), (np.array([0.10]),), fit)  # 0.02 > 3 × 0.005
    assert not clearly_better(np.array([0.12]), np.array([0.118]), (np.array([0.11]),), fit)  # 0.01: rounding's reach
    assert not clearly_better(np.array([0.12]), np.array([0.11]), (np.array([0.0]),), fit)  # no match
    assert not clearly_better(np.array([0.0]), np.array([0.0]), (np.array([0.2]),), fit)  # 0 is no evidence
    # one entry beyond rounding's reach is enough, when every entry matches
    assert clearly_better(np.array([0.0, 0.5]), np.array([0.001, 0.5]), (np.array([0.0, 0.3]),), fit)


@pytest.mark.parametrize("seed", [6, 14, 19, 78])
@pytest.mark.parametrize("decimals", [2, 3, 4])
def test_an_error_free_sheet_rounded_by_hand_gets_no_made_up_cause(seed, decimals):
    """A random exercise's key rounded to 2-4 decimals (as lstm-trace new writes it: 0 for 0.00):
    these seeds once drew 'a value from the wrong time step' and 'the term … is missing'."""
    text, _ = exercise(Spec(3, 2, 4, seed), parts=True)
    tr = trace(scenario_from(parse(text, "s.yaml")))
    names = [n for p in tr.scenario.parts for n in p.quantities]
    report = check(answers_text(dict(tr.values), names, decimals), tr)
    named = [(x.name, message(x, 5)) for x in report.verdicts if x.cause or any(e.cause for e in x.entries)]
    assert named == []


def test_a_slip_within_rounding_of_the_true_value_is_not_named():
    """f_0 for f_1 moves δstate_0 by 0.0013: to 5 decimals that is the slip; to 3 (±0.0005) it is not
    clearly better than a rounding slip, so no cause is named."""
    slipped = v("dout_0") * v("o_0") * (1 - np.tanh(v("state_0")) ** 2) + v("dstate_1") * v("f_0")
    five = only_wrong(printed(dstate_0=f"{slipped:.5f}"))
    assert five.cause.kind == "input-step"
    (three,) = [x for x in check(printed(dstate_0=f"{slipped:.3f}")).verdicts if x.name == "dstate_0"]
    assert three.cause is None  # whether the tolerance marks -0.052 wrong or not, no slip is claimed


def test_a_slip_made_on_exact_numbers_is_found_as_well_as_on_the_rounded_ones():
    """λ left out changes the rounding carried through ten-fold: U_a − δU_a on the exact δU_a."""
    exact = P["U_a"][0, 0] - TR.values["dU_a"][0, 0]
    rounded = P["U_a"][0, 0] - (-0.01039)
    assert f"{exact:.5f}" != f"{rounded:.5f}"
    for value in (exact, rounded):
        assert only_wrong(printed(U_a_new=f"{value:.5f}")).cause.kind == "missing-lr"


# --- the decimal point, with trailing zeros ---------------------------------------------------


@pytest.mark.parametrize(("name", "text"), [("a_0", "8.17750"), ("da_1", "-0.19380")])
def test_the_decimal_point_moved_and_padded_with_a_zero(name, text):
    """-0.19380 for -0.01938: the zero pads the moved point, it is not a fifth decimal."""
    bad = only_wrong(printed(**{name: text}))
    assert bad.cause.kind == "scale" and bad.cause.factor == 1
    assert message(bad, 5) == "the decimal point is one place off (×10 the value)"


# --- inside an unanswered pre-activation ------------------------------------------------------


def _a1(x: np.ndarray, out: float, bias: bool = True) -> float:
    return float(np.tanh(P["W_a"][0] @ x + P["U_a"][0, 0] * out + (P["b_a"][0] if bias else 0.0)))


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        (f"a_1: {_a1(X[0], v('out_0')):.5f}", "inner-input-step", "computed with x_0 where za_1 needs x_1"),
        (f"a_1: {_a1(X[1], v('out_-1')):.5f}", "inner-input-step", "computed with out_{-1} where za_1 needs out_0"),
        (f"a_0: {_a1(X[0], v('out_-1'), bias=False):.5f}", "missing-bias", "the bias b_a is missing from za_0"),
        (f"za_0: {P['W_a'][0] @ X[0]:.5f}", "missing-bias", "the bias b_a is missing"),
    ],
)
def test_a_slip_inside_an_unanswered_pre_activation(text, kind, words):
    bad = only_wrong(text + "\n")
    assert bad.cause.kind == kind
    assert message(bad, 5).startswith(words)


def test_an_answered_pre_activation_is_taken_as_written():
    """za_1 answered right: a_1 is then tanh of the student's za_1, not of a za_1 worked out afresh."""
    za_1 = P["W_a"][0] @ X[1] + P["U_a"][0, 0] * v("out_0") + P["b_a"][0]
    bad = only_wrong(f"za_1: {za_1:.5f}\na_1: {_a1(X[0], v('out_0')):.5f}\n")
    assert bad.name == "a_1" and bad.cause is None


# --- Σ_t: several steps left out ------------------------------------------------------------------

RANDOM = trace(load_scenario(random_scenario(3, 2, 2, 4)))
TERMS = [np.concatenate([RANDOM.values[f"d{g}_{t}"] for g in "aifo"]) for t in range(4)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"db: {vec(RANDOM.values['db'] - TERMS[0] - TERMS[2])}", "the t=0 and 2 terms of Σ_t are missing"),
        (f"db: {vec(TERMS[3])}", "only the t=3 term of Σ_t is there: the other steps' terms are missing"),
        (f"dW: {vec(np.outer(TERMS[3], RANDOM.scenario.x[3]))}", "only the t=3 term of Σ_t is there"),
    ],
)
def test_several_steps_left_out_of_a_sum(text, words):
    bad = only_wrong(text + "\n", RANDOM)
    assert bad.cause.kind == "sum-terms"
    assert message(bad, 5).startswith(words)


def test_a_long_sequence_is_searched_in_linear_time():
    """Beyond six steps: one step, the first or last two or three, or all but one; never all 2^T sets."""
    assert len(list(left_out(1000))) == 1000 + 4 + 1000
    assert len(list(left_out(4))) == 4 + 6 + 4  # every set of one or two steps, and all but one
    tr = trace(load_scenario(random_scenario(5, 2, 1, 8)))
    terms = [np.concatenate([tr.values[f"d{g}_{t}"] for g in "aifo"]) for t in range(8)]
    bad = only_wrong(f"db: {vec(tr.values['db'] - terms[0] - terms[1] - terms[2])}\n", tr)
    assert bad.cause.kind == "sum-terms" and bad.cause.steps == (0, 1, 2)
    assert message(bad, 5).startswith("the t=0, 1 and 2 terms of Σ_t are missing")


# --- derivative factors, activations, the update ----------------------------------------------


def _dstate_0(derivative: float) -> str:
    return f"{v('dout_0') * v('o_0') * derivative + v('dstate_1') * v('f_1'):.5f}"


@pytest.mark.parametrize(
    ("name", "text", "kind", "words"),
    [
        (
            "dstate_0",
            _dstate_0(1 - np.tanh(v("state_0"))),
            "derivative",
            "the derivative of tanh is 1 − tanh²(state_0), not 1 − tanh(state_0)",
        ),
        (
            "da_0",
            f"{v('dstate_0') * v('i_0') * (1 - v('a_0')):.5f}",
            "derivative",
            "the derivative of tanh is 1 − a_0², not 1 − a_0",
        ),
        (
            "di_1",
            f"{v('dstate_1') * v('a_1'):.5f}",
            "missing-derivative",
            "the factor i_1 ⊙ (1 − i_1) (the derivative of σ) is missing",
        ),
        (
            "do_1",
            f"{v('dout_1') * np.tanh(v('state_1')) * (1 - v('o_1') ** 2):.5f}",
            "derivative",
            "the derivative of σ is o_1 ⊙ (1 − o_1), not 1 − o_1²",
        ),
        (
            "dstate_0",
            _dstate_0(1.0),
            "missing-derivative",
            "the factor 1 − tanh²(state_0) (the derivative of tanh) is missing",
        ),
        ("i_0", f"{np.tanh(v('zi_0')):.5f}", "activation", "tanh(zi_0) was used where the equation needs σ(zi_0)"),
        (
            "a_0",
            f"{1 / (1 + np.exp(-v('za_0'))):.5f}",
            "activation",
            "σ(za_0) was used where the equation needs tanh(za_0)",
        ),
        (
            "W_a_new",
            vec(P["W_a"][0] - 0.01 * TR.values["dW_a"][0]),
            "wrong-lr",
            "λ = 0.01 was used; the scenario's is 0.1",
        ),
        (
            "U_a_new",
            f"{P['U_a'][0, 0] - TR.values['dU_a'][0, 0]:.5f}",
            "missing-lr",
            "λ is left out: U_a^new = U_a − λ·δU_a",
        ),
        (
            "b_o_new",
            f"{P['b_o'][0] + 0.1 * TR.values['db_o'][0]:.5f}",
            "update-sign",
            "+ for − in the update: b_o^new = b_o − λ·δb_o, a step against the gradient",
        ),
    ],
)
def test_a_derivative_activation_or_update_slip_is_named(name, text, kind, words):
    bad = only_wrong(printed(**{name: text}))
    assert bad.name == name and bad.cause.kind == kind
    assert message(bad, 5).startswith(words)


def test_u_for_u_transposed():
    """Δout_{t-1} = Uᵀ·δgates_t worked gate by gate as Σ_g U_g·δg_t (H = 2: U_g is square)."""
    sc = RANDOM.scenario
    wrong = sum(sc.params[f"U_{g}"] @ RANDOM.values[f"d{g}_1"] for g in "aifo")
    bad = only_wrong(f"Dout_0: {vec(wrong)}\n", RANDOM)
    assert bad.cause.kind == "untransposed"
    assert message(bad, 5).startswith("U was used where the equation needs Uᵀ (the matrix is not transposed)")


def test_a_wrong_loss_of_several_units_is_graded_not_a_crash():
    """E_t sums the loss over units: re-evaluating its equation with a slip gives one number too."""
    bad = only_wrong("E_1: 0.12345\n", RANDOM)
    assert bad.name == "E_1"


# --- what stays --------------------------------------------------------------------------------


def test_the_homework_misprint_is_still_the_one_flagged():
    report = grade(HW, HW.scenario.expected)
    bad = [x for x in report.verdicts if x.verdict != "correct"]
    assert [x.name for x in bad] == ["db"]
    assert (
        message(bad[0], 5) == "δb_o = -0.005362, expected -0.05361: the decimal point is one place off (×0.1 the value)"
    )


def test_every_printed_value_of_the_worked_example_is_still_correct():
    assert {x.verdict for x in grade(TR, TR.scenario.expected).verdicts} == {"correct"}


CS231N_ONE = """
name: "one step, typed as CS231n does"
layout: cs231n
parameters:
  Wx: [[0.2, -0.1, 0.4, 0.3, 0.5, -0.2, 0.1, 0.6], [-0.3, 0.2, 0.1, -0.4, 0.2, 0.3, -0.1, 0.2]]
  Wh: [[0.1, 0.2, -0.1, 0.3, 0.2, 0.1, 0.4, -0.2], [0.3, -0.2, 0.2, 0.1, -0.1, 0.4, 0.2, 0.1]]
  b: [0.1, 0.0, 0.5, 0.5, 0.0, 0.1, -0.1, 0.0]
initial: {out: [0.1, -0.2], state: [0.5, -0.1]}
sequence:
  - {x: [1.0, 0.5], dout: [0.2, -0.1]}
final: {dstate: [0.1, 0.3]}
"""


@pytest.mark.parametrize("column, gate", [(0, "i"), (2, "f"), (5, "o"), (7, "a")])
def test_a_wrong_entry_of_a_sources_own_layout_is_named_by_its_gate(column: int, gate: str) -> None:
    """CS231n's dWx is D×4H with its columns in gate order i, f, o, g: column 2 is the f gate's unit 0
    (the label said δW_i[0][2], reading the entry as if it were in the tool's own 4H×D order)."""
    tr = trace(scenario_from(parse(CS231N_ONE, "cs.yaml")))
    key = tr["dWx"].copy()
    key[1, column] = 0.5
    answers = from_document(parse(f"dWx: {np.round(key, 6).tolist()}\n", "a.yaml"))
    (v,) = [v for v in grade(tr, answers).verdicts if v.name == "dWx"]
    assert v.verdict == "wrong" and [e.label for e in v.entries] == [f"dW_{gate}[{column % 2}][1]"]
