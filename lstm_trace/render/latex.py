"""The same equations in LaTeX: symbolic/printing.py's LaTeX tokens, names and numbers from text.LatexStyle."""

from __future__ import annotations

from ..symbolic.printing import LatexSlotPrinter
from .equations import EquationPrinter
from .text import UNICODE, LatexStyle, Style, tex_name, tex_number, tex_text

__all__ = ["UNICODE", "LatexEquationPrinter", "printer_for", "tex_name", "tex_number", "tex_text"]


class LatexEquationPrinter(EquationPrinter, LatexSlotPrinter):
    STYLE = LatexStyle


def printer_for(style: type[Style]) -> type[EquationPrinter]:
    """The printer that prints an equation in a style's notation."""
    return next(p for p in (LatexEquationPrinter, EquationPrinter) if issubclass(style, p.STYLE))
