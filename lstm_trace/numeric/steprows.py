"""A trace's rows, in order, each loop's made when they are first read.

A loop over the steps (stepcode.py) leaves one Loop in the list of a pass's rows, not a row per quantity and
step: which quantities a step names, in order, and the steps it ran. Rows (what Trace.rows is) makes every
row, in the same order, the first time anything reads it, and keeps them; a trace whose rows nobody reads
(a notebook reading values, gradcheck's passes, a benchmark) never makes them, and one that reads them once in
order (streamed: run's tables and JSON) need never hold them. A stacked network's layers,
whose rows are put back in the order of one loop over the steps, have them made at once (made).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, overload

from ..symbolic.model import Equation
from .stepnames import step_names


class Loop(NamedTuple):
    """A loop's rows: at each of steps (a range within 0 … T-1), a row per (name, shift, equation) of
    quantities, in order, named name_{t + shift}; row: the class the rows are (engine.Row)."""

    row: Any
    section: str
    sweep: str
    steps: range
    T: int  # noqa: N815 - the maths' name
    quantities: tuple[tuple[str, int, Equation], ...]

    def made(self) -> list:
        """Every step's rows, as the loop would have appended them step by step."""
        return list(self.each())

    def each(self) -> Iterator:
        """made's rows one at a time."""
        new, row, section, sweep = tuple.__new__, self.row, self.section, self.sweep
        each = [(step_names(name, shift, self.T), eq) for name, shift, eq in self.quantities]
        return (new(row, (section, t, names[t], eq, False, "", sweep)) for t in self.steps for names, eq in each)


def made(parts: Iterable[Any]) -> list:
    """Rows and Loops as rows alone, in order."""
    out: list = []
    for p in parts:
        if type(p) is Loop:
            out += p.made()
        else:
            out.append(p)
    return out


class Rows(Sequence):
    """A trace's rows in order (a tuple's behaviour): its loops' made when any row is first read, and kept."""

    __slots__ = ("_parts", "_rows")

    def __init__(self, parts: Iterable[Any]) -> None:
        self._parts: tuple = tuple(parts)
        self._rows: tuple | None = None

    def _all(self) -> tuple:
        if self._rows is None:
            self._rows, self._parts = tuple(made(self._parts)), ()
        return self._rows

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> tuple: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def streamed(self) -> Iterator[Any]:
        """The rows in order, a loop's made one at a time and not kept unless they are already (a printer
        that reads a long sequence's rows once, in order, never holds them all: 200,000 rows at T = 8192)."""
        if self._rows is not None:
            return iter(self._rows)
        return (r for p in self._parts for r in (p.each() if type(p) is Loop else (p,)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return self._all() == other._all()
        return self._all() == other if isinstance(other, tuple) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({self._all()!r})"
