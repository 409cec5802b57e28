"""lstm-trace new --layers N --bidirectional: stacked and bidirectional exercises of every built-in cell that
stacks (lstm, cifg, gru, rnn), with and without bias, with a softmax output, with the sheet's parts and an
answer key that check grades all correct; the same seed writes the same bytes. The files are read back by
the loader, traced, checked against central differences and, read as they are written (blocks l0, l0r, l1 …;
above layer 0 a W of H×2H columns [out_t; out_t reverse]), against PyTorch's nn.LSTM, nn.GRU and nn.RNN."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from lstm_trace import load_scenario, trace
from lstm_trace.cli import cli
from lstm_trace.numeric.generate import Spec, estimated_bytes, scenario_text
from lstm_trace.numeric.gradcheck import gradcheck

CELLS = ["lstm", "cifg", "gru", "rnn"]
NETWORKS = {"stacked": (2, False), "bidirectional": (1, True), "both": (2, True)}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def network(layers: int, bidirectional: bool) -> list:
    return ["--layers", layers, *(["--bidirectional"] if bidirectional else [])]


def write(tmp_path, name: str, *args) -> tuple:
    """The scenario and its answer key, written by new with the sheet's parts."""
    sc, key = tmp_path / f"{name}.yaml", tmp_path / f"{name}-key.yaml"
    r = invoke("new", *args, "--parts", "-o", sc, "--answers", key)
    assert r.exit_code == 0, r.output
    return sc, key


def graded_all_correct(sc, key) -> None:
    r = invoke("check", sc, key)
    assert r.exit_code == 0, r.output[-1500:]
    n = len(yaml.safe_load(key.read_text()))
    assert f"Score: {n}/{n}" in r.output


def top_suffix(layers: int, bidirectional: bool) -> str:
    return f"_l{layers - 1}" + ("r" if bidirectional else "")


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("net", NETWORKS)
def test_each_cell_stacked_and_bidirectional_traces_gradchecks_and_its_key_grades_correct(tmp_path, cell, net):
    layers, bidirectional = NETWORKS[net]
    args = ["--input", 3, "--hidden", 2, "--length", 3, "--cell", cell, *network(layers, bidirectional)]
    sc, key = write(tmp_path, "one", *args, "--seed", 21)
    s = load_scenario(sc)
    assert (s.cell, s.layers, s.directions, s.D, s.H, s.T) == (cell, layers, 1 + bidirectional, 3, 2, 3)
    assert [p.id for p in s.parts] == ["a", "b", "c", "d"]
    tr = trace(s)
    checks = gradcheck(tr)
    assert all(c.ok for c in checks), [c.name for c in checks if not c.ok]
    assert any(c.name.endswith(top_suffix(layers, bidirectional)) for c in checks)  # the top block is checked
    graded_all_correct(sc, key)
    again, again_key = write(tmp_path, "two", *args, "--seed", 21)
    assert again.read_bytes() == sc.read_bytes()
    assert again_key.read_bytes().split(b"\n", 1)[1] == key.read_bytes().split(b"\n", 1)[1]  # but the file named
    other, _ = write(tmp_path, "three", *args, "--seed", 22)
    assert other.read_bytes() != sc.read_bytes()


@pytest.mark.parametrize(
    ("cell", "extra"),
    [("lstm", []), ("cifg", []), ("gru", []), ("gru", ["--reset", "before"]), ("rnn", ["--activation", "relu"])],
)
def test_without_bias_and_with_the_cells_own_choice(tmp_path, cell, extra):
    args = ["--input", 2, "--hidden", 2, "--length", 2, "--cell", cell, *extra, "--no-bias", *network(2, True)]
    sc, key = write(tmp_path, "nb", *args, "--seed", 5, "--decimals", 1)
    s = load_scenario(sc)
    assert not s.bias and not any(p.startswith("b") for p in s.params)
    assert all(c.ok for c in gradcheck(trace(s)))
    graded_all_correct(sc, key)


@pytest.mark.parametrize(("cell", "layers"), [("lstm", 1), ("gru", 2), ("rnn", 3)])
def test_a_bidirectional_softmax_exercise(tmp_path, cell, layers):
    args = ["--input", 2, "--hidden", 2, "--length", 3, "--cell", cell, *network(layers, True)]
    sc, key = write(tmp_path, "sm", *args, "--output-layer", "softmax", "--classes", 4, "--seed", 8)
    raw = yaml.safe_load(sc.read_text())
    assert np.shape(raw["parameters"]["V"]) == (4, 4)  # K×2H: reads [out_t; out_t reverse]
    s = load_scenario(sc)
    assert s.K == 4 and s.params["Vf"].shape == s.params["Vr"].shape == (4, 2) and "V" not in s.params
    assert all(c.ok for c in gradcheck(trace(s)))
    graded_all_correct(sc, key)


def test_a_bidirectional_label_has_both_directions_halves_and_upper_layers_read_both():
    text = scenario_text(Spec(3, 2, 2, seed=4, cell="rnn", layers=2, bidirectional=True))
    raw = yaml.safe_load(text)
    assert raw["model"] == {"cell": "rnn", "output": "none", "activation": "tanh", "layers": 2, "bidirectional": True}
    assert list(raw["parameters"]) == ["l0", "l0r", "l1", "l1r"]
    assert [np.shape(raw["parameters"][b]["W"]) for b in ("l0", "l0r", "l1", "l1r")] == [(2, 3)] * 2 + [(2, 4)] * 2
    assert all(len(step["label"]) == 4 for step in raw["sequence"])
    stacked = yaml.safe_load(scenario_text(Spec(3, 2, 2, seed=4, cell="gru", layers=3)))
    assert [np.shape(stacked["parameters"][b]["W"]["r"]) for b in ("l0", "l1", "l2")] == [(2, 3), (2, 2), (2, 2)]
    assert all(len(step["label"]) == 2 for step in stacked["sequence"])


@pytest.mark.parametrize("flags", [["--layers", 2], ["--bidirectional"], ["--layers", 3, "--bidirectional"]])
def test_a_peephole_cell_is_refused_with_layers(tmp_path, flags):
    out = tmp_path / "p.yaml"
    r = CliRunner().invoke(
        cli, ["new", "--input", "2", "--hidden", "2", "--length", "2", "--seed", "1", "--cell", "peephole"]
        + [str(f) for f in flags] + ["-o", str(out)]
    )  # fmt: skip
    assert r.exit_code == 2 and "Traceback" not in r.output
    which = "--bidirectional" if "--bidirectional" in flags else "--layers"
    assert f"Error: --cell peephole cannot be used with {which}" in r.output
    assert not out.exists()
    with pytest.raises(ValueError, match="peephole"):  # the library's Spec refuses it too
        Spec(2, 2, 2, 1, "peephole", layers=2 if "--layers" in flags else 1, bidirectional=which != "--layers")


@pytest.mark.parametrize("layers", ["0", "9"])
def test_layers_out_of_range_is_a_usage_error(layers):
    r = CliRunner().invoke(
        cli, ["new", "--input", "2", "--hidden", "2", "--length", "2", "--seed", "1", "--layers", layers]
    )
    assert r.exit_code == 2 and f"Invalid value for '--layers': {layers} is not in the range 1<=x<=8" in r.output


@pytest.mark.parametrize(("cell", "layers", "bidirectional"), [("lstm", 3, True), ("gru", 2, False), ("rnn", 1, True)])
def test_the_size_estimate_counts_every_layer_and_direction(cell, layers, bidirectional):
    spec = Spec(5, 6, 4, seed=2, cell=cell, layers=layers, bidirectional=bidirectional, output="softmax")
    actual = len(scenario_text(spec))
    assert 0.6 * actual < estimated_bytes(spec) < 1.5 * actual


def test_a_stack_too_big_to_read_back_is_refused_before_it_is_written(tmp_path):
    out = tmp_path / "big.yaml"
    args = ["--input", 64, "--hidden", 512, "--length", 1, "--seed", 1, "-o", out]
    r = CliRunner().invoke(cli, ["new", *map(str, args), "--layers", "8", "--bidirectional"])
    assert r.exit_code == 2 and not out.exists()
    assert "D=64, H=512, T=1, 8 layers, bidirectional would be about" in r.output
    assert "or use fewer --layers" in r.output


torch = pytest.importorskip("torch")

TORCH_ROWS = {"lstm": ("i", "f", "a", "o"), "gru": ("r", "z", "n"), "rnn": ("",)}  # weight_ih's row blocks


def _torch_module(raw: dict, cell: str, layers: int, bidirectional: bool):  # noqa: ANN202
    """The nn module with the file's numbers, read from the YAML as written (not through the loader)."""
    p = raw["parameters"]
    D, H = np.shape(p["l0"]["W"] if cell == "rnn" else p["l0"]["W"]["r" if cell == "gru" else "a"])[::-1]  # noqa: N806
    kind = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[cell]
    m = getattr(torch.nn, kind)(D, H, num_layers=layers, bidirectional=bidirectional).double()
    state = {}
    for k in range(layers):
        for rev in (False, True)[: 1 + bidirectional]:
            block, tail = p[f"l{k}" + "r" * rev], f"_l{k}" + "_reverse" * rev

            def rows(name: str, blk: dict = block) -> np.ndarray:
                return np.vstack([blk[name] if cell == "rnn" else blk[name][g] for g in TORCH_ROWS[cell]])

            b = np.concatenate([block["b"] if cell == "rnn" else block["b"][g] for g in TORCH_ROWS[cell]])
            b_hh = np.zeros_like(b)
            if cell == "gru":
                b_hh[2 * H :] = block["b_hn"]
            state |= {f"weight_ih{tail}": rows("W"), f"weight_hh{tail}": rows("U")}
            state |= {f"bias_ih{tail}": b, f"bias_hh{tail}": b_hh}
    m.load_state_dict({k: torch.tensor(np.asarray(v, dtype=np.float64)) for k, v in state.items()})
    return m


def _mine(tr, cell: str, k: int, rev: bool, bidirectional: bool) -> dict[str, np.ndarray]:
    """The traced gradients of block l{k}(r) in PyTorch's shapes: the gates' rows stacked, above layer 0 a
    bidirectional W's two halves side by side."""
    sfx = f"_l{k}" + "r" * rev

    def d(p: str, g: str) -> np.ndarray:
        return np.atleast_2d(tr[f"d{p}{'_' + g if g else ''}{sfx}"])

    halves = k > 0 and bidirectional
    ih = np.vstack([np.hstack([d("Wf", g), d("Wr", g)]) if halves else d("W", g) for g in TORCH_ROWS[cell]])
    hh = np.vstack([d("U", g) for g in TORCH_ROWS[cell]])
    b = np.concatenate([np.ravel(tr[f"db{'_' + g if g else ''}{sfx}"]) for g in TORCH_ROWS[cell]])
    tail = f"_l{k}" + "_reverse" * rev
    return {f"weight_ih{tail}": ih, f"weight_hh{tail}": hh, f"bias_ih{tail}": b}


@pytest.mark.parametrize(
    ("cell", "layers", "bidirectional", "head"),
    [("lstm", 2, True, "none"), ("gru", 2, True, "softmax"), ("rnn", 3, False, "none"), ("lstm", 2, False, "softmax")],
)
def test_the_file_as_written_is_pytorchs_network(tmp_path, cell, layers, bidirectional, head):
    text = scenario_text(Spec(3, 2, 4, 13, cell, head, layers=layers, bidirectional=bidirectional, decimals=3))
    raw = yaml.safe_load(text)
    m = _torch_module(raw, cell, layers, bidirectional)
    x = torch.tensor([s["x"] for s in raw["sequence"]], dtype=torch.float64, requires_grad=True)
    out, _ = m(x)
    if head == "softmax":
        V, c = (torch.tensor(raw["parameters"][k], dtype=torch.float64) for k in ("V", "c"))  # noqa: N806
        labels = torch.tensor([s["label"] for s in raw["sequence"]])
        E = torch.nn.functional.cross_entropy(out @ V.T + c, labels, reduction="sum")  # noqa: N806
    else:
        labels = torch.tensor(np.array([np.atleast_1d(s["label"]) for s in raw["sequence"]], dtype=np.float64))
        E = 0.5 * ((out - labels) ** 2).sum()  # noqa: N806
    E.backward()
    (tmp_path / "g.yaml").write_text(text, encoding="utf-8")
    tr = trace(load_scenario(tmp_path / "g.yaml"))
    assert tr.E == pytest.approx(E.item(), rel=1e-12)
    np.testing.assert_allclose(np.stack([tr[f"dx_{t}"] for t in range(4)]), x.grad.numpy(), rtol=1e-9, atol=1e-13)
    grads = {name: p.grad.numpy() for name, p in m.named_parameters()}
    for k in range(layers):
        for rev in (False, True)[: 1 + bidirectional]:
            for name, mine in _mine(tr, cell, k, rev, bidirectional).items():
                np.testing.assert_allclose(mine, grads[name], rtol=1e-9, atol=1e-13, err_msg=name)
