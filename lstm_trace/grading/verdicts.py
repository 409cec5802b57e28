"""What grading returns: a Verdict per answer, a PartScore per part, the Report of a sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..numeric.engine import Trace
from .causes import Cause, Entry
from .graph import Graph

VERDICTS = ("correct", "carried", "too-few-digits", "wrong", "missing", "unknown", "invalid")


@dataclass(frozen=True)
class Verdict:
    """One answer's mark.  given/expected are arrays in the quantity's own shape."""

    given_name: str
    name: str | None  # canonical; None when the name is unknown
    verdict: str
    part: str | None = None
    given: np.ndarray | None = None
    text: str = ""  # the answer as written
    expected: np.ndarray | None = None
    problem: str = ""  # unknown or invalid: what is wrong with the answer itself
    cause: Cause | None = None
    carried_from: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()  # the wrong entries of a vector or matrix
    rounding: bool = False  # correct once the rounding carried in is allowed for
    line: int | None = None
    share: float = 1.0  # the share of the entries answered (the rest written null, or not named)
    digits: int = 0  # too-few-digits: the significant digits the sheet asks for


@dataclass(frozen=True)
class PartScore:
    id: str
    title: str
    score: float
    max_score: float
    names: tuple[str, ...]  # canonical names of the verdicts in this part, in order


@dataclass(frozen=True)
class Report:
    trace: Trace
    file: str
    verdicts: tuple[Verdict, ...]  # every answer given (graph order), then the missing ones
    parts: tuple[PartScore, ...]
    graph: Graph = field(repr=False)
    carried_credit: float = 0.5

    def points(self, v: Verdict) -> tuple[float, float]:
        """(earned, possible) for one verdict; (0, 0) for an answer outside every part."""
        p = self._part_of.get(v.name or "")
        if p is None:
            return 0.0, 0.0
        each = p.max_score / len(p.names)
        return each * credit(v.verdict, self.carried_credit) * v.share, each

    @cached_property
    def _part_of(self) -> dict[str, PartScore]:
        """Each quantity's part (the first that names it): points() in constant time."""
        out: dict[str, PartScore] = {}
        for p in self.parts:
            for n in p.names:
                out.setdefault(n, p)
        return out

    @property
    def score(self) -> float:
        return sum(p.score for p in self.parts)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.parts)

    @property
    def given(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.verdict != "missing")

    @property
    def first_mistake(self) -> Verdict | None:
        return next((v for v in self.verdicts if v.verdict == "wrong"), None)

    @property
    def exit_code(self) -> int:
        """0 when every answer given is correct, else 1."""
        return 0 if all(v.verdict == "correct" for v in self.given) else 1


def credit(verdict: str, carried_credit: float) -> float:
    """The share of a quantity's points an answer earns (too-few-digits earns none)."""
    return {"correct": 1.0, "carried": carried_credit}.get(verdict, 0.0)
