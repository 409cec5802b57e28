"""The command line as scripts and shells expect it: honest exit codes, closed pipes, Ctrl-C, output files
checked before the work, narrow terminals, sizes refused with a way on, examples that work from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import lstm_trace
from lstm_trace import cache
from lstm_trace.cli import cli

from .conftest import GOMEZ, SCENARIOS

HOMEWORK = SCENARIOS / "gomez-homework.yaml"


def invoke(*args: object, **kw: object):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def lstm_trace_cmd(*args: object, cwd: Path | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120", **kw.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(
        [sys.executable, "-m", "lstm_trace", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=120,
        **kw,  # type: ignore[arg-type]
    )


# --- exit codes -----------------------------------------------------------------------


def test_a_bug_exits_3_never_a_verdicts_0_or_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import lstm_trace.numeric.engine

    def broken(*a: object, **k: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(lstm_trace.numeric.engine, "trace", broken)
    for args in (["run", GOMEZ], ["check", HOMEWORK], ["gradcheck", GOMEZ]):
        r = invoke(*args)
        assert r.exit_code == 3, (args, r.output)
        assert r.output.startswith("Error: internal error: ZeroDivisionError: planted.")


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    import lstm_trace.numeric.engine

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lstm_trace.numeric.engine, "trace", interrupted)
    r = invoke("run", GOMEZ)
    assert r.exit_code == 130 and r.output == "Interrupted.\n"


def test_a_closed_pipe_ends_quietly() -> None:
    code = f"{sys.executable} -m lstm_trace run {GOMEZ} --format json | head -c 10 > /dev/null; echo ${{PIPESTATUS[0]}}"
    r = subprocess.run(["bash", "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert r.stderr == "" and r.stdout.strip() in ("0", "1"), r  # click's convention for EPIPE: no message


# --- output files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", GOMEZ, "-o", "missing/dir/out.txt"], "the directory 'missing/dir' does not exist"),
        (["check", HOMEWORK, "--gradescope", "missing/results.json"], "the directory 'missing' does not exist"),
        (["template", HOMEWORK, "-o", "."], "is a directory"),
        (["run", GOMEZ, "-o", "/dev/full"], "No space left on device"),
    ],
)
def test_an_unwritable_output_is_one_message_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list, words: str
) -> None:
    if args[-1] == "/dev/full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    monkeypatch.chdir(tmp_path)
    r = invoke(*args)
    assert r.exit_code == 2 and r.output.count("\n") == 1 and words in r.output, r.output


def test_an_output_is_never_an_input(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(GOMEZ.read_text())
    before = scenario.read_text()
    r = invoke("template", scenario, "-o", scenario)
    assert r.exit_code == 2 and "is also an input of this command" in r.output
    assert scenario.read_text() == before


def test_an_output_layer_is_not_taken_for_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("derive", "--output", "softmax")
    assert r.exit_code == 2 and "--output-layer softmax" in r.output
    assert not (tmp_path / "softmax").exists()


# --- terminals and selections ---------------------------------------------------------


@pytest.mark.parametrize("columns", ["0", "20", "30", "abc"])
def test_a_narrow_or_odd_terminal_still_shows_every_value(columns: str) -> None:
    r = invoke("run", GOMEZ, "--steps", "0", "--section", "forward", env={"COLUMNS": columns})
    assert r.exit_code == 0
    for value in ("0.81775", "0.96083", "0.85195", "0.81757", "0.78573", "0.53631"):
        assert value in r.output, (columns, r.output)


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ("0-1000000000", "step 1000000000 is outside the sequence"),
        ("1-0", "the range 1-0 is empty"),
        ("5-3", "is outside the sequence"),
        ("-1-2", "expected step numbers"),
    ],
)
def test_a_step_range_is_checked_before_it_is_made(steps: str, words: str) -> None:
    r = invoke("run", GOMEZ, f"--steps={steps}")
    assert r.exit_code == 2 and words in r.output, r.output


# --- sizes ------------------------------------------------------------------------------


def test_new_refuses_a_scenario_too_big_to_read_back() -> None:
    r = invoke("new", "--input", 4096, "--hidden", 4096, "--length", 100000, "--seed", 1)
    assert r.exit_code == 2 and "make --input, --hidden or --length smaller" in r.output, r.output


def test_a_big_new_scenario_is_read_back_and_traced(tmp_path: Path) -> None:
    """D=64, H=128, T=8192: about 10 MB of YAML, which run and check must read."""
    path = tmp_path / "big.yaml"
    r = invoke("new", "--input", 64, "--hidden", 128, "--length", 8192, "--seed", 1, "-o", path)
    assert r.exit_code == 0, r.output
    assert path.stat().st_size > 5 * 2**20
    tr = lstm_trace.trace(path)
    assert tr.scenario.T == 8192 and all(k in tr.values for k in ("dstate_0", "dW", "W_new"))


def test_gradcheck_samples_big_gradients_and_says_how_to_check_all(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    invoke("new", "--input", 6, "--hidden", 4, "--length", 2, "--seed", 2, "-o", path)
    r = invoke("gradcheck", path, "--format", "json")
    assert r.exit_code == 0
    assert "--max-entries N checks more, 0 all" in r.stderr
    import json

    checks = json.loads(r.stdout)["checks"]
    assert max(c["entries"] for c in checks) == 20 and max(c["size"] for c in checks) == 24  # δW_a: 4×6


# --- values that leave float64's range ------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "old", "new", "where"),
    [
        ("gomez.yaml", "label: 0.5}", "label: 1.0e+308}", "E_0 = inf"),
        ("peephole-softmax-adagrad.yaml", "c: [0.1, 0.0, -0.1]", "c: [1.0e+308, 0.0, -1.0e+308]", "E_0 = nan"),
    ],
)
def test_a_trace_that_overflows_says_where_and_exits_2(
    tmp_path: Path, scenario: str, old: str, new: str, where: str
) -> None:
    path = tmp_path / scenario
    text = (SCENARIOS / scenario).read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    for fmt in ("table", "json"):
        r = invoke("run", path, "--format", fmt)
        assert r.exit_code == 2, r.output
        assert f"the trace leaves float64's finite range at {where}" in r.output and r.output.count("\n") == 1


# --- examples, from any directory ------------------------------------------------------


def test_the_examples_are_in_the_package_and_run_by_name_from_anywhere(tmp_path: Path) -> None:
    listed = lstm_trace_cmd("examples", cwd=tmp_path)
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == sorted(p.stem for p in (Path(lstm_trace.__file__).parent / "examples").glob("*.yaml"))
    assert "gomez" in names and "gomez-homework" in names
    r = lstm_trace_cmd("run", "gomez", "--steps", "0", "--section", "forward", cwd=tmp_path)
    assert r.returncode == 0 and "0.81775" in r.stdout
    r = lstm_trace_cmd("check", "gomez-homework", cwd=tmp_path)
    assert r.returncode == 1 and "δb_o" in r.stdout  # the sheet's one misprint
    copied = lstm_trace_cmd("example", "gomez", "-o", "mine.yaml", cwd=tmp_path)
    assert copied.returncode == 0 and (tmp_path / "mine.yaml").read_text() == GOMEZ.read_text()
    r = lstm_trace_cmd("example", "gomz", cwd=tmp_path)
    assert r.returncode == 2 and "did you mean 'gomez'" in r.stderr


def test_a_file_of_an_examples_name_is_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gomez").write_text("name: [")
    r = invoke("run", "gomez")
    assert r.exit_code == 2 and r.output.startswith("Error: gomez:")


# --- the cache --------------------------------------------------------------------------


def test_template_keeps_the_sheet_of_the_text_it_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is edited between the cache's read and a second one: the sheet stored under the first
    text's key must be the first text's (before, template read the file again to build it)."""
    monkeypatch.setenv("LSTM_TRACE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "hw.yaml"
    first = HOMEWORK.read_text()
    path.write_text(first)
    from lstm_trace import textfile

    real = textfile.read_text

    def read_then_edit(p: object) -> str:
        text = real(p)  # type: ignore[arg-type]
        path.write_text(first.replace('title: "Backward @ t=0"', 'title: "EDITED"'))  # right after the read
        return text

    monkeypatch.setattr(textfile, "read_text", read_then_edit)
    r = invoke("template", path)
    assert r.exit_code == 0 and "# (b) Backward @ t=0" in r.output and "EDITED" not in r.output


def test_the_cache_prunes_only_its_own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "cache"
    monkeypatch.setenv("LSTM_TRACE_CACHE_DIR", str(where))
    cache.store(("v",), 1)
    theirs = [where / "notes.pickle", where / ("0" * 64 + ".pickle"), where / "data.lstm-trace.pickle"]
    for p in theirs:
        p.write_bytes(b"not ours")
    cache._prune(where, keep=0)
    assert all(p.exists() for p in theirs)
    assert not list(where.glob("*" + cache.SUFFIX)) or all(p in theirs for p in where.glob("*" + cache.SUFFIX))


# --- the Python API ---------------------------------------------------------------------


def test_trace_takes_a_path_a_name_a_dict_or_a_scenario() -> None:
    import yaml

    expected = lstm_trace.trace(lstm_trace.load_scenario(GOMEZ)).E
    assert lstm_trace.trace(GOMEZ).E == expected
    assert lstm_trace.trace(str(GOMEZ)).E == expected
    assert lstm_trace.trace("gomez").E == expected
    assert lstm_trace.trace(yaml.safe_load(GOMEZ.read_text())).E == expected


def test_dir_shows_the_public_api() -> None:
    assert dir(lstm_trace) == sorted(lstm_trace.__all__)
    assert {"trace", "load_scenario", "grade", "load_answers"} <= set(dir(lstm_trace))
    assert "Any" not in dir(lstm_trace) and "annotations" not in dir(lstm_trace)


def test_the_wheel_carries_the_examples(tmp_path: Path) -> None:
    """`pip install .` (not only -e) gets the bundled scenarios: they are package data."""
    import zipfile

    from .conftest import ROOT

    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if r.returncode != 0 and "No module named" in r.stderr:
        pytest.skip(f"cannot build a wheel here: {r.stderr.strip().splitlines()[-1]}")
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(Path(n).stem for n in names if n.startswith("lstm_trace/examples/") and n.endswith(".yaml"))
    assert shipped == sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def test_an_error_message_shows_a_hostile_key_escaped(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOMEZ.read_text().replace("optimizer:", '"opt\\e[31m\\u202eimizer":', 1))
    r = invoke("run", path)
    assert r.exit_code == 2 and "\x1b" not in r.output and "\u202e" not in r.output
    assert "opt\\x1b[31m\\u202eimizer: unknown key" in r.output


def test_the_command_line_chooses_one_blas_thread_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trace is a chain of small products; BLAS threads made H=512 3x slower on 2 shared cores."""
    from lstm_trace.__main__ import BLAS_THREADS, main

    for name in (*BLAS_THREADS, "LSTM_TRACE_BLAS_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "4")  # the user's own choice stands
    monkeypatch.setattr(sys, "argv", ["lstm-trace", "--version"])
    with pytest.raises(SystemExit):
        main()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "4"


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-0.1", "1.5"])
def test_carried_credit_is_a_finite_share(value: str) -> None:
    r = invoke("check", HOMEWORK, "--carried-credit", value)
    assert r.exit_code == 2 and "--carried-credit" in r.output


def test_gradescope_options_reach_the_results(tmp_path: Path) -> None:
    import json

    from lstm_trace.cli.check import GRADESCOPE_VISIBILITY
    from lstm_trace.render.report import VISIBILITY

    assert GRADESCOPE_VISIBILITY == VISIBILITY
    out = tmp_path / "results.json"
    r = invoke("check", HOMEWORK, "--gradescope", out, "--hide-expected", "--gradescope-visibility", "after_published")
    assert r.exit_code == 1
    results = json.loads(out.read_text())
    assert results["visibility"] == "after_published" and results["stdout_visibility"] == "hidden"
    assert not any("expected" in test["output"] for test in results["tests"])
    assert any("the decimal point is one place off" in test["output"] for test in results["tests"])
