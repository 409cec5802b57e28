"""The same equations in LaTeX: symbolic/printing.py's LaTeX tokens, names and numbers from text.LatexStyle."""

from __future__ import annotations

from ..symbolic.printing import LatexSlotPrinter
from .equations import EquationPrinter
from .numbers import tex_array, tex_number
from .texchars import tex_prose
from .text import UNICODE, LatexStyle, Style, tex_name, tex_text

__all__ = [
    "UNICODE",
    "LatexEquationPrinter",
    "printer_for",
    "tex_array",
    "tex_name",
    "tex_number",
    "tex_prose",
    "tex_text",
]


class LatexEquationPrinter(EquationPrinter, LatexSlotPrinter):
    STYLE = LatexStyle


def printer_for(style: type[Style]) -> type[EquationPrinter]:
    """The printer that prints an equation in a style's notation."""
    return next(p for p in (LatexEquationPrinter, EquationPrinter) if issubclass(style, p.STYLE))
