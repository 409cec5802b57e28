"""Each traced row as four strings: name, equation, equation with numbers, value."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..numeric.engine import Row, Trace, section_title
from ..numeric.steprows import Rows
from ..symbolic.templates import template
from .text import MAX_ITEMS, Style, fill_names, numbers_remembered

MAX_TERMS = 4  # a gradient's Σ_t shows this many terms, then elides
TRAINED = ("l2", "cross_entropy")  # the losses a trace has E_t of (not a given upstream gradient)


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
    sweep: str = ""  # a bidirectional network's layer and direction (l0r), or its output's

    @property
    def shown(self) -> str:
        """The numbers column: the substitution, or the note of a boundary value."""
        return self.substituted or (f"({self.note})" if self.note else "")


def row_text(
    trace: Trace,
    row: Row,
    decimals: int | None = None,
    max_items: int = MAX_ITEMS,
    style: type[Style] = Style,
    max_terms: int = MAX_TERMS,
) -> RowText:
    """A row's name, equation, equation with numbers and value, in the style's notation."""
    d = trace.scenario.decimals if decimals is None else decimals
    numbers = style(step=row.step, decimals=d, max_items=max_items)
    value = numbers.slot(trace.values[row.name], bare_scalar=True)  # formatted once for the rows that read it too
    lhs = style.display(row.name)
    if row.equation is None:
        return RowText(row.section, row.step, row.name, lhs, "0", "", value, row.note, row.sweep)
    eq = row.equation
    inline = trace.model.linear if row.section == "forward" else ()  # za_t written out, as the seed does
    symbolic = fill_names(style, eq, row.stacked, inline, row.step)
    substituted = template(style.FORM, eq, row.stacked, inline, names=False)
    steps = [row.step or 0] if eq.kind != "sum" else _sum_steps(trace.scenario.T, max_terms)
    terms = [
        substituted.fill(numbers, lambda r, t=t: trace.value_at(r, t))
        if t is not None
        else numbers.elision(trace.scenario.T - max_terms, " terms")
        for t in steps
    ]
    return RowText(row.section, row.step, row.name, lhs, symbolic, " + ".join(terms), value, row.note, row.sweep)


def _sum_steps(T: int, max_terms: int = MAX_TERMS) -> list[int | None]:  # noqa: N803 - the maths' name
    """The steps a Σ_t shows: all, or the first and last few around an elision (None)."""
    if T <= max_terms:
        return list(range(T))
    head = max_terms // 2
    return [*range(head), None, *range(T - (max_terms - head), T)]


def loss_parts(
    trace: Trace, decimals: int | None = None, steps: set[int] | None = None, style: type[Style] = Style
) -> tuple[list[str | None], str, list[tuple[int, str]]]:
    """The loss in a style's notation: E_t = … of each step shown (None where steps are left out),
    E = Σ_t E_t = …, and E after each iteration (one iteration: none)."""
    d = trace.scenario.decimals if decimals is None else decimals
    numbers = style(decimals=d)
    shown = [t for t in range(trace.scenario.T) if steps is None or t in steps]
    terms: list[str | None] = [
        f"{style.display(f'E_{t}')} = {numbers.number(trace.values[f'E_{t}'], True)}" for t in shown
    ]
    for k in range(len(shown) - 1, 0, -1):
        if shown[k] - shown[k - 1] > 1:
            terms.insert(k, None)
    total = f"E = {style.SUM}{style.display('E_t')} = {numbers.number(trace.values['E'], True)}"
    each = [(k, numbers.number(np.array(e), True)) for k, e in enumerate(trace.losses, start=1)]
    return terms, total, each if len(each) > 1 else []


def loss_text(trace: Trace, decimals: int | None = None, iterations: bool = True, steps: set[int] | None = None) -> str:
    """The loss of each step (of the steps shown, … between) and in all; with iterations, of every iteration too."""
    terms, total, each = loss_parts(trace, decimals, steps)
    text = f"Loss: {', '.join(t or '…' for t in terms)}; {total}"
    if iterations and each:
        listed = ", ".join(f"{k}: {e}" for k, e in each)
        text += f"\nIteration {trace.iteration} of {len(each)} traced. Loss per iteration: {listed}"
    return text


def grouped(
    trace: Trace,
    steps: set[int] | None = None,
    sections: tuple[str, ...] | None = None,
    decimals: int | None = None,
    max_items: int = MAX_ITEMS,
    style: type[Style] = Style,
    max_terms: int = MAX_TERMS,
) -> list[tuple[str, list[RowText]]]:
    """Rows in the seed's order, grouped by section and step, filtered by the user's choice."""
    return list(each_group(trace, steps, sections, decimals, max_items, style, max_terms))


def each_group(
    trace: Trace, steps: set[int] | None, sections: tuple[str, ...] | None, *options: Any, remembered: int | None = None
) -> Iterator[tuple[str, list[RowText]]]:
    """grouped's groups one at a time (options: row_text's), each array printed once within `remembered`
    groups at a time (None: all of them), so that a long sequence's rows need never all be held."""
    rows = trace.rows.streamed() if isinstance(trace.rows, Rows) else trace.rows  # each made as it is printed
    chosen = (
        r
        for r in rows
        if not (sections and r.section not in sections) and (steps is None or r.step is None or r.step in steps)
    )
    groups = itertools.groupby(chosen, key=lambda r: (r.section, r.step, r.sweep))
    while batch := [(key, list(rows)) for key, rows in itertools.islice(groups, remembered)]:
        with numbers_remembered():  # an array is printed once in these groups (W_a in each za_t's row)
            texts = [(key, [row_text(trace, r, *options) for r in rows]) for key, rows in batch]
        for (section, step, sweep), rows in texts:
            yield section_title(trace, section, step, sweep), rows
