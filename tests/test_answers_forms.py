"""Answers as students write them: one entry, a row, null for an entry not worked, numpy's printed form;
and reading many answers in time linear in their number."""

from __future__ import annotations

import numpy as np
import pytest

import lstm_trace
from lstm_trace import load_scenario, trace
from lstm_trace.grading.given import slot
from lstm_trace.scenario import answers as answers_module
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.yamlio import Document, parse

from .conftest import GOMEZ, random_scenario

TR = trace(load_scenario(GOMEZ))  # H = 1, D = 2: dW is 4×2, dW_i is 1×2
TR3 = trace(load_scenario(random_scenario(5, 2, 3, 2)))  # H = 3: dW_i is 3×2


def grade_text(text: str, tr=TR):  # noqa: ANN001, ANN201
    return lstm_trace.grade(tr, from_document(parse(text, "answers.yaml")))


def by_name(report) -> dict:  # noqa: ANN001
    return {v.given_name: v for v in report.verdicts if v.verdict != "missing"}


def fmt(x: float) -> str:
    return f"{x:.5f}"


def test_one_entry_of_a_matrix_is_graded_as_that_entry():
    dw = TR["dW"]
    report = grade_text(f"dW[0][1]: {fmt(dw[0, 1])}\ndb[3]: {fmt(TR['db'][3])}\n")
    v = by_name(report)
    assert v["dW[0][1]"].verdict == "correct" and v["dW[0][1]"].name == "dW"
    assert v["dW[0][1]"].share == pytest.approx(1 / 8)
    assert v["db[3]"].verdict == "correct" and v["db[3]"].share == pytest.approx(1 / 4)
    assert report.score == pytest.approx(1 / 8 + 1 / 4)  # a point a quantity, shared by its entries


def test_a_wrong_entry_is_wrong_and_named():
    report = grade_text(f"dW[0][1]: {fmt(-TR['dW'][0, 1])}\n")
    (v,) = report.verdicts
    assert v.verdict == "wrong"
    assert [e.label for e in v.entries] == ["dW_a[1]"]  # the tool's own label for that entry


def test_the_tools_own_entry_labels_read_back():
    """For H = 1 the tool labels dW[0][1] as dW_a[1] (size-1 dimensions left out): that name reads back."""
    report = grade_text(f"dW_a[1]: {fmt(TR['dW_a'][0, 1])}\ndb_o: {fmt(TR['db_o'][0])}\n")
    assert {v.given_name: v.verdict for v in report.verdicts} == {"dW_a[1]": "correct", "db_o": "correct"}


def test_a_row_and_a_whole_gate_block_with_H_above_one():
    dwi = TR3["dW_i"]
    row = "[" + ", ".join(fmt(x) for x in dwi[1]) + "]"
    whole = "[" + ", ".join("[" + ", ".join(fmt(x) for x in r) + "]" for r in dwi) + "]"
    report = grade_text(f"dW_i[1]: {row}\ndb_o[0]: {fmt(TR3['db_o'][0])}\ndW_f: {whole.replace('x', '')}\n", TR3)
    v = by_name(report)
    assert v["dW_i[1]"].verdict == "correct" and v["dW_i[1]"].share == pytest.approx(1 / 3)
    assert v["db_o[0]"].verdict == "correct"
    assert v["dW_f"].verdict == "wrong"  # dW_i's numbers are not dW_f's


def test_entries_of_one_quantity_are_merged_and_an_entry_twice_is_invalid():
    dw = TR["dW"]
    text = f"dW[0][0]: {fmt(dw[0, 0])}\ndW[0][1]: {fmt(dw[0, 1])}\nδW[0][1]: 0.5\n"
    report = grade_text(text)
    assert [(v.given_name, v.verdict) for v in report.verdicts] == [("dW[0][0]", "correct"), ("δW[0][1]", "invalid")]
    assert report.verdicts[0].share == pytest.approx(2 / 8)
    assert "answered twice" in report.verdicts[1].problem
    assert report.verdicts[0].text == f"dW[0][0]: {fmt(dw[0, 0])}; dW[0][1]: {fmt(dw[0, 1])}"


@pytest.mark.parametrize(
    "text, words",
    [
        ("dW[4][0]: 0.1", "index 4 is out of range: dW has 4 rows"),
        ("dW[0][2]: 0.1", "index 2 is out of range: dW has 2 columns"),
        ("dx_0[2]: 0.1", "index 2 is out of range: dx_0 has 2 entries"),
        ("dW[0][0][0]: 0.1", "dW has 2 indexes, found 3"),
        ("db[1]: [0.1, 0.2]", "expected 1 number, found 2 numbers"),
    ],
)
def test_a_bad_index_is_that_answers_invalid_verdict(text, words):
    report = grade_text(text + "\na_0: 0.81775\n")
    v = by_name(report)
    assert v["a_0"].verdict == "correct"
    bad = next(x for x in report.verdicts if x.given_name != "a_0")
    assert bad.verdict == "invalid" and words in bad.problem


def test_an_unknown_name_with_an_index_says_so():
    (v,) = grade_text("dWW[0][1]: 0.1\n").verdicts
    assert v.verdict == "unknown" and "'dWW[0][1]'" in v.problem and "did you mean" in v.problem


def test_null_entries_are_neither_right_nor_wrong():
    dx = TR["dx_0"]
    report = grade_text(f"dx_0: [{fmt(dx[0])}, null]\n")
    (v,) = report.verdicts
    assert v.verdict == "correct" and v.share == pytest.approx(0.5) and report.score == pytest.approx(0.5)
    assert np.isnan(v.given[1]) and v.text == f"[{fmt(dx[0])}, null]"
    (v,) = grade_text(f"dx_0: [{fmt(-dx[0])}, null]\n").verdicts
    assert v.verdict == "wrong" and [e.index for e in v.entries] == [(0,)]


def test_every_entry_null_is_not_an_answer():
    report = lstm_trace.grade(trace(load_scenario("gomez-homework")), from_document(parse("dx_0: [null, null]\n", "a")))
    assert all(v.verdict == "missing" for v in report.verdicts)


@pytest.mark.parametrize(
    "written",
    [
        "[{0} {1}]",  # YAML reads it as a list holding one text: "a b"
        "'[{0} {1}]'",  # as text
        '"[{0}, {1}]"',
        "'{0} {1}'",
        "[{0}, {1}]",
    ],
)
def test_the_form_the_tool_prints_is_accepted(written):
    dx = [fmt(x) for x in TR["dx_0"]]
    (v,) = grade_text(f"dx_0: {written.format(*dx)}\n").verdicts
    assert v.verdict == "correct", v.problem


def test_a_printed_matrix_as_text():
    rows = " ".join("[" + " ".join(fmt(x) for x in r) + "]" for r in TR["dW"])
    (v,) = grade_text(f"dW: '[{rows}]'\n").verdicts
    assert v.verdict == "correct"
    (v,) = grade_text("dW: '[[0.1 0.2] [0.3'\n").verdicts
    assert v.verdict == "invalid" and "unbalanced brackets" in v.problem


def test_the_digits_of_a_printed_form_are_its_own():
    from lstm_trace.scenario.answers import half_unit

    (a,) = from_document(parse("dx_0: '[-0.00820 -0.0049]'\ndW: [[0.1 0.20], [3 4.5]]\n", "a")).items[:1]
    values, texts = a.numbers()
    assert values.tolist() == [-0.0082, -0.0049] and texts.tolist() == ["-0.00820", "-0.0049"]
    assert half_unit(texts, 5).tolist() == [5e-6, 5e-5]
    _, texts = from_document(parse("dW: [[0.1 0.20], [3 4.5]]\n", "a")).items[0].numbers()
    assert texts.tolist() == [["0.1", "0.20"], ["3", "4.5"]]


def test_slot_reads_indices_as_the_tool_writes_them():
    assert slot("dW", (4, 2), (0, 1)) == ((0, 1), ())
    assert slot("dW_i", (3, 2), (1,)) == ((1,), (2,))
    assert slot("dW_f", (1, 2), (1,)) == ((0, 1), ())  # H = 1: dW_f[1] is column 1
    assert slot("db_o", (1,), (0,)) == ((0,), ())


class _Counting(dict):
    scans = 0

    def items(self):  # noqa: ANN201
        type(self).scans += 1
        return super().items()


def test_reading_answers_scans_the_documents_texts_once():
    """Linear in the number of answers: the texts of every number are grouped by answer in one pass
    (each answer filtering all of them was quadratic: 10,000 answers took 30 s, 100,000 twenty minutes)."""
    n = 2000
    lines = "".join(f"a_{k}: [0.5, 0.25]\n" for k in range(n))
    doc = parse(lines, "many.yaml")
    texts = _Counting(doc.texts)
    counted = Document(doc.data, doc.file, marks=doc.marks, texts=texts, key_marks=doc.key_marks)
    got = answers_module.from_document(counted)
    assert len(got) == n and _Counting.scans == 1
    assert got.items[-1].texts == {(0,): "0.5", (1,): "0.25"}
