"""check: verdicts, rounding, carried errors, causes, parts and scores.

Answers are written as YAML text, as a student would write them, because the
digits as written are part of the answer.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace import load_scenario, trace
from lstm_trace.grading.grade import grade
from lstm_trace.render.report import message
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.yamlio import parse

from .conftest import GOMEZ, SCENARIOS, random_scenario

HOMEWORK = SCENARIOS / "gomez-homework.yaml"
TR = trace(load_scenario(GOMEZ))
HW = trace(load_scenario(HOMEWORK))


def printed(**changes: str) -> str:
    """The worked example's printed answers as an answers file, with some answers rewritten."""
    lines = []
    for a in TR.scenario.expected:
        text = changes.pop(a.given_name, a.written)
        lines.append(f"{a.given_name}: {text}")
    lines += [f"{k}: {v}" for k, v in changes.items()]
    return "\n".join(lines) + "\n"


def check(text: str, tr=TR, **kw):
    return grade(tr, from_document(parse(text, "answers.yaml")), **kw)


def verdicts(report) -> dict[str, str]:
    return {v.given_name: v.verdict for v in report.verdicts}


def wrong(report) -> dict[str, object]:
    return {v.given_name: v for v in report.verdicts if v.verdict != "correct"}


def value(name: str, tr=TR) -> float:
    return float(np.asarray(tr[name]).ravel()[0])


# --- every printed number is correct -------------------------------------------------


def test_every_number_the_worked_example_printed_grades_correct():
    report = grade(TR, TR.scenario.expected)
    assert set(verdicts(report).values()) == {"correct"}
    assert len(report.verdicts) == 46
    assert report.exit_code == 0
    assert report.score == report.max_score == 46


@pytest.mark.parametrize("answer", list(TR.scenario.expected), ids=lambda a: a.given_name)
def test_each_printed_number_alone_grades_correct(answer):
    """Without the student's other numbers, unwritten intermediates are taken as rounded by hand."""
    text = printed().splitlines()[[a.given_name for a in TR.scenario.expected].index(answer.given_name)]
    assert verdicts(check(text + "\n")) == {answer.given_name: "correct"}


def test_the_homework_sheet_misprint_is_the_only_wrong_answer():
    report = grade(HW, HW.scenario.expected)
    bad = wrong(report)
    assert list(bad) == ["db"]
    (entry,) = bad["db"].entries
    assert entry.label == "db_o" and entry.given == -0.005362
    assert entry.cause.kind == "scale" and entry.cause.factor == -1
    assert report.first_mistake.name == "db"
    assert [(p.id, p.score, p.max_score) for p in report.parts] == [
        ("a", 6, 6),
        ("b", 10, 10),
        ("c", 4, 6),
        ("d", 12, 12),
    ]
    assert report.exit_code == 1


# --- rounding as written, and carried in ---------------------------------------------


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("0.8178", "correct"),  # 4 decimals: ±0.00005 around 0.817754
        ("0.81780", "wrong"),  # the trailing zero claims ±0.000005
        ("0.81775", "correct"),
        ("0.81776", "correct"),  # half a unit, plus za_0 worked out by hand
        ("0.81778", "wrong"),
        ("0.82", "correct"),
        ("1", "wrong"),  # a whole number is read as exact to the scenario's decimals
        ("'8.1775e-1'", "correct"),  # YAML reads 8.1775e-1 as text: still a number
    ],
)
def test_digits_as_written(text, verdict):
    assert verdicts(check(f"a_0: {text}\n")) == {"a_0": verdict}


def test_exact_zero_written_as_0():
    assert verdicts(check("df_0: 0\nDout_1: 0\n")) == {"df_0": "correct", "Dout_1": "correct"}


def test_rounding_carried_in_from_the_students_own_earlier_value():
    out_1 = round(np.tanh(1.52) * value("o_1"), 5)  # from state_1 written to two decimals
    assert abs(out_1 - value("out_1")) > 3e-4
    assert verdicts(check(f"state_1: 1.52\nout_1: {out_1}\n")) == {"state_1": "correct", "out_1": "correct"}
    assert verdicts(check(f"out_1: {out_1}\n")) == {"out_1": "wrong"}


# --- carried ------------------------------------------------------------------------


def test_a_wrong_dstate_1_and_the_gates_computed_from_it():
    ds1 = -0.08111
    i1, a1, f1, s0 = value("i_1"), value("a_1"), value("f_1"), value("state_0")
    da1, di1, df1 = ds1 * i1 * (1 - a1**2), ds1 * a1 * i1 * (1 - i1), ds1 * s0 * f1 * (1 - f1)
    report = check(printed(dstate_1=str(ds1), da_1=f"{da1:.5f}", di_1=f"{di1:.5f}", df_1=f"{df1:.5f}"))
    bad = wrong(report)
    assert {k: v.verdict for k, v in bad.items()} == {
        "dstate_1": "wrong",
        "da_1": "carried",
        "di_1": "carried",
        "df_1": "carried",
    }
    assert all(bad[n].carried_from == ("dstate_1",) for n in ("da_1", "di_1", "df_1"))
    assert report.first_mistake.name == "dstate_1"
    assert message(bad["da_1"], 5) == "follows from your δstate_1"


def test_carried_through_unwritten_intermediates():
    """δW worked on from a wrong δstate_1, nothing in between written down (the seed's formulas, by hand)."""
    v = {n: value(n) for n in ("a_0", "i_0", "o_0", "state_0", "a_1", "i_1", "f_1", "o_1", "state_1", "Delta_0")}
    ds1, dout1 = -0.08111, value("dout_1")
    g1 = np.array(
        [
            ds1 * v["i_1"] * (1 - v["a_1"] ** 2),
            ds1 * v["a_1"] * v["i_1"] * (1 - v["i_1"]),
            ds1 * v["state_0"] * v["f_1"] * (1 - v["f_1"]),
            dout1 * np.tanh(v["state_1"]) * v["o_1"] * (1 - v["o_1"]),
        ]
    )
    dout0 = v["Delta_0"] + np.array([0.15, 0.80, 0.10, 0.25]) @ g1  # Δ_0 + Uᵀ·δgates_1
    ds0 = dout0 * v["o_0"] * (1 - np.tanh(v["state_0"]) ** 2) + ds1 * v["f_1"]
    g0 = np.array(
        [
            ds0 * v["i_0"] * (1 - v["a_0"] ** 2),
            ds0 * v["a_0"] * v["i_0"] * (1 - v["i_0"]),
            0.0,  # state_{-1} = 0
            dout0 * np.tanh(v["state_0"]) * v["o_0"] * (1 - v["o_0"]),
        ]
    )
    dW = np.outer(g0, TR.scenario.x[0]) + np.outer(g1, TR.scenario.x[1])
    assert np.abs(dW - TR["dW"]).max() > 1e-3
    rows = ", ".join("[" + ", ".join(f"{x:.5f}" for x in r) + "]" for r in dW)
    report = check(f"dstate_1: {ds1}\ndW: [{rows}]\n")
    assert verdicts(report) == {"dstate_1": "wrong", "dW": "carried"}
    assert report.verdicts[1].carried_from == ("dstate_1",)


def test_carried_credit_default_half_and_settable():
    text = "dstate_1: -0.08111\nda_1: {:.5f}\n".format(-0.08111 * value("i_1") * (1 - value("a_1") ** 2))
    assert check(text).score == 0.5
    assert check(text, carried_credit=1.0).score == 1.0
    assert check(text, carried_credit=0.0).score == 0.0


# --- likely causes -------------------------------------------------------------------


def _dstate_0_without(term: float = 0.0) -> float:
    return value("dout_0") * value("o_0") * (1 - np.tanh(value("state_0")) ** 2) + term


@pytest.mark.parametrize(
    "name, text, kind, words",
    [
        ("da_0", "0.01703", "sign", "the sign is flipped"),
        ("do_1", "-0.5538", "scale", "the decimal point is one place off (×10 the value)"),
        ("dstate_0", "-0.07111", "step", "this is δstate_1's value: a value from the wrong time step"),
        ("dstate_0", f"{_dstate_0_without():.5f}", "missing-term", "the term δstate_1 ⊙ f_1 is missing"),
        ("dstate_0", f"{_dstate_0_without(value('dstate_1') * value('f_0')):.5f}", "input-step", "f_0 where"),
        ("dstate_0", f"{_dstate_0_without(-value('dstate_1') * value('f_1')):.5f}", "flipped-term", "wrong sign"),
        ("db", "[-0.01938, -0.00112, -0.00631, -0.05538]", "sum-term", "the t=0 term of Σ_t is missing"),
        (
            "dW",
            "[[-0.02672, -0.00221, -0.00316, -0.02593], [-0.0922, -0.00666, -0.01893, -0.16262]]",
            "transposed",
            "transposed",
        ),
        ("dout_0", "0.03631", "missing-term", "the term Δout_0 is missing"),
    ],
)
def test_likely_cause_is_named(name, text, kind, words):
    report = check(printed(**{name: text}))
    bad = wrong(report)
    assert list(bad) == [name], {k: v.verdict for k, v in bad.items()}
    assert bad[name].verdict == "wrong"
    assert bad[name].cause.kind == kind
    assert words in message(bad[name], 5)


def test_a_wrong_answer_with_no_recognisable_slip_says_so_plainly():
    report = check("dstate_0: -0.9\n")
    (v,) = report.verdicts
    assert v.verdict == "wrong" and v.cause is None and message(v, 5) == ""


# --- names, shapes and bad answers -------------------------------------------------------


def test_aliases_and_flat_lists():
    text = (
        "δstate_1: -0.07111\nΔout_0: -0.01828\nΔ_1: -0.47803\nout_{-1}: 0\n"
        "W_a^new: [[0.45267, 0.25922]]\ndU: [-0.01039, -0.00060, -0.00338, -0.02970]\n"
    )
    report = check(text)
    assert set(verdicts(report).values()) == {"correct"}
    assert [v.name for v in report.verdicts] == ["out_-1", "Delta_1", "dstate_1", "Dout_0", "dU", "W_a_new"]


def test_unknown_names_are_reported_and_the_rest_still_graded():
    report = check("dstat_1: -0.07111\na_0: 0.81775\n")
    assert verdicts(report) == {"a_0": "correct", "dstat_1": "unknown"}
    unknown = wrong(report)["dstat_1"]
    assert "did you mean 'dstate_1'?" in message(unknown, 5)
    assert report.exit_code == 1


@pytest.mark.parametrize(
    "text, words",
    [
        ("a_0: abc", "expected a number, found the text 'abc'"),
        ("a_0: .nan", "expected a finite number, found nan"),
        ("a_0: true", "found the boolean true"),
        ("dx_0: [1, 2, 3]", "expected 2 numbers, found 3 numbers"),
        ("dW: [[1, 2], [3]]", "ragged"),
        ("dW: [[1, 2, 3, 4]]", "expected 4×2, found 1×4"),
        ("a_0: {x: 1}", "found a mapping"),
        ("a_0: []", "empty list"),
        ("a_0: [1, [2]]", "a mix"),
    ],
)
def test_bad_answers_are_invalid_and_the_rest_still_graded(text, words):
    report = check(f"{text}\ni_0: 0.96083\n")
    v = report.verdicts[-1] if report.verdicts[0].given_name == "i_0" else report.verdicts[0]
    assert verdicts(report)["i_0"] == "correct"
    assert v.verdict == "invalid"
    assert words in message(v, 5)
    assert v.line == 1


def test_the_same_quantity_under_two_names():
    report = check("dstate_1: -0.07111\nδstate_1: -0.07111\n")
    assert sorted(verdicts(report).values()) == ["correct", "invalid"]
    assert "answered twice" in next(v.problem for v in report.verdicts if v.verdict == "invalid")


def test_missing_answers_in_parts_and_exit_code_counts_only_given_ones():
    report = check("a_0: 0.81775\n", tr=HW)
    assert verdicts(report)["a_0"] == "correct"
    missing = [v.name for v in report.verdicts if v.verdict == "missing"]
    assert len(missing) == 6 + 10 + 3 + 12 - 1 and missing[0] == "i_0"
    assert report.exit_code == 0
    assert report.score == 1 and report.max_score == 34


def test_blank_answers_are_not_given():
    report = check("a_0:\ni_0: 0.96083\n", tr=HW)
    assert verdicts(report)["a_0"] == "missing" and verdicts(report)["i_0"] == "correct"


# --- any scenario ------------------------------------------------------------------------


@pytest.mark.parametrize("seed, D, H, T", [(1, 2, 1, 2), (2, 3, 2, 3), (3, 2, 3, 4)])
def test_exact_values_rounded_to_five_decimals_are_correct_and_a_flip_is_caught(seed, D, H, T):
    tr = trace(load_scenario(random_scenario(seed, D, H, T)))
    names = [r.name for r in tr.rows if r.equation is not None]

    def fmt(v: np.ndarray) -> str:
        if v.size == 1:
            return f"{v.item():.5f}"
        if v.ndim == 1:
            return "[" + ", ".join(f"{x:.5f}" for x in v) + "]"
        return "[" + ", ".join(fmt(r) for r in v) + "]"

    text = "".join(f"{n}: {fmt(np.asarray(tr.values[n]))}\n" for n in names)
    report = check(text, tr=tr)
    assert {v.verdict for v in report.verdicts} == {"correct"}, [
        (v.name, message(v, 5)) for v in report.verdicts if v.verdict != "correct"
    ]
    flipped = text.replace(f"dstate_0: {fmt(tr.values['dstate_0'])}", f"dstate_0: {fmt(-tr.values['dstate_0'])}")
    assert flipped != text
    report = check(flipped, tr=tr)
    assert report.first_mistake.name == "dstate_0"
    assert report.first_mistake.cause.kind == "sign"


def test_library_api(tmp_path):
    import lstm_trace

    f = tmp_path / "answers.yaml"
    f.write_text("a_0: 0.81775\n")
    report = lstm_trace.grade(TR, lstm_trace.load_answers(f))
    assert isinstance(report, lstm_trace.Report)
    assert [(v.name, v.verdict) for v in report.verdicts] == [("a_0", "correct")]


@pytest.mark.parametrize("text", ["da_0: 0", "da_0: 1.0e-320", "dgates_0: [0, 0, 0, 0]", "da_0: 1.0e308"])
def test_no_made_up_cause_for_zero_or_absurd_answers(text):
    """0 is not a value with its point moved, and nothing beyond the sequence's ends was read."""
    (v,) = check(text + "\n").verdicts
    assert v.verdict == "wrong" and v.cause is None
    assert all(e.cause is None for e in v.entries)


def test_an_answer_given_twice_keeps_both_verdicts():
    report = check("a_0: abc\na_{0}: 0.81775\n")
    assert [(v.given_name, v.verdict) for v in report.verdicts] == [("a_0", "invalid"), ("a_{0}", "invalid")]
    assert "not a number" in report.verdicts[0].problem or "found the text" in report.verdicts[0].problem
    assert "answered twice" in report.verdicts[1].problem


# --- significant digits, and tolerances for float32 sources --------------------------------------


def _every_number_as(text: str, answers=None) -> str:  # noqa: ANN001
    import re

    answers = list(TR.scenario.expected) if answers is None else answers
    return "".join(f"{a.given_name}: {re.sub(r'-?[0-9.]+(e-?[0-9]+)?', text, a.written)}\n" for a in answers)


def test_an_exponent_is_no_licence():
    """0e9 claims ±5e8: it used to grade every printed answer correct."""
    report = check(_every_number_as("0e9"))
    marks = verdicts(report)
    assert marks["a_0"] == marks["i_0"] == marks["o_1"] == "too-few-digits"
    assert marks["df_0"] == marks["Dout_1"] == "correct"  # exact zeros
    assert marks["dW"] == "carried"  # the zeros that follow from the zeros before, as ever
    assert report.score < 20 and report.exit_code == 1
    v = next(v for v in report.verdicts if v.given_name == "a_0")
    assert v.digits == 2 and v.cause is None


def test_zeros_to_one_decimal_are_credited_as_two_decimals_not_as_one():
    """0.0 for every gradient scored 18.5/20; now a zero is right only where a two-decimal 0.00 would be."""
    grads = [a for a in TR.scenario.expected if a.given_name[0] in "dD" and not a.given_name.startswith("Delta")]
    one, two = check(_every_number_as("0.0", grads)), check(_every_number_as("0.00", grads))
    assert one.score == two.score < 18.5
    right = {v.given_name for v in one.verdicts if v.verdict == "correct"}
    assert right == {v.given_name for v in two.verdicts if v.verdict == "correct"}
    # only values a two-decimal hand computation can make 0.00 (-0.00165; -0.0183 from four rounded products)
    assert all(np.abs(TR[n]).max() < 0.02 for n in right)


@pytest.mark.parametrize("zero", ["0", "0.0", "0.00000", "-0", "0e9"])
def test_an_exact_zero_however_written(zero):
    assert verdicts(check(f"df_0: {zero}\n")) == {"df_0": "correct"}


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("0.82", "correct"),  # two significant digits
        ("0.8", "too-few-digits"),  # right only within its own ±0.05
        ("8e-1", "too-few-digits"),
        ("1e0", "too-few-digits"),
        ("0.9", "wrong"),  # not even within ±0.05
    ],
)
def test_too_few_significant_digits(text, verdict):
    assert verdicts(check(printed(a_0=text)))["a_0"] == verdict


def test_min_significant_is_the_scenarios_to_set():
    data = _gomez_data(grading={"min_significant": 3})
    tr = trace(load_scenario(data))
    assert verdicts(check(printed(a_0="0.82"), tr=tr))["a_0"] == "too-few-digits"
    assert verdicts(check(printed(a_0="0.818"), tr=tr))["a_0"] == "correct"
    off = trace(load_scenario(_gomez_data(grading={"min_significant": 0})))
    assert verdicts(check(printed(a_0="0e9"), tr=off))["a_0"] == "correct"  # 0: no check, as before
    assert verdicts(check(printed(a_0="0.82"), min_significant=3))["a_0"] == "too-few-digits"


def _gomez_data(**extra) -> dict:  # noqa: ANN003
    import yaml

    data = yaml.safe_load(GOMEZ.read_text())
    data.update(extra)
    return data


def _float32_key(tr) -> str:  # noqa: ANN001
    """Every printed quantity as a float32 computation prints it: 8 significant digits, the last ones off."""
    lines = []
    for a in tr.scenario.expected:
        v = np.asarray(tr.values[canonical_name(a.given_name, tr)], dtype=np.float64)
        off = v * (1 + 3e-7) + 1e-9  # float32's rounding, accumulated over a few operations
        lines.append(f"{a.given_name}: {np.array2string(off.astype(np.float32), separator=', ', precision=8)}")
    return "\n".join(lines) + "\n"


def canonical_name(name: str, tr) -> str:  # noqa: ANN001
    from lstm_trace.names import canonical

    return canonical(name, set(tr.values))


def test_rtol_and_atol_for_sources_that_print_float32():
    key = _float32_key(TR)
    assert "wrong" in verdicts(check(key)).values()
    tr = trace(load_scenario(_gomez_data(grading={"rtol": 1e-5, "atol": 1e-7})))
    assert set(verdicts(check(key, tr=tr)).values()) == {"correct"}
    assert set(verdicts(check(key, rtol=1e-5, atol=1e-7)).values()) == {"correct"}
    assert tr.scenario.rtol == 1e-5 and tr.scenario.atol == 1e-7 and tr.scenario.min_significant == 2


@pytest.mark.parametrize(
    "grading, words",
    [
        ({"rtol": -1e-6}, "grading.rtol: expected a number greater than or equal to 0"),
        ({"atol": ".inf"}, "grading.atol"),
        ({"min_significant": 1.5}, "grading.min_significant: expected a whole number"),
        ({"tolerance": 1}, "unknown key 'tolerance'"),
    ],
)
def test_bad_grading_settings_are_the_scenarios_error(grading, words):
    from lstm_trace.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        load_scenario(_gomez_data(grading=grading))
    assert words in str(info.value)


@pytest.mark.parametrize(
    "kw", [{"carried_credit": float("nan")}, {"carried_credit": 1.5}, {"rtol": float("inf")}, {"min_significant": -1}]
)
def test_bad_settings_from_python_are_refused(kw):
    with pytest.raises(ValueError):
        check("a_0: 0.81775\n", **kw)
