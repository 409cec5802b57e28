"""Print: LaTeX and Markdown typeset the numbers (bmatrix, minus signs in maths), the loss and the warnings;
the documents compile with pdflatex where it is installed, whatever a user wrote in the scenario."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.render.latex import tex_array, tex_prose, tex_text
from lstm_trace.render.latexdoc import typeset

from .conftest import GOMEZ, SCENARIOS, assert_balanced_latex, compile_latex, random_scenario

TR = trace(load_scenario(GOMEZ))
BMATRIX = re.compile(r"\\begin\{bmatrix\} (.*?) \\end\{bmatrix\}")


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.mark.parametrize(
    ("value", "tex"),
    [
        (np.array([-0.01938, -0.00112]), r"\begin{bmatrix} -0.01938 \\ -0.00112 \end{bmatrix}"),  # a column
        (np.array([[0.45, 0.25]]), r"\begin{bmatrix} 0.45 & 0.25 \end{bmatrix}"),  # W_a, 1×2: a row
        (np.array([[1.0, 2.0], [3.0, -4.0]]), r"\begin{bmatrix} 1 & 2 \\ 3 & -4 \end{bmatrix}"),
        (np.array([0.5]), r"\begin{bmatrix} 0.5 \end{bmatrix}"),
        (np.array(-0.25), "-0.25"),
        (np.array([2e-7]), r"\begin{bmatrix} 2.0000 \times 10^{-7} \end{bmatrix}"),
    ],
)
def test_numbers_in_latex(value, tex):
    assert tex_array(value, 5) == tex


def test_long_vectors_and_matrices_keep_their_ends_and_say_what_is_left_out():
    assert tex_array(np.arange(20.0), 2) == (
        r"\begin{bmatrix} 0 \\ 1 \\ 2 \\ 3 \\ 4 \\ 5 \\ \vdots_{(12\text{ more})} \\ 18 \\ 19 \end{bmatrix}"
    )
    m = tex_array(np.arange(200.0).reshape(10, 20), 0)
    rows = BMATRIX.fullmatch(m).group(1).split(r" \\ ")
    assert len(rows) == 5 and rows[2].startswith(r"\vdots_{(6\text{ more})} & \vdots") and r"\ddots" in rows[2]
    assert rows[0].split(" & ")[6] == r"\cdots_{(12\text{ more})}" and rows[-1].endswith("198 & 199")
    assert all(len(r.split(" & ")) == 9 for r in rows)


def _entries(tex: str) -> np.ndarray:
    rows = [r.split(" & ") for r in BMATRIX.fullmatch(tex).group(1).split(r" \\ ")]
    return np.array([[float(c) for c in r] for r in rows])


def test_latex_run_typesets_vectors_and_matrices_with_the_trace_s_numbers():
    tex = invoke("run", GOMEZ, "--format", "latex").output
    assert not re.search(r"\[-?[\d.]+\\ ", tex)  # no more [−0.01938\ −0.00112]: a subtraction to the eye
    lines = tex.splitlines()
    k = lines.index(r"\delta x_{1} &= W^{\top} \cdot \delta \mathrm{gates}_{1} \\")
    w, dgates = BMATRIX.findall(lines[k + 1])
    np.testing.assert_allclose(_entries(rf"\begin{{bmatrix}} {w} \end{{bmatrix}}"), TR["W"].T, atol=5e-6)
    np.testing.assert_allclose(
        _entries(rf"\begin{{bmatrix}} {dgates} \end{{bmatrix}}")[:, 0], TR["dgates_1"], atol=5e-6
    )
    value = BMATRIX.search(lines[k + 2]).group(0)
    np.testing.assert_allclose(_entries(value)[:, 0], TR["dx_1"], atol=5e-6)  # a vector is a column


def test_latex_loss_and_warning_are_typeset():
    tex = invoke("run", GOMEZ, "--format", "latex").output
    assert r"\noindent Loss: $E_{0} = 0.00066$, $E_{1} = 0.11425$; $E = \sum_t E_{t} = 0.11491$\par" in tex
    assert (
        r"\noindent\textbf{warning:} $\mathrm{label}_{1} = 1.25$ is outside ($-1, 1$): "
        r"$\mathrm{out}_{t} = \tanh(\mathrm{state}_{t}) \odot o_{t}$ can never reach it\par"
    ) in tex


def test_markdown_typesets_numbers_loss_and_warning():
    md = invoke("run", GOMEZ, "--format", "markdown").output
    assert "lstm cell, $D=2$, $H=1$, $T=2$, loss l2, sgd $\\lambda=0.1$" in md
    assert r"$\begin{bmatrix} -0.04742 \\ -0.03073 \end{bmatrix}$ |" in md  # δx_1
    assert "Loss: $E_{0} = 0.00066$, $E_{1} = 0.11425$; $E = \\sum_t E_{t} = 0.11491$" in md
    assert "> warning: $\\mathrm{label}_{1} = 1.25$ is outside ($-1, 1$): $\\mathrm{out}_{t}" in md
    assert "[-" not in md


def test_a_long_trace_leaves_out_steps_and_terms_in_maths():
    tr = trace(load_scenario(random_scenario(3, 2, 2, 9)))
    from lstm_trace.render.latexdoc import render_latex_document
    from lstm_trace.render.rows import grouped, loss_parts
    from lstm_trace.render.text import LatexStyle

    tex = render_latex_document(tr, grouped(tr, steps={0, 8}, style=LatexStyle))
    assert r"\cdots_{(5\text{ more terms})}" in tex and "…" not in tex
    terms, total, _ = loss_parts(tr, steps={0, 8}, style=LatexStyle)
    assert terms[1] is None and terms[0].startswith("E_{0} = ") and total.startswith(r"E = \sum_t E_{t} = ")


def test_prose_and_maths_are_told_apart():
    assert tex_prose("label_1 = 1.25 is outside (-1, 1): out_t = tanh(state_t) ⊙ o_t can never reach it") == [
        (True, r"\mathrm{label}_{1} = 1.25"),
        (False, " is outside ("),
        (True, "-1, 1"),
        (False, "): "),
        (True, r"\mathrm{out}_{t} = \tanh(\mathrm{state}_{t}) \odot o_{t}"),
        (False, " can never reach it"),
    ]
    assert tex_prose("δstate_{t+1} is 1e-05") == [(True, r"\delta \mathrm{state}_{t+1}"), (False, " is "),
                                                   (True, r"1 \times 10^{-5}")]  # fmt: skip
    assert tex_prose("so E = Σ_t ⟨dout_t, out_t⟩ of N sequences") == [
        (False, "so "),
        (True, r"E = \sum_{t} \langle \mathrm{dout}_{t}, \mathrm{out}_{t}\rangle "),
        (False, " of "),
        (True, "N"),
        (False, " sequences"),
    ]
    assert typeset("half of x_0 & {y}, 100%") == r"half of $x_{0}$ \& \{y\}, $100$\%"  # prose escaped


def test_text_pdflatex_cannot_set_is_replaced():
    assert tex_text("Θ = [W U], σ ω, é — 中") == r"$\Theta$ = [W U], $\sigma$ $\omega$, é — [U+4E2D]"
    assert tex_text("x − y") == "x $-$ y"  # a true minus sign
    assert tex_text("＄ ＼ ｛") == "[U+FF04] [U+FF3C] [U+FF5B]"  # never a $ or \\ that LaTeX would act on


@pytest.mark.parametrize("name", ["gomez.yaml", "peephole-softmax-adagrad.yaml"])
def test_latex_compiles_with_every_step_and_entry(tmp_path, name):
    compile_latex(invoke("run", SCENARIOS / name, "--format", "latex", "--full").output, tmp_path)


def test_latex_compiles_whatever_the_scenario_s_name_says(tmp_path):
    import yaml

    doc = random_scenario(1, 2, 12, 3)  # H = 12: vectors longer than the 8 shown, matrices elided
    doc["name"] = "Θ-notes: ŋ, Ð, ‹q›, 中文, ✓, ﬁ, `$\\x` & 100%"
    doc["source"] = "Ünïcödé — “quoted” ∑ ∂ α"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    tex = invoke("run", path, "--format", "latex").output
    assert r"$\Theta$-notes" in tex
    compile_latex(tex, tmp_path)


def test_every_character_of_the_latin_and_greek_blocks_compiles(tmp_path):
    text = "".join(chr(c) for c in range(0xA0, 0x400) if chr(c).isprintable())
    tex = "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
    tex += tex_text(text) + "\n\\end{document}\n"
    assert_balanced_latex(tex)
    compile_latex(tex, tmp_path)
