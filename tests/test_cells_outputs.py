"""The cells after the LSTM through every output: derive (golden text, LaTeX), run's JSON, Markdown, LaTeX
and web page (with its pictures), explain's and check's pages, a notebook's display, the practice app and
check-formula — each read as a student would, with no LSTM-only label on a GRU's or an RNN's page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import lstm_trace
from lstm_trace.cli import cli
from lstm_trace.render import pictures
from lstm_trace.render.jsonout import SCHEMA
from lstm_trace.render.text import fmt_number

from .conftest import ROOT, compile_latex

GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = ["gru", "gru-cho", "rnn", "cifg"]
DERIVED = {  # golden file: derive's options
    "derive_gru.txt": ["--cell", "gru"],
    "derive_gru_before.txt": ["--cell", "gru", "--reset", "before"],
    "derive_rnn.txt": ["--cell", "rnn"],
    "derive_cifg.txt": ["--cell", "cifg"],
}
LSTM_ONLY = re.compile(r"state|forget|δgates|\bLSTM\b")  # words a vanilla RNN's page has no use for


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def visible(page: str) -> str:
    """A page's text as a reader sees it: no style, script or markup; maths as its characters."""
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("golden", DERIVED)
def test_derive_golden_text(golden: str) -> None:
    r = invoke("derive", *DERIVED[golden])
    assert r.exit_code == 0
    path = GOLDEN / golden
    if not path.exists():  # pragma: no cover - first run writes it, then review and commit
        path.write_text(r.output)
    assert r.output == path.read_text()


def test_derive_gru_is_the_hand_derivation() -> None:
    """Checked by hand from out_t = (1 − z_t) ⊙ n_t + z_t ⊙ out_{t-1}, n_t = tanh(zn_t + r_t ⊙ hn_t)."""
    lines = invoke("derive", "--cell", "gru").output.splitlines()
    for line in [
        "  δout_t     = Δ_t + Δout_t + δout_{t+1} ⊙ z_{t+1}",
        "  δz_t       = δout_t ⊙ z_t ⊙ (1 − z_t) ⊙ (out_{t-1} − n_t)",
        "  δn_t       = δout_t ⊙ (1 − z_t) ⊙ (1 − n_t²)",
        "  δr_t       = δn_t ⊙ hn_t ⊙ r_t ⊙ (1 − r_t)",
        "  δgates_t   = [δr_t; δz_t; δn_t]",
        "  δhn_t      = δn_t ⊙ r_t",
        "  Δout_{t-1} = U_rᵀ·δr_t + U_zᵀ·δz_t + U_nᵀ·δhn_t",
        "  δU_n  = Σ_t δhn_t ⊗ out_{t-1}",
        "  δb_hn = Σ_t δhn_t",
    ]:
        assert line in lines, line
    before = invoke("derive", "--cell", "gru", "--reset", "before").output.splitlines()
    assert "  δout_t     = Δ_t + Δout_t + δrh_{t+1} ⊙ r_{t+1} + δout_{t+1} ⊙ z_{t+1}" in before
    assert "  δr_t       = δrh_t ⊙ out_{t-1} ⊙ r_t ⊙ (1 − r_t)" in before
    rnn = invoke("derive", "--cell", "rnn").output
    assert "δgates" not in rnn and "  δz_t       = δout_t ⊙ (1 − out_t²)" in rnn.splitlines()


@pytest.mark.parametrize("options", [*DERIVED.values(), ["--cell", "rnn", "--activation", "relu"]])
def test_derive_latex_compiles(options: list[str], tmp_path: Path) -> None:
    r = invoke("derive", *options, "--format", "latex")
    assert r.exit_code == 0 and r"\begin{align*}" in r.output
    compile_latex(r.output, tmp_path)


@pytest.mark.parametrize("name", EXAMPLES)
def test_run_latex_and_markdown_of_each_cell(name: str, tmp_path: Path) -> None:
    tex = invoke("run", name, "--format", "latex")
    assert tex.exit_code == 0
    compile_latex(tex.output, tmp_path)
    md = invoke("run", name, "--format", "markdown").output
    assert md.startswith("# ") and "| quantity | equation | with numbers | value |" in md


@pytest.fixture(scope="module")
def gru() -> lstm_trace.Trace:
    return lstm_trace.trace("gru")


def test_json_of_a_gru_holds_the_update_gate(gru: lstm_trace.Trace) -> None:
    doc = json.loads(invoke("run", "gru", "--format", "json").output)
    H = gru.scenario.H  # noqa: N806 - the maths' name
    z = np.array(doc["values"]["z_0"])
    assert z.shape == (H,)  # the update gate, not a stack of the gates' pre-activations
    np.testing.assert_allclose(z, 1 / (1 + np.exp(-np.array(doc["values"]["zz_0"]))), rtol=1e-15)
    assert len(doc["values"]["dgates_0"]) == 3 * H and "dout_-1" in doc["values"]
    assert doc["equations"]["z_0"]["symbolic"] == "z_0 = σ(zz_0)"


@pytest.mark.parametrize("name", EXAMPLES)
def test_json_of_each_cell_validates_against_the_trace_schema(name: str) -> None:
    jsonschema.validate(json.loads(invoke("run", name, "--format", "json").output), SCHEMA)


@pytest.mark.parametrize("name", EXAMPLES)
def test_web_page_of_each_cell_with_its_pictures(name: str, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    r = invoke("run", name, "--format", "html", "-o", out)  # a GRU's δout_{-1} row once broke the network picture
    assert r.exit_code == 0, r.output
    text = visible(out.read_text(encoding="utf-8"))
    if name == "rnn":
        assert not LSTM_ONLY.search(text), LSTM_ONLY.search(text)
    elif name.startswith("gru"):
        assert "state" not in text and "LSTM" not in text


def test_the_network_picture_of_a_gru(gru: lstm_trace.Trace) -> None:
    if pictures.missing():
        pytest.skip(pictures.missing())
    section = pictures.pictures_section(gru, [-1, 0, 1])
    assert section.count("<svg") == 2  # the network and the gradients' sizes (one iteration: no loss curve)
    assert "state" not in section and "r, z, n = " in section
    initial = gru["dout_-1"]  # the initial output's gradient, on its node
    assert "δ [" + " ".join(fmt_number(v, 3).replace("-", "−") for v in initial) + "]" in section
    assert "size (Euclidean norm) of δout_t at each step" in section


def test_explain_check_and_notebook_pages_of_a_gru(gru: lstm_trace.Trace, tmp_path: Path) -> None:
    page = tmp_path / "why.html"
    assert invoke("explain", "gru", "δn_0", "--format", "html", "-o", page).exit_code == 0
    text = visible(page.read_text(encoding="utf-8"))
    assert "Why δn_0 has its value" in text and "state" not in text
    sheet, key = tmp_path / "ex.yaml", tmp_path / "key.yaml"
    made = invoke("new", "--input", 2, "--hidden", 2, "--length", 2, "--cell", "gru", "--seed", 3, "--parts",
                  "-o", sheet, "--answers", key)  # fmt: skip
    assert made.exit_code == 0, made.output
    tr = lstm_trace.trace(lstm_trace.load_scenario(sheet))
    wrong = tr["dn_0"] * 2 + 0.1
    key.write_text(re.sub(r"^dn_0: .*$", f"dn_0: [{wrong[0]:.5f}, {wrong[1]:.5f}]", key.read_text(), flags=re.M))
    graded = tmp_path / "graded.html"
    r = invoke("check", sheet, key, "--format", "html", "-o", graded)
    assert r.exit_code == 1
    assert '<tr id="dn_0" class="r-wrong first">' in graded.read_text(encoding="utf-8")  # the first mistake
    shown = gru._repr_html_()
    assert '<div class="q" id="dout_-1"' in shown and "state" not in visible(shown)


def test_practice_page_of_a_gru(gru: lstm_trace.Trace, tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from lstm_trace.serve.app import make_app
    from lstm_trace.serve.run import asked
    from lstm_trace.serve.sheet import Sheet

    c = TestClient(make_app(gru, Sheet(tmp_path / "mine.yaml", asked(gru), "gru"), False))
    assert 'name="dout_-1"' in c.get("/").text
    right = "[" + " ".join(f"{v:.5f}" for v in gru["dout_-1"]) + "]"
    wrong = "[" + " ".join(f"{v:.5f}" for v in gru["dn_0"] * 1.5) + "]"
    assert c.put("/api/answers/dout_-1", json={"text": right}).json()["verdicts"]["dout_-1"]["verdict"] == "correct"
    assert c.put("/api/answers/dn_0", json={"text": wrong}).json()["verdicts"]["dn_0"]["verdict"] == "wrong"
    hint = c.get("/api/hint/dn_0").json()
    assert hint["name"] == "dn_0" and "<math" in hint["equation"]


def formula(cell: str, text: str):
    """check-formula --cell CELL (and the cell's own option: "gru --reset before") TEXT."""
    return invoke("check-formula", "--cell", *cell.split(), text)


@pytest.mark.parametrize(
    "cell, text",
    [
        ("gru", "dn_t = dout_t * (1 - z_t) * (1 - n_t**2)"),
        ("gru", "dn_t = dh_t * (1 - z_t) * (1 - tanh(zn_t + r_t * hn_t)**2)"),  # n_t through its definition
        ("gru", "dn_t = dh_t * (1 - z_t) * (1 - h̃_t**2)"),  # h̃_t, the candidate as d2l writes it
        ("gru", "dz_t = dout_t * (h_{t-1} - n_t) * z_t * (1 - z_t)"),
        ("gru", "dout_t = Delta_t + Dout_t + dout_{t+1} * z_{t+1}"),
        ("gru", "dhn_t = dn_t * r_t"),
        ("rnn", "dz_t = dout_t * (1 - tanh(z_t)**2)"),
        ("rnn", "dz_t = (Delta_t + Dout_t) * (1 - out_t**2)"),
        ("cifg", "da_t = dstate_t * (1 - f_t) * (1 - a_t**2)"),
        ("gru --reset before", "dr_t = drh_t * out_{t-1} * r_t * (1 - r_t)"),
        ("gru --reset before", "dout_t = Delta_t + Dout_t + drh_{t+1} * r_{t+1} + dout_{t+1} * z_{t+1}"),
        ("rnn --activation relu", "dz_t = dout_t * step(z_t)"),
    ],
)
def test_check_formula_judges_a_right_formula_of_each_cell(cell: str, text: str) -> None:
    r = formula(cell, text)
    assert r.exit_code == 0 and r.output.startswith("correct:"), r.output


def test_check_formula_finds_a_wrong_gru_formula_at_one_step() -> None:
    r = formula("gru", "dn_t = dout_t * z_t * (1 - n_t**2)")
    assert r.exit_code == 1 and r.output.startswith("wrong:")
    assert "derived: δn_t = δout_t ⊙ (1 − z_t) ⊙ (1 − n_t²)" in r.output
    at = re.search(r"They differ at (.*?): ", r.output).group(1)
    # δout_t stays a given gradient (its definition reads δout_{t+1}, and so on without end)
    assert sorted(part.split(" = ")[0] for part in at.split(", ")) == ["hn_t", "zn_t", "zr_t", "zz_t", "δout_t"]
    assert formula("rnn", "dz_t = dout_t * (1 - z_t**2)").exit_code == 1
    assert formula("rnn --activation relu", "dz_t = dout_t * (1 - out_t**2)").exit_code == 1  # tanh's, not relu's
    assert formula("gru --reset before", "dr_t = dn_t * hn_t * r_t * (1 - r_t)").exit_code == 2  # no hn_t before


def test_check_formula_speaks_the_cells_names() -> None:
    assert "e.g. 'dz_t = dout_t * z_t * (1 - z_t) * (out_{t-1} - n_t)'" in formula("gru", "dz_t").output
    assert "e.g. 'da_t = dstate_t * i_t * (1 - a_t**2)'" in formula("lstm", "da_t").output
    assert "must name one quantity: dout_t, dz_t or dE/dr_t" in formula("gru", "1 = 1").output
    assert "must name one quantity: dout_t or dz_t" in formula("rnn", "1 = 1").output
    r = formula("gru", "dc_t = dh_t")  # a GRU has no state: c_t is no alias here
    assert r.exit_code == 2 and "unknown quantity 'dc_t'" in r.output
    r = formula("rnn", "dstate_t = dout_t")
    assert r.exit_code == 2 and "unknown quantity 'dstate_t'" in r.output
    assert "(try its gate: za_t -> a_t)" in formula("lstm", "za_t = 1").output


def test_a_gru_traces_repr_names_a_value_it_has(gru: lstm_trace.Trace) -> None:
    key = re.search(r"values: tr\['([^']+)'\]", repr(gru)).group(1)
    assert key in gru.values and key == "dout_0"


def test_the_network_picture_of_stacked_layers() -> None:
    """A row of boxes per layer: layer 1's gates read layer 0's out_t, E_t reads the top layer's."""
    stacked = ROOT / "scenarios" / "stacked-rnn.yaml"
    if pictures.missing() or not stacked.exists():
        pytest.skip(pictures.missing() or "no stacked scenario here")
    tr = lstm_trace.trace(lstm_trace.load_scenario(stacked))
    arrows = set(re.findall(r"<title>([^<]*)</title>", pictures.pictures_section(tr, [0, 1])))
    for arrow in ["x_0->gates_l0_0", "out_l0_0->gates_l1_0", "out_l1_0->E_0", "out_l0_0->gates_l0_1"]:
        assert arrow.replace("->", "&#45;&gt;") in arrows, arrow
