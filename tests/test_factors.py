"""A backward step's factors that read only the forward pass, made for all steps before its loop
(numeric/factors.py), and the grouping of those factors in each backward equation's code (symbolic/fusing.py)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from lstm_trace import trace
from lstm_trace.numeric import engine, factors
from lstm_trace.numeric.models import compiled
from lstm_trace.scenario.examples import names


def _backward_split(name: str) -> tuple:
    tr = trace(name)
    calls = engine._runs(tr.model.backward).calls
    moving = frozenset(eq.name for _, eqs in calls for eq in eqs)
    splits = [factors.factored(c, moving) for c, _ in calls]
    return tr, [s for s in splits if s is not None]


def _params(source: str) -> list[str]:
    fn = ast.parse(source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    return [a.arg for a in fn.args.args]


def test_an_lstms_backward_step_is_a_few_products_of_factors_made_before_the_loop() -> None:
    """The worked example's backward step: Δ_t = out_t - label_t, tanh(state_t) and the five factors of the
    forward pass (o_t(1 - tanh² state_t), i_t(1 - a_t²), …) are made for all steps before the loop; a step
    reads Δout_t, δstate_{t+1} and f_{t+1} beside them, and calls no tanh."""
    _, (split,) = _backward_split("gomez")
    step = _params(split.step.source)
    assert step[:3] == ["Dout__0", "dstate__1", "f__1"] and len(step) == 3 + split.count
    assert "tanh" not in split.step.source and "tanh" in split.before.source
    assert "Delta__0" in step  # Δ_t reads nothing the backward pass makes: made whole before the loop
    body = ast.parse(split.step.source).body[0].body  # type: ignore[attr-defined]
    products = sum(isinstance(n, ast.BinOp) for st in body for n in ast.walk(st))
    assert products == 8  # δout, δstate (three), δa, δi, δf, δo: against 26 numpy calls of the step unsplit


def test_a_backward_equation_groups_its_factors_of_the_forward_pass() -> None:
    """δa_t = δstate_t ⊙ i_t ⊙ (1 - a_t²) is evaluated as δstate_t ⊙ (i_t ⊙ (1 - a_t²)), alone as fused (so every
    value is its equation's own, bit for bit)."""
    model = trace("gomez").model
    da = next(eq for eq in model.backward if eq.name == "da")
    assert "dstate__0 * (i__0 * (1 - a__0 ** 2))" in compiled(da).source


def _generated(**kw: object) -> object:
    from lstm_trace.numeric.generate import Spec, scenario_text
    from lstm_trace.scenario.load import from_document
    from lstm_trace.scenario.yamlio import parse

    return from_document(parse(scenario_text(Spec(**kw)), "r.yaml"))  # type: ignore[arg-type]


STACKED_SOFTMAX = {"D": 3, "H": 2, "T": 4, "seed": 1, "layers": 2, "output": "softmax"}


@pytest.mark.parametrize("name", [*names(), "stacked-softmax"])
def test_no_factor_reads_a_function_over_all_units_or_a_product(name: str) -> None:
    """What is made on the steps stacked as rows is entry by entry: a softmax, a sum over the units or a
    matrix product (a stacked network's output layer's Vᵀ·δy_t) read on those rows would mix the steps (or
    not line up at all), so none is a factor; and the trace with them made so is PyTorch's (test_new_layers)."""
    sc = _generated(**STACKED_SOFTMAX) if name == "stacked-softmax" else name
    tr = trace(sc)
    splits = []
    for eqs in engine.sweeps.by_layer(tr.model.backward, tr.scenario, links_down=False) or [tr.model.backward]:
        calls = engine._runs(eqs).calls
        moving = frozenset(eq.name for _, e in calls for eq in e)
        splits += [s for s in (factors.factored(c, moving) for c, _ in calls) if s is not None]
    assert splits or name == "stacked-softmax"
    for split in splits:
        fn = ast.parse(split.before.source).body[0]
        nodes = list(ast.walk(fn))
        assert not any(isinstance(n, ast.Attribute | ast.Subscript) for n in nodes), split.before.source
        called = {n.func.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not called & {"softmax", "logsumexp", "unitsum"}


def test_factors_of_steps_that_do_not_stack_are_made_step_by_step() -> None:
    """Where the steps' values are not one shape (a batch's matrices beside a boundary's vector), each step's
    factors are made alone: the same values as the stacked rows give."""
    tr, (split,) = _backward_split("gomez")
    sc, values = tr.scenario, dict(tr.values)
    stacked = factors.every(split.before, split.count, values, sc, 0, sc.T)
    assert all(isinstance(s, np.ndarray) and len(s) == sc.T for s in stacked)
    values["o_0"] = np.asarray(values["o_0"])[:, None] * [1.0, 1.0]  # step 0's as a matrix: no longer one shape
    each = factors.every(split.before, split.count, values, sc, 0, sc.T)
    assert all(isinstance(e, list) and len(e) == sc.T for e in each)
    for s, e in zip(stacked, each, strict=True):
        assert e[1].tobytes() == s[1].tobytes()  # step 1's, alone and among the rows
    assert sum(e[0].ndim == 2 for e in each) == 2  # step 0's that read o_0: o_0(1 - tanh² state_0), o_0(1 - o_0)tanh


def test_a_factor_read_before_its_value_is_made_is_a_bug_not_a_zero() -> None:
    """A value within the sequence that is not there when the loop starts would be read as the zeros beyond the
    sequence's ends: it stops the trace as a bug instead."""
    tr, (split,) = _backward_split("gomez")
    values = dict(tr.values)
    del values["o_1"]
    with pytest.raises(AssertionError, match="o_1"):
        factors.every(split.before, split.count, values, tr.scenario, 0, tr.scenario.T)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "peephole"])
def test_factors_on_the_stacked_rows_are_each_steps_own_bit_for_bit(cell: str) -> None:
    """Stacked rows of any length evaluate as each step alone, where the SIMD loops' tails fall elsewhere
    (H=13, T=37): every factor of every step, against before evaluated on that step's values alone."""
    tr = trace(_generated(D=5, H=13, T=37, seed=3, cell=cell, output="softmax" if cell == "peephole" else "none"))
    calls = engine._runs(tr.model.backward).calls
    moving = frozenset(eq.name for _, eqs in calls for eq in eqs)
    (split,) = [s for s in (factors.factored(c, moving) for c, _ in calls) if s is not None]
    rows = factors.every(split.before, split.count, dict(tr.values), tr.scenario, 0, tr.scenario.T)
    for t in range(tr.scenario.T):
        alone = split.before.fn(*(tr.value_at(a.ref, t) for a in split.before.args))
        assert all(np.asarray(a).tobytes() == r[t].tobytes() for a, r in zip(alone, rows, strict=True)), t


def test_windows_cover_the_steps_in_blocks_either_way_the_loop_walks() -> None:
    """A step's factors are made with its block of factors.STEPS steps: the same blocks going back or forward."""
    T = 2 * factors.STEPS + 44  # noqa: N806 - the maths' name
    seen = [factors.window(t, T) for t in range(T)]
    assert seen == [factors.window(t, T) for t in reversed(range(T))][::-1]
    assert sorted(set(seen)) == [(0, 128), (128, 256), (256, T)] and factors.STEPS == 128
    assert all(lo <= t < hi for t, (lo, hi) in enumerate(seen))


@pytest.mark.parametrize(
    "kw",
    [
        {"cell": "lstm"},
        {"cell": "gru"},
        {"cell": "peephole", "output": "softmax"},
        {"cell": "lstm", "bidirectional": True},  # the reverse direction's backward pass walks the steps forward
        {"cell": "lstm", "layers": 2},
    ],
    ids=lambda kw: "-".join(str(v) for v in kw.values()),
)
def test_a_sequence_of_several_windows_is_the_call_by_call_walks(kw: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """T = 300: factors made in three windows, the last a part one; every value bit for bit the walk's."""
    from lstm_trace.numeric.generate import Spec, scenario_text
    from lstm_trace.scenario.yamlio import parse

    from .test_stepcode import _same

    _same(parse(scenario_text(Spec(D=2, H=3, T=2 * factors.STEPS + 44, seed=5, **kw)), "w.yaml").data, monkeypatch)


def test_a_long_sequences_factors_are_never_all_held() -> None:
    """Going back over T = 2000 steps, the memory beyond what the trace keeps is a few windows' factors, not
    the factors of all steps (each of those alone: T·H·8 bytes)."""
    import tracemalloc

    sc = _generated(D=2, H=64, T=2000, seed=1)
    trace(sc)  # the model and its loops built first
    tracemalloc.start()
    try:
        tr = trace(sc)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one = tr.scenario.T * tr.scenario.H * 8  # one factor of all steps
    assert peak - kept < 2 * one, (peak - kept) / one
