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
