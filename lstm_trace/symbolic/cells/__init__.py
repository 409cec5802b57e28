"""Cells: each module writes one cell's forward equations in sympy, once."""

from .base import GATES, Cell, Ref, sigmoid
from .lstm import lstm, peephole

__all__ = ["GATES", "Cell", "Ref", "lstm", "peephole", "sigmoid"]
