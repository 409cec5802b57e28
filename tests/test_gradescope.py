"""Gradescope's results.json (score, output, visibility, stdout_visibility, tests[]: name, score,
max_score, status, output, visibility), written so that the key need not be given away; and the
too-few-digits verdict's mark and note."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from lstm_trace import load_scenario, trace
from lstm_trace.grading.grade import grade
from lstm_trace.grading.verdicts import Verdict
from lstm_trace.render.report import MARK, VISIBILITY, gradescope, message, summary
from lstm_trace.render.text import fmt_array
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.yamlio import parse

from .conftest import SCENARIOS

HW = trace(load_scenario(SCENARIOS / "gomez-homework.yaml"))
TESTS_KEYS = {"name", "score", "max_score", "status", "output"}


def report(text: str | None = None):
    """The homework sheet graded: its own printed answers (one misprint), or the answers text."""
    answers = HW.scenario.expected if text is None else from_document(parse(text, "answers.yaml"))
    return grade(HW, answers)


def test_the_results_have_gradescopes_shape():
    r = report()
    data = json.loads(gradescope(r))
    assert set(data) == {"score", "output", "visibility", "stdout_visibility", "tests"}
    assert data["visibility"] == data["stdout_visibility"] == "visible"
    assert data["score"] == r.score == 32
    assert all(set(t) == TESTS_KEYS for t in data["tests"])  # visible, Gradescope's default: no key
    assert all(isinstance(t["score"], float) and isinstance(t["max_score"], float) for t in data["tests"])
    assert sum(t["max_score"] for t in data["tests"]) == r.max_score == 34
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
    assert {t["status"] for t in data["tests"]} == {"passed", "failed"}
    (failed,) = [t for t in data["tests"] if t["status"] == "failed"]
    assert failed["name"] == "(c) δb" and failed["score"] == 0
    assert "expected [-0.03641 -0.00276 -0.00631 -0.05361]" in failed["output"]
    assert data["output"].startswith("Score: 32/34") and data["output"].endswith("First mistake: δb")


@pytest.mark.parametrize("visibility", ["hidden", "after_due_date", "after_published"])
def test_each_test_carries_the_visibility_asked_for(visibility):
    data = json.loads(gradescope(report(), visibility=visibility))
    assert data["visibility"] == visibility
    assert {t["visibility"] for t in data["tests"]} == {visibility}
    assert all(set(t) == TESTS_KEYS | {"visibility"} for t in data["tests"])
    assert VISIBILITY == ("visible", "hidden", "after_due_date", "after_published")


def test_an_unknown_visibility_is_refused():
    with pytest.raises(ValueError, match="visibility must be one of visible, hidden, after_due_date, after_published"):
        gradescope(report(), visibility="later")


def test_hide_expected_keeps_the_key_out_of_every_output():
    answers = "a_0: 0.81775\ndb: [-0.03641, -0.00277, -0.00631, -0.005362]\nW_a_new: [0.6, 0.2]\nb_a_new: -0.20364\n"
    r = report(answers)
    shown = json.loads(gradescope(r))
    hidden = json.loads(gradescope(r, hide_expected=True))
    assert hidden["stdout_visibility"] == "hidden"  # check prints its table, with the expected values, to stdout
    assert [t["score"] for t in hidden["tests"]] == [t["score"] for t in shown["tests"]]
    for v, t in zip(r.verdicts, hidden["tests"], strict=True):
        assert "expected" not in t["output"], t
        said = t["output"].replace(f"you wrote {v.text}", "")  # the student's own text may share digits
        if v.expected is not None:
            assert fmt_array(v.expected, 5, bare_scalar=True) not in said
            assert all(fmt_array(np.array(e.expected), 5, True) not in said for e in v.entries)
    by = {t["name"]: t["output"] for t in hidden["tests"]}
    assert by["(d) b_a^new"] == "wrong; you wrote -0.20364; the sign is flipped"
    assert by["(d) W_a^new"] == "wrong; you wrote [0.6, 0.2]; W_a^new[0] = 0.6; W_a^new[1] = 0.2"
    assert by["(c) δb"] == "wrong; you wrote [-0.03641, -0.00277, -0.00631, -0.005362]; δb_o = -0.005362: " + (
        "the decimal point is one place off (×0.1 the value)"
    )
    assert "expected 0.81775" in {t["name"]: t["output"] for t in shown["tests"]}["(a) a_0"]


def test_too_few_digits_has_its_mark_and_its_note():
    assert MARK["too-few-digits"] == ("∅ too few digits", "magenta")
    v = Verdict("a_0", "a_0", "too-few-digits", given=np.array([0.8]), text="0.8", expected=np.array([0.81775]))
    assert message(v, 5) == "written with too few significant digits (at least 2)"
    assert message(v, 5, min_significant=3) == "written with too few significant digits (at least 3)"
    if hasattr(v, "digits"):  # the verdict says how many digits the sheet asked for, where grading gives it
        assert message(Verdict("a_0", "a_0", "too-few-digits", digits=4), 5, 3).endswith("(at least 4)")  # type: ignore[call-arg]


def test_the_summary_counts_too_few_digits_in_words():
    r = report("a_0: 0.81775\n")
    few = Verdict("i_0", "i_0", "too-few-digits", part="a")
    r2 = replace(r, verdicts=(*r.verdicts[:1], few))
    assert "1 too few digits" in summary(r2)
