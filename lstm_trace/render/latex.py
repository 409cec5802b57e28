"""The same equations in LaTeX: EquationPrinter's logic with LaTeX's tokens (names and numbers: text.LatexStyle)."""

from __future__ import annotations

import sympy as sp

from .equations import EquationPrinter
from .text import UNICODE, LatexStyle, tex_name, tex_number, tex_text

__all__ = ["UNICODE", "LatexEquationPrinter", "tex_name", "tex_number", "tex_text"]


class LatexEquationPrinter(EquationPrinter):
    ODOT, TIMES, DOT, OTIMES, TRANSPOSE, MINUS, SIGMA = (
        r" \odot ",
        r" \times ",
        r" \cdot ",
        r" \otimes ",
        r"^{\top}",
        "-",
        r"\sigma",
    )
    STYLE = LatexStyle

    def power(self, n: int) -> str:
        return f"^{{{n}}}"

    def root(self, inner: str) -> str:
        return rf"\sqrt{{{inner}}}"

    def _fname(self, f: sp.Function) -> str:
        name = type(f).__name__
        return {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log"}.get(name, rf"\mathrm{{{name}}}")
