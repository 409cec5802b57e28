"""A whole class: every submission graded against one trace, their scores, and the mistakes they share.

One trace serves every sheet (the scenario is traced once); a submission that cannot be read is
recorded with its problem and graded no further, so one bad file never stops the rest.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import LstmTraceError
from ..numeric.engine import Trace
from ..scenario.answers import load_answers
from .causes import Cause
from .grade import grade
from .graph import Graph
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
    trace: Trace,
    files: Iterable[str],
    carried_credit: float | None = None,
    only: tuple[str, ...] = (),
    jobs: int | None = None,
) -> ClassReport:
    """Grade every submission against the one trace; an unreadable file is a Submission with its problem.

    jobs: processes to grade on (None: the cores this process may use; 1: this process only).  The
    workers are forked with the trace already made, and send back only the verdicts and the scores.
    """
    files = list(files)
    jobs = min(available_cores() if jobs is None else jobs, len(files) // _PER_WORKER)
    graph = Graph(trace)  # one for every sheet and every report (the workers inherit it)
    if jobs < 2 or "fork" not in mp.get_all_start_methods():
        graded = [_one(trace, graph, f, carried_credit, only) for f in files]
    else:
        graded = _forked(trace, graph, files, carried_credit, only, jobs)
    out = []
    for file, found, problem in graded:
        report = None if found is None else Report(trace, file, *found[:2], graph, found[2])
        out.append(Submission(file, report, problem))
    return ClassReport(trace, tuple(out))


def available_cores() -> int:
    """The cores this process may run on (its affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every system
        return os.cpu_count() or 1


_PER_WORKER = 8  # fewer sheets than this a worker: forking costs more than it saves

# what a forked worker grades against, set in the parent just before the fork
_WORK: tuple[Trace, Graph, float | None, tuple[str, ...]] | None = None


def _one(
    trace: Trace, graph: Graph, file: str, carried: float | None, only: tuple[str, ...]
) -> tuple[str, tuple | None, str]:
    """One sheet as (file, (verdicts, parts, carried credit) or None, the problem reading it)."""
    try:
        answers = load_answers(file)
    except LstmTraceError as exc:
        return file, None, str(exc)
    r = grade(trace, answers, carried, only, graph=graph)
    return file, (r.verdicts, r.parts, r.carried_credit), ""


def _chunk(files: list[str]) -> list[tuple[str, tuple | None, str]]:
    assert _WORK is not None
    trace, graph, carried, only = _WORK
    return [_one(trace, graph, f, carried, only) for f in files]


def _quiet() -> None:
    """A worker leaves Ctrl-C to the parent (which stops the pool): no traceback from each worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _forked(
    trace: Trace, graph: Graph, files: list[str], carried: float | None, only: tuple[str, ...], jobs: int
) -> list:
    global _WORK
    _WORK = (trace, graph, carried, only)
    size = max(1, -(-len(files) // (jobs * 4)))  # a few chunks per worker: an odd slow sheet evens out
    chunks = [files[k : k + size] for k in range(0, len(files), size)]
    try:
        # the pool is terminated on leaving (Ctrl-C included): no queued chunk is waited for
        with mp.get_context("fork").Pool(jobs, initializer=_quiet) as pool:
            return [r for part in pool.map(_chunk, chunks) for r in part]
    finally:
        _WORK = None
