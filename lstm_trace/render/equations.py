"""Equations with names or numbers in a Style: ``δa_0 = δstate_0 ⊙ i_0 ⊙ (1 − a_0²)``.

symbolic/printing.py's SlotPrinter prints an equation's structure; this printer fills
its leaves directly with a Style's names (at a step) and numbers (to some decimals), for
what is printed once rather than per row: the derivation sheet, a student's formula, the
term of a Σ_t a report names. Rows of a trace are filled from templates (text.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from ..refs import Ref
from ..symbolic.printing import SlotPrinter
from . import MAX_ITEMS
from .text import Style


class EquationPrinter(SlotPrinter):
    """Prints an equation's right-hand side with names, or with values if `value` is given."""

    STYLE: type[Style] = Style

    def __init__(
        self,
        step: int | None = None,
        value: Callable[[sp.Basic], np.ndarray] | None = None,
        inline: Mapping[sp.Basic, sp.Basic] | None = None,
        decimals: int = 5,
        max_items: int = MAX_ITEMS,
    ) -> None:
        super().__init__(value, inline)
        self.step = step
        self.style = self.STYLE(step, decimals, max_items)

    def name(self, ref: Ref) -> str:
        return self.style.name(ref)

    def slot(self, sym: sp.Basic, bare_scalar: bool = False, transposed: bool = False) -> str:
        assert self.value is not None
        return self.style.slot(self.value(sym), bare_scalar, transposed)
