"""The worked solution as a web page (run, check and explain --format html), without a browser:
one self-contained file, every quantity typeset as MathML with its anchor, the graph the page's
script lights up, the numbers as PyTorch's autograd has them, and a user's text escaped."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import lstm_trace
from lstm_trace.cli import cli
from lstm_trace.render import pictures
from lstm_trace.render.mathml import mathml, matrix
from lstm_trace.render.text import fmt_number

from .conftest import GOMEZ, SCENARIOS, random_scenario
from .test_escaping import assert_clean

HOMEWORK = SCENARIOS / "gomez-homework.yaml"
MINUS = "&#x02212;"


def invoke(*args: object, **kw: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.fixture(scope="module")
def gomez_page() -> str:
    r = invoke("run", GOMEZ, "--format", "html")
    assert r.exit_code == 0, r.output
    return r.output


def block(page: str, name: str) -> str:
    """The HTML of one quantity on the page, by its anchor."""
    start = page.find(f'<div class="q" id="{name}"')
    assert start >= 0, f"no quantity #{name} on the page"
    ends = [k for k in (page.find('<div class="q"', start + 1), page.find("</section>", start)) if k >= 0]
    return page[start : min(ends)]


def shown_value(page: str, name: str) -> np.ndarray:
    """The numbers of a quantity's value line, as typeset (<mn>, with U+2212 minus signs)."""
    line = re.search(r'<div class="eq val">(.*?)</div>', block(page, name)).group(1)
    return np.array([float(m.replace(MINUS, "-")) for m in re.findall(r"<mn>([^<]*)</mn>", line)])


def test_one_self_contained_page(gomez_page):
    assert gomez_page.startswith("<!DOCTYPE html>")
    assert "<style>" in gomez_page and '<script type="module">' in gomez_page
    # nothing is fetched: no src, no stylesheet link, no @import or url(), no absolute http(s) link
    assert not re.search(r"\b(src|srcset)=|<link\b|@import|url\((?!#)", gomez_page)  # url(#clip): on the page
    links = re.findall(r'(?:href|xlink:href)="([^"]*)"', gomez_page)
    assert links and all(link.startswith("#") for link in links), [k for k in links if not k.startswith("#")]
    assert set(re.findall(r"https?://[^\s\"'<>]+", gomez_page)) <= {
        "http://www.w3.org/1998/Math/MathML",  # namespaces, never requested
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_every_quantity_is_typeset_with_its_anchor_and_the_contents_link(gomez_page):
    tr = lstm_trace.trace(lstm_trace.load_scenario(GOMEZ))
    ids = set(re.findall(r' id="([^"]+)"', gomez_page))
    assert {r.name for r in tr.rows} <= ids
    toc = re.search(r'<nav class="toc".*?</nav>', gomez_page).group()
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert {"given", "forward-0", "backward-1", "gradients", "update", "loss", "pictures"} <= set(targets) <= ids
    # the equation, the substituted equation and the value, each a <math> on its own aligned line
    dstate = block(gomez_page, "dstate_0")
    assert dstate.count('<span class="rel">=</span><math') == 3
    assert "&#x02299;" in dstate and "tanh" in dstate  # ⊙ and the equation's functions


def test_numbers_on_the_page_are_pytorchs(gomez_page):
    """Each backward value shown (δstate_t, δout_t, δx_t, δW …) is autograd's, at the scenario's decimals."""
    from .reference import torch_trace

    pytest.importorskip("torch")
    sc = lstm_trace.load_scenario(GOMEZ)
    ref = torch_trace(sc)
    ref |= {p: np.vstack([ref[f"{p}_{g}"] for g in "aifo"]) for p in ("dW", "dU")}
    ref["db"] = np.concatenate([ref[f"db_{g}"] for g in "aifo"])
    checked = 0
    for name in ("dstate_0", "dstate_1", "dout_0", "dx_0", "dx_1", "dW", "dU", "db", "Dout_-1", "W_a_new"):
        expected = np.asarray(ref[name], dtype=np.float64).ravel()
        assert shown_value(gomez_page, name) == pytest.approx(expected, abs=0.5e-5 + 1e-12), name
        checked += 1
    assert checked == 10


def test_vectors_and_matrices_are_matrices_with_true_minus_signs(gomez_page):
    dW = block(gomez_page, "dW")
    value = re.search(r'<div class="eq val">(.*?)</div>', dW).group(1)
    assert value.count("<mtr>") == 4 and value.count("<mtd>") == 8  # δW is 4×2
    assert f"<mn>{MINUS}0.02672</mn>" in value
    assert "<mo>-</mo>" not in gomez_page and "<mn>-" not in gomez_page  # never a hyphen for a minus
    # a negative number substituted is (−0.07111), its sign against its digits, not ( − 0.07111)
    assert f'<mo stretchy="false">&#x00028;</mo><mn>{MINUS}0.07111</mn>' in block(gomez_page, "dstate_0")
    assert f"&#x00028;</mo><mo>{MINUS}</mo><mn>" not in gomez_page


def test_matrix_elides_long_vectors_and_writes_small_numbers_as_powers_of_ten():
    latex = matrix(np.arange(20.0), 2, max_items=8)
    assert latex.count("&") == 8 and r"\cdots" in latex and "19" in latex and "7" not in latex
    assert matrix(np.array([3.2e-7]), 5, True) == r"3.2000 \times 10^{-7}"  # fmt_number's 3.2000e-07
    assert f"<mn>{MINUS}7</mn>" in mathml(matrix(np.array([3.2e-7]), 5, True))


def test_the_graph_the_script_lights(gomez_page):
    data = json.loads(re.search(r'<script type="application/json" id="lstm-graph">(.*?)</script>', gomez_page)[1])
    inputs = {k: set(v) for k, v in data["inputs"].items()}
    assert inputs["dstate_0"] == {"dout_0", "o_0", "state_0", "dstate_1", "f_1"}
    assert inputs["a_0"] == {"W_a", "x_0", "U_a", "out_-1", "b_a"}  # za_0, written out in the row, opened
    assert inputs["dx_0"] == {"W", "da_0", "di_0", "df_0", "do_0"}  # δgates_0 opened into its rows
    assert inputs["dW"] >= {"da_0", "do_1", "x_0", "x_1"}  # δW_a … δW_o, per gate, opened
    ids = set(re.findall(r' id="([^"]+)"', gomez_page))
    assert all(k in ids for ins in inputs.values() for k in ins)  # every input is on the page


def test_a_long_trace_shows_the_screens_steps_and_says_what_is_left_out(tmp_path):
    f = tmp_path / "long.yaml"
    f.write_text(yaml.safe_dump(random_scenario(3, D=2, H=3, T=7)))
    page = invoke("run", f, "--format", "html").output
    ids = set(re.findall(r' id="([^"]+)"', page))
    assert {"dstate_0", "dstate_1", "dstate_5", "dstate_6"} <= ids and "dstate_3" not in ids
    assert "Left out to keep the screen readable: 3 of the 7 steps" in page
    data = json.loads(re.search(r'id="lstm-graph">(.*?)</script>', page)[1])
    assert data["names"]["dstate_2"] == "δstate_2"  # δstate_1 reads it; the tree names it, not on this page
    full = invoke("run", f, "--format", "html", "--full").output
    assert 'id="dstate_3"' in full and "Left out" not in full


def test_steps_and_sections_choose_what_the_page_shows():
    page = invoke("run", GOMEZ, "--format", "html", "--steps", "0", "--section", "backward").output
    sections = re.findall(r'<section id="([^"]+)"', page)
    assert "backward-0" in sections and not {"forward-0", "backward-1", "gradients", "update"} & set(sections)


def test_a_users_text_is_escaped_on_every_page(tmp_path):
    from .test_escaping import HOSTILE

    text = HOMEWORK.read_text(encoding="utf-8")
    for key in ("name", "source"):
        old = next(t for t in text.splitlines() if t.startswith(f"{key}:"))
        text = text.replace(old, f'{key}: "{HOSTILE}"')
    f = tmp_path / "hostile.yaml"
    f.write_text(text, encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text('a_0: 0.81775\n"<img src=x onerror=alert(1)>": 1\n')
    pages = [
        invoke("run", f, "--format", "html").output,
        invoke("check", f, answers, "--format", "html").output,
        invoke("explain", f, "dstate_0", "--format", "html").output,
    ]
    for page in pages:
        assert_clean(page)
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert r"\x1b[2J" in page and r"\u202eevil" in page
        assert page.count("</script>") == page.count("<script")  # nothing closes the page's own scripts early
    assert "<img" not in pages[1] and "&lt;img src=x onerror=alert(1)&gt;" in pages[1]
    title = re.search(r"<title>(.*?)</title>", pages[0]).group(1)
    assert html.unescape(title).startswith(r"\x1b[2J\x1b]0;pwned\x07")


@pytest.fixture
def answers(tmp_path):
    """δstate_0 with its sign flipped; δa_0 and δi_0 computed from it (carried)."""
    f = tmp_path / "answers.yaml"
    f.write_text(
        "a_0: 0.81775\ndstate_0: 0.05348\nda_0: 0.01702\ndi_0: 0.00165\ndb: [-0.03641, -0.00276, -0.00631, -0.0536]\n"
    )
    return f


def test_check_page_colours_verdicts_and_links_carried_answers_to_their_mistake(answers):
    r = invoke("check", HOMEWORK, answers, "--format", "html")
    assert r.exit_code == 1  # a verdict, as with the tables
    page = r.output
    assert re.search(r'<tr id="dstate_0" class="r-wrong first">', page)
    carried = re.search(r'<tr id="da_0" class="r-carried">(.*?)</tr>', page).group(1)
    assert 'class="verdict v-carried"' in carried and 'follows from your <a href="#dstate_0">' in carried
    assert 'class="verdict v-correct"' in page and "(a) Forward @ t=0" in page
    mistake = re.search(r'<section id="first-mistake".*?</section>', page).group()
    assert "the sign is flipped" in mistake and "tanh" in mistake and f"<mn>{MINUS}0.05348</mn>" in mistake
    assert mistake.count('<span class="rel">=</span>') == 3  # equation, numbers, value


def test_check_page_is_for_one_sheet(tmp_path, answers):
    r = invoke("check", HOMEWORK, answers, answers, "--format", "html")
    assert r.exit_code == 2 and "--format html shows one graded sheet" in r.output


def test_explain_page_holds_the_equation_inputs_and_tree(tmp_path):
    out = tmp_path / "why.html"
    assert invoke("explain", GOMEZ, "δstate_0", "--format", "html", "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert block(page, "dstate_0").count('<span class="rel">=</span>') == 3
    tree = re.search(r'<section id="tree">.*?</section>', page).group()
    assert tree.count("<li>") >= 8 and "(see above)" in tree
    r = invoke("explain", GOMEZ, "dstat_0", "--format", "html")
    assert r.exit_code == 2 and "did you mean" in r.output


def test_pictures_are_drawn_or_the_page_says_what_to_install(monkeypatch):
    tr = lstm_trace.trace(lstm_trace.load_scenario(SCENARIOS / "peephole-softmax-adagrad.yaml"))
    if pictures.missing():
        pytest.skip(pictures.missing())
    section = pictures.pictures_section(tr, list(range(tr.scenario.T)))
    assert section.count("<figure") == 3 and section.count("<svg") == 3  # network, gradient sizes, loss
    back = tr["dstate_2"] * tr["f_2"]
    assert fmt_number(back[0], 3).replace("-", "−") in section  # δstate_2 ⊙ f_2, on the arrow into state_2
    monkeypatch.setattr(pictures, "missing", lambda: "The pictures need the optional extra (pip install x).")
    bare = pictures.pictures_section(tr, [0])
    assert "<svg" not in bare and "need the optional extra" in bare


def test_notebook_display_of_a_trace_and_a_report(answers):
    tr = lstm_trace.trace(lstm_trace.load_scenario(HOMEWORK))
    shown = tr._repr_html_()
    assert shown.startswith('<div class="lstm-trace">') and '<div class="q" id="dstate_0"' in shown
    assert "<math" in shown and "<script" not in shown
    assert repr(tr).startswith("<Trace 'LSTM backpropagation homework") and len(repr(tr)) < 300
    assert "δstate_0" in str(tr) and "┃ quantity" in str(tr)
    report = lstm_trace.grade(tr, lstm_trace.load_answers(answers))
    assert "Score: " in repr(report) and len(repr(report)) < 300
    assert "✗ wrong" in str(report)
    assert '<tr id="da_0" class="r-carried">' in report._repr_html_()
