"""The README's check example is the tool's real output."""

from __future__ import annotations

import re

from click.testing import CliRunner

from lstm_trace.cli import cli

from .conftest import ROOT, SCENARIOS


def test_readme_check_example_is_real(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    answers = re.search(r"### 4\. Check your answers.*?```yaml\n(.*?)```", text, re.S)[1]
    shown = re.search(r"\$ lstm-trace check scenarios/gomez-homework.yaml answers.yaml --part b\n(.*?)```", text, re.S)[
        1
    ]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "answers.yaml").write_text(answers)
    r = CliRunner().invoke(
        cli,
        ["check", str(SCENARIOS / "gomez-homework.yaml"), "answers.yaml", "--part", "b"],
        env={"COLUMNS": "110"},
    )
    assert r.exit_code == 1
    assert r.output == shown


def _console_blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```console\n\$ lstm-trace (.*?)\n(.*?)```", text, re.S)


def test_readme_console_examples_are_real(monkeypatch):
    import shlex

    monkeypatch.chdir(ROOT)
    checked = 0
    for command, shown in _console_blocks():
        args = shlex.split(command)
        if args[0] in ("check", "gradcheck"):  # check runs on a file made above; gradcheck is shortened
            continue
        r = CliRunner().invoke(cli, args, env={"COLUMNS": "100"})
        assert r.output == shown, command
        checked += 1
    assert checked == 3
