"""A graded answers file: one table per part, the score, and the first real mistake with its equation."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .. import __version__
from ..grading.causes import Cause
from ..grading.verdicts import Report, Verdict
from .rows import row_text
from .table import plain
from .text import display_name, fmt_array, json_safe

MARK = {
    "correct": ("✓ correct", "green"),
    "carried": ("↪ carried", "yellow"),
    "wrong": ("✗ wrong", "bold red"),
    "missing": ("· missing", "dim"),
    "unknown": ("? unknown", "magenta"),
    "invalid": ("! invalid", "red"),
}


def _term(term: Any, step: int | None) -> str:
    from .equations import EquationPrinter

    return EquationPrinter(step=step).doprint(term)


def cause_text(c: Cause, expected: np.ndarray | None = None) -> str:
    """The likely slip, in words."""
    if c.kind == "transposed":
        shape = "×".join(map(str, expected.shape)) if expected is not None else ""
        return f"transposed: the matrix is written the other way round (expected {shape})"
    if c.kind == "sign":
        return "the sign is flipped"
    if c.kind == "scale":
        places = "one place" if abs(c.factor) == 1 else f"{abs(c.factor)} places"
        return f"the decimal point is {places} off (×{10.0**c.factor:g} the value)"
    if c.kind == "step":
        return f"this is {display_name(c.other)}'s value: a value from the wrong time step"
    if c.kind == "missing-term":
        return f"the term {_term(c.term, c.step)} is missing"
    if c.kind == "flipped-term":
        return f"the term {_term(c.term, c.step)} has the wrong sign"
    if c.kind == "input-step":
        need, used = _term(c.term, c.step), _term(c.used, c.step)
        return f"computed with {used} where the equation needs {need}: a value from the wrong time step"
    if c.kind == "sum-term":
        return f"the t={c.step} term of Σ_t is missing"
    return c.kind  # pragma: no cover - every kind has its words above


def message(v: Verdict, decimals: int) -> str:
    """The note a teacher would write next to the answer."""
    if v.verdict in ("unknown", "invalid"):
        return f"line {v.line}: {v.problem}" if v.line else v.problem
    if v.verdict == "missing":
        return "not answered"
    if v.verdict == "carried":
        return "follows from your " + ", ".join(display_name(n) for n in v.carried_from)
    if v.verdict == "correct":
        return "right, allowing for the rounding of earlier values" if v.rounding else ""
    notes = [cause_text(v.cause, v.expected)] if v.cause else []
    for e in v.entries:
        note = f"{display_name(e.label)} = {e.given:g}, expected {fmt_array(np.array(e.expected), decimals, True)}"
        notes.append(note + (f": {cause_text(e.cause)}" if e.cause else ""))
    return "; ".join(notes)


def _groups(report: Report) -> list[tuple[str, list[Verdict]]]:
    by_name = {v.name: v for v in report.verdicts if v.name is not None}
    out = []
    for p in report.parts:
        title = f"({p.id}) {p.title}" if p.id else p.title
        out.append((f"{title}: {p.score:g}/{p.max_score:g}", [by_name[n] for n in p.names]))
    placed = {n for p in report.parts for n in p.names}
    rest = [v for v in report.verdicts if v.name not in placed]
    if rest:
        out.append(("Not in any part (not scored)", rest))
    return out


def render_report(report: Report, decimals: int | None = None) -> Group:
    d = report.trace.scenario.decimals if decimals is None else decimals
    first = report.first_mistake
    sc = report.trace.scenario
    head = f"the printed answers (expected:) of {sc.file}" if report.file == sc.file else report.file
    parts: list[RenderableType] = [plain(f"Checking {head}: {sc.name}" if sc.name else f"Checking {head}", "bold")]
    for title, verdicts in _groups(report):
        table = Table(title=plain(title, "bold"), title_justify="left")
        table.add_column("quantity", style="bold cyan", no_wrap=True)
        table.add_column("your answer", overflow="fold")
        table.add_column("expected", overflow="fold")
        table.add_column("verdict", no_wrap=True)
        table.add_column("note", overflow="fold")
        for v in verdicts:
            label, style = MARK[v.verdict]
            expected = "" if v.expected is None else fmt_array(v.expected, d, bare_scalar=True)
            table.add_row(
                plain(display_name(v.name or v.given_name)),
                plain(v.text),
                plain(expected),
                Text(label, style=style),
                plain(message(v, d)),
                style="on grey23" if v is first else None,
            )
        parts.append(table)
    parts.append(Text(summary(report), style="bold"))
    if first is not None:
        parts.append(_first_mistake(report, first, d))
    return Group(*parts)


def summary(report: Report) -> str:
    counts = {k: sum(v.verdict == k for v in report.verdicts) for k in MARK}
    said = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return f"Score: {report.score:g}/{report.max_score:g}  ({said})"


def _first_mistake(report: Report, v: Verdict, d: int) -> Group:
    """The first real mistake, with its equation and the correct numbers substituted."""
    assert v.name is not None
    tr = report.trace
    row = tr.row(report.graph.row_of.get(v.name, v.name))
    lines: list[RenderableType] = [
        plain(f"First mistake: {display_name(v.name)} (line {v.line})" if v.line else "First mistake:", "bold red")
    ]
    if row is not None:
        rt = row_text(tr, row, d)
        lines.append(plain(f"  {rt.lhs} = {rt.symbolic}"))
        if rt.substituted:
            lines.append(plain(f"  {' ' * len(rt.lhs)} = {rt.substituted}"))
        lines.append(plain(f"  {' ' * len(rt.lhs)} = {rt.value}"))
    lines.append(plain(f"  you wrote {v.text}" + (f": {message(v, d)}" if message(v, d) else "")))
    return Group(*lines)


def _plain(v: np.ndarray | None) -> Any:
    return None if v is None else (np.asarray(v, dtype=np.float64) + 0.0).tolist()


def to_dict(report: Report, decimals: int | None = None) -> dict[str, Any]:
    d = report.trace.scenario.decimals if decimals is None else decimals
    first = report.first_mistake
    return {
        "lstm_trace": __version__,
        "scenario": report.trace.scenario.file,
        "answers_file": report.file,
        "score": report.score,
        "max_score": report.max_score,
        "carried_credit": report.carried_credit,
        "first_mistake": first.name if first else None,
        "parts": [
            {"id": p.id, "title": p.title, "score": p.score, "max_score": p.max_score, "quantities": list(p.names)}
            for p in report.parts
        ],
        "answers": [_answer_dict(report, v, d) for v in report.verdicts],
    }


def _answer_dict(report: Report, v: Verdict, decimals: int) -> dict[str, Any]:
    return {
        "name": v.name,
        "given_name": v.given_name,
        "part": v.part,
        "given": _plain(v.given),
        "given_text": v.text,
        "expected": _plain(v.expected),
        "verdict": v.verdict,
        "message": message(v, decimals),
        "cause": v.cause.kind if v.cause else None,
        "carried_from": list(v.carried_from),
        "entries": [
            {"name": e.label, "given": e.given, "expected": e.expected, "cause": e.cause.kind if e.cause else None}
            for e in v.entries
        ],
        "points": report.points(v)[0],
        "max_points": report.points(v)[1],
        "line": v.line,
    }


def _json(obj: Any) -> str:
    """JSON with unicode as written, and nothing that acts on a terminal (text.json_safe)."""
    return json_safe(json.dumps(obj, indent=1, ensure_ascii=False))


def render_json(report: Report, decimals: int | None = None) -> str:
    return _json(to_dict(report, decimals))


def gradescope(report: Report, decimals: int | None = None) -> str:
    """Gradescope's results.json: a test per quantity, with its points and the teacher's note."""
    d = report.trace.scenario.decimals if decimals is None else decimals
    tests = []
    for v in report.verdicts:
        earned, possible = report.points(v)
        name = display_name(v.name or v.given_name)
        note = message(v, d)
        expected = "" if v.expected is None else f"expected {fmt_array(v.expected, d, bare_scalar=True)}"
        output = "; ".join(x for x in (f"{v.verdict}", f"you wrote {v.text}" if v.text else "", expected, note) if x)
        tests.append(
            {
                "name": f"({v.part}) {name}" if v.part else name,
                "score": earned,
                "max_score": possible,
                "status": "passed" if v.verdict == "correct" else "failed",
                "output": output,
            }
        )
    first = report.first_mistake
    output = summary(report) + (f"\nFirst mistake: {display_name(first.name or '')}" if first else "")
    return _json({"score": report.score, "output": output, "tests": tests})
