"""Bad input: one clear message naming the file, line and key path."""

from __future__ import annotations

import pytest

from lstm_trace import ScenarioError, load_scenario
from lstm_trace.textfile import MAX_BYTES

GOOD = """\
parameters:
  W: {a: [[0.45, 0.25]], i: [[0.95, 0.80]], f: [[0.70, 0.45]], o: [[0.60, 0.40]]}
  U: {a: [[0.15]], i: [[0.80]], f: [[0.10]], o: [[0.25]]}
  b: {a: [0.20], i: [0.65], f: [0.15], o: [0.10]}
sequence:
  - {x: [1.0, 2.0], label: 0.5}
"""

BAD = [
    ("optimiser: {lr: 0.1}\n", "s.yaml:7:1: optimiser: unknown key 'optimiser'; did you mean 'optimizer'?"),
    ("optimizer: {lr: -0.1}\n", "s.yaml:7:17: optimizer.lr: expected a number greater than 0, found -0.1"),
    ("optimizer: {lr: 0}\n", "optimizer.lr: expected a number greater than 0, found 0"),
    ("loss: l3\n", "loss: expected one of 'l2', 'cross_entropy' or 'none', found 'l3'"),
    ("initial: {out: [0, 0]}\n", "initial.out: expected initial out (H entries) to be 1 entries, found 2 entries"),
    (
        "model: {cell: lstmx}\n",
        "model.cell: expected one of 'lstm', 'peephole', 'cifg', 'gru', 'rnn' or 'custom', found 'lstmx'",
    ),
    ("display: {decimals: 99}\n", "display.decimals"),
    ("expected: {a_0: .nan}\n", "expected.a_0: expected a finite number (not NaN or inf), found nan"),
]


@pytest.mark.parametrize("extra,message", BAD)
def test_bad_key_or_value(tmp_path, extra, message):
    f = tmp_path / "s.yaml"
    f.write_text(GOOD + extra)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    assert message in str(exc.value)
    assert str(f) in str(exc.value)


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("[[0.45, 0.25]]", "[[0.45, abc]]", "2:18: parameters.W.a[0][1]: expected a number, found 'abc'"),
        ("[[0.45, 0.25]]", "[[0.45, true]]", "parameters.W.a[0][1]: expected a number, found the boolean true"),
        ("[[0.45, 0.25]]", "[[0.45, null]]", "parameters.W.a[0][1]: expected a number, found nothing (null)"),
        ("[[0.45, 0.25]]", "[[0.45, .inf]]", "expected a finite number (not NaN or inf), found inf"),
        (
            "[[0.45, 0.25]]",
            "[[0.45], [0.25]]",
            "parameters.W.a: expected W_a (H×D) to be 1×2, found 2×1 (the transpose would fit)",
        ),
        ("[[0.45, 0.25]]", "[[0.45, 0.25], [1]]", "parameters.W.a[1]: expected 2 entries like the row before"),
        ("i: [[0.80]], ", "", "3:6: parameters.U: missing: i (an LSTM's gates are a, i, f, o)"),
        ("label: 0.5", "label: [0.5, 1]", "sequence[0].label: expected label_0 (one per hidden unit, H) to be"),
        ("x: [1.0, 2.0]", "x: [1.0]", "sequence[0].x: expected x_0 (D entries, like x_0) to be 2 entries"),
        ("b: {a: [0.20]", "b: {a: [0.20, 1]", "parameters.b.a: expected b_a (H entries) to be 1 entries"),
        ("  - {x: [1.0, 2.0], label: 0.5}\n", "  []\n", "sequence: expected a non-empty list"),
    ],
)
def test_bad_values_name_line_and_key_path(tmp_path, old, new, message):
    f = tmp_path / "s.yaml"
    assert old in GOOD
    f.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "the file is empty"),
        ("- 1\n- 2\n", "expected a mapping of keys"),
        ("a: &x [1, 2]\nb: *x\n", "2:4: invalid YAML: aliases (*name) are not allowed"),
        ("name: a\nname: b\n", "2:1: name: duplicate key 'name'"),
        ("a: !!python/object/apply:os.system ['echo pwned']\n", "is not allowed"),
        ("a:\n\tb: 1\n", "indent with spaces, not tabs"),
        ("a: [1, 2\n", "invalid YAML"),
        ("name: x\n---\nname: y\n", "invalid YAML"),
    ],
)
def test_unusable_yaml(tmp_path, text, message, capfd):
    f = tmp_path / "s.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    assert message in str(exc.value)
    assert "pwned" not in capfd.readouterr().out


def test_binary_directory_missing_and_huge_files(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    with open(tmp_path / "huge.yaml", "wb") as fh:  # sparse: over the limit without using the disk
        fh.truncate(MAX_BYTES + 1)
    for name, message in [
        ("bin.yaml", "binary"),
        ("latin.yaml", "not UTF-8"),
        ("huge.yaml", "the limit is"),
        ("nope.yaml", "cannot read"),
        (".", "is a directory"),
    ]:
        with pytest.raises(ScenarioError, match=message):
            load_scenario(tmp_path / name)


def test_stacked_with_a_row_count_not_a_multiple_of_four(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(GOOD.replace("U: {a: [[0.15]], i: [[0.80]], f: [[0.10]], o: [[0.25]]}", "U: [[0.1], [0.2], [0.3]]"))
    with pytest.raises(ScenarioError, match="parameters.U: expected 4·H rows stacked in gate order a, i, f, o"):
        load_scenario(f)


def test_from_a_dict_and_immutable():
    import yaml

    sc = load_scenario(yaml.safe_load(GOOD))
    assert (sc.D, sc.H, sc.T, sc.bias) == (2, 1, 1, True)
    with pytest.raises(ValueError):
        sc.params["W_a"][0, 0] = 1.0


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ("[{id: a, quantities: [a_0]}, {id: a, quantities: [i_0]}]", "parts[1].id: duplicate part id 'a'"),
        ("[{id: a, quantities: [a_0, i_0, a_0]}]", "parts[0].quantities[2]: duplicate quantity 'a_0' (parts[0]"),
        ("[{id: a, quantities: [a_0]}, {id: b, quantities: [i_0, a_0]}]", "parts[1].quantities[1]: duplicate quantity"),
        ("[{id: a, quantities: [dstate_0]}, {id: b, quantities: ['δstate_0']}]", "duplicate quantity 'δstate_0'"),
    ],
)
def test_a_part_id_or_a_quantity_given_twice(tmp_path, parts, message):
    """Graded twice, a quantity would count twice: refused where it comes again, with where it came first."""
    f = tmp_path / "s.yaml"
    f.write_text(GOOD + f"parts: {parts}\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    assert "s.yaml:7:" in str(exc.value) and message in str(exc.value)
    assert "(parts[0]" in str(exc.value) and "on line 7" in str(exc.value)


def test_distinct_parts_load(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(GOOD + "parts: [{id: a, quantities: [a_0, i_0]}, {id: b, quantities: [dstate_0], points: 2}]\n")
    sc = load_scenario(f)
    assert [(p.id, p.quantities, p.points) for p in sc.parts] == [("a", ("a_0", "i_0"), 2.0), ("b", ("dstate_0",), 2.0)]
