"""The same equations in LaTeX: EquationPrinter's logic with LaTeX's tokens."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..cells.base import Ref
from .equations import CH, NOTATION, EquationPrinter, display_name, fmt_array, name_of

SPECIAL = str.maketrans({**{c: "\\" + c for c in "&%$#_{}"}, "\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"})


def tex_name(ref: Ref, step: int | None) -> str:
    """δstate_{t+1} -> \\delta \\mathrm{state}_{t+1}; W_a -> W_{a}; λ -> \\lambda."""
    if ref.shift is None and ref.base.endswith("_new"):
        return tex_name(Ref(ref.base[: -len("_new")], None), None) + r"^{\mathrm{new}}"
    disp = name_of(Ref(ref.base, None), None)
    if ref.shift is not None and NOTATION.get() == "ch":  # seed 001's c_t and h_t
        disp = CH.get(ref.base, disp)
    prefix = {"δ": r"\delta ", "Δ": r"\Delta "}.get(disp[:1], "")
    if prefix:
        disp = disp[1:]
    head, _, sub = disp.partition("_")
    if disp in ("λ", "ε"):
        core = {"λ": r"\lambda", "ε": r"\varepsilon"}[disp]
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

    def number(self, value: np.ndarray, bare_scalar: bool = False) -> str:
        return tex_number(fmt_array(value, self.decimals, bare_scalar=bare_scalar, max_items=self.max_items))

    @staticmethod
    def display(name: str) -> str:
        return display_name(name, tex_name, r"^{\mathrm{new}}")

    def power(self, n: int) -> str:
        return f"^{{{n}}}"

    def root(self, inner: str) -> str:
        return rf"\sqrt{{{inner}}}"

    def _fname(self, f: sp.Function) -> str:
        name = type(f).__name__
        return {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log"}.get(name, rf"\mathrm{{{name}}}")


def tex_number(text: str) -> str:
    """[0.45 0.25] in maths: spaces kept, the elision as dots."""
    return text.replace(" ", r"\ ").replace("…", r"\dots ")


UNICODE = {
    "λ": r"$\lambda$",
    "δ": r"$\delta$",
    "Δ": r"$\Delta$",
    "Σ": r"$\Sigma$",
    "σ": r"$\sigma$",
    "⊙": r"$\odot$",
    "⊗": r"$\otimes$",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "−": "-",
    "…": r"\dots{}",
    "ᵀ": r"$^\top$",
    "²": r"$^2$",
}


def tex_text(text: str) -> str:
    """Plain text safe inside LaTeX (pdflatex included): specials escaped, maths symbols as maths."""
    return "".join(UNICODE.get(c, c) for c in text.translate(SPECIAL))
