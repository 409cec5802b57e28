"""A student's answers as grading reads them: canonical names, entries merged, the digits as written.

An answer names a quantity (dW), one entry of it (dW[0][1], db_o[0]) or a row (dW_i[1]); the
answers that name parts of one quantity are merged into one, its unanswered entries NaN (a
vector written with null does the same), graded entry by entry.  A name the model lacks is
*unknown*; an answer that is no number, has the wrong shape or gives an entry twice is *invalid*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import NameNotFound
from ..names import canonical, normalise, split_entry
from ..numeric.engine import Trace
from ..scenario.answers import Answer, AnswerProblem, Answers, half_unit
from ..scenario.layouts import spellings
from .verdicts import Verdict


@dataclass
class Given:
    """One quantity's answer: values in its shape (NaN where not answered) and the rounding written."""

    answer: Answer  # the first line that answers it
    values: np.ndarray
    tol: np.ndarray  # half a unit in the last digit written, per entry (the scenario's where not answered)
    transposed: bool = False
    lines: list[Answer] = field(default_factory=list)

    @property
    def mask(self) -> np.ndarray:
        """The entries answered."""
        return ~np.isnan(self.values)

    @property
    def text(self) -> str:
        a = self.lines[0]
        if len(self.lines) == 1 and split_entry(a.given_name)[1] == ():
            return a.written
        return "; ".join(f"{x.given_name}: {x.written}" for x in self.lines)


def read(answers: Answers, known: set[str], trace: Trace) -> tuple[dict[str, Given], dict[object, Verdict]]:
    """Each answered quantity by canonical name, and the verdicts of answers that cannot be graded."""
    given: dict[str, Given] = {}
    early: dict[object, Verdict] = {}
    decimals = trace.scenario.decimals
    for k, a in enumerate(answers):
        if a.blank:
            continue
        base, index = split_entry(a.given_name)
        try:
            name = _known(base, known, trace.scenario.layout)
        except NameNotFound as exc:
            message = exc.message.replace(repr(base), repr(a.given_name), 1) if index else exc.message
            early[k] = Verdict(a.given_name, None, "unknown", problem=message, line=a.line, text=a.written)
            continue
        first = given.get(name)
        try:
            if name in early:
                raise AnswerProblem(f"{name} is answered twice; only the first is graded")
            shape = trace.values[name].shape
            where, sub = slot(name, shape, index)
            values, texts, transposed = a.shaped(sub)
            if np.isnan(values).all():
                continue  # nothing worked: as if left blank
            _merge(given, name, a, shape, where, values, half_unit(texts, decimals), transposed, decimals)
        except AnswerProblem as exc:
            twice = first is not None or name in early
            early[k if twice else name] = Verdict(
                a.given_name, name, "invalid", problem=str(exc), line=a.line, text=a.written
            )
    return given, early


def _known(base: str, known: set[str], layout: str) -> str:
    """The canonical name of base, or of the layout's other spelling of it (PyTorch's _l0)."""
    try:
        return canonical(base, known)
    except NameNotFound:
        for spelling in spellings(layout, base)[1:]:
            if normalise(spelling) in known:
                return normalise(spelling)
        raise


def slot(name: str, shape: tuple[int, ...], index: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where an indexed name points in a quantity, and the shape answered there.

    dW[0][1] is an entry, dW_i[1] a row (H > 1); as the tool's own labels write them, dimensions
    of size 1 are skipped when the indices fit the others (dW_f[1] is column 1 of a 1×D dW_f).
    """
    big = [k for k, n in enumerate(shape) if n > 1]
    if index and len(index) == len(big) < len(shape):
        full = [0] * len(shape)
        for k, i in zip(big, index, strict=True):
            full[k] = i
        index = tuple(full)
    if len(index) > len(shape):
        raise AnswerProblem(f"{name} has {len(shape)} index{'es' if len(shape) != 1 else ''}, found {len(index)}")
    what = ("rows", "columns") if len(shape) == 2 else ("entries",)
    for i, n, dim in zip(index, shape, what, strict=False):
        if i >= n:
            raise AnswerProblem(f"index {i} is out of range: {name} has {n} {dim}")
    return index, shape[len(index) :]


def _merge(given, name, a, shape, where, values, tol, transposed, decimals) -> None:  # noqa: ANN001
    """Put one answer's entries into the quantity's; an entry already answered is an error."""
    g = given.get(name)
    if g is None and not where:  # the quantity whole, in one answer: its entries as written (NaN: not answered)
        put = ~np.isnan(values)
        full = tol if put.all() else np.where(put, tol, 0.5 * 10.0**-decimals)
        given[name] = Given(a, np.array(values, dtype=np.float64), np.array(full, dtype=np.float64), transposed, [a])
        return
    if g is None:
        blank = np.full(shape, np.nan)
        g = Given(a, blank, np.full(shape, 0.5 * 10.0**-decimals), transposed)
    target = g.values[where] if where else g.values
    if np.any(~np.isnan(target) & ~np.isnan(values)):
        first = g.lines[0]
        raise AnswerProblem(
            f"{name} is answered twice (as {first.given_name!r} on line {first.line}); only the first is graded"
        )
    put = ~np.isnan(values)
    if where:
        g.values[where] = np.where(put, values, g.values[where])
        g.tol[where] = np.where(put, tol, g.tol[where])
    else:
        g.values[...] = np.where(put, values, g.values)
        g.tol[...] = np.where(put, tol, g.tol)
    g.transposed = g.transposed or transposed
    g.lines.append(a)
    given[name] = g
