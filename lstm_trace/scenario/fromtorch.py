"""A scenario from a PyTorch nn.LSTM, nn.GRU or nn.RNN and its input, in one call: lstm_trace.from_torch(module, x).

torch stays optional: nothing here imports it; the module's tensors are read through their own
methods (detach, cpu, double, numpy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TorchScenario:
    """The scenario as a dict (for load_scenario or trace) and as YAML text (to save and edit)."""

    data: dict[str, Any]
    yaml: str


def _array(t: Any) -> np.ndarray:
    """A tensor (or array, or list) as float64 numbers."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().double().numpy()
    return np.asarray(t, dtype=np.float64)


def _steps_first(a: np.ndarray, batch_first: bool) -> np.ndarray:
    """(T, D), or a batch (T, N, D); PyTorch's batch_first (N, T, D) turned steps first."""
    return a.swapaxes(0, 1) if batch_first and a.ndim == 3 else a


CELLS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}


def _check_module(module: Any) -> dict[str, str]:
    """The scenario's model: {cell: …} (and an nn.RNN's activation)."""
    kind = type(module).__name__
    if kind not in CELLS:
        raise ValueError(f"from_torch reads an nn.LSTM, nn.GRU or nn.RNN, found {kind}")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"from_torch reads an nn.{kind} without proj_size")
    if module.num_layers > 1 and module.dropout and module.training:
        raise ValueError(f"nn.{kind}'s dropout between layers is random in training: call module.eval() first")
    model: dict[str, Any] = {"cell": CELLS[kind]}
    if module.num_layers > 1:
        model["layers"] = module.num_layers
    if module.bidirectional:
        model["bidirectional"] = True
    if kind == "RNN":
        model["activation"] = module.nonlinearity
    return model


def from_torch(
    module: Any,
    x: Any,
    target: Any = None,
    upstream: Any = None,
    initial: tuple[Any, Any] | Any | None = None,
    lr: float = 0.1,
    name: str = "",
) -> TorchScenario:
    """The scenario that traces `module` on input `x` (T×D, or T×N×D for a batch; N×T×D with batch_first).

    target: labels like the output (the l2 loss ½‖out_t − label_t‖²); upstream: ∂L/∂out_t like the
    output (CS231n's dout); neither: the forward pass only. initial: (h0, c0), each H or N×H (h0 alone
    for an nn.GRU or nn.RNN).
    The parameters keep PyTorch's names and shapes (layout: pytorch).
    """
    model = _check_module(module)
    kind = type(module).__name__
    if target is not None and upstream is not None:
        raise ValueError("give target (labels) or upstream (∂L/∂out_t), not both")
    params = {k: _array(v).tolist() for k, v in module.state_dict().items()}
    xs = _steps_first(_array(x), module.batch_first)
    key, given = ("label", target) if target is not None else ("dout", upstream)
    ys = None if given is None else _steps_first(_array(given), module.batch_first)
    steps = []
    for t in range(xs.shape[0]):
        step = {"x": xs[t].tolist()}
        if ys is not None:
            step[key] = ys[t].tolist()
        steps.append(step)
    data: dict[str, Any] = {"name": name or f"nn.{kind}", "source": f"PyTorch nn.{kind}", "layout": "pytorch"}
    if model != {"cell": "lstm"}:
        data["model"] = model
    data["parameters"] = params
    if initial is not None and (module.num_layers > 1 or module.bidirectional):
        which = "bidirectional" if module.bidirectional else "stacked"
        raise ValueError(f"{which} layers start from zeros here: leave initial out")
    if initial is not None and kind == "LSTM":
        data["initial"] = {"out": _array(initial[0]).tolist(), "state": _array(initial[1]).tolist()}
    elif initial is not None:  # a GRU's and an RNN's h0 alone
        data["initial"] = {"out": _array(initial[0] if isinstance(initial, tuple) else initial).tolist()}
    data["sequence"] = steps
    if ys is None:
        data["loss"] = "none"
    data["optimizer"] = {"name": "sgd", "lr": float(lr)}
    return TorchScenario(data, _yaml(data))


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    head = f"# Written by lstm_trace.from_torch: {data['source']}'s state_dict as it is (layout: pytorch).\n"
    return head + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
