"""Worked-solution documents: LaTeX (complete, balanced, compiled where pdflatex exists), Markdown with
$…$ maths, and the rich tables recorded as HTML and SVG."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.render.latex import tex_text

from .conftest import GOMEZ, SCENARIOS, assert_balanced_latex, compile_latex


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_latex_document():
    tex = invoke("run", GOMEZ, "--format", "latex").output
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert_balanced_latex(tex)
    lines = tex.splitlines()
    want = (
        r"\delta \mathrm{state}_{1} &= \delta \mathrm{out}_{1} \odot o_{1} \odot (1 - \tanh^{2}(\mathrm{state}_{1}))"
        r" + \delta \mathrm{state}_{2} \odot f_{2} \\"
    )
    k = lines.index(want)
    assert lines[k + 1] == r"&= -0.47802 \times 0.84993 \times (1 - \tanh^{2}(1.51763)) + 0 \times 0 \\"
    assert lines[k + 2] == r"&= -0.07111 \\"
    assert r"\subsection*{Update: SGD, $\lambda$ = 0.1}" in tex
    assert r"\Delta \mathrm{out}_{1} &= 0 && \text{(no later step)}" in tex
    assert "λ" not in tex and "⊙" not in tex and "δ" not in tex  # pdflatex needs no unicode


@pytest.mark.parametrize("scenario", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_latex_compiles(tmp_path, scenario):
    compile_latex(invoke("run", scenario, "--format", "latex").output, tmp_path)


def test_tex_text_escapes_specials_and_unicode():
    assert tex_text("a_b & 50% #1 {x} λ ⊙ \\ ^ ~") == (
        r"a\_b \& 50\% \#1 \{x\} $\lambda$ $\odot$ \textbackslash{} \^{} \~{}"
    )


def test_markdown_has_maths():
    md = invoke("run", GOMEZ, "--format", "markdown").output
    assert "| $a_{0}$ | $\\tanh(W_{a} \\cdot x_{0} + U_{a} \\cdot \\mathrm{out}_{-1} + b_{a})$ |" in md
    assert "| $\\Delta \\mathrm{out}_{1}$ | $0$ | (no later step) | $0$ |" in md


@pytest.mark.parametrize("fmt, head", [("html", "<!DOCTYPE html>"), ("svg", "<svg")])
def test_html_and_svg_record_the_tables(tmp_path, fmt, head):
    out = tmp_path / f"solution.{fmt}"
    assert invoke("run", GOMEZ, "--format", fmt, "-o", out).exit_code == 0
    text = out.read_text()
    assert text.lstrip().startswith(head)
    assert "0.81775" in text and "Forward" in text


@pytest.mark.parametrize("name", ["gomez.yaml", "peephole-softmax-adagrad.yaml"])
def test_json_written_in_pieces_is_the_same_document(name: str) -> None:
    """The CLI streams JSON (a big trace's is tens of MB); pieces of any size join to render_json's text."""
    from lstm_trace.render.jsonout import json_chunks, render_json
    from lstm_trace.render.rows import grouped

    tr = trace(load_scenario(SCENARIOS / name))
    groups = grouped(tr)
    whole = render_json(tr, groups)
    for size in (1, 100, 1 << 20):
        assert "".join(json_chunks(tr, groups, size)) == whole
    values = json.loads(whole)["values"]
    # every quantity, stacks and slices too, each as the trace holds it
    assert set(values) == set(tr.values)
    for name, v in tr.values.items():
        np.testing.assert_array_equal(np.asarray(values[name]), v, err_msg=name)
