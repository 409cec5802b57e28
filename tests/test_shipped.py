"""The shipped models: every built-in variant's derived model comes with the package, current, and a
first run with an empty cache neither derives nor imports sympy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lstm_trace import cache, load_scenario, trace
from lstm_trace.grading.grade import grade
from lstm_trace.numeric.models import build, builtin_variants, slips_ident
from lstm_trace.render.report import message
from lstm_trace.scenario.answers import from_document
from lstm_trace.scenario.examples import path_of
from lstm_trace.scenario.yamlio import parse
from lstm_trace.symbolic.model import Equation
from lstm_trace.symbolic.slipcode import build_slips

from .conftest import ROOT

REBUILD = "stale or missing: run `python tools/ship_models.py` (the sources a model is made from changed)"


def test_every_bundled_examples_variant_is_shipped_and_current():
    variants = builtin_variants()
    assert ("lstm", True, "", "none", "l2", "sgd") in variants  # gomez
    for v in variants:
        assert cache.load_shipped(v) is not None, f"{v}: {REBUILD}"
        assert cache.load_shipped(slips_ident(v)) is not None, f"{v}'s slips: {REBUILD}"
    shipped = {cache.shipped_path(ident).name for v in variants for ident in (v, slips_ident(v))}
    left_over = {p.name for p in cache.SHIPPED.glob("*.pickle")} - shipped
    assert not left_over, f"shipped models of no built-in variant: {left_over} (run tools/ship_models.py)"


def _sources(entry: tuple) -> tuple:
    model, specs, bounds, templates = entry
    equations = [(eq.name, eq.kind, eq.shift, str(eq.expr), str(eq.stacked)) for eq in model.equations()]
    code = sorted((eq.name, st, spec) for (eq, st), spec in specs.items())
    bound = sorted((eq.name, st, spec) for (eq, st), spec in bounds.items())
    printed = sorted(repr((k, v.__getstate__())) for k, v in templates.items())
    return equations, code, bound, printed


@pytest.mark.parametrize("variant", builtin_variants(), ids=repr)
def test_a_shipped_model_is_what_deriving_it_again_gives(variant, monkeypatch):
    from lstm_trace.symbolic import templates

    shipped = cache.load_shipped(variant)
    assert shipped is not None, f"{variant}: {REBUILD}"
    monkeypatch.setattr(templates, "TEMPLATES", {})  # printed afresh, as in the build's own process
    again = build(variant)
    assert _sources(shipped) == _sources(again)
    assert all(isinstance(eq, Equation) for eq in shipped[0].equations())
    slips = cache.load_shipped(slips_ident(variant))
    assert slips is not None, f"{variant}'s slips: {REBUILD}"
    assert slips == build_slips(again[0])  # every term, rewrite and move, its code and its words


def test_a_stale_shipped_model_is_not_served(monkeypatch):
    v = builtin_variants()[0]
    assert cache.load_shipped(v) is not None
    monkeypatch.setattr(cache, "shipped_digest", lambda: "0" * 64)  # as after an edit of derive.py
    assert cache.load_shipped(v) is None
    assert cache.load_shipped(("lstm", True, "", "none", "l2", "rmsprop")) is None  # never shipped


def test_the_digest_follows_the_model_sources(tmp_path, monkeypatch):
    before = cache.shipped_digest()
    fake = tmp_path / "lstm_trace"
    for part in cache.MODEL_SOURCES:
        src = cache.PACKAGE / part
        dst = fake / part
        if src.is_dir():
            for p in src.rglob("*.py"):
                (dst / p.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
                (dst / p.relative_to(src)).write_bytes(p.read_bytes())
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    monkeypatch.setattr(cache, "PACKAGE", fake)
    cache.shipped_digest.cache_clear()
    try:
        assert cache.shipped_digest() == before
        (fake / "symbolic" / "derive.py").write_text((fake / "symbolic" / "derive.py").read_text() + "\n# edited\n")
        cache.shipped_digest.cache_clear()
        assert cache.shipped_digest() != before
    finally:
        cache.shipped_digest.cache_clear()


def test_sympy_version_is_read_without_importing_sympy():
    code = "import sys; from lstm_trace import cache; print(cache.sympy_version(), 'sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    import sympy

    assert out.split() == [sympy.__version__, "False"]


FIRST_USE = (
    "import sys, runpy; sys.argv = ['lstm-trace', *sys.argv[1:]]\n"
    "import lstm_trace.numeric.models as m, lstm_trace.symbolic.slipcode as s\n"
    "m.build = lambda v: sys.exit('derived ' + repr(v))\n"
    "s.build_slips = lambda model: sys.exit('derived slips')\n"
    "try:\n    runpy.run_module('lstm_trace', run_name='__main__')\n"
    "except SystemExit as e:\n    assert e.code in (None, 0, 1), e.code\n"
    "print('sympy' in sys.modules, file=sys.stderr)\n"
)


def _first_check(tmp_path, *args: str) -> list[tuple]:
    """check with an empty cache, in a process of its own: each answer's (name, verdict, cause, words)."""
    env = {**os.environ, "LSTM_TRACE_CACHE_DIR": str(tmp_path / "empty")}
    cmd = [sys.executable, "-c", FIRST_USE, "check", *args, "--format", "json"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    assert "derived" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == "False", "sympy was imported"
    return [(a["name"], a["verdict"], a["cause"], a["message"]) for a in json.loads(r.stdout)["answers"]]


def _in_process(tr, answers) -> list[tuple]:
    report = grade(tr, answers)
    return [(v.name, v.verdict, v.cause.kind if v.cause else None, message(v, 5, 2)) for v in report.verdicts]


def test_a_first_check_of_the_homework_derives_nothing_and_imports_no_sympy(tmp_path):
    """Graded from the shipped model and its shipped slips: every verdict as in a process that has sympy."""
    got = _first_check(tmp_path, "gomez-homework")
    hw = trace(load_scenario(path_of("gomez-homework")))
    assert got == _in_process(hw, hw.scenario.expected)
    assert [(name, verdict) for name, verdict, *_ in got if verdict != "correct"] == [("db", "wrong")]
    words = next(words for name, *_, words in got if name == "db")
    assert words == "δb_o = -0.005362, expected -0.05361: the decimal point is one place off (×0.1 the value)"


def test_a_slip_is_named_from_precompiled_code_without_sympy(tmp_path):
    """A sheet with a term left out, a derivative, λ and the update's sign planted: each named, words and all."""
    tr = trace(load_scenario(path_of("gomez")))
    v = {k: np.asarray(x) for k, x in tr.values.items()}
    p = tr.scenario.params
    planted = {
        "state_1": f"{float(v['a_1'][0] * v['i_1'][0]):.5f}",  # f_1 ⊙ state_0 left out
        "da_0": f"{float(v['dstate_0'][0] * v['i_0'][0] * (1 - v['a_0'][0])):.5f}",
        "W_a_new": str([round(float(x), 5) for x in p["W_a"][0] - 0.01 * v["dW_a"][0]]),
        "b_o_new": f"{float(p['b_o'][0] + 0.1 * v['db_o'][0]):.5f}",
    }
    lines = [f"{a.given_name}: {planted.get(a.given_name, a.written)}" for a in tr.scenario.expected]
    sheet = tmp_path / "answers.yaml"
    sheet.write_text("\n".join(lines) + "\n")
    got = _first_check(tmp_path, "gomez", str(sheet))
    assert got == _in_process(tr, from_document(parse(sheet.read_text(), str(sheet))))
    wrong = {name: (cause, words) for name, verdict, cause, words in got if verdict == "wrong"}
    assert wrong["state_1"] == ("missing-term", "the term f_1 ⊙ state_0 is missing")
    assert wrong["da_0"][0] == "derivative" and "the derivative of tanh is 1 − a_0², not 1 − a_0" in wrong["da_0"][1]
    assert wrong["W_a_new"][0] == "wrong-lr" and "λ = 0.01 was used; the scenario's is 0.1" in wrong["W_a_new"][1]
    assert wrong["b_o_new"][0] == "update-sign"
    assert "b_o^new = b_o − λ·δb_o" in wrong["b_o_new"][1]


@pytest.mark.parametrize("example", ["gomez", "peephole-softmax-adagrad"])
def test_a_first_run_with_an_empty_cache_derives_nothing_and_imports_no_sympy(tmp_path, example):
    code = (
        "import sys, runpy; sys.argv = ['lstm-trace', 'run', sys.argv[1]]\n"
        "import lstm_trace.numeric.models as m\n"
        "m.build = lambda v: sys.exit('derived ' + repr(v))\n"
        "try:\n    runpy.run_module('lstm_trace', run_name='__main__')\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('sympy' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "LSTM_TRACE_CACHE_DIR": str(tmp_path / "empty")}
    r = subprocess.run([sys.executable, "-c", code, example], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "False"
