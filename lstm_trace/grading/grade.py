"""Answers -> verdicts, marked the way a good teacher marks.  Returns data; prints nothing.

Two worlds are walked through the graph in order:
- the true one (the trace), where an answer is *correct* if it lies within the
  rounding the student wrote (0.0922 means ±0.00005) plus the rounding carried
  in from their earlier values and the sub-results of its own equation, and
  matches the value to the significant digits the sheet asks for (tolerance.py);
- the student's own, where every answered quantity takes the student's number
  and every other one is recomputed from those.  An answer that is not correct
  but agrees with the student's world, downstream of a mistake, is *carried*.
One right only within a rounding too coarse for the sheet is *too-few-digits*;
anything else is *wrong*, and causes.py looks for the likely slip.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..numeric.engine import Trace
from ..scenario.answers import Answers
from .causes import Cause, find_cause, wrong_entries
from .deferred import Deferred
from .given import Given, read
from .graph import JOIN, Graph, Node
from .rounding import bound
from .scores import score
from .tolerance import Rule, inner_half, rule_for
from .verdicts import Report, Verdict


def grade(
    trace: Trace,
    answers: Answers,
    carried_credit: float | None = None,
    only: tuple[str, ...] = (),
    *,
    rtol: float | None = None,
    atol: float | None = None,
    min_significant: int | None = None,
    graph: Graph | None = None,
) -> Report:
    """Mark each answer correct, carried, too-few-digits, wrong, unknown or invalid, and each part's
    unanswered quantity missing.

    only: part ids to grade; answers belonging to the other parts are left out.  rtol, atol and
    min_significant default to the scenario's grading: settings (carried_credit likewise).  graph:
    the trace's Graph, when the caller grades many sheets of one trace (a class, serve's requests).
    """
    sc = trace.scenario
    credit = sc.carried_credit if carried_credit is None else carried_credit
    if not (isinstance(credit, int | float) and 0 <= credit <= 1):  # NaN fails both comparisons
        raise ValueError(f"carried_credit must be a number from 0 to 1, found {credit!r}")
    graph = Graph(trace) if graph is None else graph
    known = set(trace.values) | set(graph.nodes)
    given, early = read(answers, known, trace)
    settings = {"rtol": rtol, "atol": atol, "min_significant": min_significant}
    # the digits a student works to are read from the numbers they wrote; a zero shows none (0.0, 0e9)
    rule = rule_for(sc, [g.tol[g.mask & (g.values != 0)] for g in given.values()], **settings)
    with np.errstate(over="ignore", invalid="ignore"):  # an answer of 1e308 is wrong, not an overflow warning
        marks = _Walk(trace, graph, given, rule).run()
    marks.update(early)
    order = graph.position
    # given quantities (parameters, inputs) answered back come first, unknown names last
    verdicts = sorted(
        marks.values(),
        key=lambda v: -1 if v.name in trace.values and v.name not in order else order.get(v.name or "", len(order)),
    )
    return score(trace, graph, verdicts, known, credit, answers.file, only)


class _Walk:
    """Both worlds, node by node in the graph's order."""

    def __init__(self, trace: Trace, graph: Graph, given: dict[str, Given], rule: Rule) -> None:
        self.tr, self.graph, self.given, self.rule = trace, graph, given, rule
        self.half = rule.work  # an unwritten intermediate, rounded by hand to the student's working digits
        # the student's numbers; composites (δgates_t) are re-joined from their parts on lookup
        self.world = Deferred({k: v for k, v in trace.values.items() if not graph[k].parts}, self._settle)
        # given values (parameters, x_t, label_t, out_{-1}) are exact: their errors are zeros from the start
        exact = {k: np.zeros_like(v) for k, v in trace.values.items() if k not in graph.nodes}
        # how far each quantity may be off, in the true world and the student's; and of that, its own
        # rounding (fresh: not yet compounded through the steps)
        self.err: tuple[dict, dict] = (Deferred(exact, self._settle), Deferred(exact, self._settle))
        self.fresh: tuple[dict, dict] = (Deferred(exact, self._settle), Deferred(exact, self._settle))
        self.later: dict[str, Node] = {}  # quantities not written, worked out when first read (deferred.py)
        self.taint: dict[str, frozenset[str]] = {}  # the wrong answers a quantity was computed from
        # each world's per-step values stacked over the steps, once for every Σ_t that reads them (all
        # per-step quantities come before the sums in the graph's order, so none changes after)
        self.columns: tuple[dict, dict] = ({}, {})

    def run(self) -> dict[object, Verdict]:
        out: dict[object, Verdict] = {}
        needed = self._needed()
        for node in self.graph:
            if node.name not in needed:  # no answer reads it, near or far: nothing to grade it for
                continue
            v = self.visit(node)
            if v is not None:
                out[node.name] = v
        for name, g in self.given.items():  # given quantities (parameters, inputs) answered back
            if name not in out:
                t = self.tr.values[name]
                zero = np.zeros_like(t)
                ok, coarse = self.rule.within(g.values, t, g.tol, zero)
                ok, coarse = ok | ~g.mask, coarse | ~g.mask
                verdict = "correct" if ok.all() else "too-few-digits" if coarse.all() else "wrong"
                out[name] = self._verdict(Node(name), g, verdict, t, t, (g.tol, zero), ok)
        return out

    def _needed(self) -> set[str]:
        """The quantities answered and every quantity they are computed from, near or far: the walk's
        work grows with what was answered, not with the length of the sequence beyond it."""
        g = self.graph
        todo = [name for name in self.given if name in g.nodes]
        needed = set(todo)
        while todo:
            node = g[todo.pop()]
            for name in (*node.parts, *(g.reads(node) if node.equation is not None else ())):
                if name in g.nodes and name not in needed:
                    needed.add(name)
                    todo.append(name)
        return needed

    def _bounds(self, node: Node, inner: float) -> tuple[np.ndarray, ...]:
        """The value on the student's numbers; how far rounding moves the true and their value; and, in
        each world, the node's own rounding (its sub-results, and its last digit: what it passes on fresh).

        inner: the half-unit the equation's own sub-results are rounded to.
        """
        g, sc = self.graph, self.tr.scenario
        if node.parts:
            join = JOIN[node.join]
            parts = [join([d[p] for p in node.parts]) for d in (*self.err, *self.fresh)]
            return (join([self._world(p) for p in node.parts]), *parts)
        s = g.value_on(node, self.world)
        eq, step = node.equation, node.step or 0
        if eq is None:  # a boundary value such as Δout_{T-1} = 0: exact
            return s, *(np.zeros_like(s) for _ in range(4))
        out = []
        for values, x, err, fresh, columns in zip(
            (self.tr.values, self.world),
            (self.tr.values[node.name], s),
            self.err,
            self.fresh,
            self.columns,
            strict=True,
        ):
            b = bound(eq, step, sc, values, err, node.stacked, inner, columns, fresh)
            # what compounded (the rounding carried in, less the inputs' own) is capped at the quantity's
            # scale; the inputs' own rounding and the sub-results' are not (they do not compound)
            capped = self._cap(node, b.carried - b.fresh, x, b.scale) + b.fresh
            out += [capped + b.made, b.made + self.half]
        bt, ft, bs, fs = (np.array([x.sum()]) if node.reduce else x for x in out)
        if bt.shape != s.shape:
            bt, ft, bs, fs = (np.broadcast_to(x, s.shape) for x in (bt, ft, bs, fs))
        return s, bt, bs, ft, fs

    def _world(self, name: str) -> np.ndarray:
        node = self.graph[name]
        if node.parts:
            return JOIN[node.join]([self._world(p) for p in node.parts])
        return self.world[name]

    def visit(self, node: Node) -> Verdict | None:
        name, t = node.name, self.tr.values[node.name]
        g = self.given.get(name)
        if g is not None and (done := self._right(node, g, t)) is not None:
            return done
        taint = frozenset().union(*(self.taint.get(j, frozenset()) for j in self.graph.reads(node)))
        if g is None and node.parts:  # δgates_t not written: its parts keep their values, and share a taint
            self.taint[name] = taint
            for p in node.parts if node.join != "sum" else ():
                self.taint[p] = taint
            return None
        if g is None:  # worked out by hand but not written down: rounded like the rest, once something reads it
            self.taint[name], self.later[name] = taint, node
            dict.pop(self.world, name, None)  # not the true value: the student's, when read
            return None
        answered, v, w = g.mask, g.values, g.tol
        # the equation's own sub-results, rounded to the digits written (no coarser than the sheet asks)
        need = self.rule.needed(t)
        s, bt, bs, ft, fs = self._bounds(node, inner_half(np.minimum(w, need), answered))
        ok_true, coarse_true = self.rule.within(v, t, w, bt, need)
        ok_world, coarse_world = self.rule.within(v, s, w, bs)
        ok_true, ok_world = ok_true | ~answered, ok_world | ~answered
        if ok_true.all() and not g.transposed:
            verdict, taint_out = "correct", frozenset()
        elif taint and (ok_true | ok_world).all() and not g.transposed:
            verdict, taint_out = "carried", taint
        elif (coarse_true | (coarse_world & bool(taint)) | ~answered).all() and not g.transposed:
            verdict, taint_out = "too-few-digits", frozenset({name})
        else:
            verdict, taint_out = "wrong", frozenset({name})
        slack = 1e-9 * (1 + np.abs(t))
        # the cause is looked for before the answer joins the student's world (no slip reads its own value)
        out = self._verdict(node, g, verdict, t, s, (w + slack, bs), ok_true | ok_world, taint)
        # downstream, a right entry is off by what the student wrote; any other as if worked out afresh
        # (by the rounding credited to what they wrote: 0e9 is no licence downstream either)
        right = answered & ok_true
        terr = np.where(right, np.maximum(np.abs(v - t), np.minimum(w, need)), bt + self.half)
        werr = np.where(answered, np.minimum(w, self.rule.needed(v)), bs + self.half)
        fresh = (_own(right, terr, ft), _own(answered, werr, fs))  # a number written is its own rounding
        self._set(node, np.where(answered, v, s), (terr, werr), fresh, taint_out)
        return out

    def _right(self, node: Node, g: Given, t: np.ndarray) -> Verdict | None:
        """An answer with every entry written and each within its own rounding: correct whatever rounding
        was carried in (which only widens the rule), so neither world's bound is worked out for it.
        It passes on what visit's correct answer does: off by what was written (in the true world), its
        own rounding (in the student's), fresh. None for any other answer."""
        v, w = g.values, g.tol
        if g.transposed or np.isnan(v).any():
            return None
        need = self.rule.needed(t)
        if not self.rule.within(v, t, w, np.zeros(()), need)[0].all():
            return None
        terr = np.maximum(np.abs(v - t), np.minimum(w, need))
        werr = np.minimum(w, self.rule.needed(v))
        self._set(node, v.copy(), (terr, werr), (terr, werr), frozenset())
        return self._verdict(node, g, "correct", t, t, (w, w), np.ones(t.shape, dtype=bool))

    def _settle(self, key: str) -> None:
        """Work out a quantity left for later, after those it reads that are left too (in the graph's order)."""
        if key not in self.later:
            return
        found, todo = {key}, [key]
        while todo:
            for j in self.graph.reads(self.later[todo.pop()]):
                if j in self.later and j not in found:
                    found.add(j)
                    todo.append(j)
        for name in sorted(found, key=self.graph.position.__getitem__):
            node = self.later.pop(name, None)
            if node is not None:  # (not worked out meanwhile, as what another one read)
                s, bt, bs, ft, fs = self._bounds(node, self.half)
                self._set(node, s, (bt + self.half, bs + self.half), (ft, fs), self.taint[name])

    def _cap(self, node: Node, err: np.ndarray, value: np.ndarray, scale: Callable[[], np.ndarray]) -> np.ndarray:
        """The rounding carried into a quantity, capped at its scale (the larger of |value| and scale())
        where it would compound: along the sequence's steps.  A Σ_t or an update adds up capped per-step
        errors once (linear in T): left as it is.  scale() is worked out only where the cap at |value|
        binds (a larger scale can only raise the cap)."""
        if node.step is None:
            return err
        low = self.rule.cap(err, value, self.half)
        if np.array_equal(low, err):  # not binding (NaN never equals: it is capped below)
            return err
        return self.rule.cap(err, np.maximum(scale(), np.abs(value)), self.half)

    def _set(self, node: Node, value: np.ndarray, err: tuple, fresh: tuple, taint: frozenset[str]) -> None:
        """err, fresh: (true world, student's world)."""
        name = node.name
        self.taint[name] = taint
        if not node.parts:
            self.world[name] = value
            for into, x in zip((*self.err, *self.fresh), (*err, *fresh), strict=True):
                into[name] = x
            return
        if node.join == "sum":
            return
        for left in list(self.later):  # what is left for later reads the parts as they were, before these
            self._settle(left)
        for into, x in zip((self.world, *self.err, *self.fresh), (value, *err, *fresh), strict=True):
            into.update(self.graph.split(name, np.broadcast_to(x, value.shape)))
        for p in node.parts:
            self.taint[p] = taint

    def _verdict(self, node, g, verdict, t, s, tols, ok, taint=frozenset()) -> Verdict:  # noqa: ANN001
        """tols: (the rounding written, the rounding carried in); ok: the entries right in either world."""
        cause, entries = None, ()
        if verdict == "wrong":
            cause = Cause("transposed") if g.transposed else find_cause(self.graph, node, g.values, s, tols, self.world)
        if verdict in ("wrong", "too-few-digits"):
            entries = wrong_entries(self.graph, node, g.values, t, s, tols, ok)
        return Verdict(
            g.answer.given_name,
            node.name,
            verdict,
            given=g.values,
            text=g.text,
            expected=t,
            cause=cause,
            carried_from=tuple(sorted(taint, key=self.graph.position.__getitem__)) if verdict == "carried" else (),
            entries=entries,
            rounding=verdict == "correct" and bool(np.any(np.abs(g.values - t) > g.tol + 1e-9 * (1 + np.abs(t)))),
            line=g.answer.line,
            share=float(np.count_nonzero(~np.isnan(g.values)) / g.values.size),
            digits=self.rule.min_significant if verdict == "too-few-digits" else 0,
        )


def _own(written: np.ndarray, err: np.ndarray, other: np.ndarray) -> np.ndarray:
    """err where written, else other: err itself where every entry is written (bound() sees it is the same)."""
    return err if written.all() else np.where(written, err, other)


__all__ = ["grade"]
