from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOMEZ = SCENARIOS / "gomez.yaml"
GATES = ("a", "i", "f", "o")


@pytest.fixture(autouse=True, scope="session")
def _private_model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The tests (and the CLI they start) use a model cache of their own, never the user's."""
    import os

    os.environ["LSTM_TRACE_CACHE_DIR"] = str(tmp_path_factory.mktemp("model-cache"))


def random_scenario(  # noqa: N803
    seed: int, D: int, H: int, T: int, bias: bool = True, stacked: bool = False, cell: str = "lstm", K: int = 0
) -> dict:
    """A valid scenario dict with random weights, inputs, labels and initial state.

    cell: "lstm", "peephole" (the output gate sees state_t) or "peephole-previous" (state_{t-1}).
    K: classes of a softmax output layer with cross-entropy (0: none, the l2 loss on out_t).
    """
    rng = np.random.default_rng(seed)

    def mat(r: int, c: int) -> list:
        return rng.uniform(-1, 1, (r, c)).round(3).tolist()

    W = {g: mat(H, D) for g in GATES}
    U = {g: mat(H, H) for g in GATES}
    params: dict = {"W": W, "U": U}
    if bias:
        params["b"] = {g: rng.uniform(-0.5, 0.5, H).round(3).tolist() for g in GATES}
    if stacked:
        params = {
            k: [row for g in GATES for row in v[g]] if k != "b" else [e for g in GATES for e in v[g]]
            for k, v in params.items()
        }
    model: dict = {"cell": "lstm"}
    if cell.startswith("peephole"):
        model = {"cell": "peephole", "peephole_output": "previous" if cell.endswith("previous") else "current"}
        params["P"] = {g: rng.uniform(-0.5, 0.5, H).round(3).tolist() for g in ("i", "f", "o")}
    labels = [rng.uniform(-0.9, 0.9, H).tolist() for _ in range(T)]
    extra = {}
    if K:
        model["output"] = "softmax"
        params["V"] = rng.uniform(-1, 1, (K, H)).round(3).tolist()
        params["c"] = rng.uniform(-0.5, 0.5, K).round(3).tolist()
        labels = [int(k) for k in rng.integers(0, K, T)]
        extra["loss"] = "cross_entropy"
    return {
        **extra,
        "name": f"random {seed}",
        "model": model,
        "parameters": params,
        "initial": {"out": rng.uniform(-0.5, 0.5, H).tolist(), "state": rng.uniform(-1, 1, H).tolist()},
        "sequence": [{"x": rng.uniform(-2, 2, D).tolist(), "label": label} for label in labels],
        "optimizer": {"name": "sgd", "lr": 0.1},
    }


@pytest.fixture
def console():
    """A plain, fixed-width rich console writing to a string."""
    from rich.console import Console

    return Console(width=200, file=io.StringIO(), color_system=None, soft_wrap=False, highlight=False)


def assert_balanced_latex(tex: str) -> None:
    """Every \\begin has its \\end, in order, and braces pair up."""
    import re

    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, env
    assert not stack, stack
    assert tex.count("{") - tex.count("\\{") == tex.count("}") - tex.count("\\}")


def compile_latex(tex: str, where: Path) -> None:
    """pdflatex the document where it is installed; otherwise skip, saying so."""
    import shutil
    import subprocess

    assert_balanced_latex(tex)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed here; the document was checked for balanced environments only")
    (where / "doc.tex").write_text(tex)
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=where, capture_output=True, check=False)
    assert r.returncode == 0, r.stdout[-2000:]


def central_difference(sc, name: str, idx: tuple[int, ...], h: float = 1e-6) -> float:  # noqa: ANN001
    """∂E/∂params[name][idx] by central differences of the forward loss alone (numeric.engine.loss)."""
    from dataclasses import replace
    from types import MappingProxyType

    from lstm_trace.numeric.engine import loss

    nudged = []
    for step in (h, -h):
        v = np.array(sc.params[name])
        v[idx] += step
        nudged.append(loss(replace(sc, params=MappingProxyType({**sc.params, name: v}))))
    return (nudged[0] - nudged[1]) / (2 * h)
