"""Numbers as a worked solution prints them: short where exact at the precision, else fixed."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace.render.text import fmt_array, fmt_number


@pytest.mark.parametrize(
    ("v", "d", "text"),
    [(0.45, 5, "0.45"), (1.0, 5, "1"), (-0.0, 5, "0"), (-1e-17, 5, "0"), (0.817754, 5, "0.81775"),
     (2e-7, 5, "2.0000e-07"), (-3.0, 0, "-3"), (0.5, 0, "0"), (1e20, 3, "100000000000000000000")],
)  # fmt: skip
def test_examples(v: float, d: int, text: str) -> None:
    assert fmt_number(v, d) == text


def test_an_exact_number_is_numpys_shortest_positional_form() -> None:
    """The fast string formatting agrees with np.format_float_positional wherever the number is exact."""
    rng = np.random.default_rng(0)
    values = [*rng.uniform(-50, 50, 3000).round(4), *rng.integers(-999, 999, 500) / 8, *rng.normal(size=3000)]
    for d in range(9):
        for v in values:
            r = round(float(v), d)
            if abs(v - r) < 1e-12 * max(1.0, abs(v)) and r != 0:
                assert fmt_number(v, d) == np.format_float_positional(r + 0.0, trim="-"), (v, d)


def test_long_vectors_are_elided_in_the_middle() -> None:
    assert fmt_array(np.arange(20.0), 2) == "[0 1 2 3 4 5 …(12 more)… 18 19]"


def test_a_matrix_prints_as_yaml_reads_it_back() -> None:
    """[[a b], [c d]]: numpy's spaces inside a row, a comma between rows, so the printed form pastes into
    an answers file as it is (YAML reads [[a b] [c d]] as an error)."""
    from lstm_trace.scenario.answers import from_document
    from lstm_trace.scenario.yamlio import parse

    m = np.array([[0.45, -0.25], [0.95, 0.8], [1e-7, 3.0]])
    text = fmt_array(m, 5)
    assert text == "[[0.45 -0.25], [0.95 0.8], [1.0000e-07 3]]"
    (answer,) = from_document(parse(f"dW: {text}\n", "answers.yaml")).items
    values, _, transposed = answer.shaped(m.shape)
    np.testing.assert_array_equal(values, m)
    assert not transposed


def test_an_array_is_formatted_once_while_numbers_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row's value and the later rows' substitutions that read it share one text (a vector's is the same
    bare or not); a one-entry array's bare text (0.5) and its listed one ([0.5]) are two."""
    from lstm_trace.render import text

    calls: list[int] = []
    real = text.fmt_array
    monkeypatch.setattr(text, "fmt_array", lambda v, *a, **k: calls.append(np.size(v)) or real(v, *a, **k))
    vector, one = np.array([0.25, -1.5]), np.array([0.5])
    style = text.Style(step=0)
    with text.numbers_remembered():
        shown = [style.slot(vector, True), style.slot(vector), style.slot(one, True), style.slot(one)]
        assert shown == ["[0.25 -1.5]", "[0.25 -1.5]", "0.5", "[0.5]"] and calls == [2, 1, 1]
        assert [style.slot(vector, True), style.slot(one, True)] == ["[0.25 -1.5]", "0.5"] and len(calls) == 3
