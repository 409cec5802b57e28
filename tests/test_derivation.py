"""derive: the derivation sheet in text and LaTeX, generated from the same sympy graph as run."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lstm_trace.cli import cli
from lstm_trace.render.latex import tex_name
from lstm_trace.symbolic.cells.base import Ref

from .conftest import ROOT, compile_latex

GOLDEN = ROOT / "tests" / "golden" / "derive_lstm.txt"


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_derive_text_snapshot():
    r = invoke("derive")
    assert r.exit_code == 0
    if not GOLDEN.exists():  # pragma: no cover - first run writes it, then review and commit
        GOLDEN.write_text(r.output)
    assert r.output == GOLDEN.read_text()


def test_derive_text_is_the_seeds_derivation():
    out = invoke("derive").output
    for line in [
        "  δstate_t   = δout_t ⊙ o_t ⊙ (1 − tanh²(state_t)) + δstate_{t+1} ⊙ f_{t+1}",
        "  δa_t       = δstate_t ⊙ i_t ⊙ (1 − a_t²)",
        "  δx_t       = Wᵀ·δgates_t",
        "  Δout_{t-1} = Uᵀ·δgates_t",
        "  δW = Σ_t δgates_t ⊗ x_t",
        "  W^new = W − λ·δW",
    ]:
        assert line in out.splitlines(), line


def test_derive_without_bias():
    out = invoke("derive", "--no-bias").output
    assert "tanh(W_a·x_t + U_a·out_{t-1})" in out and "δb" not in out and "b^new" not in out


@pytest.mark.parametrize(
    "ref, step, tex",
    [
        (Ref("dstate", 1), None, r"\delta \mathrm{state}_{t+1}"),
        (Ref("Dout", -1), None, r"\Delta \mathrm{out}_{t-1}"),
        (Ref("Delta", 0), 3, r"\Delta_{3}"),
        (Ref("W_a", None), None, "W_{a}"),
        (Ref("dW", None), None, r"\delta W"),
        (Ref("lr", None), None, r"\lambda"),
        (Ref("x", 0), None, "x_{t}"),
    ],
)
def test_latex_names(ref, step, tex):
    assert tex_name(ref, step) == tex


def test_latex_document_is_balanced_and_compiles(tmp_path):
    tex = invoke("derive", "--format", "latex").output
    assert tex.startswith(r"\documentclass{article}") and tex.rstrip().endswith(r"\end{document}")
    assert (
        r"\delta \mathrm{state}_{t} &= \delta \mathrm{out}_{t} \odot o_{t} \odot (1 - \tanh^{2}(\mathrm{state}_{t}))"
        in tex
    )
    compile_latex(tex, tmp_path)


def test_derive_adagrad():
    lines = invoke("derive", "--optimizer", "adagrad").output.splitlines()
    assert "  cache_W^new = cache_W + δW²" in lines
    assert "  W^new       = W − λ·δW/√(cache_W^new + ε)" in lines
    tex = invoke("derive", "--optimizer", "adagrad", "--format", "latex").output
    assert (
        r"W^{\mathrm{new}} &= W - \lambda \cdot \delta W/\sqrt{\mathrm{cache}_{W}^{\mathrm{new}} + \varepsilon}" in tex
    )
