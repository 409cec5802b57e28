"""Quantities by name, without sympy: a cell's gates and parameters, the sizes, and a quantity at a time shift.

The run path (tracing, printing, the caches) needs only these; sympy is imported where
equations are derived or transformed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

GATES = ("a", "i", "f", "o")  # the LSTM's, in the order its stacked W = [W_a; W_i; W_f; W_o] holds them
SIZE_NAMES = ("D", "H", "K")  # symbols that are sizes, never values
CELLS = ("lstm", "peephole", "cifg", "gru", "rnn", "custom")
# a cell's own choice: the scenario's key under model: (and the command line's --key) and its default
OPTIONS = {"peephole": ("peephole_output", "current"), "gru": ("reset", "after"), "rnn": ("activation", "tanh")}


@dataclass(frozen=True)
class Shape:
    """What a cell's quantities are called and how big they are, without its equations.

    gates:     per-gate parameter families W_g, U_g, b_g, in the order the stacked W holds them;
               () for a cell with one W, U, b (the vanilla RNN)
    recurrent: what a step hands the next, its initial value given (state_{-1}, out_{-1})
    vectors:   the other H-entry parameters (peepholes P_i …, the GRU's second bias b_hn)
    """

    cell: str
    gates: tuple[str, ...] = GATES
    recurrent: tuple[str, ...] = ("state", "out")
    vectors: tuple[str, ...] = ()

    def width(self, base: str) -> int:
        """How many H-blocks a per-step quantity has: the stacked gates' z_t and δgates_t one per gate."""
        if base == "dgates" or (base == "z" and self.gates and "z" not in self.gates):
            return len(self.gates)
        return 1


def layer_suffix(layer: int, reverse: bool = False) -> str:
    """What stacked layer k's names carry: a_l0_t, W_a_l1 (PyTorch's weight_ih_l1); a bidirectional layer's
    reverse direction adds r: a_l0r_t, W_a_l0r (PyTorch's weight_ih_l0_reverse)."""
    return f"_l{layer}" + ("r" if reverse else "")


def suffixes(layers: int, directions: int = 1) -> list[str]:
    """Every layer's and direction's suffix in the order they are computed: _l0, _l0r, _l1, _l1r …"""
    return [layer_suffix(k, r) for k in range(layers) for r in (False, True)[:directions]]


def named_by_layer(layers: int, directions: int = 1) -> bool:
    """Whether names carry their layer: stacked layers, and every bidirectional network."""
    return layers > 1 or directions > 1


def halves(name: str) -> tuple[str, str]:
    """W_a_l1 -> (Wf_a_l1, Wr_a_l1), V -> (Vf, Vr): the blocks of a bidirectional network's weights that read the
    forward and the reverse direction below."""
    return name[0] + "f" + name[1:], name[0] + "r" + name[1:]


def split_weights(params: Iterable[str]) -> list[tuple[str, tuple[str, str]]]:
    """(W_a_l1, (Wf_a_l1, Wr_a_l1)), (V, (Vf, Vr)), and their gradients and updates: a bidirectional network's
    weights that read both directions below, whole as the file gave them, beside the blocks it computes."""
    wholes = [p[0] + p[2:] for p in params if p[:2] in ("Wf", "Vf")]
    return [(f"{d}{w}{new}", tuple(f"{d}{h}{new}" for h in halves(w))) for w in wholes for d, new in WHOLE_FORMS]


WHOLE_FORMS = (("", ""), ("d", ""), ("", "_new"))


@cache
def shape(cell: str, bias: bool = True, option: str = "", layers: int = 1, directions: int = 1) -> Shape:
    """A cell's shape; option is the cell's own choice (a peephole's output gate, a GRU's reset). Stacked
    layers (and a bidirectional network's directions) name each layer's quantities with its suffix
    (state_l0, out_l1, out_l0r) and stack no gates."""
    if named_by_layer(layers, directions):
        one = shape(cell, bias, option)
        each = suffixes(layers, directions)
        return Shape(
            cell, (), tuple(v + s for s in each for v in one.recurrent), tuple(v + s for s in each for v in one.vectors)
        )
    if cell == "peephole":
        return Shape(cell, vectors=("P_i", "P_f", "P_o"))
    if cell == "cifg":
        return Shape(cell, gates=("a", "f", "o"))
    if cell == "gru":
        return Shape(
            cell, gates=("r", "z", "n"), recurrent=("out",), vectors=("b_hn",) if bias and option != "before" else ()
        )
    if cell == "rnn":
        return Shape(cell, gates=(), recurrent=("out",))
    if cell == "custom":  # its option is the cell read (scenario/customcell.py): gates and hand-ons named there
        spec = json.loads(option)
        return Shape(cell, gates=tuple(spec["gates"]), recurrent=tuple(spec["recurrent"]))
    return Shape(cell)


@dataclass(frozen=True)
class Ref:
    """A quantity at a time shift: ``Ref("state", -1)`` is state_{t-1}; shift None for parameters."""

    base: str
    shift: int | None = 0

    def at(self, k: int) -> Ref:
        return self if self.shift is None else Ref(self.base, self.shift + k)


def symbol_name(ref: Ref) -> str:
    """state_{t-1} -> 'state__m1': a Python identifier, so lambdify keeps the symbol as it is."""
    if ref.shift is None:
        return ref.base
    return f"{ref.base}__{'m' if ref.shift < 0 else ''}{abs(ref.shift)}"


def ref_of(sym: Any) -> Ref:
    """Inverse of symbol_name (and of cells.base's q() and m()): the quantity a symbol stands for."""
    name = sym.name
    if "__" in name:
        base, shift = name.rsplit("__", 1)
        return Ref(base, -int(shift[1:]) if shift.startswith("m") else int(shift))
    return Ref(name, None)
