"""Each equation's slips, compiled at derive time (symbolic/slipcode.py): printed as the sympy printer
prints them, and made in every part of a composite answer (δgates_t, W^new) that has them."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from lstm_trace import load_scenario, trace
from lstm_trace.numeric.models import slips_for
from lstm_trace.refs import ref_of
from lstm_trace.render.equations import EquationPrinter
from lstm_trace.render.report import message
from lstm_trace.render.text import Style
from lstm_trace.scenario.examples import path_of
from lstm_trace.symbolic.cells.base import shifted
from lstm_trace.symbolic.rewrites import expression_slips

from .test_causes import TR, P, check, printed, v, vec

GATES = "aifo"


@pytest.mark.parametrize("example", ["gomez", "peephole-softmax-adagrad"])
def test_a_slips_words_are_the_sympy_printers(example):
    """Every term, rewrite and moved input reads as EquationPrinter prints the sympy expression, at a step."""
    sc = load_scenario(path_of(example))
    seen = 0
    for (eq, stacked), form in slips_for(sc).items():
        expr = eq.stacked if stacked else eq.expr
        said = EquationPrinter(step=1).doprint
        assert form.whole.fill(Style(1)) == said(expr)
        if isinstance(expr, sp.Add | sp.MatAdd):
            assert [t.term.fill(Style(1)) for t in form.terms] == [said(t) for t in expr.args]
        made = [(kind, fields) for kind, fields, r in expression_slips([expr]) if r(expr) != expr]
        assert [r.kind for r in form.rewrites] == [kind for kind, _ in made]
        for r, (_, fields) in zip(form.rewrites, made, strict=True):
            mine = dict(r.fields)
            assert {k: x.fill(Style(1)) if hasattr(x, "fill") else x for k, x in mine.items()} == {
                k: said(x) if isinstance(x, sp.Basic) else x for k, x in fields.items()
            }
        atoms = sorted((a for a in expr.atoms(sp.Symbol, sp.MatrixSymbol) if ref_of(a).shift is not None), key=str)
        for m in form.moves:
            sym = next(a for a in atoms if ref_of(a).base == m.base)
            assert (m.term.fill(Style(1)), m.used.fill(Style(1))) == (said(sym), said(shifted(sym, m.k)))
            assert m.used_ref == ref_of(shifted(sym, m.k))
        seen += len(form.terms) + len(form.rewrites) + len(form.moves)
    assert seen > 50


def _dgates_0() -> str:
    """δgates_0 with δa_0's factor 1 − a_0² written 1 − a_0 (only the first part has the slip)."""
    dg = np.concatenate([TR.values[f"d{g}_0"] for g in GATES])
    dg[0] = v("dstate_0") * v("i_0") * (1 - v("a_0"))
    return vec(dg)


@pytest.mark.parametrize(
    ("name", "text", "kind", "words"),
    [
        ("dgates_0", _dgates_0(), "derivative", "the derivative of tanh is 1 − a_0², not 1 − a_0"),
        (
            "W_new",
            vec(np.vstack([P[f"W_{g}"] - 0.01 * TR.values[f"dW_{g}"] for g in GATES])),
            "wrong-lr",
            "λ = 0.01 was used; the scenario's is 0.1",
        ),
        (
            "U_new",
            vec(np.vstack([P[f"U_{g}"] - TR.values[f"dU_{g}"] for g in GATES])),
            "missing-lr",
            "λ is left out: p^new = p − λ·δp",
        ),
        (
            "b_new",
            vec(np.concatenate([P[f"b_{g}"] + 0.1 * TR.values[f"db_{g}"] for g in GATES])),
            "update-sign",
            "+ for − in the update: p^new = p − λ·δp, a step against the gradient",
        ),
    ],
)
def test_a_slip_in_a_composite_answer_is_made_in_each_part_that_has_it(name, text, kind, words):
    bad = [x for x in check(printed(**{name: text})).verdicts if x.verdict != "correct"]
    assert [(x.name, x.verdict) for x in bad] == [(name, "wrong")]
    assert bad[0].cause.kind == kind
    assert message(bad[0], 5).startswith(words)


def test_the_table_covers_every_equation_a_check_evaluates():
    sc = load_scenario(path_of("gomez"))
    table = slips_for(sc)
    model = trace(sc).model
    assert set(table) == set(model.forms())
