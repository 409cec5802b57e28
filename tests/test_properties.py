"""Property tests (hypothesis, derandomized so CI is repeatable):

1. random valid scenarios: every traced gradient agrees with finite differences;
2. random mutations of valid scenario and answers text (control characters, deep nesting and odd numbers
   among them): exit 0, 1 or 2, never a traceback;
3. check gives exactly one verdict per answer given and never writes the answers file.
"""

from __future__ import annotations

import hashlib
import re

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.grading.grade import grade
from lstm_trace.numeric.gradcheck import gradcheck
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.yamlio import parse

from .conftest import SCENARIOS, random_scenario


def fast(n: int) -> settings:
    """Repeatable in CI: derandomized, a fixed number of examples, no per-example deadline."""
    return settings(
        derandomize=True,
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


SCENARIO_TEXTS = [(SCENARIOS / n).read_text() for n in ("gomez-homework.yaml", "peephole-softmax-adagrad.yaml")]
ANSWERS_TEXT = (
    "a_0: 0.81775\nδstate_0: 0.00840\nδa_0: 0.00267\ndx_0: [0.00251, 0.00158]\ndW: [[1, 2], [3, 4], [5, 6], [7, 8]]\n"
)
JUNK = ["", "nan", ".inf", "abc", "[", "]", "{", "}", ":", "- ", "\t", "&a", "*a", "1e999", "-", "null", "true"]
JUNK += ["!!python/object/apply:os.system", "0x1F", "'", '"', "[[1,2],[3]]", "\x00", "é", "#", "1e308", "-0", "1e-320"]
# hostile: control characters, nesting past the reader's bound, numbers YAML 1.1 or a float64 would misread
JUNK += ["\x1b", "\x7f", "\x01", "\x9b", "\r", "\x85", "\ufffe", "[" * 40, "{a: " * 40, "- " * 40, "\n" + "  k:" * 40]
JUNK += ['"\\ud800"', "012", "1:30", "0x_", "0b_", "0o7", "1e-3", "1.5E+2", "0e400", "1e400", "9" * 400, "yes", "on"]


@fast(25)
@given(
    seed=st.integers(0, 10_000),
    D=st.integers(1, 3),
    H=st.integers(1, 3),
    T=st.integers(1, 4),
    bias=st.booleans(),
    stacked=st.booleans(),
    cell=st.sampled_from(["lstm", "peephole", "peephole-previous"]),
    K=st.sampled_from([0, 2, 4]),
    optimizer=st.sampled_from(["sgd", "adagrad"]),
)
def test_gradients_agree_with_finite_differences(seed, D, H, T, bias, stacked, cell, K, optimizer):  # noqa: N803
    """Every variant: cell, output layer (K classes, or none), optimizer, bias, stacked or per gate."""
    data = random_scenario(seed, D, H, T, bias, stacked, cell=cell, K=K)
    data["optimizer"] = {"name": optimizer, "lr": 0.1}
    tr = trace(load_scenario(data))
    bad = [(c.name, c.max_abs) for c in gradcheck(tr, max_entries=4) if not c.ok]
    assert not bad


edit = st.tuples(st.integers(0, 6), st.floats(0, 1), st.floats(0, 1), st.sampled_from(JUNK))


def _mutate(text: str, edits: list[tuple[int, float, float, str]]) -> str:
    """Delete, duplicate, swap and replace characters and lines, numbers with junk."""
    for op, u, v, junk in edits:
        n = len(text)
        i, j = int(u * n), int(v * n)
        lines = text.split("\n")
        a, b = int(u * len(lines)) % len(lines), int(v * len(lines)) % len(lines)
        if op == 0:
            text = text[:i] + text[i + 1 :]
        elif op == 1:
            text = text[:i] + text[j : j + 12] + text[i:]
        elif op == 2:
            text = text[:i] + junk + text[i:]
        elif op == 3:
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif op == 4:
            del lines[a]
            text = "\n".join(lines)
        elif op == 5:
            numbers = list(re.finditer(r"-?\d+\.?\d*", text))
            if numbers:
                m = numbers[int(u * len(numbers)) % len(numbers)]
                text = text[: m.start()] + junk + text[m.end() :]
        else:
            lines.insert(a, lines[b])
            text = "\n".join(lines)
    return text


@fast(80)
@given(
    base=st.sampled_from(SCENARIO_TEXTS),
    scenario_edits=st.lists(edit, max_size=3),
    answer_edits=st.lists(edit, max_size=3),
)
def test_mutated_files_end_in_a_verdict_or_one_clear_message(tmp_path, base, scenario_edits, answer_edits):
    sc, ans = tmp_path / "s.yaml", tmp_path / "a.yaml"
    sc.write_text(_mutate(base, scenario_edits), encoding="utf-8")
    ans.write_text(_mutate(ANSWERS_TEXT, answer_edits), encoding="utf-8")
    for args in (["run", sc, "--format", "json"], ["check", sc, ans, "--format", "json"]):
        r = CliRunner().invoke(cli, [str(a) for a in args])
        assert r.exit_code in (0, 1, 2), r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
        assert "Traceback" not in r.output and "internal error" not in r.output
        if r.exit_code == 2:
            assert r.output.startswith("Error: ") and str(tmp_path) in r.output


HOMEWORK = trace(load_scenario(SCENARIOS / "gomez-homework.yaml"))
NAMES = sorted(set(HOMEWORK.values)) + ["dstat_1", "δstate_0", "Δout_{-1}", "W_a^new", "nope"]
VALUES = st.one_of(
    st.floats(-2, 2, allow_nan=False).map(lambda v: f"{v:.5f}"),
    st.lists(st.floats(-2, 2, allow_nan=False).map(lambda v: f"{v:.4f}"), min_size=1, max_size=4).map(
        lambda xs: "[" + ", ".join(xs) + "]"
    ),
    st.sampled_from(["abc", ".nan", "true", "", "[[1, 2], [3]]", "0", "-0.0"]),
    # numbers a float64 cannot hold, or YAML 1.1 would misread
    st.sampled_from(["0e400", "1e400", "9" * 400, "012", "1:30", "0x_", "yes", "1e-3"]),
)


@fast(40)
@given(answers=st.dictionaries(st.sampled_from(NAMES), VALUES, min_size=1, max_size=12))
def test_one_verdict_per_answer_and_the_file_is_only_read(tmp_path, answers):
    f = tmp_path / "answers.yaml"
    f.write_text("".join(f"{k}: {v}\n" for k, v in answers.items()), encoding="utf-8")
    before = hashlib.sha256(f.read_bytes()).digest()
    report = grade(HOMEWORK, from_document(parse(f.read_text(encoding="utf-8"), str(f))))
    given = [v for v in report.verdicts if v.verdict != "missing"]
    assert sorted(v.given_name for v in given) == sorted(k for k, v in answers.items() if v != "")
    r = CliRunner().invoke(cli, ["check", str(SCENARIOS / "gomez-homework.yaml"), str(f), "--format", "json"])
    assert r.exit_code in (0, 1)
    assert hashlib.sha256(f.read_bytes()).digest() == before
