"""The engine's work of all steps at once (numeric/allsteps.py): the input projection before the
recurrence, δx_t after it, δgates_t as rows of one array; the numbers the equations' own, checked
against the equations evaluated step by step and against PyTorch float64 autograd."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from lstm_trace import load_scenario, trace
from lstm_trace.numeric import allsteps
from lstm_trace.numeric.models import compiled, model_for
from lstm_trace.refs import Ref

from .conftest import central_difference, random_scenario


@pytest.mark.parametrize("cell", ["lstm", "peephole", "peephole-previous"])
def test_every_intermediate_is_the_equation_evaluated_step_by_step(cell: str) -> None:
    """z_t (split: U·out_{t-1} in the loop, W·x_t + b before it) is its equation's value, every step,
    to the last bits a reassociated sum changes; δx_t (one product after the loop) likewise; the rows as before."""
    sc = load_scenario(random_scenario(3, D=5, H=4, T=7, cell=cell))
    tr = trace(sc)
    v = tr.values
    W, U, b = v["W"], v["U"], v["b"]
    for t in range(sc.T):
        want = U @ v[f"out_{t - 1}"] + W @ sc.x[t] + b
        np.testing.assert_allclose(v[f"z_{t}"], want, rtol=0, atol=1e-14)
        np.testing.assert_allclose(v[f"dx_{t}"], W.T @ v[f"dgates_{t}"], rtol=0, atol=1e-14)
        assert [r.name for r in tr.rows if r.step == t and r.section == "backward"][-2:] == [f"dx_{t}", f"Dout_{t - 1}"]
    names = list(v)  # the values keep the order they are computed in: δx_t after every step, then the gradients
    assert names.index("Dout_2") < names.index("Delta_2") < names.index("Delta_0") < names.index("dx_3")
    assert names.index("dx_0") < names.index("dx_6") < names.index("dW")


def test_the_input_projection_is_split_from_the_recurrence() -> None:
    sc = load_scenario(random_scenario(1, D=3, H=2, T=2))
    model = model_for(sc)
    linear = compiled(model.linear[0], True)
    parts = allsteps.split(linear, frozenset({"out", "state"}))
    assert parts is not None
    recurrent, inputs = parts
    assert {b for b, _, _ in recurrent.plan} == {"U", "out"}
    assert {b for b, _, _ in inputs.plan} == {"W", "b", "x"}
    assert allsteps.split(linear, frozenset()) is None  # nothing recurrent: the equation stays whole


def test_gate_adjoints_are_rows_of_one_array() -> None:
    """δgates_t is row t of one T×4H array and δa_t … δo_t its slices: a long sequence holds them once."""
    sc = load_scenario(random_scenario(2, D=3, H=4, T=5))
    v = trace(sc).values
    base = v["dgates_0"].base
    assert base is not None and base.shape == (sc.T, 4 * sc.H)
    for t in range(sc.T):
        assert v[f"dgates_{t}"].base is base
        for k, g in enumerate("aifo"):
            assert np.shares_memory(v[f"d{g}_{t}"], v[f"dgates_{t}"])
            np.testing.assert_array_equal(v[f"d{g}_{t}"], v[f"dgates_{t}"][k * sc.H : (k + 1) * sc.H])
    z = [v[f"z_{t}"] for t in range(sc.T)]  # z_t written in place into the input projection's rows
    assert z[0].base is not None and all(zt.base is z[0].base for zt in z)


def test_against_pytorch_autograd() -> None:
    """E, δx_t, Δout_{-1}, δW, δU, δb of a longer sequence against float64 autograd."""
    torch = pytest.importorskip("torch")
    sc = load_scenario(random_scenario(7, D=4, H=3, T=12))
    tr = trace(sc)
    p = {k: torch.tensor(np.asarray(tr[k]), dtype=torch.float64, requires_grad=True) for k in ("W", "U", "b")}
    x = torch.tensor(np.asarray(sc.x), dtype=torch.float64, requires_grad=True)
    h0 = torch.tensor(sc.init_out, dtype=torch.float64, requires_grad=True)
    h, c = h0, torch.tensor(sc.init_state, dtype=torch.float64)
    H, E = sc.H, 0  # noqa: N806 - the maths' names
    for t in range(sc.T):
        z = p["U"] @ h + p["W"] @ x[t] + p["b"]
        a, i, f, o = torch.tanh(z[:H]), *(torch.sigmoid(z[k * H : (k + 1) * H]) for k in (1, 2, 3))
        c = a * i + f * c
        h = o * torch.tanh(c)
        E = E + 0.5 * ((h - torch.tensor(sc.label[t])) ** 2).sum()
    E.backward()
    assert tr.E == pytest.approx(E.item(), abs=1e-12)
    for t in range(sc.T):
        np.testing.assert_allclose(tr[f"dx_{t}"], x.grad[t].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr["Dout_-1"], h0.grad.numpy(), rtol=0, atol=1e-12)
    for name in ("W", "U", "b"):
        np.testing.assert_allclose(tr[f"d{name}"], p[name].grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", ["peephole", "peephole-previous"])
def test_peephole_gradients_by_finite_differences(cell: str) -> None:
    """The split input projection and the deferred δx_t hold for a cell whose gates also read the state."""
    sc = load_scenario(random_scenario(5, D=3, H=2, T=9, cell=cell))
    tr = trace(sc)
    for name in ("W_a", "W_o", "U_f", "b_i"):
        if name in sc.params:
            idx = (0,) * np.ndim(sc.params[name])
            assert tr[f"d{name}"][idx] == pytest.approx(central_difference(sc, name, idx), abs=1e-8)


@pytest.mark.parametrize(
    ("cell", "option", "layers", "bidirectional"),
    [
        ("gru", "after", 1, False),
        ("gru", "before", 1, False),
        ("rnn", "tanh", 1, False),
        ("rnn", "relu", 2, True),
        ("lstm", "", 2, False),
        ("lstm", "", 2, True),
    ],
)
def test_products_made_for_all_steps_at_once_are_their_equations_to_rounding(
    cell: str, option: str, layers: int, bidirectional: bool
) -> None:
    """A forward product's terms that read nothing the pass makes (a GRU's W_g·x_t + b_g; the upper layer's
    W·out_t of the layer below, made by an earlier sweep) are one product over all steps before the loop
    (allsteps.hoisted), δx_t one after it (allsteps.later), the products of one vector one product of their
    matrices stacked (products.py): each such row is its equation evaluated alone to within the products'
    rounding, n·ε·Σ|terms|, n the terms summed; every other row bit for bit."""
    from lstm_trace.numeric.engine import _runs
    from lstm_trace.numeric.generate import Spec, scenario_text
    from lstm_trace.numeric.models import apply, fetcher

    spec = Spec(D=3, H=4, T=5, seed=2, cell=cell, option=option, layers=layers, bidirectional=bidirectional, decimals=4)
    tr = trace(load_scenario(yaml.safe_load(scenario_text(spec))))
    model, sc, v = tr.model, tr.scenario, tr.values
    if not model.sweeps:
        made = frozenset(eq.name for eq in (*model.forward, *model.head))
        assert allsteps.hoisted(_runs((*model.forward, *model.head)).calls, made)  # not void: some are hoisted
    fetch, size = fetcher(v, sc), fetcher({k: np.abs(x) for k, x in v.items()}, sc)
    products = 0
    for row in tr.rows:
        if row.step is None or row.equation is None:
            continue
        alone = np.asarray(apply(row.equation, fetch, row.step, sc.T), dtype=np.float64)
        if row.equation.kind == "linear":
            plan = compiled(row.equation).plan  # type: ignore[attr-defined]
            n = sum(np.size(fetch(Ref(b, s), row.step)) for b, s, _ in plan if s is not None) + len(plan)
            bound = n * np.finfo(np.float64).eps * np.asarray(apply(row.equation, size, row.step, sc.T))
            assert np.all(np.abs(v[row.name] - alone) <= bound), row.name
            products += 1
        else:
            assert np.asarray(v[row.name]).tobytes() == alone.tobytes(), row.name
    assert products >= 2 * sc.T
