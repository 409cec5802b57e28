"""Numbers as a worked solution prints them: plain text (pasteable into an answers file) and LaTeX.

Plain: 0.45, [1 2], [[0.45 0.25] [0.95 0.8]], the middle of long ones as …(12 more)….
LaTeX: the same numbers in maths, so a leading - is a true minus sign; a vector as a column
bmatrix (a vector is a column: W_a·x_t), a matrix as a bmatrix, the middle of long ones as dots.
"""

from __future__ import annotations

import re

import numpy as np

from . import MAX_ITEMS


def fmt_number(v: float, decimals: int) -> str:
    """Short where the number is exact at that precision (0.45, 1, 0), else fixed decimals."""
    v = float(v) + 0.0  # -0.0 -> 0.0
    if v == 0:
        return "0"
    text = "%.*f" % (decimals, v)  # noqa: UP031 - "%.*f" needs no format spec built per call
    r = float(text)  # round(v, decimals): both round the exact binary value correctly, then read it back
    size = v if v > 0 else -v
    tolerance = 1e-12 * size if size > 1.0 else 1e-12
    if -tolerance < v - r < tolerance:  # exact at this precision: 0.45, 1, 0
        text = "%.*f" % (decimals, r + 0.0)  # noqa: UP031 - + 0.0: noise such as -1e-17 is 0
        return text.rstrip("0").rstrip(".") if "." in text else text
    if size < 0.5 * 10.0**-decimals:
        return "%.*e" % (max(decimals - 1, 1), v)  # noqa: UP031
    return text


def fmt_array(value: np.ndarray, decimals: int, bare_scalar: bool = False, max_items: int = MAX_ITEMS) -> str:
    """[1 2], [[0.45 0.25], [0.95 0.8]], or a bare number for one entry where allowed: the form an
    answers file reads back (scenario/answers.py takes numpy's spaces inside a row)."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1 and (bare_scalar or a.ndim == 0):
        return fmt_number(a.item(), decimals)
    if a.ndim == 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim <= 1:
        items = [fmt_number(v, decimals) for v in _head_tail(a, max_items).tolist()]
        return "[" + " ".join(_elide(items, a.size, max_items)) + "]"
    rows = [fmt_array(r, decimals, max_items=max_items) for r in _head_tail(a, max_items // 2)]
    return "[" + ", ".join(_elide(rows, a.shape[0], max_items // 2)) + "]"  # YAML reads [[1 2], [3 4]] back


def _head_tail(a: np.ndarray, n: int) -> np.ndarray:
    return a if len(a) <= n else np.concatenate([a[: n - 2], a[-2:]])


def _elide(items: list[str], total: int, n: int) -> list[str]:
    if total <= n:
        return items
    return items[: n - 2] + [elision(total - n)] + items[-2:]


def elision(hidden: int, what: str = "") -> str:
    """The mark of what a printed vector, matrix or Σ_t leaves out: …(12 more)…, …(508 more terms)…"""
    return f"…({hidden} more{what})…"


ELIDED = re.compile(r"…\(\d+ more")  # finds any elision() in printed text


def tex_number(v: float, decimals: int) -> str:
    """One number in LaTeX maths: -0.5 (maths sets the - as a minus sign), 2.0000 \\times 10^{-7}."""
    text = fmt_number(v, decimals)
    mantissa, e, power = text.partition("e")
    return rf"{mantissa} \times 10^{{{int(power)}}}" if e else text


def tex_array(value: np.ndarray, decimals: int, bare_scalar: bool = False, max_items: int = MAX_ITEMS) -> str:
    """A number, or a bmatrix: a vector as a column, a 1×n matrix as a row; long ones with dots."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1 and (bare_scalar or a.ndim == 0):
        return tex_number(a.item(), decimals)
    if a.ndim <= 1:
        a = a.reshape(-1, 1)
    elif a.ndim > 2:
        a = a.reshape(a.shape[0], -1)
    rows_cap = max_items if a.shape[1] == 1 else max_items // 2  # as fmt_array elides a matrix's rows
    rows = [_tex_row(r, decimals, max_items) for r in _head_tail(a, rows_cap)]
    if a.shape[0] > rows_cap:
        more = rf"_{{({a.shape[0] - rows_cap}\text{{ more}})}}"
        dots = [r"\ddots" if c.startswith(r"\cdots") else r"\vdots" for c in rows[0]]
        rows.insert(rows_cap - 2, [dots[0] + more, *dots[1:]])
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _tex_row(row: np.ndarray, decimals: int, max_items: int) -> list[str]:
    cells = [tex_number(v, decimals) for v in _head_tail(row, max_items).tolist()]
    if row.size > max_items:
        cells.insert(max_items - 2, rf"\cdots_{{({row.size - max_items}\text{{ more}})}}")
    return cells
