"""The shipped models: every built-in variant's derived model comes with the package, current, and a
first run with an empty cache neither derives nor imports sympy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lstm_trace import cache
from lstm_trace.numeric.models import build, builtin_variants
from lstm_trace.symbolic.model import Equation

from .conftest import ROOT

REBUILD = "stale or missing: run `python tools/ship_models.py` (the sources a model is made from changed)"


def test_every_bundled_examples_variant_is_shipped_and_current():
    variants = builtin_variants()
    assert ("lstm", True, "", "none", "l2", "sgd") in variants  # gomez
    for v in variants:
        assert cache.load_shipped(v) is not None, f"{v}: {REBUILD}"
    left_over = {p.name for p in cache.SHIPPED.glob("*.pickle")} - {cache.shipped_path(v).name for v in variants}
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
    assert _sources(shipped) == _sources(build(variant))
    assert all(isinstance(eq, Equation) for eq in shipped[0].equations())


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
    "import lstm_trace.numeric.models as m\n"
    "m.build = lambda v: sys.exit('derived ' + repr(v))\n"
    "try:\n    runpy.run_module('lstm_trace', run_name='__main__')\n"
    "except SystemExit as e:\n    assert e.code in (None, 0, 1), e.code\n"
    "print('sympy' in sys.modules, file=sys.stderr)\n"
)


def test_a_first_check_with_an_empty_cache_derives_nothing(tmp_path):
    """check of the homework: graded from the shipped model (its causes still import sympy to rewrite
    equations, but nothing is derived)."""
    env = {**os.environ, "LSTM_TRACE_CACHE_DIR": str(tmp_path / "empty")}
    cmd = [sys.executable, "-c", FIRST_USE, "check", "gomez-homework"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    assert "derived" not in r.stderr


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
