"""explain: a quantity's equation, inputs, and the tree of what it is computed from."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import lstm_trace
from lstm_trace.cli import cli

from .conftest import GOMEZ, ROOT, SCENARIOS

GOLDEN = ROOT / "tests" / "golden" / "gomez_explain_dstate_0.txt"


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_explain_snapshot():
    r = invoke("explain", GOMEZ, "δstate_0", "--depth", "3", env={"COLUMNS": "120"})
    assert r.exit_code == 0
    if not GOLDEN.exists():  # pragma: no cover - first run writes it, then review and commit
        GOLDEN.write_text(r.output)
    assert r.output == GOLDEN.read_text()


def test_explain_shows_equation_inputs_and_the_chain_to_the_loss():
    out = invoke("explain", GOMEZ, "dstate_0", "--depth", "10", env={"COLUMNS": "160"}).output
    lines = out.splitlines()
    assert lines[:3] == [
        "δstate_0 = δout_0 ⊙ o_0 ⊙ (1 − tanh²(state_0)) + δstate_1 ⊙ f_1",
        "         = 0.01804 × 0.81757 × (1 − tanh²(0.78573)) + -0.07111 × 0.87030",
        "         = -0.05348",
    ]
    for fragment in ["│ δstate_1 │ -0.07111 │", "Δ_0 = 0.03631   out_0 − label_0", "label_0 = 0.5   (given)"]:
        assert fragment in out, fragment
    assert "Δout_1 = 0   (no later step)" in out
    assert "state_0 (see above)" in out  # each quantity once


def test_explain_implicit_quantities():
    out = invoke("explain", GOMEZ, "db_o", "--depth", "1").output
    assert out.startswith("δb_o = Σ_t δo_t\n")
    assert "│ δo_0     │ 0.00176  │" in out
    assert invoke("explain", GOMEZ, "W_a").output == "W_a = [0.45 0.25]   (given)\n"


def test_explain_unknown_name_suggests():
    r = invoke("explain", GOMEZ, "dstat_0")
    assert r.exit_code == 2
    assert "unknown quantity 'dstat_0'; did you mean 'dstate_0'?" in r.output


@pytest.mark.parametrize("scenario", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_explain_works_on_every_scenario(scenario):
    tr = lstm_trace.trace(scenario)
    first = tr.model.forward[0].name  # a_0, a GRU's zr_0, an RNN's z_0
    names = [
        f"{first}_0",
        "dout_0" if "dout_0" in tr.values else "dout_l0_0",  # a bidirectional network has no one out_t
        next(n for n in tr.values if n.startswith("dW")),
        next(n for n in tr.values if n.endswith("_new")),
        "E",
    ]
    for name in names:
        assert invoke("explain", scenario, name).exit_code == 0, (name, invoke("explain", scenario, name).output)
