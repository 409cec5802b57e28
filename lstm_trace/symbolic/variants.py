"""Each variant's model by its names: the built-in cells, an output layer, a loss and an optimizer."""

from __future__ import annotations

from ..refs import OPTIONS, named_by_layer
from .cells.base import Cell
from .cells.heads import no_head
from .derive import derive
from .model import Model


def variant(  # noqa: PLR0913 - a variant's names, as the command line and the scenario give them
    cell: str = "lstm",
    bias: bool = True,
    option: str = "",
    output: str = "none",
    optimizer: str = "sgd",
    loss: str | None = None,
    layers: int = 1,
    directions: int = 1,
) -> Model:
    """A variant's model by its names: cell "lstm", "peephole", "cifg", "gru" or "rnn"; option the cell's
    own choice (a peephole output gate sees state_t "current" or state_{t-1} "previous"; a GRU resets
    "after" or "before" U_n; an RNN's activation "tanh" or "relu"); output "none" (l2 loss on out_t)
    or "softmax" (cross-entropy). loss "upstream": a given ∂L/∂out_t instead of the output's loss;
    "none" (forward only) traces the same forward equations (the upstream model's, or the softmax's).
    layers: stacked layers; directions 2: bidirectional (each layer's reverse direction beside it)."""
    from .cells.heads import softmax_head

    the_cell = cell_named(cell, bias, option)
    head = softmax_head()
    if named_by_layer(layers, directions):
        from .cells.layers import layered, split_head

        the_cell = layered(the_cell, layers, directions)
        head = split_head(head, the_cell.outputs) if the_cell.outputs else head  # type: ignore[arg-type]
    if output == "softmax":
        return derive(the_cell, "cross_entropy", optimizer, head)
    return derive(the_cell, "upstream" if loss in ("upstream", "none") else "l2", optimizer, no_head())


def cell_named(cell: str, bias: bool = True, option: str = "") -> Cell:
    """A built-in cell's forward equations by its name and option."""
    from .cells.custom import custom
    from .cells.gru import gru, rnn
    from .cells.lstm import cifg, lstm, peephole

    if cell == "custom":
        return custom(option)
    if cell == "peephole":
        return peephole(bias=bias, output_gate=option or OPTIONS[cell][1])
    if cell == "gru":
        return gru(bias=bias, reset=option or OPTIONS[cell][1])
    if cell == "rnn":
        return rnn(bias=bias, activation=option or OPTIONS[cell][1])
    return cifg(bias=bias) if cell == "cifg" else lstm(bias=bias)
