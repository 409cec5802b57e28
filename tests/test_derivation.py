"""derive: the derivation sheet in text and LaTeX, generated from the same sympy graph as run."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from lstm_trace.cli import cli
from lstm_trace.render.latex import tex_name
from lstm_trace.symbolic.cells.base import Ref, logsumexp, q

from .conftest import ROOT, compile_latex

GOLDEN = ROOT / "tests" / "golden" / "derive_lstm.txt"
SOFTMAX = ROOT / "scenarios" / "peephole-softmax-adagrad.yaml"


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


def test_derive_defines_dgates_before_it_is_read():
    lines = invoke("derive", "--cell", "peephole").output.splitlines()
    k = lines.index("  δgates_t   = [δa_t; δi_t; δf_t; δo_t]")
    assert lines[k + 1].startswith("  δx_t") and not any("δgates_t" in line for line in lines[:k])
    tex = invoke("derive", "--format", "latex").output
    assert (
        r"\delta \mathrm{gates}_{t} &= \begin{bmatrix} \delta a_{t} \\ \delta i_{t} \\ \delta f_{t} \\ \delta o_{t} "
        r"\end{bmatrix}" in tex
    )


def test_derive_writes_the_loss_summed_over_the_units():
    lines = invoke("derive").output.splitlines()
    assert "  E_t = Σ_k (out_{t,k} − label_{t,k})²/2" in lines and "  E   = Σ_t E_t" in lines
    out = invoke("derive", "--output-layer", "softmax").output.splitlines()
    assert "  E_t = Σ_k label_{t,k}·(log Σ_j exp(s_{t,j}) − s_{t,k}) = −Σ_k label_{t,k}·log(y_{t,k})" in out
    tex = invoke("derive", "--output-layer", "softmax", "--format", "latex").output
    assert (
        r"E_{t} &= \sum_k \mathrm{label}_{t,k} \cdot (\log \sum_j e^{s_{t,j}} - s_{t,k})"
        r" = -\sum_k \mathrm{label}_{t,k} \cdot \log(y_{t,k}) \\"
    ) in tex
    assert r"E &= \sum_t E_{t}" in tex


def _summed(expr, values: dict[str, np.ndarray]) -> float:
    """Σ_k of one unit's expression, logsumexp(s) being the whole step's."""
    s = values["s"]
    expr = expr.xreplace({logsumexp(q("s")): sp.Float(np.log(np.exp(s).sum()))})
    return sum(float(expr.xreplace({q(n): sp.Float(v[k]) for n, v in values.items()})) for k in range(len(s)))


def test_the_written_losses_are_what_the_engine_and_pytorch_compute():
    """Each form derive prints, summed over the units, equals E_t of the trace and PyTorch's loss (float64)."""
    import torch

    from lstm_trace import load_scenario, trace
    from lstm_trace.render.derivation import loss_forms

    tr = trace(load_scenario(SOFTMAX))
    forms = loss_forms(tr.model, tr.model.loss_eq)
    assert len(forms) == 2
    for t in range(tr.scenario.T):
        values = {n: tr[f"{n}_{t}"] for n in ("s", "y", "label")}
        target = torch.tensor([int(np.argmax(values["label"]))])
        torch_e = torch.nn.functional.cross_entropy(torch.tensor(values["s"][None, :]), target).item()
        for form in forms:
            assert _summed(form, values) == pytest.approx(tr[f"E_{t}"][0], rel=1e-12)
            assert _summed(form, values) == pytest.approx(torch_e, rel=1e-12)
    tr = trace(load_scenario(ROOT / "scenarios" / "gomez.yaml"))
    (form,) = loss_forms(tr.model, tr.model.loss_eq)
    for t in range(tr.scenario.T):
        out, label = torch.tensor(tr[f"out_{t}"]), torch.tensor(tr[f"label_{t}"])
        torch_e = torch.nn.functional.mse_loss(out, label, reduction="sum").item() / 2
        pairs = zip(tr[f"out_{t}"], tr[f"label_{t}"], strict=True)
        e = sum(float(form.xreplace({q("out"): sp.Float(o), q("label"): sp.Float(y)})) for o, y in pairs)
        assert e == pytest.approx(torch_e, rel=1e-12) and e == pytest.approx(tr[f"E_{t}"][0], rel=1e-12)


@pytest.mark.parametrize(
    "options", [("--output-layer", "softmax", "--optimizer", "adagrad"), ("--cell", "peephole", "--no-bias")]
)
def test_every_variant_s_latex_compiles(tmp_path, options):
    compile_latex(invoke("derive", *options, "--format", "latex").output, tmp_path)
