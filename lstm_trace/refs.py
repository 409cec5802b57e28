"""Quantities by name, without sympy: the four gates, the sizes, and a quantity at a time shift.

The run path (tracing, printing, the caches) needs only these; sympy is imported where
equations are derived or transformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GATES = ("a", "i", "f", "o")
SIZE_NAMES = ("D", "H", "K")  # symbols that are sizes, never values


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
