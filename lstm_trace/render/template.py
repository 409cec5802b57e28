"""A blank answers file: every name in order, grouped by part, each with its shape and its equation.

It is made in two steps. answer_sheet() reads a trace for what a scenario asks (each
name's shape and equation, grouped by part); the cache keeps that Sheet with the
scenario, so that render_sheet() can print it again without numpy, sympy or pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..numeric.engine import Trace


class Sheet(NamedTuple):
    """What a scenario asks: its sections (a part's id, or None; a heading; each name with its note).

    A named tuple: `template` loads it from the cache without importing dataclasses (10 ms)."""

    title: str  # the scenario's name ("" if it has none)
    file: str
    part_ids: tuple[str, ...]
    sections: tuple[tuple[str | None, str, tuple[tuple[str, str], ...]], ...]


def _shape(trace: Trace, name: str) -> str:
    shape = trace.values[name].shape
    size = trace.values[name].size
    if size == 1:
        return "a number"
    if len(shape) == 2 and 1 not in shape:
        return f"{shape[0]}×{shape[1]} matrix [[…], …]"
    return f"{size} numbers […]"


def _equation(trace: Trace, name: str) -> str:
    from .rows import row_text

    row = trace.row(name)
    if row is None or row.equation is None:
        return ""
    rt = row_text(trace, row)
    return f"{rt.lhs} = {rt.symbolic}"


def answer_sheet(trace: Trace) -> Sheet:
    """The scenario's quantities, grouped by part (else by section as `run` prints them), with notes.

    What the scenario's author wrote (its name, its parts' ids and titles) and its path are made
    safe here, once (safe_text), so that the cached sheet prints without importing text.py (numpy).
    """
    from .rows import grouped
    from .text import display_name, safe_text

    sc = trace.scenario
    if sc.parts:
        from ..grading.graph import Graph
        from ..grading.scores import part_names

        graph = Graph(trace)
        groups = [
            (p.id, safe_text(f"({p.id}) {p.title}  [{p.points:g} points]"), names)
            for p, names in part_names(sc, set(trace.values) | set(graph.nodes))
        ]
    else:
        groups = [(None, title, [r.name for r in rows]) for title, rows in grouped(trace)]
    sections = []
    for pid, heading, names in groups:
        notes = []
        for name in names:
            eq = _equation(trace, name)
            notes.append((name, _shape(trace, name) + (f"; {eq}" if eq else f"; {display_name(name)}")))
        sections.append((pid, heading, tuple(notes)))
    return Sheet(safe_text(sc.name), safe_text(sc.file), tuple(p.id for p in sc.parts), tuple(sections))


def render_sheet(sheet: Sheet, part_ids: tuple[str, ...] = (), check_as: str = "") -> str:
    """YAML text with every answer left blank (null), for the student to fill in."""
    sections = [(heading, notes) for pid, heading, notes in sheet.sections if not part_ids or pid in part_ids]
    lines = [
        f"# Answers for {sheet.title or sheet.file}" + (f" ({sheet.file})" if sheet.title else ""),
        "# Write your number after each name: 0.81775, a list [0.1, 0.2] for a vector,",
        "# a list of rows [[0.1, 0.2], [0.3, 0.4]] for a matrix. A name left blank is not graded.",
        "# Names may be written as printed, too: δstate_0, Δout_0, W_a^new.",
    ]
    if check_as:
        lines.append(f"# Then: lstm-trace check {sheet.file} {check_as}")
    width = max((len(n) for _, notes in sections for n, _ in notes), default=0) + 2
    for heading, notes in sections:
        lines += ["", f"# {heading}"]
        lines += [f"{name + ':':<{width}} # {note}" for name, note in notes]
    return "\n".join(lines) + "\n"


def render_template(trace: Trace, part_ids: tuple[str, ...] = (), check_as: str = "") -> str:
    """The blank answers file of a trace's scenario."""
    return render_sheet(answer_sheet(trace), part_ids, check_as)
