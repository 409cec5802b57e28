"""The derived-model cache: what it serves equals a fresh derivation, and nothing stale is served."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_trace import cache, load_scenario, trace
from lstm_trace.numeric import models
from lstm_trace.symbolic.cells import lstm, peephole
from lstm_trace.symbolic.cells.heads import no_head, softmax_head
from lstm_trace.symbolic.derive import derive

from .conftest import GOMEZ, ROOT, random_scenario

VARIANTS = [
    ("lstm", True, "l2", "sgd", 0),
    ("lstm", False, "l2", "adagrad", 0),
    ("peephole", True, "cross_entropy", "adagrad", 3),
    ("peephole-previous", False, "l2", "sgd", 0),
]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LSTM_TRACE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "_MODELS", {})
    monkeypatch.setattr(models, "_COMPILED", {})
    monkeypatch.setattr(
        cache, "load_shipped", lambda ident: None
    )  # the derive-and-store path (test_shipped.py: the other)
    return tmp_path / "cache"


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process: nothing derived or compiled in memory."""
    monkeypatch.setattr(models, "_MODELS", {})
    monkeypatch.setattr(models, "_COMPILED", {})


@pytest.mark.parametrize(("cell", "bias", "loss", "optimizer", "K"), VARIANTS)
def test_a_cached_model_is_the_derived_one_and_traces_the_same(  # noqa: N803
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, cell: str, bias: bool, loss: str, optimizer: str, K: int
) -> None:
    spec = random_scenario(5, 3, 4, 3, bias=bias, cell=cell, K=K)
    spec["optimizer"] = {"name": optimizer, "lr": 0.1}
    sc = load_scenario(spec)
    built = trace(sc)  # derives, compiles and stores
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    _forget(monkeypatch)
    served = trace(sc)  # from the entry: no derivation, no lambdify
    c = peephole(bias=bias, output_gate=sc.peephole_output) if sc.cell == "peephole" else lstm(bias=bias)
    assert served.model == derive(c, loss, optimizer, softmax_head() if K else no_head())
    assert served.values.keys() == built.values.keys()
    for name, v in built.values.items():
        np.testing.assert_array_equal(served.values[name], v, err_msg=name)


def test_the_key_covers_every_byte_of_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "lstm_trace"
    shutil.copytree(cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", copy)
    cache.code_digest.cache_clear()
    try:
        before = cache.key(("lstm",))
        for edit in ("symbolic/cells/lstm.py", "symbolic/derive.py", "symbolic/codegen.py", "render/rows.py"):
            path = copy / edit
            original = path.read_bytes()
            path.write_bytes(original + b"\n# edited\n")
            cache.code_digest.cache_clear()
            assert cache.key(("lstm",)) != before, edit
            path.write_bytes(original)
            cache.code_digest.cache_clear()
            assert cache.key(("lstm",)) == before
        assert cache.key(("lstm",)) != cache.key(("peephole",))
    finally:
        cache.code_digest.cache_clear()


def test_an_entry_is_served_only_under_its_own_key(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.store(("v",), "fresh")
    assert cache.load(("v",)) == "fresh"
    (path,) = cache_dir.glob("*.pickle")
    # an entry from another version of the code, renamed into place: its stored key differs
    path.write_bytes(pickle.dumps({"key": "0" * 64, "value": "stale"}))
    assert cache.load(("v",)) is None
    path.write_bytes(b"truncated")
    assert cache.load(("v",)) is None


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_entry_others_could_write_is_not_read(cache_dir: Path) -> None:
    cache.store(("v",), "value")
    (path,) = cache_dir.glob("*.pickle")
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    path.chmod(0o666)
    assert cache.load(("v",)) is None


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSTM_TRACE_CACHE_DIR", "off")
    cache.store(("v",), "value")
    assert cache.load(("v",)) is None
    assert cache.directory() is None


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LSTM_TRACE_CACHE_DIR", str(blocker / "cache"))
    cache.store(("v",), "value")  # cannot create a directory under a file
    assert cache.load(("v",)) is None


def test_the_command_line_fills_the_cache_once_and_prints_the_same(tmp_path: Path) -> None:
    env = {**os.environ, "LSTM_TRACE_CACHE_DIR": str(tmp_path / "c"), "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "lstm_trace", "run", str(GOMEZ), "--format", "json"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    entries = sorted((tmp_path / "c").glob("*.pickle"))
    assert len(entries) == 1  # the scenario (its model, a built-in variant's, is shipped: test_shipped.py)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    assert second.stdout == first.stdout
    assert sorted((tmp_path / "c").glob("*.pickle")) == entries  # read, not written anew
    off = subprocess.run(cmd, capture_output=True, text=True, env={**env, "LSTM_TRACE_CACHE_DIR": "off"}, check=True)
    assert off.stdout == first.stdout


def test_a_cached_scenario_is_the_one_read_and_an_edit_is_read_again(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    shutil.copy(GOMEZ, path)
    fresh = load_scenario(path)
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    served = load_scenario(path)
    assert served is not fresh
    for field in ("name", "file", "cell", "lr", "decimals", "expected", "parts", "notation"):
        assert getattr(served, field) == getattr(fresh, field), field
    for name, v in fresh.params.items():
        np.testing.assert_array_equal(served.params[name], v)
        assert not served.params[name].flags.writeable
    assert not served.x.flags.writeable and not served.init_state.flags.writeable
    with pytest.raises(TypeError):
        served.params["W_a"] = served.params["W_a"]  # still a read-only mapping
    path.write_text(path.read_text().replace("0.45", "0.55", 1))
    edited = load_scenario(path)
    assert edited.params["W_a"][0, 0] == 0.55 != fresh.params["W_a"][0, 0]
    # another path to the same bytes is its own entry: messages name the file as given
    other = tmp_path / "t.yaml"
    shutil.copy(GOMEZ, other)
    assert load_scenario(other).file == str(other)


def test_an_invalid_scenario_is_not_stored(cache_dir: Path, tmp_path: Path) -> None:
    from lstm_trace.errors import ScenarioError

    path = tmp_path / "bad.yaml"
    path.write_text(GOMEZ.read_text().replace("lr:", "lrr:", 1))
    for _ in range(2):
        with pytest.raises(ScenarioError, match="lrr"):
            load_scenario(path)
    assert not list(cache_dir.glob("*.pickle"))


def test_only_the_newest_entries_are_kept(cache_dir: Path) -> None:
    for k in range(5):
        cache.store((f"v{k}",), k)
        os.utime(next(p for p in cache_dir.glob("*.pickle") if p.name.startswith(cache.key((f"v{k}",)))), ns=(k, k))
    assert cache.load(("v0",)) == 0  # a hit makes v0 the most recently used
    cache._prune(cache_dir, keep=3)
    assert [cache.load((f"v{k}",)) for k in range(5)] == [0, None, None, 3, 4]


TEMPLATE_IMPORTS = """
import sys
from lstm_trace.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit:
    pass
print("IMPORTED", *sorted(m for m in ("numpy", "sympy", "pydantic", "yaml", "rich") if m in sys.modules),
      file=sys.stderr)
"""


def test_run_of_a_scenario_read_before_needs_neither_sympy_nor_pydantic(tmp_path: Path) -> None:
    """Traced from the shipped code and printed from the shipped templates, in both notations."""
    env = {**os.environ, "LSTM_TRACE_CACHE_DIR": str(tmp_path / "c"), "COLUMNS": "150"}
    for fmt in ("table", "markdown"):
        cmd = [sys.executable, "-c", TEMPLATE_IMPORTS, "run", str(GOMEZ), "--format", fmt]
        runs = [subprocess.run(cmd, capture_output=True, text=True, env=env, check=True) for _ in range(2)]
        imported = [r.stderr.split("IMPORTED")[-1].split() for r in runs]
        assert "sympy" not in imported[0] or fmt == "markdown"  # the model is shipped: the first run derives nothing
        assert "sympy" not in imported[1] and "pydantic" not in imported[1], fmt
        assert runs[1].stdout == runs[0].stdout
        off = {**env, "LSTM_TRACE_CACHE_DIR": "off"}
        assert subprocess.run(cmd, capture_output=True, text=True, env=off, check=True).stdout == runs[0].stdout


def test_template_of_a_scenario_read_before_needs_neither_numpy_sympy_nor_pydantic(tmp_path: Path) -> None:
    env = {**os.environ, "LSTM_TRACE_CACHE_DIR": str(tmp_path / "c")}
    homework = str(ROOT / "scenarios" / "gomez-homework.yaml")
    cmd = [sys.executable, "-c", TEMPLATE_IMPORTS, "template", homework, "--part", "b"]
    runs = [subprocess.run(cmd, capture_output=True, text=True, env=env, check=True) for _ in range(2)]
    imported = [r.stderr.split("IMPORTED")[-1].split() for r in runs]
    assert {"numpy", "pydantic"} <= set(imported[0])  # the first read validates and traces (a shipped model)
    assert imported[1] == []
    assert runs[1].stdout == runs[0].stdout
    assert "\ndstate_0:" in runs[0].stdout and "\na_0:" not in runs[0].stdout
    off = subprocess.run(cmd, capture_output=True, text=True, env={**env, "LSTM_TRACE_CACHE_DIR": "off"}, check=True)
    assert off.stdout == runs[0].stdout


@pytest.mark.parametrize(("cell", "bias", "loss", "optimizer", "K"), VARIANTS)
def test_fused_steps_equal_each_equation_evaluated_alone(  # noqa: N803
    cell: str, bias: bool, loss: str, optimizer: str, K: int
) -> None:
    """The trace fuses a step's elementwise equations into one call (codegen.fuse); each value it
    keeps is bit for bit the value of its own equation, evaluated alone on the trace's values. The
    products are their equations to within the products' rounding, n·ε·Σ|terms|, n the terms summed:
    δx_t, made for all steps in one product after the loop (allsteps.later), and Δout_{t-1} = Uᵀ·δgates_t
    (a softmax output's Δ_t = Vᵀ·δy_t), made with the transpose copied to rows (numeric/products.py)."""
    from lstm_trace.numeric.allsteps import later
    from lstm_trace.numeric.engine import _runs
    from lstm_trace.numeric.models import apply, fetcher

    spec = random_scenario(11, 3, 4, 3, bias=bias, cell=cell, K=K)
    spec["optimizer"] = {"name": optimizer, "lr": 0.1}
    tr = trace(load_scenario(spec))
    runs = _runs(tr.model.backward)
    assert any(c.kind == "fused" for c, _ in runs) and any(len(eqs) > 2 for _, eqs in runs)
    products = {eq.name for k in later(runs.calls) for eq in runs.calls[k][1]}
    assert products == {"dx"}
    products |= {eq.name for c, eqs in runs.calls if c.kind == "linear" for eq in eqs}  # and a softmax's Δ = Vᵀ·δy
    assert {"dx", "Dout"} <= products
    fetch = fetcher(tr.values, tr.scenario)
    size = fetcher({k: np.abs(v) for k, v in tr.values.items()}, tr.scenario)
    checked = 0
    for row in tr.rows:
        if row.step is None or row.equation is None:
            continue
        alone = apply(row.equation, fetch, row.step, tr.scenario.T)
        if row.equation.name in products:
            n = tr.values[f"dgates_{row.step}"].size
            bound = n * np.finfo(np.float64).eps * apply(row.equation, size, row.step, tr.scenario.T)
            assert np.all(np.abs(tr.values[row.name] - alone) <= bound), row.name
        else:
            np.testing.assert_array_equal(tr.values[row.name], alone, err_msg=row.name)
        checked += 1
    assert checked == sum(1 for r in tr.rows if r.step is not None) - 1  # all but Δout_{T-1} = 0
