"""The benchmark's plain numpy loops (benchmarks/floors.py) compute what the trace does, for every cell and
layout it times, so that the trace/loop ratios in the README cannot silently compare against something else."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_trace import load_scenario, trace
from lstm_trace.numeric.generate import Spec, scenario_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))  # as benchmarks/run.py imports it

import floors  # noqa: E402

NETWORKS = {  # the cell, layers, bidirectional: the ones `run.py --cells` times, the LSTM, and both at once
    "gru": ("gru", 1, False),
    "rnn": ("rnn", 1, False),
    "lstm-2-layers": ("lstm", 2, False),
    "lstm-bidirectional": ("lstm", 1, True),
    "lstm": ("lstm", 1, False),
    "rnn-2-layers-bidirectional": ("rnn", 2, True),
}
SEEDS = (1, 2, 3)


def traced(tmp_path: Path, network: str, seed: int):  # noqa: ANN201
    cell, layers, bidirectional = NETWORKS[network]
    spec = Spec(D=3, H=4, T=5, seed=seed, cell=cell, layers=layers, bidirectional=bidirectional, decimals=4)
    path = tmp_path / f"{network}-{seed}.yaml"
    path.write_text(scenario_text(spec))
    return trace(load_scenario(path))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("network", NETWORKS)
def test_the_plain_loop_computes_what_the_trace_does(tmp_path, network, seed):
    tr = traced(tmp_path, network, seed)
    floors.check_network(tr)
    if network == "lstm":  # the LSTM's own loop, which `run.py --trace` times, and its tuned form
        floors.check_against(tr)
        floors.check_against(tr, floors.tuned_loop)


@pytest.mark.parametrize("network", NETWORKS)
def test_the_check_fails_when_any_weight_of_the_loop_is_perturbed(tmp_path, network, monkeypatch):
    tr = traced(tmp_path, network, 7)
    cell, units, *rest = floors.network_arguments(tr.scenario)
    rng = np.random.default_rng(0)
    for k, unit in enumerate(sum(units, [])):  # every layer's and direction's parameters
        for name in unit:
            moved = [[{n: w.copy() for n, w in u.items()} for u in layer] for layer in units]
            w = sum(moved, [])[k][name]
            w.flat[rng.integers(w.size)] += 1e-6
            monkeypatch.setattr(floors, "network_arguments", lambda sc, moved=moved: (cell, moved, *rest))
            with pytest.raises(AssertionError):
                floors.check_network(tr)
    monkeypatch.undo()
    floors.check_network(tr)  # and passes again with the scenario's own weights


@pytest.mark.parametrize("loop", ["plain_loop", "tuned_loop"])
def test_the_lstm_check_fails_when_a_weight_is_perturbed(tmp_path, monkeypatch, loop):
    tr = traced(tmp_path, "lstm", 7)
    W, *rest = floors.arguments(tr.scenario)  # noqa: N806
    W = W.copy()  # noqa: N806
    W[1, 2] += 1e-6
    monkeypatch.setattr(floors, "arguments", lambda sc: (W, *rest))
    with pytest.raises(AssertionError):
        floors.check_against(tr, getattr(floors, loop))
