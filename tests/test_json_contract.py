"""The JSON a script reads: every name template, check and explain accept, valid JSON always, and a schema."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.grading.graph import Graph
from lstm_trace.render.jsonout import SCHEMA, render_json
from lstm_trace.render.rows import grouped

from .conftest import SCENARIOS, random_scenario

SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))


def _no_constants(name: str) -> None:
    raise AssertionError(f"not JSON: {name}")


def _run_json(path: object) -> dict:
    r = CliRunner().invoke(cli, ["run", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output, parse_constant=_no_constants)  # NaN and Infinity are not JSON


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_json_holds_every_name_the_other_commands_accept_with_its_exact_value(path) -> None:
    doc = _run_json(path)
    jsonschema.validate(doc, SCHEMA)
    tr = trace(load_scenario(path))
    names = set(tr.values) | {n for n in Graph(tr).nodes if n in tr.values}
    cell = tr.scenario.shape
    if cell.gates and tr.model.linear:  # the stacked forms of the LSTM's kind, beside their parts
        g = cell.gates
        for stacked in ("z_0", "dgates_0", "W", "U", "W_new", "U_new", "dW", f"dW_{g[0]}", f"dU_{g[-1]}"):
            assert stacked in doc["values"], stacked
    assert names <= set(doc["values"]), sorted(names - set(doc["values"]))
    for name, v in tr.values.items():
        np.testing.assert_array_equal(np.asarray(doc["values"][name]), np.asarray(v, dtype=np.float64), err_msg=name)


def test_a_template_name_is_a_json_name() -> None:
    sheet = CliRunner().invoke(cli, ["template", str(SCENARIOS / "gomez-homework.yaml")]).output
    asked = [line.split(":")[0] for line in sheet.splitlines() if line and not line.startswith(("#", " "))]
    values = _run_json(SCENARIOS / "gomez-homework.yaml")["values"]
    assert asked and all(name in values for name in asked), [n for n in asked if n not in values]


@pytest.mark.parametrize("seed", range(4))
def test_random_scenarios_validate_against_the_schema(seed: int) -> None:
    spec = random_scenario(
        seed, 3, 2, 3, bias=bool(seed % 2), cell="peephole" if seed > 1 else "lstm", K=3 * (seed == 3)
    )
    tr = trace(spec)
    doc = json.loads(render_json(tr, grouped(tr)), parse_constant=_no_constants)
    jsonschema.validate(doc, SCHEMA)


def test_the_schema_command_prints_both_schemas() -> None:
    trace_schema = json.loads(CliRunner().invoke(cli, ["schema", "trace"]).output)
    assert trace_schema == SCHEMA
    jsonschema.Draft202012Validator.check_schema(trace_schema)
    scenario_schema = json.loads(CliRunner().invoke(cli, ["schema"]).output)
    assert "parameters" in scenario_schema["properties"]
