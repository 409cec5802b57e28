"""A graded answers file: one table per part, the score, and the first real mistake with its equation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text

from .. import __version__
from ..grading.causes import Cause
from ..grading.verdicts import Report, Verdict
from .jsontext import dumps
from .plaintable import Column, PlainTable, Row
from .rows import row_text
from .table import plain
from .text import Style, display_name, fmt_array

MARK = {
    "correct": ("✓ correct", "green"),
    "carried": ("↪ carried", "yellow"),
    "too-few-digits": ("∅ too few digits", "magenta"),
    "wrong": ("✗ wrong", "bold red"),
    "missing": ("· missing", "dim"),
    "unknown": ("? unknown", "magenta"),
    "invalid": ("! invalid", "red"),
}


def _term(term: Any, step: int | None) -> str:
    if hasattr(term, "fill"):  # a slip's term, printed with the model (symbolic/slipcode.py): no sympy
        return term.fill(Style(step))
    from .equations import EquationPrinter

    return EquationPrinter(step=step).doprint(term)


def _steps(steps: tuple[int, ...]) -> str:
    """(0,) -> t=0; (0, 2) -> t=0 and 2; (0, 1, 2) -> t=0, 1 and 2."""
    said = [str(t) for t in steps]
    return "t=" + (said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1])


def _sum_terms(c: Cause) -> str:
    if c.step is not None:  # all but one step left out
        return f"only the t={c.step} term of Σ_t is there: the other steps' terms are missing"
    return f"the {_steps(c.steps)} terms of Σ_t are missing"


def _input_step(c: Cause) -> str:
    where = f"{display_name(c.other)} needs" if c.kind == "inner-input-step" else "the equation needs"
    return (
        f"computed with {_term(c.used, c.step)} where {where} {_term(c.term, c.step)}: a value from the wrong time step"
    )


def _update(c: Cause) -> str:
    return "p^new = p − λ·δp" if c.term is None else f"{display_name(c.other)} = {_term(c.term, c.step)}"


def _scale(c: Cause) -> str:
    places = "one place" if abs(c.factor) == 1 else f"{abs(c.factor)} places"
    return f"the decimal point is {places} off (×{10.0**c.factor:g} the value)"


# each kind's words (transposed, which names the expected shape, is cause_text's own)
WORDS: dict[str, Callable[[Cause], str]] = {
    "sign": lambda c: "the sign is flipped",
    "scale": _scale,
    "step": lambda c: f"this is {display_name(c.other)}'s value: a value from the wrong time step",
    "missing-term": lambda c: f"the term {_term(c.term, c.step)} is missing",
    "flipped-term": lambda c: f"the term {_term(c.term, c.step)} has the wrong sign",
    "input-step": _input_step,
    "inner-input-step": _input_step,
    "sum-term": lambda c: f"the t={c.step} term of Σ_t is missing",
    "sum-terms": _sum_terms,
    "missing-bias": lambda c: (
        f"the bias {_term(c.term, c.step)} is missing" + (f" from {display_name(c.other)}" if c.other else "")
    ),
    "derivative": lambda c: f"the derivative of {c.other} is {_term(c.term, c.step)}, not {_term(c.used, c.step)}",
    "missing-derivative": lambda c: f"the factor {_term(c.term, c.step)} (the derivative of {c.other}) is missing",
    "activation": lambda c: f"{_term(c.used, c.step)} was used where the equation needs {_term(c.term, c.step)}",
    "complement": lambda c: f"{_term(c.used, c.step)} was used where the equation needs {_term(c.term, c.step)}",
    "update-sign": lambda c: f"+ for − in the update: {_update(c)}, a step against the gradient",
    "wrong-lr": lambda c: f"λ = {float(c.used):g} was used; the scenario's is {float(c.term):g}",
    "missing-lr": lambda c: f"λ is left out: {_update(c)}",
    "untransposed": lambda c: f"{c.other} was used where the equation needs {c.other}ᵀ (the matrix is not transposed)",
}

# a graded part's table: the answer and the expected value break between numbers, or inside one too long
COLUMNS = (
    Column("quantity", "bold cyan", no_wrap=True),
    Column("your answer", overflow="fold"),
    Column("expected", overflow="fold"),
    Column("verdict", no_wrap=True),
    Column("note", overflow="fold"),
)


def cause_text(c: Cause, expected: np.ndarray | None = None) -> str:
    """The likely slip, in words: a teacher's note."""
    if c.kind == "transposed":
        shape = "×".join(map(str, expected.shape)) if expected is not None else ""
        return f"transposed: the matrix is written the other way round (expected {shape})"
    words = WORDS.get(c.kind)
    return words(c) if words else c.kind  # pragma: no cover - every kind has its words above


def min_significant(report: Report) -> int:
    """The significant digits the sheet asks for (grading.min_significant; 2 where a scenario has none)."""
    return int(getattr(report.trace.scenario, "min_significant", 2))


def message(v: Verdict, decimals: int, min_significant: int | None = None, hide_expected: bool = False) -> str:
    """The note a teacher would write next to the answer.

    min_significant: the digits a too-few-digits answer needed, where its verdict does not say (default 2);
    hide_expected: leave the expected values out (an autograder that must not give the key away).
    """
    if v.verdict in ("unknown", "invalid"):
        return f"line {v.line}: {v.problem}" if v.line else v.problem
    if v.verdict == "missing":
        return "not answered"
    if v.verdict == "carried":
        return "follows from your " + ", ".join(display_name(n) for n in v.carried_from)
    if v.verdict == "correct":
        return "right, allowing for the rounding of earlier values" if v.rounding else ""
    if v.verdict == "too-few-digits":
        n = getattr(v, "digits", 0) or (2 if min_significant is None else min_significant)
        return f"written with too few significant digits (at least {n})"
    notes = [cause_text(v.cause, v.expected)] if v.cause else []
    for e in v.entries:
        note = f"{display_name(e.label)} = {e.given:g}"
        if not hide_expected:
            note += f", expected {fmt_array(np.array(e.expected), decimals, True)}"
        notes.append(note + (f": {cause_text(e.cause)}" if e.cause else ""))
    return "; ".join(notes)


def groups(report: Report) -> list[tuple[str, list[Verdict]]]:
    """Each part's title with its score, and its verdicts; then the answers outside every part."""
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
    for title, verdicts in groups(report):
        rows = []
        for v in verdicts:
            label, style = MARK[v.verdict]
            expected = "" if v.expected is None else fmt_array(v.expected, d, bare_scalar=True)
            cells = (
                (display_name(v.name) if v.name else v.given_name),
                v.text,
                expected,
                label,
                message(v, d, min_significant(report)),
            )
            rows.append(Row(cells, ("", "", "", style, ""), "on grey23" if v is first else None))
        parts.append(PlainTable(title, COLUMNS, rows))
    parts.append(Text(summary(report), style="bold"))
    if first is not None:
        parts.append(_first_mistake(report, first, d))
    return Group(*parts)


def summary(report: Report) -> str:
    counts = {k: sum(v.verdict == k for v in report.verdicts) for k in MARK}
    said = ", ".join(f"{n} {k.replace('-', ' ')}" for k, n in counts.items() if n)
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
    note = message(v, d, min_significant(report))
    lines.append(plain(f"  you wrote {v.text}" + (f": {note}" if note else "")))
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
    earned, possible = report.points(v)
    return {
        "name": v.name,
        "given_name": v.given_name,
        "part": v.part,
        "given": _plain(v.given),
        "given_text": v.text,
        "expected": _plain(v.expected),
        "verdict": v.verdict,
        "message": message(v, decimals, min_significant(report)),
        "cause": v.cause.kind if v.cause else None,
        "carried_from": list(v.carried_from),
        "entries": [
            {"name": e.label, "given": e.given, "expected": e.expected, "cause": e.cause.kind if e.cause else None}
            for e in v.entries
        ],
        "points": earned,
        "max_points": possible,
        "line": v.line,
    }


def _json(obj: Any) -> str:
    """JSON with unicode as written, and nothing that acts on a terminal (text.json_safe): jsontext.dumps."""
    return dumps(obj)


def render_json(report: Report, decimals: int | None = None) -> str:
    return _json(to_dict(report, decimals))


VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's settings


def gradescope(
    report: Report, decimals: int | None = None, *, visibility: str = "visible", hide_expected: bool = False
) -> str:
    """Gradescope's results.json: a test per quantity, with its points and the teacher's note.

    visibility: when students see each test and the results ("visible", "hidden", "after_due_date",
    "after_published"); hide_expected: leave the expected values out of every output, and keep the
    autograder's stdout (where check prints its table) from students, so that the key is not given away.
    """
    if visibility not in VISIBILITY:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITY)}, not {visibility!r}")
    d = report.trace.scenario.decimals if decimals is None else decimals
    tests = []
    for v in report.verdicts:
        earned, possible = report.points(v)
        name = display_name(v.name) if v.name else v.given_name
        note = message(v, d, min_significant(report), hide_expected)
        shown = v.expected is not None and not hide_expected
        expected = f"expected {fmt_array(v.expected, d, bare_scalar=True)}" if shown else ""
        output = "; ".join(x for x in (f"{v.verdict}", f"you wrote {v.text}" if v.text else "", expected, note) if x)
        tests.append(
            {
                "name": f"({v.part}) {name}" if v.part else name,
                "score": earned,
                "max_score": possible,
                "status": "passed" if v.verdict == "correct" else "failed",
                "output": output,
                **({} if visibility == "visible" else {"visibility": visibility}),  # absent: Gradescope's default
            }
        )
    first = report.first_mistake
    output = summary(report) + (f"\nFirst mistake: {display_name(first.name or '')}" if first else "")
    stdout = "hidden" if hide_expected else visibility
    return _json(
        {"score": report.score, "output": output, "visibility": visibility, "stdout_visibility": stdout, "tests": tests}
    )
