"""The fast YAML reader (libyaml's events, no positions kept) against the exact one (every position kept).

The fast reader turns plain decimals and integers into numbers itself and hands everything
else to PyYAML's own resolver and constructors; whatever it cannot report well goes to the
exact reader. These tests hold the two to the same data, types and positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_trace.errors import ScenarioError
from lstm_trace.scenario import yamlio

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(yamlio._FastLoader is None, reason="PyYAML was built without libyaml")

SCALARS = [
    "0.5", "-0.5", "+1.5", "1.", "-0.0", "0", "-0", "+7", "12", "007", "0x1A", "0o17", "0b101", "1_000",
    "1:30", "1e5", "1.0e+5", "1.0e5", ".5", "-.5", ".inf", "-.Inf", ".nan", "true", "False", "yes", "off",
    "~", "null", "", "'1.5'", '"0.5"', "abc", "2001-12-14", "δ", "1.5 # note", "[1, 2.5, -3]", "{a: 1, b: [0.5]}",
    "1e-3", "1.5E+2", "-2e5", "0e400", "1e400", "9" * 400, "1" + "0" * 5000, "0x_", "0b_", "012", "0o7", "on", "Y",
    "! 12", "!!str 12", "!!int 12", "!!float 1.5", '"\\ud800"', '"\\U0001F600"', "'\\ud800'", "<<", "1:30:00",
]  # fmt: skip


def _both(text: str) -> tuple[yamlio.Document, yamlio.Document]:
    return yamlio.parse(text, "x.yaml"), yamlio._parse(text, "x.yaml")


def _read(reader, text: str) -> str:  # noqa: ANN001
    """The data with every type spelled out (nan != nan), or the error message."""
    try:
        data = reader(text, "x.yaml").data
    except ScenarioError as exc:
        return f"error: {exc}"
    values = data.values() if isinstance(data, dict) else data
    return repr(data) + repr([type(v) for v in values])


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_kind_of_scalar_reads_as_pyyaml_reads_it(scalar: str) -> None:
    for text in (f"k: {scalar}\n", f"k: {scalar}\nlist: [{scalar}, 1]\n", f"- {{k: {scalar}}}\n"):
        assert _read(yamlio.parse, text) == _read(yamlio._parse, text)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_scenarios_read_the_same_with_the_same_positions(path: Path) -> None:
    fast, exact = _both(path.read_text())
    assert repr(fast.data) == repr(exact.data)
    assert fast.marks == exact.marks and fast.texts == exact.texts and fast.key_marks == exact.key_marks


def test_json_style_yaml_is_read_by_the_fast_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quoted keys (a scenario written as JSON) need no second reading."""
    text = '{"a": {"b": [1, 2.5, "x"]}, "<<": 1}'
    monkeypatch.setattr(yamlio, "_parse", lambda *a, **k: pytest.fail("read again"))
    assert yamlio.parse(text, "x.json").data == {"a": {"b": [1, 2.5, "x"]}, "<<": 1}


def test_positions_are_found_when_first_asked_for() -> None:
    doc = yamlio.parse("a:\n  b: [1, 2,\n      3.25]\n", "x.yaml")
    assert doc._marks is None  # nothing kept while reading
    assert doc.where(("a", "b", 2)) == (3, 7)
    assert doc.texts[("a", "b", 2)] == "3.25"
    assert doc.key_marks[("a", "b")] == (2, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: *x\n", "aliases (*name) are not allowed"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a: !!python/object:os.system 1\n", "YAML tag"),
        ("a: {<<: {b: 1}}\n", "merge keys"),
        ("a: 1\n---\nb: 2\n", "invalid YAML"),
        ("", "the file is empty"),
        ("a: [1, 2\n", "invalid YAML"),
        ("? [1, 2]\n: 3\n", "keys must be plain names"),
    ],
)
def test_what_the_fast_reader_cannot_report_is_reported_exactly(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=None) as info:
        yamlio.parse(text, "x.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("x.yaml")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12), ("-0", 0), ("+7", 7), ("0.5", 0.5), ("-.5", -0.5), ("3.", 3.0), ("1e-3", 0.001), ("1E3", 1000.0),
        ("1.5E+2", 150.0), ("-2.5e-1", -0.25), ("0e400", 0.0), ("1e400", float("inf")), ("9" * 400, float("inf")),
        ("1" + "0" * 300, 1e300), ("1" + "0" * 5000, float("inf")),
        ("012", None), ("00.5", None), ("1:30", None), ("0x1F", None), ("0o7", None), ("0b101", None), ("1_000", None),
        ("0x_", None), ("1e", None), ("e3", None), (".", None), ("+", None), ("1.2.3", None),
        ("true", None), ("yes", None), ("nan", None), ("１２", None), ("٣", None),
    ],
)  # fmt: skip
def test_one_rule_for_what_a_number_is(text: str, value: float | None) -> None:
    """Decimal integers and decimals, with a sign and an exponent; not YAML 1.1's octal, hex or base 60."""
    got = yamlio.number(text)
    assert got == value and type(got) is type(value)
    read = yamlio.parse(f"k: {text}\n", "x.yaml").data["k"]  # the reader follows the same rule
    assert (read == value and type(read) is type(value)) if value is not None else type(read) not in (int, float)


@pytest.mark.parametrize("reader", [yamlio.parse, yamlio._parse], ids=["fast", "exact"])
@pytest.mark.parametrize("shape", ["[{}]", "- {}", "k:\n{}"])
def test_nesting_is_bounded(reader, shape: str) -> None:  # noqa: ANN001
    """MAX_DEPTH lists and mappings within each other are read; one more is refused where it starts."""

    def nested(n: int) -> str:
        if shape == "[{}]":
            return "[" * n + "]" * n
        if shape == "- {}":
            return "- " * n + "1"
        return "".join("  " * i + "k:\n" for i in range(n)) + "  " * n + "1\n"

    reader(nested(yamlio.MAX_DEPTH), "x.yaml")
    with pytest.raises(ScenarioError, match=f"nested at most {yamlio.MAX_DEPTH} deep"):
        reader(nested(yamlio.MAX_DEPTH + 1), "x.yaml")
    with pytest.raises(ScenarioError, match="x.yaml:[0-9]+:[0-9]+: expected lists and mappings nested at most"):
        reader(nested(300 if shape == "k:\n{}" else 20_000), "x.yaml")  # 300 levels of block: 90 KB


def test_nesting_is_bounded_where_the_fast_reader_hands_over() -> None:
    """An alias sends the text to the exact reader, whose composer recurses: it stops at MAX_DEPTH too."""
    text = "a: &x 1\nb: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(ScenarioError, match=r"x.yaml:2:35: expected lists and mappings nested at most 32 deep"):
        yamlio.parse(text, "x.yaml")


def test_a_surrogate_escape_is_refused_where_it_stands() -> None:
    for text, where in (('k: "a\\ud800"\n', "x.yaml:1:4: k: "), ('"\\udfff": 1\n', "x.yaml:1:1: ")):
        with pytest.raises(ScenarioError) as info:
            yamlio.parse(text, "x.yaml")
        assert str(info.value).startswith(where + "expected text, found the escape \\u")
    assert yamlio.parse('k: "\\U0001F600 \\u00e9"\n', "x.yaml").data == {"k": "😀 é"}  # a whole character is fine
