"""A blank answers file: every name in order, grouped by part, each with its shape and its equation."""

from __future__ import annotations

from ..evaluate import Trace
from ..grading import part_names
from ..graph import Graph
from .equations import display_name
from .rows import grouped, row_text


def _shape(trace: Trace, name: str) -> str:
    shape = trace.values[name].shape
    size = trace.values[name].size
    if size == 1:
        return "a number"
    if len(shape) == 2 and 1 not in shape:
        return f"{shape[0]}×{shape[1]} matrix [[…], …]"
    return f"{size} numbers […]"


def _equation(trace: Trace, name: str) -> str:
    row = trace.row(name)
    if row is None or row.equation is None:
        return ""
    rt = row_text(trace, row)
    return f"{rt.lhs} = {rt.symbolic}"


def render_template(trace: Trace, part_ids: tuple[str, ...] = (), check_as: str = "") -> str:
    """YAML text with every answer left blank (null), for the student to fill in."""
    sc, graph = trace.scenario, Graph(trace)
    if sc.parts:
        sections = [
            (f"({p.id}) {p.title}  [{p.points:g} points]", names)
            for p, names in part_names(sc, set(trace.values) | set(graph.nodes))
            if not part_ids or p.id in part_ids
        ]
    else:
        sections = [(title, [r.name for r in rows]) for title, rows in grouped(trace)]
    lines = [
        f"# Answers for {sc.name or sc.file}" + (f" ({sc.file})" if sc.name else ""),
        "# Write your number after each name: 0.81775, a list [0.1, 0.2] for a vector,",
        "# a list of rows [[0.1, 0.2], [0.3, 0.4]] for a matrix. A name left blank is not graded.",
        "# Names may be written as printed, too: δstate_0, Δout_0, W_a^new.",
    ]
    if check_as:
        lines.append(f"# Then: lstm-trace check {sc.file} {check_as}")
    width = max((len(n) for _, names in sections for n in names), default=0) + 2
    for title, names in sections:
        lines += ["", f"# {title}"]
        for name in names:
            eq = _equation(trace, name)
            note = _shape(trace, name) + (f"; {eq}" if eq else f"; {display_name(name)}")
            lines.append(f"{name + ':':<{width}} # {note}")
    return "\n".join(lines) + "\n"
