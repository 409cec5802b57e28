"""The exercise, validated: Scenario (parameters, sequence, options, parts) and Part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from ..refs import Shape, shape
from .answers import Answers


@dataclass(frozen=True)
class Scenario:
    """One exercise.  Parameters per gate: W_g (H×D), U_g (H×H), b_g (H,)."""

    name: str
    source: str
    cell: str
    output: str
    loss: str
    optimizer: str
    lr: float
    decimals: int
    params: Mapping[str, np.ndarray]
    x: np.ndarray  # (T, D); a batch of N sequences (N, T, D)
    # (T, H); for a softmax output the one-hot class, (T, K); for loss "upstream" the given ∂L/∂out_t (dout);
    # a batch (N, T, ·)
    label: np.ndarray
    init_out: np.ndarray  # (H,); a batch (N, H)
    init_state: np.ndarray  # (H,); a batch (N, H)
    expected: Answers = Answers("<dict>", ())
    eps: float = 1e-8  # adagrad's ε
    iterations: int = 1
    notation: str = "default"  # or "ch": c_t, h_t for state_t, out_t
    option: str = ""  # the cell's own choice: a peephole's output gate, a GRU's reset, an RNN's activation
    layers: int = 1  # stacked layers: layer l+1 reads layer l's out_t (names carry the layer: a_l0_t)
    directions: int = 1  # 2: bidirectional, each layer's reverse direction beside it (names carry _l0r: a_l0r_t)
    parts: tuple[Part, ...] = ()
    carried_credit: float = 0.5
    file: str = "<dict>"
    min_significant: int = 2  # grading: the significant digits an answer must match
    rtol: float = 0.0  # grading: tolerances on top of the written rounding (a source printing float32)
    atol: float = 0.0
    layout: str = "gomez"  # how the file named and shaped the parameters (scenario/layouts.py)
    given: tuple[tuple[str, np.ndarray], ...] = ()  # the parameters as the file gave them, for another layout
    batch: int = 0  # N sequences sharing the parameters, or 0: one sequence without a batch axis
    reduction: str = "sum"  # a batch's loss and parameter gradients: "sum" or "mean" over its sequences
    final_dstate: np.ndarray | None = None  # ∂L/∂state_{T-1} given from beyond the last step

    @property
    def bias(self) -> bool:
        return any(k == "b" or (k.startswith("b_") and not k.startswith("b_hn")) for k in self.params)

    @property
    def peephole_output(self) -> str:
        """The state a peephole output gate sees: state_t ("current") or state_{t-1} ("previous")."""
        return self.option or "current"

    @property
    def stack(self) -> tuple[int, int]:
        """(layers, directions): how the cell is stacked, as layouts.py's functions take it."""
        return self.layers, self.directions

    @property
    def shape(self) -> Shape:
        """The cell's gates, what it hands on, and its other vectors (refs.py)."""
        return shape(self.cell, self.bias, self.option, self.layers, self.directions)

    def __getstate__(self) -> dict[str, Any]:  # for the cache: a mappingproxy cannot be pickled
        return {**self.__dict__, "params": dict(self.params)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for v in (*state["params"].values(), state["x"], state["label"], state["init_out"], state["init_state"]):
            v.setflags(write=False)
        self.__dict__.update(state, params=MappingProxyType(state["params"]))

    def sequence(self, n: int) -> Scenario:
        """Sequence n of a batch, as a scenario of its own (the parameters shared)."""
        final = None if self.final_dstate is None else self.final_dstate[n]
        parts = {"x": self.x[n], "label": self.label[n], "init_out": self.init_out[n], "init_state": self.init_state[n]}
        return replace(self, **parts, batch=0, final_dstate=final)

    @property
    def D(self) -> int:  # noqa: N802 - the maths' name
        return self.x.shape[-1]

    @property
    def H(self) -> int:  # noqa: N802
        return self.init_out.shape[-1]

    @property
    def K(self) -> int:  # noqa: N802 - the maths' name: classes of a softmax output (0 without one)
        return self.params["c"].shape[0] if "c" in self.params else 0  # V is K×H (or Vf and Vr)

    @property
    def T(self) -> int:  # noqa: N802
        return self.x.shape[-2]


@dataclass(frozen=True)
class Part:
    """A homework part; where[k] is the (line, column) of quantities[k], for messages."""

    id: str
    title: str
    quantities: tuple[str, ...]
    points: float
    where: tuple[tuple[int | None, int | None], ...]
    file: str = "<dict>"
