"""The bad-input corpus: every file ends in exit 2 and one line naming the file, with the expected words.

tests/bad_inputs/cases.tsv lists each file, the command it is given to (run: as
the scenario; check: as the scenario, or as the answers file when its name ends
in .answers.yaml) and a fragment of the message. The <names> are made here
(GENERATED): too big to keep, or not regular files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from lstm_trace.cli import cli
from lstm_trace.scenario.yamlio import MAX_BYTES

from .conftest import GOMEZ, ROOT

CORPUS = ROOT / "tests" / "bad_inputs"


def _written(name: str, text: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_text(text, encoding="utf-8")
        return tmp / name

    return make


def _huge(tmp: Path) -> Path:
    """Over the limit without using the disk: a sparse file, refused on its size before a byte is read."""
    path = tmp / "huge.yaml"
    with open(path, "wb") as fh:
        fh.write(b"name: x\n")
        fh.truncate(MAX_BYTES + 1)
    return path


def _fifo(tmp: Path) -> Path:
    """A named pipe no one writes to: reading it would wait forever."""
    os.mkfifo(tmp / "fifo.answers.yaml")
    return tmp / "fifo.answers.yaml"


# the cases that cannot be kept as files in the corpus
GENERATED: dict[str, Callable[[Path], Path]] = {
    "<over 64 MiB>": _huge,
    "<30,000 levels of [ ], 60 KB>": _written("deep.yaml", "a: " + "[" * 30_000 + "]" * 30_000),  # libyaml crashed
    "<20,000 levels of [ ] in answers>": _written("deep.answers.yaml", "a_0: " + "[" * 20_000 + "]" * 20_000),
    "<a FIFO as answers>": _fifo,
    "</dev/zero>": lambda tmp: Path("/dev/zero"),
    "</dev/urandom>": lambda tmp: Path("/dev/urandom"),
}


def _cases() -> list[tuple[str, str, str]]:
    rows = []
    for line in (CORPUS / "cases.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, command, fragment = line.split("\t")
            rows.append((name, command, fragment))
    return rows


def test_the_corpus_is_large_enough():
    assert len(_cases()) >= 40


@pytest.mark.parametrize("name, command, fragment", _cases(), ids=[c[0] for c in _cases()])
def test_bad_input_gives_one_clear_message(tmp_path, name, command, fragment):
    if name.startswith("<"):
        if ("FIFO" in name and not hasattr(os, "mkfifo")) or (
            name.startswith("</dev") and not Path(name[1:-1]).exists()
        ):
            pytest.skip("no FIFOs or devices here")
        path = GENERATED[name](tmp_path)
    else:
        path = CORPUS / name
    args = [command, str(path)]
    if path.name.endswith(".answers.yaml"):
        args = [command, str(GOMEZ), str(path)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    assert r.output.count("\n") == 1, r.output
    assert r.output.startswith(f"Error: {path}"), r.output
    assert fragment in r.output, r.output


def test_no_file_ran_code(tmp_path, monkeypatch):
    """Four cases try to run `touch pwned-marker` (a YAML tag, an expression, an answer's tag, a custom
    cell's equation)."""
    monkeypatch.chdir(tmp_path)
    tried = 0
    for name, command, _ in _cases():
        path = CORPUS / name
        if path.is_file() and b"pwned-marker" in path.read_bytes():
            args = [command, str(GOMEZ), str(path)] if name.endswith(".answers.yaml") else [command, str(path)]
            assert CliRunner().invoke(cli, args).exit_code == 2
            tried += 1
    assert tried == 4 and not (tmp_path / "pwned-marker").exists()


def test_every_case_file_is_listed():
    listed = {c[0] for c in _cases()}
    present = {p.name for p in CORPUS.iterdir() if p.name != "cases.tsv"}
    assert present <= listed, present - listed
    assert {n for n in listed if n.startswith("<")} == set(GENERATED)
    assert Path(CORPUS / "a-directory").is_dir()


def test_debug_shows_the_traceback_for_bug_reports(monkeypatch):
    bad = str(CORPUS / "30-negative-lr.yaml")
    r = CliRunner().invoke(cli, ["run", bad])
    assert r.exit_code == 2 and "Traceback" not in r.output
    for args, env in ((["--debug", "run", bad], {}), (["run", bad], {"LSTM_TRACE_DEBUG": "1"})):
        r = CliRunner().invoke(cli, args, env=env)
        assert r.exit_code == 1 and type(r.exception).__name__ == "ScenarioError"  # raised, not turned into a message


def test_a_bug_is_reported_briefly_without_debug(monkeypatch):
    import lstm_trace.numeric.engine

    def broken(*a, **k):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(lstm_trace.numeric.engine, "trace", broken)
    r = CliRunner().invoke(cli, ["run", str(GOMEZ)])
    assert r.exit_code == 3  # a bug, never a verdict (check and check-formula use 1 for "wrong")
    assert r.output == "Error: internal error: ZeroDivisionError: planted. Rerun with --debug and report it, please.\n"
    r = CliRunner().invoke(cli, ["--debug", "run", str(GOMEZ)])
    assert isinstance(r.exception, ZeroDivisionError)


@pytest.mark.parametrize("scale", [1e2, 1e4, -1e4])
def test_extreme_preactivations_stay_finite_and_quiet(scale, console):
    """Pre-activations up to ±1e4 (pytest turns any overflow warning into a failure)."""
    import numpy as np

    from lstm_trace import load_scenario, trace
    from lstm_trace.render.rows import grouped
    from lstm_trace.render.table import render_tables

    from .conftest import random_scenario

    data = random_scenario(7, 2, 3, 3)
    for g in data["parameters"]["W"]:
        data["parameters"]["W"][g] = (np.array(data["parameters"]["W"][g]) * scale).tolist()
    tr = trace(load_scenario(data))
    z = np.concatenate([tr.values[f"z_{t}"] for t in range(3)])
    assert np.abs(z).max() > abs(scale) / 10
    assert all(np.isfinite(v).all() for v in tr.values.values())
    console.print(render_tables(tr, grouped(tr)))
    out = console.file.getvalue()
    assert "nan" not in out and "inf" not in out and "-0 " not in out and "-0]" not in out


def test_noise_around_zero_prints_as_0():
    from lstm_trace.render.text import fmt_number

    assert [fmt_number(v, 5) for v in (-1e-17, -0.0, 1e-300, -2.5e-7)] == ["0", "0", "0", "-2.5000e-07"]


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_logits_near_1e4_stay_finite_and_quiet(scale):
    """softmax and the cross-entropy shifted by the largest logit: no overflow, no warning."""
    import numpy as np

    from lstm_trace import load_scenario, trace

    from .conftest import random_scenario

    data = random_scenario(8, 2, 2, 3, K=3)
    data["parameters"]["c"] = [scale, 0.0, -scale]
    tr = trace(load_scenario(data))
    s = np.concatenate([tr.values[f"s_{t}"] for t in range(3)])
    assert np.abs(s).max() > 0.9e4
    assert all(np.isfinite(v).all() for v in tr.values.values())
    assert tr.E > 0 and np.isfinite(tr.E)
