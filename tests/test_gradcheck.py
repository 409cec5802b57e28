"""gradcheck: finite differences agree with every traced gradient, and catch a corrupted one."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.numeric.gradcheck import gradcheck

from .conftest import GOMEZ, SCENARIOS, random_scenario


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_every_gradient_of_the_worked_example_agrees():
    checks = gradcheck(trace(load_scenario(GOMEZ)))
    assert [c.name for c in checks][:3] == ["dW_a", "dU_a", "dW_i"]
    assert {c.name for c in checks} >= {"db_o", "dx_0", "dx_1", "Dout_-1"}
    assert all(c.ok for c in checks) and max(c.max_abs for c in checks) < 1e-9


@pytest.mark.parametrize("name, index", [("dW_f", (0, 1)), ("dx_1", (0,)), ("Dout_-1", (0,)), ("db_a", (0,))])
def test_a_corrupted_gradient_is_caught(name, index):
    tr = trace(load_scenario(GOMEZ))
    values = dict(tr.values)
    bad = np.array(values[name], dtype=np.float64)
    bad[index] += 1e-4
    bad_trace = replace(tr, values=MappingProxyType({**values, name: bad}))
    failed = [c.name for c in gradcheck(bad_trace) if not c.ok]
    assert failed == [name]


def test_larger_scenario_with_sampling():
    tr = trace(load_scenario(random_scenario(4, 3, 4, 5, bias=False)))
    checks = gradcheck(tr, max_entries=3)
    assert all(c.ok for c in checks) and max(c.entries for c in checks) == 3
    assert not any(c.name.startswith("db") for c in checks)


def test_cli_table_json_and_exit_codes():
    r = invoke("gradcheck", GOMEZ, env={"COLUMNS": "120"})
    assert r.exit_code == 0
    assert "│ δW_a      │ W_a       │       2 │" in r.output and "✓ agrees" in r.output
    data = json.loads(invoke("gradcheck", GOMEZ, "--format", "json").output)
    assert data["ok"] is True and len(data["checks"]) == 15
    r = invoke("gradcheck", GOMEZ, "--step", "10")  # a step far too large to agree
    assert r.exit_code == 1 and "✗ differs" in r.output


@pytest.mark.parametrize("scenario", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_gradcheck_passes_on_every_scenario(scenario):
    """Every scenario with a loss agrees (a batch's E sums its sequences, a given final δstate adds
    ⟨δstate_T, state_{T-1}⟩); one without a loss has nothing to check, and says so."""
    r = invoke("gradcheck", scenario)
    if load_scenario(scenario).loss == "none":
        assert r.exit_code == 2 and "no loss (loss: none)" in r.output
    else:
        assert r.exit_code == 0, r.output


def test_a_long_sequence_is_checked_honestly_and_cheaply(tmp_path, monkeypatch):
    """T=96, E ≈ 920: at a fixed h = 1e-6 the loss's rounding made 3 false mismatches; the step now
    grows as ∛|E| and a doubtful entry carries its Richardson error estimate. The inputs x_0 … x_95
    share one budget of entries, and every entry is a pair of columns of one forward pass: no pass
    of its own."""
    from lstm_trace import load_scenario, trace
    from lstm_trace.numeric import gradcheck as fd

    path = tmp_path / "m.yaml"
    assert invoke("new", "--input", 16, "--hidden", 64, "--length", 96, "--seed", 4, "-o", path).exit_code == 0
    tr = trace(load_scenario(path))
    assert tr.E > 500
    calls, passes = [], []
    real_loss, real_differences = fd.loss, fd.differences
    monkeypatch.setattr(fd, "loss", lambda sc: calls.append(1) or real_loss(sc))
    monkeypatch.setattr(
        fd, "differences", lambda sc, nudges: passes.append(len(nudges)) or real_differences(sc, nudges)
    )
    checks = fd.gradcheck(tr, max_entries=2)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    inputs = sum(c.entries for c in checks if c.name.startswith("dx_"))
    assert inputs == 2 and sum(c.entries for c in checks) == 2 * 13 + 2  # 12 parameters, out_-1, the inputs
    assert calls == [] and passes[0] == 2 * 28 and len(passes) <= 2
    assert fd.step_for(tr, 1e-6) > 9e-6


def test_the_inputs_budget_spans_the_sequence_from_end_to_end(tmp_path):
    """The inputs' entries come one from each stretch of the sequence, the first from x_0 and the
    last from x_{T-1} (where a wrong boundary, out_{-1} or Δout_{T-1} = 0, shows)."""
    tr = trace(load_scenario(random_scenario(3, 2, 3, 40)))
    steps = [int(c.name[3:]) for c in gradcheck(tr, max_entries=8) if c.name.startswith("dx_")]
    assert steps[0] == 0 and steps[-1] == 39 and len(steps) == 8
    assert all(j * 40 // 8 - 1 <= t < (j + 1) * 40 // 8 + 1 for j, t in enumerate(steps))


SINGLE = [p for p in sorted(SCENARIOS.glob("*.yaml")) if not load_scenario(p).batch]


@pytest.mark.parametrize("scenario", SINGLE, ids=lambda p: p.name)
def test_the_nudged_columns_are_the_loss_of_each_nudged_scenario(scenario):
    """Column k of the one batched pass is exactly the scenario with entry k moved, as engine.loss
    computes it on its own (every parameter, an input at each end, out_-1)."""
    from lstm_trace.numeric.engine import loss
    from lstm_trace.numeric.nudged import Nudge, differences

    sc = replace(load_scenario(scenario), iterations=1)
    rng = np.random.default_rng(1)
    nudges, expected = [], []
    moved = [
        (p, v, lambda a, p=p: replace(sc, params=MappingProxyType({**sc.params, p: a}))) for p, v in sc.params.items()
    ]
    for t in (0, sc.T - 1):
        moved.append((f"x_{t}", sc.x[t], lambda a, t=t: replace(sc, x=np.vstack([*sc.x[:t], a, *sc.x[t + 1 :]]))))
    if "out" in sc.shape.recurrent:  # (stacked layers start from zeros: no out_-1 is read)
        moved.append(("out_-1", sc.init_out, lambda a: replace(sc, init_out=a)))
    for of, value, rebuild in moved:
        i = tuple(int(rng.integers(0, n)) for n in value.shape)
        pair = []
        for by in (1e-3, -1e-3):
            a = np.array(value, dtype=np.float64)
            a[i] += by
            nudges.append(Nudge(of, i, by))
            pair.append(loss(rebuild(a)))
        expected.append(pair[0] - pair[1])
    got = differences(sc, nudges)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-14) and np.all(np.abs(got) > 0)


def test_a_model_the_batched_pass_cannot_nudge_is_checked_entry_by_entry(monkeypatch):
    from lstm_trace.numeric import gradcheck as fd
    from lstm_trace.numeric.nudged import Unbatchable

    def refuse(sc, nudges):
        raise Unbatchable("a nudged matrix on the right of a product")

    monkeypatch.setattr(fd, "differences", refuse)
    calls = []
    real = fd.loss
    monkeypatch.setattr(fd, "loss", lambda sc: calls.append(1) or real(sc))
    checks = fd.gradcheck(trace(load_scenario(GOMEZ)))
    assert all(c.ok for c in checks) and len(calls) == 2 * sum(c.entries for c in checks)


def test_no_false_mismatch_at_t_512(tmp_path):
    """T = 512 (E in the thousands): every sampled gradient agrees at the default options."""
    path = tmp_path / "long.yaml"
    assert invoke("new", "--input", 8, "--hidden", 16, "--length", 512, "--seed", 9, "-o", path).exit_code == 0
    tr = trace(load_scenario(path))
    assert tr.E > 1000
    checks = gradcheck(tr, max_entries=6)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_a_wrong_gradient_still_differs(monkeypatch):
    from lstm_trace import load_scenario, trace
    from lstm_trace.numeric.gradcheck import gradcheck

    tr = trace(load_scenario(GOMEZ))
    values = dict(tr.values)
    values["dU_f"] = values["dU_f"] * 1.001  # a 0.1 % slip in one gradient
    import dataclasses
    from types import MappingProxyType

    checks = gradcheck(dataclasses.replace(tr, values=MappingProxyType(values)))
    assert [c.name for c in checks if not c.ok] == ["dU_f"]


@pytest.mark.parametrize(
    "kw", [{"cell": "peephole"}, {"cell": "peephole-previous", "bias": False}, {"K": 3}, {"cell": "peephole", "K": 4}]
)
def test_every_variant_is_checked_in_the_batched_pass(kw, monkeypatch):
    """Peepholes (P ⊙ state, elementwise), a softmax head (V·out + c, softmax over axis 0): all nudged as
    columns, none entry by entry, and all agree."""
    from lstm_trace.numeric import gradcheck as fd

    calls = []
    monkeypatch.setattr(fd, "loss", lambda sc: calls.append(1))
    tr = trace(load_scenario(random_scenario(7, 3, 5, 30, **kw)))
    checks = fd.gradcheck(tr, max_entries=5)
    assert all(c.ok for c in checks) and calls == []
    names = {c.name for c in checks}
    assert ("dP_i" in names) == kw.get("cell", "").startswith("peephole") and ("dV" in names) == ("K" in kw)


def test_max_entries_0_checks_every_entry_in_python_as_on_the_command_line():
    """The command line's --max-entries 0 means every entry; gradcheck(tr, max_entries=0) did none of them."""
    from lstm_trace import trace as run_trace
    from lstm_trace.numeric.gradcheck import gradcheck as check_all

    tr = run_trace("gomez")
    every, none_given = check_all(tr, max_entries=0), check_all(tr)
    assert [(c.of, c.entries) for c in every] == [(c.of, c.entries) for c in none_given]
    assert {c.of for c in every} >= set(tr.scenario.params)
