"""CLI behaviour: every option, formats, exit codes, help, and a snapshot of the worked example."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from lstm_trace import __version__
from lstm_trace.cli import cli

from .conftest import GOMEZ, ROOT, SCENARIOS

GOLDEN = ROOT / "tests" / "golden" / "gomez_run.txt"


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0 and __version__ in r.output


@pytest.mark.parametrize("command", [[], *([c] for c in sorted(cli.commands))])
def test_every_command_has_help_with_examples_exit_codes_and_every_option_explained(command):
    r = invoke(*command, "--help", env={"COLUMNS": "80"})
    assert r.exit_code == 0
    assert "Examples:" in r.output and "Exit codes:" in r.output
    examples = r.output.split("Examples:")[1].split("Exit codes:")[0]
    lines = [line.strip() for line in examples.splitlines() if line.strip()]
    assert lines and all(line.startswith("lstm-trace ") for line in lines), lines  # one command a line, unwrapped
    group = cli.commands[command[0]] if command else cli
    for param in group.params:
        if isinstance(param, click.Option):
            assert param.help, f"{command} {param.opts} has no help"


def test_the_commands_are_the_documented_ones():
    assert set(cli.commands) == {
        "run",
        "schema",
        "check",
        "template",
        "explain",
        "gradcheck",
        "derive",
        "check-formula",
        "new",
        "examples",
        "example",
        "serve",
    }


def test_run_snapshot_of_the_worked_example():
    r = invoke("run", GOMEZ, env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "\x1b[" not in r.output  # not a terminal: plain text
    if not GOLDEN.exists():  # pragma: no cover - first run writes it, then review and commit
        GOLDEN.write_text(r.output)
    assert r.output == GOLDEN.read_text()


def test_run_rows_as_in_the_seed():
    out = invoke("run", GOMEZ, env={"COLUMNS": "250"}).output
    for fragment in [
        "│ tanh(W_a·x_0 + U_a·out_{-1} + b_a) │",
        "tanh([0.45 0.25]·[1 2] + [0.15]·[0] + [0.2])",
        "δstate_1 ⊙ f_1 ",
        "Δout_{-1} │ Uᵀ·δgates_0",
        "E = Σ_t E_t = 0.11491",
        "warning: label_1 = 1.25 is outside (-1, 1)",
    ]:
        assert fragment in out, fragment


def test_json_has_values_equations_and_warnings():
    r = invoke("run", GOMEZ, "--format", "json")
    data = json.loads(r.output)
    assert data["values"]["a_0"] == pytest.approx([0.8177540779702877], abs=1e-15)
    assert len(data["values"]["dW"]) == 4 and len(data["values"]["dW"][0]) == 2
    assert data["equations"]["dstate_1"]["symbolic"].startswith("δstate_1 = δout_1 ⊙ o_1")
    assert data["equations"]["Dout_-1"]["substituted"] == "[0.15 0.8 0.1 0.25]·[-0.01702 -0.00165 0 0.00176]"
    assert data["warnings"] and data["loss"]["E"] == pytest.approx(0.1149104, abs=1e-7)
    for name in ["Delta_1", "Dout_0", "da_1", "do_1", "dW", "dU", "db", "W_a_new", "U_o_new", "b_f_new", "E_0"]:
        assert name in data["values"], name
    for name in ["dgates_1", "z_0", "dW_a", "W", "W_new", "U_new", "b_new"]:  # stacks and slices: all there
        assert name in data["values"], name
    assert data["values"]["dW_a"] == data["values"]["dW"][:1] and data["values"]["W"][0] == data["values"]["W_a"][0]


def test_markdown_tables():
    out = invoke("run", GOMEZ, "--format", "markdown").output
    assert "## Forward @ t=0" in out and "| quantity | equation | with numbers | value |" in out
    assert "## Update: SGD, λ = 0.1" in out


def test_decimals_steps_and_sections():
    out = invoke("run", GOMEZ, "--decimals", "3", "--steps", "0", "--section", "backward").output
    assert "Backward @ t=0" in out and "Backward @ t=1" not in out and "Forward" not in out
    assert "0.036 " in out  # Δ_0 to 3 decimals
    out = invoke("run", GOMEZ, "--steps", "last", "--section", "forward", "--section", "update").output
    assert "Forward @ t=1" in out and "Forward @ t=0" not in out and "Update" in out


@pytest.mark.parametrize("steps", ["5", "x", "0-9", "-3"])
def test_bad_steps_exit_2(steps):
    r = invoke("run", GOMEZ, "--steps", steps)
    assert r.exit_code == 2 and "--steps" in r.output


def test_output_file(tmp_path):
    f = tmp_path / "out.json"
    assert invoke("run", GOMEZ, "--format", "json", "-o", f).exit_code == 0
    assert json.loads(f.read_text())["values"]["E"]


def test_bad_scenario_exit_2_one_line_no_traceback(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("parameters: {}\noptimiser: 1\n")
    r = invoke("run", f)
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and "Traceback" not in r.output
    assert f"{f}:" in r.output


def test_schema_is_json_schema():
    data = json.loads(invoke("schema").output)
    assert data["title"] == "lstm-trace scenario"
    assert {"parameters", "sequence", "optimizer"} <= set(data["properties"])


@pytest.mark.parametrize("scenario", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_scenario_traces(scenario):
    for fmt in ("table", "json", "markdown", "latex", "html", "svg"):
        assert invoke("run", scenario, "--format", fmt).exit_code == 0


def test_python_dash_m_and_no_color(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "lstm_trace", "run", str(GOMEZ), "--steps", "0"],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": ""},
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "\x1b[" not in r.stdout and "a_0" in r.stdout


def test_library_api():
    import lstm_trace

    tr = lstm_trace.trace(lstm_trace.load_scenario(GOMEZ))
    assert tr["δstate_1"][0] == pytest.approx(-0.071108, abs=1e-6)  # aliases read too
    assert tr["Δout_{-1}"][0] == tr["Dout_-1"][0]
    assert "| $a_{0}$ |" in tr._repr_markdown_()
    with pytest.raises(lstm_trace.LstmTraceError, match="did you mean 'dstate_1'"):
        tr["dstat_1"]


def test_iterations_on_the_command_line(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(GOMEZ.read_text().split("\nexpected:")[0] + "\niterations: 3\n")
    data = json.loads(invoke("run", f, "--format", "json", "--iteration", "2").output)
    assert [i["iteration"] for i in data["iterations"]] == [1, 2, 3] and data["iteration"] == 2
    assert data["values"]["E"] == [data["iterations"][1]["E"]]
    assert data["values"]["W_a"] != [[0.45, 0.25]]  # the second iteration starts from the updated W
    out = re.sub(" +", " ", invoke("run", f, "--iteration", "3").output)
    assert "│ 1 │ 0.11491 │ │" in out and "│ 3 │" in out and "← traced above" in out
    md = invoke("run", f, "--iteration", "3", "--format", "markdown").output
    assert "Iteration 3 of 3 traced. Loss per iteration: 1: $0.11491$, 2: " in md
    r = invoke("run", f, "--iteration", "4")
    assert r.exit_code == 2 and "the scenario has 3 iteration(s), found 4" in r.output


NOBIAS_CH = SCENARIOS / "nobias-ch.yaml"


def test_ch_notation_prints_c_and_h_and_json_keeps_canonical_names(tmp_path):
    out = invoke("run", NOBIAS_CH, "--steps", "2", "--section", "backward", env={"COLUMNS": "200"}).output
    assert "│ δc_2     │ δh_2 ⊙ o_2 ⊙ (1 − tanh²(c_2)) + δc_3 ⊙ f_3 │" in out
    assert "│ Δh_2     │ 0 " in out and "state" not in out.split("\n", 2)[2]
    data = json.loads(invoke("run", NOBIAS_CH, "--format", "json").output)
    assert {"state_0", "out_0", "dstate_0", "dout_0", "Dout_-1"} <= set(data["values"])
    assert data["equations"]["dstate_0"]["symbolic"].startswith("δc_0 = δh_0 ⊙ o_0")
    assert "dW" in data["values"] and "db" not in data["values"]  # no bias
    tex = invoke("run", NOBIAS_CH, "--format", "latex").output
    assert r"\delta c_{0} &= \delta h_{0} \odot o_{0}" in tex


def test_ch_names_are_aliases_everywhere(tmp_path):
    assert invoke("explain", NOBIAS_CH, "dc_0").output.startswith("δc_0 = δh_0 ⊙ o_0")
    assert invoke("explain", GOMEZ, "c_0").output.startswith("state_0 = ")  # read anywhere, printed as chosen
    import lstm_trace

    tr = lstm_trace.trace(lstm_trace.load_scenario(NOBIAS_CH))
    assert (tr["h_1"] == tr["out_1"]).all() and (tr["δc_0"] == tr["dstate_0"]).all()
    f = tmp_path / "a.yaml"
    f.write_text(f"c_0: {tr['state_0'].round(5).tolist()}\ndh_2: {tr['dout_2'].round(5).tolist()}\n")
    data = json.loads(invoke("check", NOBIAS_CH, f, "--format", "json").output)
    assert [(a["name"], a["verdict"]) for a in data["answers"]] == [("state_0", "correct"), ("dout_2", "correct")]


def _peephole_scenario(tmp_path, output_gate="current"):
    f = tmp_path / f"peephole-{output_gate}.yaml"
    text = GOMEZ.read_text().split("\nexpected:")[0]
    text = text.replace(
        "model: {cell: lstm, output: none}", f"model: {{cell: peephole, peephole_output: {output_gate}}}"
    )
    text = text.replace("o: [0.10]}\n", "o: [0.10]}\n  P: {i: [0.1], f: [-0.2], o: [0.3]}\n")
    f.write_text(text)
    return f


def test_peephole_terms_appear_in_the_gates_and_in_dstate(tmp_path):
    f = _peephole_scenario(tmp_path)
    out = invoke("run", f, env={"COLUMNS": "250"}).output
    assert "σ(W_i·x_0 + U_i·out_{-1} + b_i + P_i ⊙ state_{-1})" in out
    assert "σ(W_o·x_1 + U_o·out_0 + b_o + P_o ⊙ state_1)" in out
    assert "δout_0 ⊙ o_0 ⊙ (1 − tanh²(state_0)) + δo_0 ⊙ P_o + δi_1 ⊙ P_i + δf_1 ⊙ P_f + δstate_1 ⊙ f_1" in out
    assert "│ δP_i     │ Σ_t δi_t ⊙ state_{t-1}" in out and "P_o^new" in out
    previous = invoke("run", _peephole_scenario(tmp_path, "previous"), env={"COLUMNS": "250"}).output
    assert "σ(W_o·x_1 + U_o·out_0 + b_o + P_o ⊙ state_0)" in previous and "δo_1 ⊙ P_o" in previous
    for fmt in ("json", "markdown", "latex", "html"):
        assert invoke("run", f, "--format", fmt).exit_code == 0
    assert invoke("explain", f, "dP_o").output.startswith("δP_o = Σ_t δo_t ⊙ state_t")
    assert invoke("gradcheck", f).exit_code == 0
    import lstm_trace

    tr = lstm_trace.trace(lstm_trace.load_scenario(f))
    answers = tmp_path / "a.yaml"
    answers.write_text(f"dP_i: {tr['dP_i'].round(5).tolist()}\ndstate_0: {-tr['dstate_0'].round(5)[0]}\n")
    data = json.loads(invoke("check", f, answers, "--format", "json").output)
    assert [(a["name"], a["verdict"], a["cause"]) for a in data["answers"]] == [
        ("dstate_0", "wrong", "sign"),
        ("dP_i", "correct", None),
    ]


def test_derive_peephole():
    out = invoke("derive", "--cell", "peephole").output
    assert "  δP_o = Σ_t δo_t ⊙ state_t" in out
    assert "δo_t ⊙ P_o + δi_{t+1} ⊙ P_i + δf_{t+1} ⊙ P_f" in out


SOFTMAX = SCENARIOS / "peephole-softmax-adagrad.yaml"


def test_softmax_scenario_renders_its_layer_loss_and_iterations():
    out = re.sub(" +", " ", invoke("run", SOFTMAX, "--steps", "0", env={"COLUMNS": "250"}).output)
    for fragment in [
        "│ s_0 │ V·out_0 + c │",
        "│ y_0 │ softmax(s_0) │",
        "│ δs_0 │ y_0 − label_0 │",
        "│ Δ_0 │ Vᵀ·δs_0 │",
        "│ δV │ Σ_t δs_t ⊗ out_t │",
        "│ V^new │ V − λ·δV/√(cache_V^new + ε) │",
        "Loss per iteration",
        "│ 1 │ 3.35074 │ ← traced above │",
        "│ 5 │ 3.01032 │ │",
    ]:
        assert fragment in out, fragment
    data = json.loads(invoke("run", SOFTMAX, "--format", "json", "--iteration", "5").output)
    assert len(data["iterations"]) == 5 and data["values"]["label_1"] == [0, 0, 1]
    assert "  δs_t       = y_t − label_t" in invoke("derive", "--output-layer", "softmax").output.splitlines()


def _long_scenario(tmp_path) -> str:
    path = tmp_path / "long.yaml"
    r = invoke("new", "--input", "3", "--hidden", "12", "--length", "9", "--seed", "1", "-o", str(path))
    assert r.exit_code == 0, r.output
    return str(path)


def test_a_long_trace_on_screen_shows_its_ends_and_says_what_was_left_out(tmp_path):
    path = _long_scenario(tmp_path)
    out = invoke("run", path).output
    shown = {int(s) for s in re.findall(r"Forward @ t=(\d+)", out)}
    assert shown == {0, 1, 7, 8}
    assert "E_1 = " in out and "…, E_7 = " in out and "E_4 = " not in out
    note = " ".join(out.split("Left out to keep the screen readable:")[1].split())
    assert note.startswith("5 of the 9 steps (shown: the first and last two) and the middle entries of vectors")
    assert "--steps 2-5, --units 16, or everything with --full" in note


def test_steps_units_and_full_show_more(tmp_path):
    path = _long_scenario(tmp_path)
    some = invoke("run", path, "--steps", "3-4").output
    assert {int(s) for s in re.findall(r"Forward @ t=(\d+)", some)} == {3, 4}
    assert "of the 9 steps" not in some and "the middle entries" in some  # the steps asked for, vectors still elided
    # a matrix shows half as many rows as a vector shows entries: 12 rows need --units 24
    assert "more)…" not in invoke("run", path, "--steps", "3", "--units", "24", "--section", "forward").output
    full = invoke("run", path, "--full").output
    assert {int(s) for s in re.findall(r"Forward @ t=(\d+)", full)} == set(range(9))
    assert "more)…" not in full and "more terms)…" not in full and "Left out" not in full
    tiny = tmp_path / "tiny.yaml"  # H=1: no vector is elided, only the gradients' Σ_t over 9 steps
    invoke("new", "--input", "1", "--hidden", "1", "--length", "9", "--seed", "1", "-o", str(tiny))
    sums = invoke("run", str(tiny), "--steps", "0").output
    assert "more terms)…" in sums and "of Σ_t sums" in " ".join(sums.split())
    json_values = json.loads(invoke("run", path, "--format", "json").output)["values"]
    assert len(json_values["a_4"]) == 12  # JSON holds everything, whatever the screen shows
