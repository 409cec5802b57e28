"""run --format json streamed: the rows' equations are printed a few groups at a time while the
document is written, never all held, and the document is the same, byte for byte, whether the groups are
streamed or listed and whatever the pieces' size (render_json: the pieces joined)."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.render.batchview import grouped
from lstm_trace.render.jsonout import json_chunks, render_json, streamed_groups
from lstm_trace.render.text import MAX_ITEMS, Style

from .conftest import SCENARIOS, random_scenario


def _streamed(tr, size: int = 1 << 20, steps=None, sections=None):  # noqa: ANN001, ANN202
    return json_chunks(tr, streamed_groups(tr, steps, sections, None, MAX_ITEMS, Style, 4), size)


@pytest.mark.parametrize("name", ["gomez.yaml", "peephole-softmax-adagrad.yaml", "cs231n.yaml", "pytorch.yaml"])
def test_streamed_document_is_render_json(name: str) -> None:
    tr = trace(load_scenario(SCENARIOS / name))
    whole = render_json(tr, grouped(tr))
    for size in (1, 100, 1 << 20):
        assert "".join(_streamed(tr, size)) == whole
    chosen = ({0}, ("backward",))
    assert "".join(_streamed(tr, 100, *chosen)) == render_json(tr, grouped(tr, *chosen))


def test_cli_writes_the_streamed_document(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "t.json"
    path = SCENARIOS / "gomez.yaml"
    r = CliRunner().invoke(cli, ["run", str(path), "--format", "json", "-o", str(out)], catch_exceptions=False)
    assert r.exit_code == 0
    tr = trace(load_scenario(path))
    assert out.read_text() == render_json(tr, grouped(tr)) + "\n"


def test_rows_are_printed_only_as_the_document_reaches_them() -> None:
    """The values come first: no row's equation is printed until they are written."""
    tr = trace(load_scenario(random_scenario(4, D=3, H=5, T=40)))
    consumed = []

    def groups():  # noqa: ANN202
        for g in streamed_groups(tr, None, None, None, MAX_ITEMS, Style, 4):
            consumed.append(g[0])
            yield g

    pieces = json_chunks(tr, groups(), size=1000)
    first = next(pieces)
    assert not consumed and first.startswith("{")
    rest = "".join(pieces)
    assert len(consumed) == 2 * tr.scenario.T + 2  # forward and backward per step, the gradients, the update
    assert json.loads(first + rest)["equations"]["a_0"]["section"] == "forward"


def test_memory_while_streaming_is_a_fraction_of_the_document() -> None:
    """Printing the rows of a long sequence holds a few groups' text, not all of it."""
    tr = trace(load_scenario(random_scenario(6, D=4, H=8, T=400)))
    assert len(tr.rows) > 8 * 400  # the trace's rows made (when first read, steprows.py) before memory is traced
    tracemalloc.start()
    try:
        n = sum(len(piece) for piece in _streamed(tr, size=1 << 16))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n > 2_000_000 and peak < n / 2, (n, peak)  # holding all the rows took 3 times n


def test_each_array_is_written_exactly_in_its_shortest_digits() -> None:
    """The values' text (orjson's floats) reads back bit for bit, in no more digits than Python's repr needs;
    −0 is written 0, a matrix in any memory order row by row, and NaN or ∞ is refused, never written null."""
    import numpy as np

    from lstm_trace.render import jsonout

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(200) * 10.0 ** rng.integers(-300, 300, 200), [5e-324, 1e16, 2.5e-7]])
    text = jsonout._array(x)
    written = text[1:-1].split(",")
    assert np.array_equal(np.array(json.loads(text)), x) and all(float(t) == v for t, v in zip(written, x, strict=True))
    assert all(len(t.replace("-", "").replace(".0", "")) <= len(repr(v)) for t, v in zip(written, x, strict=True))
    assert jsonout._array(np.array([-0.0, 1.0])) == "[0.0,1.0]"
    m = np.arange(6.0).reshape(2, 3)
    assert json.loads(jsonout._array(m.T)) == m.T.tolist() == json.loads(jsonout._array(np.asfortranarray(m.T)))
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="not JSON compliant"):
            jsonout._array(np.array([1.0, bad]))
