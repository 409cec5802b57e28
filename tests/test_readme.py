"""The README is true: every command it shows runs, from a directory outside the source tree, and every
output it shows is the tool's real output.

The blocks are taken in order, in one working directory, as a reader would type them:
- ```yaml whose first line is `# file: NAME` is written to NAME;
- ```sh: each lstm-trace command runs and exits 0 (1 allowed for check, which grades answers);
  the set-up lines (pip, python -m pytest) are what CI itself runs;
- ```console: after each `$ command`, the lines up to the next `$` are exactly what it prints
  (stdout and stderr), with COLUMNS=100 unless the command sets it;
- ```pycon: a doctest.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)
SETUP = ("pip ", "python -m pytest", "cd ")


def _blocks() -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in BLOCK.finditer(README)]


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)  # where pip put lstm-trace
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _console(body: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    pairs: list[tuple[str, str]] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("$ "):
            pairs.append((line[2:].rstrip("\n"), ""))
        else:
            assert pairs, f"output before any command in a console block: {line!r}"
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + line)
    return pairs


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    """Every block run in order in one directory outside the source tree: (kind, command, problem) per command."""
    cwd = tmp_path_factory.mktemp("reader")
    results = []
    for kind, body in _blocks():
        if kind == "yaml" and body.startswith("# file: "):
            name, _, text = body.partition("\n")
            (cwd / name.removeprefix("# file: ").strip()).write_text(text)
        elif kind == "sh":
            for line in body.splitlines():
                command = line.split(" #")[0].strip()
                if command.startswith("pip ") and "&& " in command:  # set-up && the command it sets up for
                    command = command.split("&& ", 1)[1]
                if not command or command.startswith(SETUP) or "lstm-trace" not in command:
                    continue
                r = _shell(command, cwd)
                allowed = (0, 1) if " check " in f" {command} " else (0,)
                problem = "" if r.returncode in allowed else f"exit {r.returncode}: {r.stdout}{r.stderr}"
                results.append(("sh", command, problem))
        elif kind == "console":
            for command, shown in _console(body):
                r = _shell(command, cwd)
                printed = r.stdout + r.stderr
                results.append(("console", command, "" if printed == shown else f"printed:\n{printed}"))
        elif kind == "pycon":
            test = doctest.DocTestParser().get_doctest(body, {}, "README", "README.md", 0)
            runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
            here = os.getcwd()
            os.chdir(cwd)
            try:
                out: list[str] = []
                runner.run(test, out=out.append)
            finally:
                os.chdir(here)
            results.append(("pycon", body.splitlines()[0], "".join(out)))
    return results


def test_every_readme_command_runs_and_prints_what_the_readme_shows(walkthrough: list[tuple[str, str, str]]) -> None:
    problems = [f"{kind}: {command}\n{problem}" for kind, command, problem in walkthrough if problem]
    assert not problems, "\n\n".join(problems)


def test_the_readme_shows_enough() -> None:
    kinds = [kind for kind, _ in _blocks()]
    commands = [c for kind, body in _blocks() if kind == "console" for c, _ in _console(body)]
    commands += [line for kind, body in _blocks() if kind == "sh" for line in body.splitlines()]
    assert kinds.count("console") >= 8 and kinds.count("pycon") == 1
    for verb in ("run", "check", "template", "explain", "derive", "check-formula", "gradcheck", "new", "examples"):
        assert any(re.search(rf"lstm-trace {verb}( |$)", c) for c in commands), verb


def test_the_quick_start_is_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = [body.strip() for kind, body in BLOCK.findall(quick) if kind == "sh"]
    assert blocks[:2] == [
        "pip install . && lstm-trace run gomez",
        "pip install -e '.[test]' && python -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install --quiet -e '.[test]'" in ci and "\npython -m pytest\n" in ci
