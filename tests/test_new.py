"""lstm-trace new: valid random scenarios, repeatable by seed, with homework parts and an answer key."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--cell", "peephole"],
        ["--output-layer", "softmax", "--classes", "4"],
        ["--cell", "peephole", "--output-layer", "softmax", "--optimizer", "adagrad", "--iterations", "3"],
        ["--no-bias", "--decimals", "1"],
    ],
)
def test_every_variant_is_a_valid_scenario_and_the_key_grades_correct(tmp_path, extra):
    sc, key = tmp_path / "s.yaml", tmp_path / "key.yaml"
    args = ["new", "--input", 3, "--hidden", 2, "--length", 3, "--seed", 11, *extra, "--parts", "-o", sc]
    assert invoke(*args, "--answers", key).exit_code == 0
    tr = trace(load_scenario(sc))
    assert (tr.scenario.D, tr.scenario.H, tr.scenario.T) == (3, 2, 3)
    assert [p.id for p in tr.scenario.parts] == ["a", "b", "c", "d"]
    r = invoke("check", sc, key)
    assert r.exit_code == 0, r.output[-1500:]


def test_the_same_seed_writes_the_same_file_and_another_seed_another():
    one = invoke("new", "--input", 2, "--hidden", 2, "--length", 2, "--seed", 3).output
    assert one == invoke("new", "--input", 2, "--hidden", 2, "--length", 2, "--seed", 3).output
    assert one != invoke("new", "--input", 2, "--hidden", 2, "--length", 2, "--seed", 4).output
    assert "W:\n    a: [[" in one and "parts:" not in one


def test_numbers_are_rounded_to_work_by_hand():
    text = invoke("new", "--input", 2, "--hidden", 1, "--length", 1, "--seed", 5, "--decimals", "1").output
    sc = load_scenario_from_text(text)
    for v in sc.params.values():
        assert (abs(v * 10 - (v * 10).round()) < 1e-9).all()


def load_scenario_from_text(text: str):
    from lstm_trace.scenario.load import from_document
    from lstm_trace.scenario.yamlio import parse

    return from_document(parse(text, "<new>"))


def test_benchmark_size(tmp_path):
    f = tmp_path / "big.yaml"
    assert invoke("new", "--input", 64, "--hidden", 128, "--length", 512, "--seed", 9, "-o", f).exit_code == 0
    sc = load_scenario(f)
    assert (sc.D, sc.H, sc.T) == (64, 128, 512)
