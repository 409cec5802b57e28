"""The terminal: text into a pipe or a file is COLUMNS wide, else 80, with no trailing spaces; a long
equation breaks at an operator, not inside a term; the values printed paste back into an answers file."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.render.rows import grouped
from lstm_trace.render.wrapping import break_points, lines

from .conftest import GOMEZ, SCENARIOS, random_scenario

TR = trace(load_scenario(GOMEZ))
ROWS = [r for _, rows in grouped(TR) for r in rows]
SOFTMAX = SCENARIOS / "peephole-softmax-adagrad.yaml"


def invoke(*args, env=None, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": None, **(env or {})}, **kw)


def widths(text: str) -> list[int]:
    return [cell_len(line) for line in text.splitlines()]


@pytest.mark.parametrize("args", [("run", GOMEZ), ("run", SOFTMAX, "--steps", "0"), ("explain", GOMEZ, "dstate_0")])
def test_a_pipe_gets_80_columns_without_trailing_spaces(args):
    out = invoke(*args).output
    widest = max(widths(out))
    assert widest == 80 if args[0] == "run" else 60 < widest <= 80  # explain's tree is narrower than its room
    assert not [line for line in out.splitlines() if line.endswith(" ")]


def test_columns_is_honoured_and_so_is_a_file(tmp_path):
    assert max(widths(invoke("run", GOMEZ, env={"COLUMNS": "132"}).output)) == 132
    f = tmp_path / "out.txt"
    assert invoke("run", GOMEZ, "-o", f).exit_code == 0
    text = f.read_text(encoding="utf-8")
    assert max(widths(text)) == 80 and " \n" not in text
    assert invoke("run", GOMEZ, "-o", f, env={"COLUMNS": "100"}).exit_code == 0
    assert max(widths(f.read_text(encoding="utf-8"))) == 100


def test_a_sum_breaks_at_its_plus_before_a_product_breaks_at_its_times():
    text = "0.01804 × 0.81757 × (1 − tanh²(0.78573)) + -0.07111 × 0.87030"
    assert lines(text, 44) == ["0.01804 × 0.81757 × (1 − tanh²(0.78573)) +", "-0.07111 × 0.87030"]
    assert lines(text, 30) == ["0.01804 × 0.81757 ×", "(1 − tanh²(0.78573)) +", "-0.07111 × 0.87030"]
    assert lines("[[0.45 0.95 0.7 0.6], [0.25 0.8 0.45 0.4]]·[-0.01702 -0.00165 0 0.00176]", 44) == [
        "[[0.45 0.95 0.7 0.6], [0.25 0.8 0.45 0.4]]·",  # at the product, not inside a vector
        "[-0.01702 -0.00165 0 0.00176]",
    ]
    assert lines("[[-0.02672 -0.09220], [-0.00220 -0.00664], [-0.00315 -0.01892]]", 44) == [
        "[[-0.02672 -0.09220], [-0.00220 -0.00664],",  # between a matrix's rows, not inside one
        "[-0.00315 -0.01892]]",
    ]


def test_never_before_an_operator_nor_inside_a_number():
    text = "δout_0 ⊙ o_0 ⊙ (1 − tanh²(state_0)) + -0.07111 × 1.5e-07 − W_a·x_0"
    points = break_points(text)
    assert [text[k:].split(" ")[0] for k, _ in points] == [
        "o_0", "(1", "tanh²(state_0))", "-0.07111", "1.5e-07", "W_a·x_0", "x_0"
    ]  # fmt: skip
    assert [r for _, r in points] == [(0, 1), (0, 1), (1, 0), (0, 0), (0, 1), (0, 0), (0, 1)]


@settings(max_examples=200, deadline=None)
@given(row=st.sampled_from(ROWS), column=st.sampled_from(("symbolic", "shown", "value")), width=st.integers(8, 70))
def test_lines_fit_and_lose_nothing(row, column, width):
    text = getattr(row, column)
    got = lines(text, width)
    assert all(cell_len(line) <= width for line in got)
    cuts = [0, *(k for k, _ in break_points(text)), len(text)]
    if all(cell_len(text[a:b].rstrip()) <= width for a, b in zip(cuts, cuts[1:], strict=False)):  # nothing folded
        assert _rejoin(got) == text


def _rejoin(got: list[str]) -> str:
    """Lines joined back: a space where the break was at a space, none after a · (W_a·|x_0)."""
    out = got[0]
    for line in got[1:]:
        out += line if out.endswith("·") else " " + line
    return out


def test_at_80_columns_a_cell_breaks_after_an_operator():
    out = invoke("run", GOMEZ, "--steps", "0", "--section", "backward").output
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    assert len(cells) > len(ROWS) // 4  # some rows took several lines
    for column in (1, 2):
        texts = [row[column] for row in cells if row[column]]
        assert not [t for t in texts if t[0] in "+−×⊙⊗=" and t[1:2] == " "], texts  # no line starts with one
    state = next(k for k, row in enumerate(cells) if row[0] == "δstate_0")
    assert cells[state][1].endswith("⊙") and cells[state + 1][1].endswith("+")  # …(1 − tanh²(state_0)) +


@pytest.mark.parametrize("scenario", [GOMEZ, random_scenario(4, 3, 3, 2), SOFTMAX], ids=["gomez", "H3", "softmax"])
def test_what_run_prints_pastes_back_into_an_answers_file(tmp_path, scenario):
    """Every value as run --full prints it (vectors [a b], matrices [[a b], [c d]]), under the name printed
    beside it, is an answers file that check grades all correct."""
    tr = trace(load_scenario(scenario))
    rows = [r for _, rows in grouped(tr, max_items=sys.maxsize) for r in rows]
    answers = [f"{r.lhs}: {r.value}" for r in rows]
    assert any(r.value.startswith("[[") for r in rows)
    f = tmp_path / "answers.yaml"
    f.write_text("\n".join(answers) + "\n", encoding="utf-8")
    if isinstance(scenario, dict):
        import yaml

        path = tmp_path / "scenario.yaml"
        path.write_text(yaml.safe_dump(scenario))
        scenario = path
    r = invoke("check", scenario, f, "--format", "json")
    assert r.exit_code == 0, r.output
    assert f"Score: {len(answers)}/{len(answers)}" in invoke("check", scenario, f).output


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab0.-[]() +−×⊙·=,_{}²")), max_size=80), width=st.integers(1, 30))
def test_any_text_is_laid_out_within_the_width(text, width):
    got = lines(text, width)
    assert all(cell_len(line) <= width for line in got)
    assert "".join(got).replace(" ", "") == text.replace(" ", "")  # only spaces are dropped, at the breaks
