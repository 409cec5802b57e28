"""Scores: each part's quantities by canonical name, and the report of a sheet's verdicts (grade.py)."""

from __future__ import annotations

from dataclasses import replace

from ..errors import NameNotFound, ScenarioError
from ..names import canonical
from ..numeric.engine import Trace, section_title
from ..scenario.scenario import Part, Scenario
from .graph import Graph
from .verdicts import PartScore, Report, Verdict, credit


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


def score(
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
        score = sum(points / len(names) * credit(by_name[n].verdict, carried) * by_name[n].share for n in names)
        parts.append(PartScore(pid, title, score, points, tuple(names)))
    in_part = {n: p.id for p in reversed(parts) for n in p.names if p.id}
    out = [v if v.part == (p := in_part.get(v.name or "")) else replace(v, part=p) for v in verdicts]
    return Report(trace, file, tuple(out + missing), tuple(parts), graph, carried)


def _section(trace: Trace, graph: Graph, name: str) -> str:
    row = graph.printed(graph.row_of.get(name, name))
    return "Given" if row is None else section_title(trace, row.section, row.step, row.sweep)


__all__ = ["part_names", "score"]
