"""Answers -> verdicts, marked the way a good teacher marks.  Returns data; prints nothing.

Two worlds are walked through the graph in order:
- the true one (the trace), where an answer is *correct* if it lies within the
  rounding the student wrote (0.0922 means ±0.00005) plus the rounding carried
  in from their earlier values, propagated through the equation's partial
  derivatives (rounding.py);
- the student's own, where every answered quantity takes the student's number
  and every other one is recomputed from those.  An answer that is not correct
  but agrees with the student's world, downstream of a mistake, is *carried*.
Anything else is *wrong*, and causes.py looks for the likely slip.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import NameNotFound, ScenarioError
from ..names import canonical
from ..numeric.engine import Trace, section_title
from ..scenario.answers import Answer, AnswerProblem, Answers, half_unit
from ..scenario.scenario import Part, Scenario
from .causes import Cause, find_cause, wrong_entries
from .graph import JOIN, Graph, Node
from .rounding import bound
from .verdicts import PartScore, Report, Verdict, credit


@dataclass(frozen=True)
class _Given:
    answer: Answer
    values: np.ndarray  # in the quantity's shape
    tol: np.ndarray  # half a unit in the last digit written, per entry
    transposed: bool


def grade(trace: Trace, answers: Answers, carried_credit: float | None = None, only: tuple[str, ...] = ()) -> Report:
    """Mark each answer correct, carried, wrong, unknown or invalid, and each part's unanswered quantity missing.

    only: part ids to grade; answers belonging to the other parts are left out.
    """
    sc = trace.scenario
    graph = Graph(trace)
    known = set(trace.values) | set(graph.nodes)
    given, early = _read(answers, known, trace)
    with np.errstate(over="ignore", invalid="ignore"):  # an answer of 1e308 is wrong, not an overflow warning
        marks = _Walk(trace, graph, given).run()
    marks.update(early)
    order = graph.position
    # given quantities (parameters, inputs) answered back come first, unknown names last
    verdicts = sorted(
        marks.values(),
        key=lambda v: -1 if v.name in trace.values and v.name not in order else order.get(v.name or "", len(order)),
    )
    credit = sc.carried_credit if carried_credit is None else carried_credit
    return _score(trace, graph, verdicts, known, credit, answers.file, only)


def _read(answers: Answers, known: set[str], trace: Trace) -> tuple[dict[str, _Given], dict[object, Verdict]]:
    given: dict[str, _Given] = {}
    early: dict[object, Verdict] = {}
    for k, a in enumerate(answers):
        if a.blank:
            continue
        try:
            name = canonical(a.given_name, known)
        except NameNotFound as exc:
            early[k] = Verdict(a.given_name, None, "unknown", problem=exc.message, line=a.line, text=a.written)
            continue
        twice = name in given or name in early
        try:
            if twice:
                first = given[name].answer if name in given else None
                also = f" (as {first.given_name!r} on line {first.line})" if first else ""
                raise AnswerProblem(f"{name} is answered twice{also}; only the first is graded")
            values, texts, transposed = a.shaped(trace.values[name].shape)
        except AnswerProblem as exc:
            early[k if twice else name] = Verdict(
                a.given_name, name, "invalid", problem=str(exc), line=a.line, text=a.written
            )
            continue
        given[name] = _Given(a, values, half_unit(texts, trace.scenario.decimals), transposed)
    return given, early


class _Walk:
    """Both worlds, node by node in the graph's order."""

    def __init__(self, trace: Trace, graph: Graph, given: dict[str, _Given]) -> None:
        self.tr, self.graph, self.given = trace, graph, given
        self.half = 0.5 * 10.0**-trace.scenario.decimals  # an unwritten intermediate, rounded by hand
        # the student's numbers; composites (δgates_t) are re-joined from their parts on lookup
        self.world = {k: v for k, v in trace.values.items() if not graph[k].parts}
        self.true_err: dict[str, np.ndarray] = {}
        self.world_err: dict[str, np.ndarray] = {}
        self.taint: dict[str, frozenset[str]] = {}  # the wrong answers a quantity was computed from

    def run(self) -> dict[object, Verdict]:
        out: dict[object, Verdict] = {}
        for node in self.graph:
            v = self.visit(node)
            if v is not None:
                out[node.name] = v
        for name, g in self.given.items():  # given quantities (parameters, inputs) answered back
            if name not in out:
                t = self.tr.values[name]
                ok = np.abs(g.values - t) <= g.tol + 1e-9 * (1 + np.abs(t))
                zero = np.zeros_like(t)
                out[name] = self._verdict(Node(name), g, "correct" if ok.all() else "wrong", t, t, (g.tol, zero), ok)
        return out

    def _bounds(self, node: Node) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The value on the student's numbers, and how far their rounding moves the true and their value."""
        g, sc = self.graph, self.tr.scenario
        if node.parts:
            join = JOIN[node.join]
            return (
                join([self._world(p) for p in node.parts]),
                join([self.true_err[p] for p in node.parts]),
                join([self.world_err[p] for p in node.parts]),
            )
        s = g.evaluate(node, g.fetch(self.world), self.world)
        eq, step = node.equation, node.step or 0
        if eq is None:  # a boundary value such as Δout_{T-1} = 0: exact
            return s, np.zeros_like(s), np.zeros_like(s)
        bt = bound(eq, step, sc, self.tr.values, self.true_err, node.stacked)
        bs = bound(eq, step, sc, self.world, self.world_err, node.stacked)
        if node.reduce:
            bt, bs = np.array([bt.sum()]), np.array([bs.sum()])
        return s, np.broadcast_to(bt, s.shape), np.broadcast_to(bs, s.shape)

    def _world(self, name: str) -> np.ndarray:
        node = self.graph[name]
        if node.parts:
            return JOIN[node.join]([self._world(p) for p in node.parts])
        return self.world[name]

    def visit(self, node: Node) -> Verdict | None:
        name, t = node.name, self.tr.values[node.name]
        s, bt, bs = self._bounds(node)
        taint = frozenset().union(*(self.taint.get(j, frozenset()) for j in self.graph.reads(node)))
        g = self.given.get(name)
        if g is None:  # worked out by hand but not written down: rounded like the rest
            extra = 0.0 if node.parts else self.half
            self._set(node, s, bt + extra, bs + extra, taint)
            return None
        v, w = g.values, g.tol
        slack = 1e-9 * (1 + np.abs(t))
        ok_true = np.abs(v - t) <= w + bt + slack
        ok_world = np.abs(v - s) <= w + bs + slack
        if ok_true.all() and not g.transposed:
            verdict, taint_out = "correct", frozenset()
        elif taint and (ok_true | ok_world).all() and not g.transposed:
            verdict, taint_out = "carried", taint
        else:
            verdict, taint_out = "wrong", frozenset({name})
        # downstream, a right entry is off by what the student wrote; a wrong one as if worked out afresh
        self._set(node, v, np.where(ok_true, np.maximum(np.abs(v - t), w), bt + self.half), w, taint_out)
        return self._verdict(node, g, verdict, t, s, (w + slack, bs), ok_true | ok_world, taint)

    def _set(self, node: Node, value: np.ndarray, terr: np.ndarray, werr: np.ndarray, taint: frozenset[str]) -> None:
        name = node.name
        self.taint[name] = taint
        if not node.parts:
            self.world[name], self.true_err[name], self.world_err[name] = value, terr, werr
            return
        if node.join == "sum":
            return
        for arr, into in ((value, self.world), (terr, self.true_err), (werr, self.world_err)):
            into.update(self.graph.split(name, np.broadcast_to(arr, value.shape)))
        for p in node.parts:
            self.taint[p] = taint

    def _verdict(self, node, g, verdict, t, s, tols, ok, taint=frozenset()) -> Verdict:  # noqa: ANN001
        """tols: (the rounding written, the rounding carried in); ok: the entries right in either world."""
        cause, entries = None, ()
        if verdict == "wrong":
            cause = Cause("transposed") if g.transposed else find_cause(self.graph, node, g.values, s, tols, self.world)
            entries = wrong_entries(self.graph, node, g.values, t, s, tols, ok)
        return Verdict(
            g.answer.given_name,
            node.name,
            verdict,
            given=g.values,
            text=g.answer.written,
            expected=t,
            cause=cause,
            carried_from=tuple(sorted(taint, key=self.graph.position.__getitem__)) if verdict == "carried" else (),
            entries=entries,
            rounding=verdict == "correct" and bool(np.any(np.abs(g.values - t) > g.tol + 1e-9 * (1 + np.abs(t)))),
            line=g.answer.line,
        )


def part_names(sc: Scenario, known: set[str]) -> list[tuple[Part, list[str]]]:
    """Each part with its quantities' canonical names; a name the model lacks is the scenario's error."""
    out = []
    for part in sc.parts:
        names = []
        for k, (q, (line, col)) in enumerate(zip(part.quantities, part.where, strict=True)):
            try:
                names.append(canonical(q, known))
            except NameNotFound as exc:
                path = ("parts", sc.parts.index(part), "quantities", k)
                raise ScenarioError(exc.message, file=part.file, line=line, column=col, path=path) from None
        out.append((part, names))
    return out


def _score(
    trace: Trace, graph: Graph, verdicts: list[Verdict], known: set[str], carried: float, file: str, only: tuple
) -> Report:
    sc = trace.scenario
    layout = [(part.id, part.title, part.points, names) for part, names in part_names(sc, known)]
    if only:
        skipped = {n for pid, _, _, names in layout if pid not in only for n in names}
        verdicts = [v for v in verdicts if v.name not in skipped]
        layout = [p for p in layout if p[0] in only]
    by_name = {v.name: v for v in verdicts if v.name is not None}
    if not sc.parts:  # every answer given is worth one point, grouped as a worked solution is
        groups: dict[str, list[str]] = {}
        for v in verdicts:
            if v.name is not None:
                groups.setdefault(_section(trace, graph, v.name), []).append(v.name)
        layout = [("", title, float(len(names)), names) for title, names in groups.items()]
    parts, missing = [], []
    for pid, title, points, names in layout:
        for name in names:
            if name not in by_name:
                missing.append(Verdict(name, name, "missing", part=pid or None, expected=trace.values[name]))
                by_name[name] = missing[-1]
        score = sum(points / len(names) * credit(by_name[n].verdict, carried) for n in names)
        parts.append(PartScore(pid, title, score, points, tuple(names)))
    in_part = {n: p.id for p in reversed(parts) for n in p.names if p.id}
    out = [replace(v, part=in_part.get(v.name or "")) for v in verdicts]
    return Report(trace, file, tuple(out + missing), tuple(parts), graph, carried)


def _section(trace: Trace, graph: Graph, name: str) -> str:
    row = trace.row(graph.row_of.get(name, name))
    return "Given" if row is None else section_title(trace, row.section, row.step)


__all__ = ["grade", "part_names"]
