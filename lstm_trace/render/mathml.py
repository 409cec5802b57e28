"""Quantities as MathML: the LaTeX the project prints (LatexStyle), numbers as matrices, converted by latex2mathml.

A web page typesets every equation natively (MathML Core renders in current browsers, offline):
the equation skeleton comes from the LaTeX templates, the numbers from MathStyle, which writes a
vector or matrix as a bmatrix and a negative number inside a substitution in parentheses.
latex2mathml writes a minus sign as U+2212, so every minus on the page is a true one.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import numpy as np

from . import MAX_ITEMS
from .text import LatexStyle, fmt_number

# a Σ_t's or a vector's elision as rows.py and text.py write it: …(12 more terms)…
ELISION = re.compile(r"…\((\d+) more( terms)?\)…")


def matrix(value: np.ndarray, decimals: int, bare_scalar: bool = False, max_items: int = MAX_ITEMS) -> str:
    """A value in LaTeX: a number, or a bmatrix (a 1-D vector as one row, as the tables print it)."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1 and (bare_scalar or a.ndim == 0):
        return number(a.item(), decimals)
    rows = np.atleast_2d(a)
    shown = _cut(list(range(rows.shape[0])), max_items // 2 if rows.shape[0] > 1 else max_items)
    lines = []
    for k in shown:
        if k is None:
            lines.append(" & ".join(r"\vdots" for _ in _cut(list(range(rows.shape[1])), max_items)))
            continue
        cells = _cut(rows[k].tolist(), max_items)
        lines.append(" & ".join(r"\cdots" if c is None else number(c, decimals) for c in cells))
    return r"\begin{bmatrix}" + r" \\ ".join(lines) + r"\end{bmatrix}"


def number(v: float, decimals: int) -> str:
    """A number as text.fmt_number writes it, 1.2e-05 as 1.2 × 10⁻⁵."""
    text = fmt_number(v, decimals)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _cut(items: list, n: int) -> list:
    """The first n-2 and last 2 items, None between, when there are more than n."""
    return items if len(items) <= n else [*items[: n - 2], None, *items[-2:]]


class MathStyle(LatexStyle):
    """LaTeX for latex2mathml: numbers as matrices; a negative number substituted as (−0.5)."""

    def number(self, value: np.ndarray, bare_scalar: bool = False) -> str:
        return matrix(value, self.decimals, bare_scalar=bare_scalar, max_items=self.max_items)

    def slot(self, v: np.ndarray, bare_scalar: bool = False, transposed: bool = False) -> str:
        text = super().slot(v, bare_scalar, transposed)
        return f"({text})" if text.startswith("-") else text


def mathml(latex: str, block: bool = False) -> str:
    """LaTeX printed by the project (never a user's text) as a <math> element."""
    return _convert(ELISION.sub(lambda m: rf"\text{{…({m[1]} more{m[2] or ''})…}}", latex), block)


@lru_cache(maxsize=4096)
def _convert(latex: str, block: bool) -> str:
    from latex2mathml.converter import convert

    out = convert(latex, display="block" if block else "inline")
    # latex2mathml copies a bare & or < of its input; our input has none, but the page stays well-formed
    out = re.sub(r"&(?!#x[0-9A-Fa-f]+;|[a-z]+;)", "&amp;", out)
    return SIGNED.sub(r"\1<mn>&#x02212;", out)


# a minus that starts a number (after an opening bracket or =, first in a cell or a formula) is its sign,
# not an operator: it sits against the digits, (−0.5), not spaced as a subtraction, ( − 0.5)
SIGNED = re.compile(
    r'(<mo stretchy="false">&#x00028;</mo>|<mo>&#x0003D;</mo>|<mtd>|<math[^>]*>|<mrow>)<mo>&#x02212;</mo><mn>'
)


def esc(text: str) -> str:
    """User-written text for a page: control characters as escapes (text.safe_text), then HTML-escaped."""
    from .text import safe_text

    return html.escape(safe_text(text), quote=True)
