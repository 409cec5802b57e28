"""A whole class: every submission graded against one trace, their scores, and the mistakes they share.

One trace serves every sheet (the scenario is traced once); a submission that cannot be read is
recorded with its problem and graded no further, so one bad file never stops the rest.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import LstmTraceError
from ..numeric.engine import Trace
from ..scenario.answers import load_answers
from .causes import Cause
from .grade import grade
from .verdicts import Report, Verdict

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Submission:
    """One student's file: its report, or why it could not be graded."""

    file: str
    report: Report | None
    problem: str = ""


@dataclass(frozen=True)
class Mistake:
    """A first mistake several students made: the quantity and its likely cause (None: none found)."""

    name: str
    cause: Cause | None
    count: int
    example: Verdict  # one of them, for the words


@dataclass(frozen=True)
class ClassReport:
    trace: Trace
    submissions: tuple[Submission, ...]

    @property
    def graded(self) -> tuple[Report, ...]:
        return tuple(s.report for s in self.submissions if s.report is not None)

    @property
    def max_score(self) -> float:
        return self.graded[0].max_score if self.graded else 0.0

    def scores(self) -> list[float]:
        return [r.score for r in self.graded]

    def first_mistakes(self) -> list[Mistake]:
        """The first mistakes, most common first (ties in the order the quantities are computed)."""
        firsts = [v for v in (r.first_mistake for r in self.graded) if v is not None and v.name is not None]
        counts = Counter((v.name, v.cause) for v in firsts)
        example = {(v.name, v.cause): v for v in reversed(firsts)}
        position = self.graded[0].graph.position if self.graded else {}
        order = sorted(counts, key=lambda k: (-counts[k], position.get(k[0], 0)))
        return [Mistake(name, cause, counts[(name, cause)], example[(name, cause)]) for name, cause in order]

    @property
    def exit_code(self) -> int:
        """0 when every submission's answers are all correct, else 1."""
        return (
            0
            if self.graded and len(self.graded) == len(self.submissions) and all(r.exit_code == 0 for r in self.graded)
            else 1
        )


def submission_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The answers files named, a directory standing for its *.yaml and *.yml files (sorted)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(str(f) for f in path.iterdir() if f.suffix in SUFFIXES and f.is_file())
        else:
            out.append(os.fspath(p))
    return out


def grade_class(
    trace: Trace, files: Iterable[str], carried_credit: float | None = None, only: tuple[str, ...] = ()
) -> ClassReport:
    """Grade every submission against the one trace; an unreadable file is a Submission with its problem."""
    out = []
    for file in files:
        try:
            answers = load_answers(file)
        except LstmTraceError as exc:
            out.append(Submission(file, None, str(exc)))
            continue
        out.append(Submission(file, grade(trace, answers, carried_credit, only)))
    return ClassReport(trace, tuple(out))
