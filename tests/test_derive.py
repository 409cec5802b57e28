"""The derived backward equations equal the seed's printed forms."""

from __future__ import annotations

import pytest
import sympy as sp

from lstm_trace.render.equations import EquationPrinter
from lstm_trace.symbolic.cells import lstm
from lstm_trace.symbolic.cells.base import D, H, m, q, sigmoid
from lstm_trace.symbolic.derive import derive

MODEL = derive(lstm())
BACK = {e.name: e for e in MODEL.backward}

# Gomez (2016), "The backward components", written in sympy by hand
SEED = {
    "Delta": q("out") - q("label"),
    "dout": q("Delta") + q("Dout"),
    "dstate": q("dout") * q("o") * (1 - sp.tanh(q("state")) ** 2) + q("dstate", 1) * q("f", 1),
    "da": q("dstate") * q("i") * (1 - q("a") ** 2),
    "di": q("dstate") * q("a") * q("i") * (1 - q("i")),
    "df": q("dstate") * q("state", -1) * q("f") * (1 - q("f")),
    "do": q("dout") * sp.tanh(q("state")) * q("o") * (1 - q("o")),
}


@pytest.mark.parametrize("name", sorted(SEED))
def test_elementwise_backward_equals_seed(name):
    assert sp.simplify(BACK[name].expr - SEED[name]) == 0


def test_linear_backward_equals_seed():
    W, U, dgates = m("W", None, 4 * H, D), m("U", None, 4 * H, H), m("dgates", 0, 4 * H)
    for name, want in (("dx", W.T * dgates), ("Dout", U.T * dgates)):
        got = BACK[name].expr
        assert (str(got), got.shape) == (str(want), want.shape)
    assert BACK["Dout"].shift == -1  # Δout_{t-1} = Uᵀ·δgates_t, computed at step t


def test_parameter_gradients_are_outer_products_summed_over_t():
    grads = {e.name: e for e in MODEL.gradients}
    assert str(grads["dW_a"].stacked) == "dgates__0*x__0.T"
    assert str(grads["dU_a"].stacked) == "dgates__0*out__m1.T"
    assert str(grads["db_a"].stacked) == "dgates__0"


def test_no_bias_cell_has_no_bias_gradient():
    assert not any(e.name.startswith("db") for e in derive(lstm(bias=False)).gradients)


def test_derived_equations_are_not_typed_in():
    """Changing a forward equation changes the derived backward one."""
    cell = lstm()
    cell.elementwise["out"] = sp.tanh(q("state")) * q("o") ** 2
    cell = type(cell)(name="lstm-o2", linear=cell.linear, elementwise=cell.elementwise, params=cell.params)
    back = {e.name: e for e in derive(cell).backward}
    assert sp.simplify(back["do"].expr - q("dout") * sp.tanh(q("state")) * 2 * q("o") ** 2 * (1 - q("o"))) == 0


def test_sigmoid_derivative_reads_in_sigma():
    x = sp.Symbol("x")
    assert sp.diff(sigmoid(x), x) == sigmoid(x) * (1 - sigmoid(x))


@pytest.mark.parametrize(
    "name,text",
    [
        ("Delta", "out_t − label_t"),
        ("dout", "Δ_t + Δout_t"),
        ("dstate", "δout_t ⊙ o_t ⊙ (1 − tanh²(state_t)) + δstate_{t+1} ⊙ f_{t+1}"),
        ("da", "δstate_t ⊙ i_t ⊙ (1 − a_t²)"),
        ("di", "δstate_t ⊙ a_t ⊙ i_t ⊙ (1 − i_t)"),
        ("df", "δstate_t ⊙ state_{t-1} ⊙ f_t ⊙ (1 − f_t)"),
        ("do", "δout_t ⊙ tanh(state_t) ⊙ o_t ⊙ (1 − o_t)"),
        ("dx", "Wᵀ·δgates_t"),
        ("Dout", "Uᵀ·δgates_t"),
    ],
)
def test_printed_as_the_seed_writes_it(name, text):
    assert EquationPrinter().doprint(BACK[name].expr) == text


def test_forward_printed_with_preactivation_inlined():
    inline = {q(e.name): e.expr for e in MODEL.linear}
    fwd = {e.name: e for e in MODEL.forward}
    assert EquationPrinter(step=0, inline=inline).doprint(fwd["a"].expr) == "tanh(W_a·x_0 + U_a·out_{-1} + b_a)"
    assert EquationPrinter(step=1).doprint(fwd["state"].expr) == "a_1 ⊙ i_1 + f_1 ⊙ state_0"
    assert EquationPrinter(step=1).doprint(fwd["out"].expr) == "tanh(state_1) ⊙ o_1"


def test_symbolic_work_does_not_depend_on_sizes():
    """The model is built once per cell; nothing in it mentions H, D or T numerically."""
    assert derive(lstm()) is MODEL
    for eq in (*MODEL.forward, *MODEL.backward, *MODEL.gradients):
        assert not any(a.is_Integer and a > 4 for a in eq.expr.atoms(sp.Integer))
