"""check's output, written fast, is the text it was: the graded tables laid out without rich's
renderer (render/plaintable.py) print as rich's Table does, and the JSON written without the
standard library's Python encoder (render/jsontext.py) is json.dumps's, byte for byte.
(The timing itself is benchmarks/run.py's: no timed tests.)"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from lstm_trace import trace
from lstm_trace.grading.grade import grade
from lstm_trace.numeric.generate import Spec, scenario_text
from lstm_trace.render import plaintable, report
from lstm_trace.render.jsontext import dumps
from lstm_trace.render.plaintable import Column, PlainTable, Row
from lstm_trace.render.text import json_safe
from lstm_trace.scenario.answers import Answer, Answers
from lstm_trace.scenario.load import from_document
from lstm_trace.scenario.yamlio import parse


def _printed(renderable, width: int) -> str:  # noqa: ANN001
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False, soft_wrap=False).print(renderable)
    return out.getvalue()


def _sheet(seed: int = 3, T: int = 4) -> tuple:  # noqa: N803
    """A graded sheet with every kind of row: right, carried, wrong (a cause), too few digits, invalid, unknown."""
    parts = [("a", "The forward pass, a title long enough to wrap at sixty columns", ["a_0", "i_0", "f_0", "o_0"])]
    parts.append(("b", "The rest", ["state_0", "out_0", "a_1", "dstate_1", "dW", "db", "W_a_new"]))
    tr = trace(from_document(parse(scenario_text(Spec(D=2, H=3, T=T, seed=seed), parts), "s.yaml")))
    items = []
    for k, name in enumerate(["a_0", "i_0", "state_0", "out_0", "a_1", "dstate_1", "dW", "db", "W_a_new"]):
        v = np.round(tr.values[name], 4) + 0.0
        v = -v if k in (2, 3) else np.round(v, 1) if k == 5 else v  # a sign flipped (and carried), one decimal
        texts = {i: repr(float(x)) for i, x in np.ndenumerate(v)}
        items.append(Answer(name, v.tolist(), texts, line=k + 1))
    items += [Answer("zz_0", 1.0, {(): "1.0"}, line=20), Answer("out_1", "abc", {(): "abc"}, line=21)]
    return tr, grade(tr, Answers("a.yaml", tuple(items)))


@pytest.mark.parametrize("width", [60, 80, 100, 132, 200])
def test_the_graded_sheet_prints_as_richs_tables_did(monkeypatch, width: int) -> None:  # noqa: ANN001
    _, rep = _sheet()
    assert {v.verdict for v in rep.verdicts} >= {"correct", "carried", "wrong", "unknown", "invalid", "missing"}
    fast = _printed(report.render_report(rep), width)
    monkeypatch.setattr(PlainTable, "plain_lines", lambda *a: None)  # every table through rich, as before
    assert fast == _printed(report.render_report(rep), width)
    assert "✗ wrong" in fast and "the sign is flipped" in fast


def test_the_fast_layout_is_the_one_used_into_a_file() -> None:
    _, rep = _sheet()
    table = next(p for p in report.render_report(rep).renderables if isinstance(p, PlainTable))
    console = Console(file=io.StringIO(), width=80, color_system=None)
    assert table.plain_lines(console, console.options) is not None
    coloured = Console(file=io.StringIO(), width=80, color_system="truecolor")
    assert table.plain_lines(coloured, coloured.options) is None  # styles show: rich draws it


WORDS = st.text(alphabet="ab0.-5,[] δΣ✓…·ᵀ−", min_size=0, max_size=40)
ODD = st.text(alphabet="ab 漢字\u0301é\x1b\u202e", min_size=0, max_size=12)  # wide, combining, controls


KINDS = st.lists(st.sampled_from(["fold", "fold", "no_wrap", "no_wrap", "ellipsis-wrap"]), min_size=1, max_size=5)


def _table(title: str, kinds: list[str], cells: list) -> PlainTable:
    columns = [
        Column(f"col {k}", no_wrap=kind == "no_wrap", overflow="fold" if kind == "fold" else "ellipsis")
        for k, kind in enumerate(kinds)
    ]
    return PlainTable(title, columns, [Row(tuple(r[: len(kinds)])) for r in cells])


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(8, 140),
    title=WORDS,
    kinds=KINDS,
    cells=st.lists(st.lists(WORDS, min_size=5, max_size=5), min_size=1, max_size=6),
)
def test_any_table_prints_as_rich_prints_it(width: int, title: str, kinds: list[str], cells: list) -> None:
    table = _table(title, kinds, cells)
    assert _printed(table, width) == _printed(table.rich_table(), width)


@settings(max_examples=50, deadline=None)
@given(width=st.integers(8, 140), title=ODD, cells=st.lists(st.lists(ODD, min_size=5, max_size=5), max_size=3))
def test_a_table_of_other_characters_prints_as_rich_prints_it(width: int, title: str, cells: list) -> None:
    table = _table(title, ["fold", "no_wrap", "fold"], cells)
    assert _printed(table, width) == _printed(table.rich_table(), width)


def test_the_wrap_folds_a_word_too_long_and_pads_each_line() -> None:
    assert plaintable.wrapped("[0.25, 0.123456789012]", 8) == ["[0.25,  ", "0.123456", "789012] "]
    assert plaintable.wrapped("verdict wrong", 7, fold=False) == ["verdic…"]


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_json_text_is_json_dumps_text(obj) -> None:  # noqa: ANN001
    assert dumps(obj) == json_safe(json.dumps(obj, indent=1, ensure_ascii=False))


def test_json_text_leaves_what_it_does_not_know_to_json_dumps() -> None:
    assert dumps({1: [np.float64(0.5)], "x": math.nan}) == json_safe(json.dumps({1: [0.5], "x": math.nan}, indent=1))
    assert dumps({"\u202e": "\x9b[2J"}) == '{\n "\\u202e": "\\u009b[2J"\n}'
    with pytest.raises(TypeError):
        dumps({"n": np.int64(3)})  # as json.dumps refuses it


def test_the_graded_sheets_json_is_what_json_dumps_wrote() -> None:
    _, rep = _sheet()
    expected = json_safe(json.dumps(report.to_dict(rep), indent=1, ensure_ascii=False))
    assert report.render_json(rep) == expected
    scope = report.gradescope(rep, visibility="hidden")
    assert json.loads(scope)["tests"] and scope == json.dumps(json.loads(scope), indent=1, ensure_ascii=False)


def _eager(monkeypatch) -> None:  # noqa: ANN001
    """grade's walk as it was: every answer through both worlds' bounds, every unwritten quantity at once."""
    from lstm_trace.grading import grade as grading

    visit = grading._Walk.visit

    def eager(self, node):  # noqa: ANN001, ANN202
        out = visit(self, node)
        for name in list(self.later):
            self._settle(name)
        return out

    monkeypatch.setattr(grading._Walk, "_right", lambda *a: None)
    monkeypatch.setattr(grading._Walk, "visit", eager)


def _mixed_sheet(tr, seed: int) -> Answers:  # noqa: ANN001
    """Answers of every kind, at random: right to 4 or 2 decimals, a sign flipped, the point moved, one entry,
    left out; whole composites (δgates_t) and sums among them."""
    from lstm_trace.grading.graph import Graph

    rng = np.random.default_rng(seed)
    items = []
    for k, name in enumerate(n for n in Graph(tr).nodes if n in tr.values):
        kind = rng.choice(["right", "right", "right", "two", "sign", "ten", "entry", "none", "none"])
        v = np.round(tr.values[name], 2 if kind == "two" else 4) + 0.0
        v = -v if kind == "sign" else v * 10 if kind == "ten" else v
        if kind == "none":
            continue
        if kind == "entry" and v.ndim:
            idx = tuple(int(i) for i in np.unravel_index(0, v.shape))
            label = name + "".join(f"[{i}]" for i in idx)
            items.append(Answer(label, float(v[idx]), {(): repr(float(v[idx]))}, line=k + 1))
            continue
        items.append(Answer(name, v.tolist(), {i: repr(float(x)) for i, x in np.ndenumerate(v)}, line=k + 1))
    return Answers("mixed.yaml", tuple(items))


@pytest.mark.parametrize("seed", range(6))
def test_grading_skips_no_work_that_changes_a_verdict(monkeypatch, seed: int) -> None:  # noqa: ANN001
    """The walk works out neither world's bounds for an answer right within its own rounding, and an unwritten
    quantity only once something reads it: the report is the one the eager walk gives, number for number."""
    tr = trace(from_document(parse(scenario_text(Spec(D=2, H=2, T=5, seed=seed)), "s.yaml")))
    sheet = _mixed_sheet(tr, seed)
    fast = report.render_json(grade(tr, sheet))
    _eager(monkeypatch)
    slow = report.render_json(grade(tr, sheet))
    assert fast == slow
    verdicts = {a["verdict"] for a in json.loads(fast)["answers"]}
    assert {"correct", "wrong"} <= verdicts, verdicts


@pytest.mark.parametrize("digits", [1, 2, 3, 5])
def test_the_digits_asked_for_are_the_rules_for_values_below_one_too(digits: int) -> None:
    """Rule.needed takes every value below 1 at once (its first significant place at most 10^-1); the
    half-unit is the formula's, half a unit in the min_significant-th digit, for each value."""
    from lstm_trace.grading.tolerance import Rule

    rng = np.random.default_rng(digits)
    for t in (rng.uniform(-1, 1, 8), rng.uniform(-1, 1, (3, 4)) * 1e-3, np.array(0.0), np.array([0.999999999, -0.1])):
        for half in (5e-3, 5e-6):
            first = np.floor(np.log10(np.maximum(np.abs(t), 0.1)))
            expected = np.maximum(0.5 * 10.0 ** (first - digits + 1), half)
            got = Rule(half, half, digits).needed(t)
            assert got.shape == np.shape(t) and np.array_equal(got, expected)
    assert Rule(5e-3, 5e-3, 2).needed(np.array([0.5, 12.0])).tolist() == [0.005, 0.5]  # 12: two digits, 12.


NUMBER_TEXTS = st.sampled_from(["0.5", "-0.25", "1", "-0", "0.0", "2.50", ".5", "-.5", "1e-3", "1E+2", "+1", "1_0"])
VALUES = st.one_of(
    NUMBER_TEXTS,
    st.sampled_from(["", "null", "~", "'0.5'", '"1"', "abc", "0.5#x", "true", "[]", "[[]]", "[0.1 0.2]"]),
    st.lists(NUMBER_TEXTS, min_size=1, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.lists(st.lists(NUMBER_TEXTS, min_size=2, max_size=2), min_size=1, max_size=3).map(
        lambda rows: "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
    ),
    st.lists(NUMBER_TEXTS, min_size=1, max_size=3).map(lambda xs: "[" + ",".join(xs) + ",]"),
)
KEYS = ["a_0", "δstate_1", "dW[0][1]", "out_{-1}", "W_a^new", "i_2", "f_3", "o_4", "state_5", "x_6"]
LINES = st.tuples(
    st.one_of(st.sampled_from(KEYS), st.sampled_from([" a_1", "-b", "c d", "null", "? k"])),
    st.sampled_from([": ", ": ", ": ", ":", ":  ", ": \t"]),
    VALUES,
    st.sampled_from(["", "  # a note", " #", "# no space", "   "]),
)


def _answers_both_ways(text: str) -> tuple:
    from lstm_trace.scenario.answers import from_document

    doc = parse(text, "a.yaml")
    return from_document(doc), from_document(parse(text, "a.yaml"), (), text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(LINES, min_size=1, max_size=6, unique_by=lambda x: x[0]),
    st.sampled_from(["\n", "\n", "\r\n"]),
    st.booleans(),
)
def test_an_answers_files_lines_say_what_the_exact_reader_does(lines: list, end: str, comments: bool) -> None:
    """answerlines.py reads the texts and lines of a plain file; whatever it reads is the exact reader's."""
    from lstm_trace.errors import LstmTraceError

    text = end.join(k + sep + v + c for k, sep, v, c in lines) + end + ("# the end" + end if comments else "")
    try:
        exact, fast = _answers_both_ways(text)
    except LstmTraceError:
        return  # not YAML, or not a mapping: the same error either way (the exact reader gives it)
    assert fast == exact


def test_a_plain_answers_file_is_read_from_its_lines(tmp_path) -> None:  # noqa: ANN001
    """The common file (a key and a number or a flow list a line, comments, blanks) takes the fast way,
    with the digits and lines the exact reader gives."""
    from lstm_trace.scenario import answerlines

    text = "# answers\na_0: [0.1, -0.250]  # a note\n\nb_0:\nc_0: 1e-3\nd_0: [[1, 2.50], [3, -0.0]]\ne_0: []\n"
    exact, fast = _answers_both_ways(text)
    assert fast == exact
    assert answerlines.positions(text, parse(text, "a.yaml").data) is not None
    assert [a.line for a in fast] == [2, 4, 5, 6, 7] and fast.items[0].written == "[0.1, -0.250]"
    for odd in ("a_0: [0.1,\n  0.2]\n", "a_0: [0.1, null]\n", "a_0: '0.5'\n", "a_0:\n  - 0.5\n", "a_0: 1\r\n"):
        assert answerlines.positions(odd, parse(odd, "a.yaml").data) is None, odd
        assert _answers_both_ways(odd)[0] == _answers_both_ways(odd)[1]


PLAIN_NUMBERS = st.sampled_from(["0.5", "-0.25", "1", "-0", "0.0", "2.50", ".5", "-.5", "1e-3", "1E+2", "+1", "12"])
PLAIN_VALUES = st.one_of(
    PLAIN_NUMBERS,
    st.lists(PLAIN_NUMBERS, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.lists(st.lists(PLAIN_NUMBERS, min_size=2, max_size=2), min_size=1, max_size=3).map(
        lambda rows: "[" + ", ".join("[" + ",".join(r) + "]" for r in rows) + "]"
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(KEYS), PLAIN_VALUES, st.sampled_from(["", "  # a note"])),
        min_size=1,
        unique_by=lambda x: x[0],
    ),
    st.lists(st.sampled_from(["", "# a comment", "   "]), max_size=3),
)
def test_a_plain_file_is_read_fast_and_the_same(lines: list, extra: list) -> None:
    from lstm_trace.scenario import answerlines

    text = "\n".join([*extra, *(f"{k}: {v}{c}" for k, v, c in lines)]) + "\n"
    exact, fast = _answers_both_ways(text)
    assert fast == exact
    assert answerlines.positions(text, parse(text, "a.yaml").data) is not None
