"""Printed equations without sympy: numbers, names, notation, and templates filled with them.

A row of a trace is printed from a Template (symbolic/templates.py): the equation
printed once, when the model is derived, with slots where the names or the numbers
go, filled here per row by a Style. The templates are cached with the model, so
tracing and printing a scenario never imports sympy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ..names import DISPLAY
from ..refs import Ref
from ..symbolic.templates import template
from . import MAX_ITEMS
from .numbers import ELIDED as ELIDED
from .numbers import elision as elision
from .numbers import fmt_array as fmt_array
from .numbers import fmt_number as fmt_number
from .numbers import tex_array
from .texchars import pdflatex_char

if TYPE_CHECKING:
    from ..symbolic.model import Equation

SPECIAL = str.maketrans(
    {
        **{c: "\\" + c for c in "&%$#_{}"},
        "\\": r"\textbackslash{}",
        "^": r"\^{}",
        "~": r"\~{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
    }
)

# What user-written text (a scenario's name, source or part titles, an answers file's keys and
# numbers, a file's path) must not carry to a terminal, a page or a document: the C0 controls
# (tab and newline included: they break a table row, a heading or a YAML comment), DEL, the C1
# controls (U+009B is a terminal's CSI, as ESC [ is), lone surrogates (unwritable as UTF-8), the
# line and paragraph separators, and the bidirectional controls that reorder what is shown.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(m: re.Match[str]) -> str:
    c = m.group()
    return _SHORT.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def safe_text(text: str) -> str:
    """User-written text safe to show anywhere: each unsafe character written as an escape.

    ESC [ 2 J prints as \\x1b[2J, a right-to-left override as \\u202e, a newline as \\n, so the
    reader sees that something odd was written and nothing acts on the terminal. Other text,
    backslashes included, is unchanged (so escaping twice changes nothing more).
    """
    return UNSAFE.sub(_escaped, text) if UNSAFE.search(text) else text


def json_safe(text: str) -> str:
    """JSON text with each character safe_text escapes (outside C0, which json.dumps escapes itself)
    written as a \\u escape: DEL, C1 and bidi controls never reach a terminal; the data is unchanged."""
    return UNSAFE.sub(lambda m: m.group() if m.group() < " " else f"\\u{ord(m.group()):04x}", text)


# seed 001 writes c_t for the state and h_t for the output; a scenario chooses with model.notation
NOTATION: ContextVar[str] = ContextVar("notation", default="default")
CH = {"state": "c", "out": "h", "dstate": "δc", "dout": "δh", "Dout": "Δh"}


# While a whole trace is printed, each array's text is made once: W_a appears in every step's za_t.
_NUMBERS: ContextVar[dict[tuple, tuple[np.ndarray, str]] | None] = ContextVar("numbers", default=None)


@contextmanager
def numbers_remembered() -> Iterator[None]:
    """Within the block, a printer formats each array (by identity, kept alive by the memo) once."""
    token = _NUMBERS.set({})
    try:
        yield
    finally:
        _NUMBERS.reset(token)


@contextmanager
def notation(name: str) -> Iterator[None]:
    """Print names in a notation ("default" or "ch") within the block."""
    token = NOTATION.set(name)
    try:
        yield
    finally:
        NOTATION.reset(token)


@cache  # a trace names a few hundred bases, each in thousands of rows
def _layer(base: str) -> tuple[str, str]:
    """W_a_l1 -> ("W_a", "_l1"): a stacked layer's suffix apart from the name it is added to (a reverse
    direction's too: a_l0r -> ("a", "_l0r"))."""
    m = re.fullmatch(r"(.+?)(_l\d+r?)", base)
    return (m[1], m[2]) if m else (base, "")


def name_of(ref: Ref, step: int | None, index: str = "") -> str:
    """a_0, state_{-1}, δstate_{t+1}, W_a, λ: a quantity's printed name at a step (None: symbolic t);
    with an index, one unit of it: label_{t,k}."""
    if ref.shift is None and ref.base.endswith("_new"):  # an updated parameter: W_a^new, cache_W_a^new
        return name_of(Ref(ref.base[: -len("_new")], None), None) + "^new"
    core, layer = _layer(ref.base)  # a stacked layer's name: Δout_l0, δW_a_l1
    base = CH.get(core) if NOTATION.get() == "ch" and ref.shift is not None else None
    base = base or DISPLAY.get(core, core)
    if core.startswith("d") and core[1:2] in ("W", "U", "b", "P", "V", "c"):
        base = "δ" + core[1:]
    elif ref.shift is not None and base == core and base[:1] == "d" and base[1:2].islower():
        base = "δ" + base[1:]  # a cell's own adjoint: δfh_t, δza2_t (an unknown name is shown as written)
    base += layer
    if ref.shift is None:
        return base
    if step is None:
        sub = "t" if ref.shift == 0 else f"t{ref.shift:+d}"
    else:
        sub = str(step + ref.shift)
    sub += f",{index}" if index else ""
    sub = sub if len(sub) == 1 else "{" + sub + "}"
    return f"{base}_{sub}"


def display_name(name: str, namer: Callable[[Ref, int | None], str] = name_of, new: str = "^new") -> str:
    """A canonical name as a worked solution prints it: dstate_1 -> δstate_1, Dout_-1 -> Δout_{-1}, db_o -> δb_o."""
    name, bracket, index = name.partition("[")
    index = bracket + index
    if name.endswith("_new"):
        return namer(Ref(name[: -len("_new")], None), None) + new + index
    base, _, step = name.rpartition("_")
    if base and step.lstrip("-").isdigit():
        return namer(Ref(base, int(step)), 0) + index
    return namer(Ref(name, None), None) + index


def tex_name(ref: Ref, step: int | None, index: str = "") -> str:
    """δstate_{t+1} -> \\delta \\mathrm{state}_{t+1}; W_a -> W_{a}; λ -> \\lambda."""
    if ref.shift is None and ref.base.endswith("_new"):
        return tex_name(Ref(ref.base[: -len("_new")], None), None) + r"^{\mathrm{new}}"
    core_base, layer = _layer(ref.base)
    if layer:  # a stacked layer's: its number as the superscript (l), the subscripts as they are
        arrow = r",\leftarrow" if layer.endswith("r") else ""  # a reverse direction's: W^{(0,←)}_a
        up = f"^{{({layer[2:].rstrip('r')}{arrow})}}"
        if ref.shift is None:  # braced: a transpose's or an update's superscript may follow
            return "{" + tex_name(Ref(core_base, None), None) + up + "}"
        return "{" + tex_name(Ref(core_base, ref.shift), step, index).replace("_{", up + "_{", 1) + "}"
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
        sub = rf"\mathrm{{{sub}}}" if len(sub) > 1 and sub.isalpha() else sub  # b_hn: hn is one name, not h·n
        core += f"_{{{sub}}}" if sub else ""
    name = (prefix + core).strip()
    if ref.shift is None:
        return name
    when = ("t" if ref.shift == 0 else f"t{ref.shift:+d}") if step is None else str(step + ref.shift)
    return f"{name}_{{{when}{',' + index if index else ''}}}"


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
    "−": r"$-$",
    "…": r"\dots{}",
    "ᵀ": r"$^\top$",
    "²": r"$^2$",
}


def tex_text(text: str) -> str:
    """Plain text safe inside LaTeX (pdflatex included): control characters as safe_text writes them,
    specials escaped, maths symbols as maths, characters pdflatex cannot set replaced (texchars.py)."""
    return "".join(UNICODE.get(c) or pdflatex_char(c) for c in safe_text(text).translate(SPECIAL))


class Style:
    """How an equation's slots are filled: names at a step, numbers to some decimals; plain text.

    A template of its FORM prints the rest of an equation (symbolic/printing.py), and so
    do equations.py's printers (EquationPrinter for this, LatexEquationPrinter for LatexStyle).
    """

    FORM = "plain"  # the templates it fills (symbolic/templates.py)
    SUM = "Σ_t "  # before a parameter gradient's per-step term

    def __init__(self, step: int | None = None, decimals: int = 5, max_items: int = MAX_ITEMS) -> None:
        self.step, self.decimals, self.max_items = step, decimals, max_items

    def name(self, ref: Ref) -> str:
        return name_of(ref, self.step)

    def number(self, value: np.ndarray, bare_scalar: bool = False) -> str:
        return fmt_array(value, self.decimals, bare_scalar=bare_scalar, max_items=self.max_items)

    @staticmethod
    def elision(hidden: int, what: str = "") -> str:
        """What a Σ_t leaves out, in this notation."""
        return elision(hidden, what)

    def slot(self, v: np.ndarray, bare_scalar: bool = False, transposed: bool = False) -> str:
        """A value where its name would be; within numbers_remembered(), each array is formatted once."""
        memo = _NUMBERS.get()
        bare = bare_scalar and np.size(v) == 1  # a vector's text is the same either way: one memo for both
        key = (id(v), bare, transposed, type(self), self.decimals, self.max_items)
        if memo is not None and key in memo and memo[key][0] is v:
            return memo[key][1]
        text = self.number(np.atleast_2d(v).T if transposed else v, bare_scalar=bare_scalar)
        if memo is not None:
            memo[key] = (v, text)
        return text

    @staticmethod
    def display(name: str) -> str:
        """A canonical name as this notation prints it."""
        return display_name(name)


class LatexStyle(Style):
    FORM = "latex"
    SUM = r"\sum_t "

    def name(self, ref: Ref) -> str:
        return tex_name(ref, self.step)

    def number(self, value: np.ndarray, bare_scalar: bool = False) -> str:
        return tex_array(value, self.decimals, bare_scalar=bare_scalar, max_items=self.max_items)

    @staticmethod
    def elision(hidden: int, what: str = "") -> str:
        return rf"\cdots_{{({hidden}\text{{ more{what}}})}}"

    @staticmethod
    def display(name: str) -> str:
        return display_name(name, tex_name, r"^{\mathrm{new}}")


def fill_names(style: type[Style], eq: Equation, stacked: bool, inline: tuple[Equation, ...], step: int | None) -> str:
    """The right-hand side with names at a step (t when None); a parameter gradient's behind Σ_t."""
    names = template(style.FORM, eq, stacked, inline, True)
    if eq.kind == "sum":
        return style.SUM + names.fill(style(step=None))
    return names.fill(style(step=step))
