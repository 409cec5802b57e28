"""Hostile and odd input files, beyond the corpus in tests/bad_inputs: reads that would never end, control
characters and where they stand, numbers no float64 holds in answers (an "invalid" verdict, as any bad
single answer), and numbers read as a person means them wherever a number is read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_trace import load_scenario, textfile, trace
from lstm_trace.errors import ScenarioError
from lstm_trace.grading.grade import grade
from lstm_trace.scenario import yamlio
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.schema import MAX_ITERATIONS

from .conftest import GOMEZ, ROOT, SCENARIOS

unix = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="no FIFOs or /dev")


@unix
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
def test_endless_files_are_refused_at_once_not_read(tmp_path: Path, kind: str) -> None:
    """In a process of its own, so that a regression fails on the timeout instead of hanging the suite."""
    path = Path(kind)
    if kind == "fifo":
        path = tmp_path / "s.yaml"
        os.mkfifo(path)
    r = subprocess.run(
        [sys.executable, "-m", "lstm_trace", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith(f"Error: {path}: is a ") and "expected a regular YAML file" in r.stderr


def test_at_most_max_bytes_are_read_whatever_size_a_file_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files say they are 0 bytes long; the read is bounded all the same."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc")
    monkeypatch.setattr(textfile, "MAX_BYTES", 100)
    with pytest.raises(ScenarioError, match="file is over 100 bytes; the limit is 67,108,864 bytes"):
        textfile.read_text(maps)


def test_a_big_legitimate_scenario_is_within_the_limit(tmp_path: Path) -> None:
    """D=64, H=128, T=8192 from lstm-trace new is about 10.8 MB: over the old 5 MiB, well under 64 MiB."""
    assert textfile.MAX_BYTES == 64 * 2**20
    big = tmp_path / "big.yaml"
    big.write_text("name: big\n" + "# 0.12, -0.53, 0.91, 0.07\n" * 450_000)  # 11.7 MB
    assert len(textfile.read_text(big)) == big.stat().st_size


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("a: 1\nb: \x1b[31m\n", ":2:4:", "U+001B (ESC)"),
        ("a: 1\r\nb: 2\r\nc: x\x7f\n", ":3:5:", "U+007F (DEL)"),  # CRLF is one line break
        ("a: 1\rb: \x00\n", ":2:4:", "U+0000 (NUL)"),  # a lone CR is one too
        ("# é\u2028x: \x85\x9b\n", ":3:1:", "U+009B"),  # NEL (U+0085) and U+2028 break lines; U+009B is C1
        ("a: '\ufffe'\n", ":1:5:", "U+FFFE, which is not a character"),
        ("a: δ\tb\x01\n", ":1:7:", "U+0001 (SOH)"),  # a tab is allowed
    ],
)
def test_control_characters_are_named_with_line_and_column(text: str, where: str, what: str) -> None:
    with pytest.raises(ScenarioError) as info:
        yamlio.parse(text, "x.yaml")
    assert str(info.value).startswith(f"x.yaml{where} expected YAML text, found ")
    assert what in str(info.value)


def test_printable_text_passes_the_character_check() -> None:
    textfile.check_characters("a: δW\tπ ✓ 😀\u00a0\u0085b\r\n", "x.yaml")  # no error


def test_the_character_check_refuses_exactly_what_yaml_refuses() -> None:
    """The check's class of refused characters (written as what YAML refuses, which compiles in a ninth of the
    time of what it allows, negated) agrees with PyYAML's own reader at every code point."""
    import yaml.reader

    theirs = re.compile(yaml.reader.Reader.NON_PRINTABLE.pattern)
    every = "".join(map(chr, range(0x110000)))
    assert [m.start() for m in textfile._NON_PRINTABLE.finditer(every)] == [m.start() for m in theirs.finditer(every)]


ANSWERS = [
    ("0e400", "expected a number with an exponent within float64's ±308, found 0e400"),
    (
        "9" * 400,
        "expected a number within float64's ±1.8e308, found 999999999999999999999999…99999999 (400 characters)",
    ),
    ("1" + "0" * 5000, "within float64's ±1.8e308, found 100000000000000000000000…00000000 (5,001 characters)"),
    ("-1e400", "expected a number within float64's ±1.8e308, found -1e400"),
    ('"1e400"', "expected a number within float64's ±1.8e308, found 1e400"),
    (".inf", "expected a finite number, found inf"),
    ("012", "expected a number, found the text '012' (a leading zero, which YAML 1.1 reads as octal;"),
    ("1:30", "found the text '1:30' (sexagesimal, which YAML 1.1 reads as 1:30 = 90;"),
    ("0x1F", "found the text '0x1F' (hexadecimal;"),
    ("0o7", "found the text '0o7' (octal;"),
    ("0x_", "found the text '0x_' (hexadecimal;"),
    ("0b_", "found the text '0b_' (binary;"),
    ("yes", "found the text 'yes' (a YAML 1.1 boolean;"),
    ("on", "found the text 'on' (a YAML 1.1 boolean;"),
    ("true", "found the boolean true"),
    ("[0.1, 0x1F]", "expected a number at [1], found the text '0x1F'"),
]


@pytest.fixture(scope="module")
def gomez_trace():  # noqa: ANN201
    return trace(load_scenario(GOMEZ))


@pytest.mark.parametrize(("written", "problem"), ANSWERS, ids=[a[0][:12] for a in ANSWERS])
def test_an_unusable_answer_is_that_answers_invalid_verdict(gomez_trace, written: str, problem: str) -> None:  # noqa: ANN001
    """As any single bad answer: the rest of the file is still graded."""
    text = f"a_0: {written}\ni_0: 0.96083\n"
    report = grade(gomez_trace, from_document(yamlio.parse(text, "a.yaml")))
    verdicts = {v.given_name: v for v in report.verdicts if v.verdict != "missing"}
    assert verdicts["a_0"].verdict == "invalid"
    assert problem in verdicts["a_0"].problem
    assert verdicts["i_0"].verdict == "correct"


@pytest.mark.parametrize(
    "written", ["0.81775", "8.1775e-1", "8.1775E-1", "81.775e-2", "+0.81775", '"0.81775"', "'8.1775e-1'", ".81775"]
)
def test_a_number_reads_the_same_however_a_person_writes_it(gomez_trace, written: str) -> None:  # noqa: ANN001
    report = grade(gomez_trace, from_document(yamlio.parse(f"a_0: {written}\n", "a.yaml")))
    assert [v.verdict for v in report.verdicts if v.given_name == "a_0"] == ["correct"]


def test_scientific_notation_is_a_number_in_a_scenario_too(tmp_path: Path) -> None:
    """1e-3 was text to YAML 1.1 (no dot), refused as lr; 1e-8 as eps only passed by lax validation."""
    text = (SCENARIOS / "peephole-softmax-adagrad.yaml").read_text(encoding="utf-8")
    assert "lr: 0.1, eps: 1.0e-8" in text
    f = tmp_path / "s.yaml"
    f.write_text(text.replace("lr: 0.1, eps: 1.0e-8", "lr: 1e-1, eps: 1E-8"), encoding="utf-8")
    sc = load_scenario(f)
    assert (sc.lr, sc.eps) == (0.1, 1e-8)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("lr: 0.1", "lr: 1.5E+2", None),
        ("lr: 0.1", "lr: 012", "optimizer.lr: expected a number, found '012' (a leading zero"),
        ("decimals: 5", "decimals: 0x1F", "display.decimals: expected a whole number, found '0x1F' (hexadecimal;"),
        ("decimals: 5", "decimals: 1e1", "display.decimals: expected a whole number, found 10.0"),
        ("label: 0.5", "label: .nan", "sequence[0].label: expected a finite number (not NaN or inf), found nan"),
        ("name: ", "name: 2001-12-14 #", None),  # a date is text, not a YAML timestamp
        ("name: ", "name: yes #", None),
        ("\nmodel:", f"\niterations: {MAX_ITERATIONS}\nmodel:", None),  # the cap itself is fine
        ("\nmodel:", f"\niterations: {MAX_ITERATIONS + 1}\nmodel:", "less than or equal to 1000, found 1001"),
    ],
)
def test_numbers_in_a_scenario(tmp_path: Path, old: str, new: str, message: str | None) -> None:
    text = GOMEZ.read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "s.yaml"
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    if message is None:
        load_scenario(f)
        return
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert message in str(info.value)
