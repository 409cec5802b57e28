"""The benchmark's comparisons against PyTorch (issue 20): versus_torch times our numeric trace, PyTorch's
module and a plain numpy loop (floors.py) side by side; the `--cells` section of run.py runs it for the
GRU, the RNN, stacked and bidirectional LSTMs. Imported by run.py, which is run as a script from benchmarks/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def versus_torch(path: Path, D: int, H: int, T: int, repeats: int, module: str = "LSTM", **layout: object) -> tuple:  # noqa: N803, PLR0913
    """Our numeric trace, PyTorch's nn.LSTM (or the module named, with the layout given: num_layers=2,
    bidirectional=True) forward+backward (float64, one thread) and a plain numpy BPTT loop (floors.py,
    checked against the trace first), the same sizes, run in turns in this process so that all see the
    same machine; the best of each: (trace, PyTorch or None, plain loop, the tuned loop or None: the
    plain LSTM's alone, floors.tuned_loop; the trace with its rows read, which it makes when first read; the
    recurrence's matrix-vector products alone or None, floors.recurrence_products, the plain LSTM's)."""
    import floors

    from lstm_trace import load_scenario, trace

    sc = load_scenario(path)
    tuned = None
    if module == "LSTM" and not layout:  # the LSTM's own loop, as issue 20 first measured it, and its tuned form
        floors.check_against(trace(sc))
        floors.check_against(trace(sc), floors.tuned_loop)
        loop, args = floors.plain_loop, floors.arguments(sc)
        tuned = floors.tuned_loop
    else:
        floors.check_network(trace(sc))
        loop, args = floors.network_loop, floors.network_arguments(sc)
    fns = [lambda: trace(sc), lambda: loop(*args), lambda: len(trace(sc).rows)]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        lstm = getattr(torch.nn, module)(D, H, **layout).double()
        x = torch.randn(T, 1, D, dtype=torch.float64)

        def step() -> None:
            lstm.zero_grad()
            out, _ = lstm(x)
            out.pow(2).sum().backward()

        fns.append(step)
    if tuned is not None:
        fns += [lambda: tuned(*args), lambda: floors.recurrence_products(args[1], T)]
    best = floors.interleaved(fns, repeats)
    theirs = best[3] if torch is not None else None
    extra = (best[-2], best[-1]) if tuned is not None else (None, None)
    return best[0], theirs, best[1], extra[0], best[2], extra[1]


CELLS = (  # the label, the options of lstm-trace new, PyTorch's module and its layout
    ("GRU", ("--cell", "gru"), "GRU", {}),
    ("RNN (tanh)", ("--cell", "rnn"), "RNN", {}),
    ("LSTM, 2 layers", ("--layers", "2"), "LSTM", {"num_layers": 2}),
    ("LSTM, bidirectional", ("--bidirectional",), "LSTM", {"bidirectional": True}),
)


def cells_against_floors(tmp: Path, repeats: int, scenario: Callable[..., Path]) -> None:
    """The other cells and layouts against their plain numpy loops and PyTorch (issue 20: the same ratios)."""
    print(
        f"{'D=64 H=128 T=512':22} {'trace':>7} {'loop':>7} {'trace/loop':>11} {'rows read':>10}   "
        "PyTorch fwd+bwd float64 1 thread (goal: trace/loop <= 1.5x; rows read: the trace, its rows then read)"
    )
    for k, (label, options, module, layout) in enumerate(CELLS):
        path = scenario(tmp / f"cell{k}.yaml", 64, 128, 512, *options)
        ours, theirs, loop, _, read, _ = versus_torch(path, 64, 128, 512, repeats, module, **layout)
        args = "".join(f", {name}={value}" for name, value in layout.items())
        vs = f"{theirs * 1000:5.0f} ms nn.{module}(D, H{args})" if theirs else "PyTorch not installed"
        print(f"{label:22} {ours * 1000:4.0f} ms {loop * 1000:4.0f} ms {ours / loop:10.2f}x {read / loop:9.2f}x   {vs}")
