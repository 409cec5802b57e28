"""The same equations in LaTeX: EquationPrinter's logic with LaTeX's tokens."""

from __future__ import annotations

import sympy as sp

from ..cells.base import Ref
from .equations import EquationPrinter, name_of

SPECIAL = str.maketrans({c: "\\" + c for c in "&%$#_{}"})


def tex_name(ref: Ref, step: int | None) -> str:
    """δstate_{t+1} -> \\delta \\mathrm{state}_{t+1}; W_a -> W_{a}; λ -> \\lambda."""
    disp = name_of(Ref(ref.base, None), None)
    prefix = {"δ": r"\delta ", "Δ": r"\Delta "}.get(disp[:1], "")
    if prefix:
        disp = disp[1:]
    head, _, sub = disp.partition("_")
    if disp == "λ":
        core = r"\lambda"
    else:
        core = "" if not head else (head if len(head) == 1 else rf"\mathrm{{{head}}}")
        core += f"_{{{sub}}}" if sub else ""
    name = (prefix + core).strip()
    if ref.shift is None:
        return name
    when = ("t" if ref.shift == 0 else f"t{ref.shift:+d}") if step is None else str(step + ref.shift)
    return f"{name}_{{{when}}}"


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
    SUM = r"\sum_t "

    def name(self, ref: Ref) -> str:
        return tex_name(ref, self.step)

    def power(self, n: int) -> str:
        return f"^{{{n}}}"

    def _fname(self, f: sp.Function) -> str:
        name = type(f).__name__
        return {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log"}.get(name, rf"\mathrm{{{name}}}")


def tex_text(text: str) -> str:
    """Plain text safe inside LaTeX."""
    return text.translate(SPECIAL)
