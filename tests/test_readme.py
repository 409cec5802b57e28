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
