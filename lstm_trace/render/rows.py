"""Each traced row as four strings: name, equation, equation with numbers, value."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..cells.base import q
from ..derive import Equation, Model
from ..evaluate import Row, Trace, section_title
from .equations import MAX_ITEMS, EquationPrinter, display_name, fmt_array

MAX_TERMS = 4  # a gradient's Σ_t shows this many terms, then elides


@dataclass(frozen=True)
class RowText:
    section: str
    step: int | None
    name: str  # canonical
    lhs: str  # as printed: δstate_1
    symbolic: str
    substituted: str
    value: str
    note: str = ""

    @property
    def shown(self) -> str:
        """The numbers column: the substitution, or the note of a boundary value."""
        return self.substituted or (f"({self.note})" if self.note else "")


def lhs_of(row: Row) -> str:
    return display_name(row.name)


def _inline(model: Model) -> dict[sp.Basic, sp.Basic]:
    """za_t is printed as its definition W_a·x_t + U_a·out_{t-1} + b_a, as the seed does."""
    return {q(eq.name): eq.expr for eq in model.linear}


def symbolic_of(
    eq: Equation,
    stacked: bool,
    step: int | None,
    inline: dict[sp.Basic, sp.Basic],
    printer: type[EquationPrinter] = EquationPrinter,
) -> str:
    """The right-hand side with names: at a step, or at t when step is None; Σ_t before a gradient's term."""
    expr = eq.stacked if stacked else eq.expr
    if eq.kind == "sum":
        return printer.SUM + printer(step=None, inline=inline).doprint(expr)
    return printer(step=step, inline=inline).doprint(expr)


def row_text(trace: Trace, row: Row, decimals: int | None = None, max_items: int = MAX_ITEMS) -> RowText:
    d = trace.scenario.decimals if decimals is None else decimals
    value = fmt_array(trace.values[row.name], d, bare_scalar=True, max_items=max_items)
    if row.equation is None:
        return RowText(row.section, row.step, row.name, lhs_of(row), "0", "", value, row.note)
    eq = row.equation
    expr = eq.stacked if row.stacked else eq.expr
    inline = _inline(trace.model) if row.section == "forward" else {}
    symbolic = symbolic_of(eq, row.stacked, row.step, inline)
    if eq.kind == "sum":
        substituted = " + ".join(_sum_terms(trace, expr, d, max_items))
    else:
        step = row.step if row.step is not None else 0
        substituted = EquationPrinter(
            step=step,
            inline=inline,
            decimals=d,
            max_items=max_items,
            value=lambda s: trace.value_of(s, step),
        ).doprint(expr)
    return RowText(row.section, row.step, row.name, lhs_of(row), symbolic, substituted, value, row.note)


def _sum_terms(trace: Trace, expr: sp.Basic, d: int, max_items: int) -> list[str]:
    T = trace.scenario.T
    head = MAX_TERMS // 2
    steps = list(range(T)) if T <= MAX_TERMS else [*range(head), *range(T - (MAX_TERMS - head), T)]
    out = [
        EquationPrinter(step=t, decimals=d, max_items=max_items, value=lambda s, t=t: trace.value_of(s, t)).doprint(
            expr
        )
        for t in steps
    ]
    if T > MAX_TERMS:
        out[head:head] = [f"…({T - MAX_TERMS} more terms)…"]
    return out


def loss_text(trace: Trace, decimals: int | None = None) -> str:
    d = trace.scenario.decimals if decimals is None else decimals
    per = ", ".join(f"E_{t} = {fmt_array(trace.values[f'E_{t}'], d, True)}" for t in range(trace.scenario.T))
    return f"Loss: {per}; E = Σ_t E_t = {fmt_array(trace.values['E'], d, True)}"


def grouped(
    trace: Trace,
    steps: set[int] | None = None,
    sections: tuple[str, ...] | None = None,
    decimals: int | None = None,
    max_items: int = MAX_ITEMS,
) -> list[tuple[str, list[RowText]]]:
    """Rows in the seed's order, grouped by section and step, filtered by the user's choice."""
    out: list[tuple[str, list[RowText]]] = []
    key = None
    for row in trace.rows:
        if sections and row.section not in sections:
            continue
        if steps is not None and row.step is not None and row.step not in steps:
            continue
        if (row.section, row.step) != key:
            key = (row.section, row.step)
            out.append((section_title(trace, row.section, row.step), []))
        out[-1][1].append(row_text(trace, row, decimals, max_items))
    return out
