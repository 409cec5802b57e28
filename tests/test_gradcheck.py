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
    assert invoke("gradcheck", scenario).exit_code == 0


def test_a_long_sequence_is_checked_honestly_and_cheaply(tmp_path, monkeypatch):
    """T=96, E ≈ 920: at a fixed h = 1e-6 the loss's rounding made 3 false mismatches; the step now
    grows as ∛|E| and each difference carries its Richardson error estimate. The inputs x_0 … x_95
    share one budget of entries, and each entry costs four forward passes, not two whole traces."""
    from lstm_trace import load_scenario, trace
    from lstm_trace.numeric import gradcheck as fd

    path = tmp_path / "m.yaml"
    assert invoke("new", "--input", 16, "--hidden", 64, "--length", 96, "--seed", 4, "-o", path).exit_code == 0
    tr = trace(load_scenario(path))
    assert tr.E > 500
    calls = []
    real = fd.loss
    monkeypatch.setattr(fd, "loss", lambda sc: calls.append(1) or real(sc))
    checks = fd.gradcheck(tr, max_entries=2)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    inputs = sum(c.entries for c in checks if c.name.startswith("dx_"))
    assert inputs == 2 and sum(c.entries for c in checks) == 2 * 13 + 2  # 12 parameters, out_-1, the inputs
    assert len(calls) == 4 * sum(c.entries for c in checks)
    assert fd.step_for(tr, 1e-6) > 9e-6


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
