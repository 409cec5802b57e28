"""A class's results: a row per submission, the score distribution, the most common first mistakes,
and the gradebook as CSV (a row per file: each part, the total, the first mistake)."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table

from .. import __version__
from ..grading.classbook import ClassReport, Mistake
from ..grading.verdicts import Verdict
from .report import message
from .table import plain
from .text import display_name, json_safe

BAR = 40  # characters of the longest bar in the distribution


def _decimals(cr: ClassReport, decimals: int | None) -> int:
    return cr.trace.scenario.decimals if decimals is None else decimals


def note(v: Verdict, decimals: int) -> str:
    """What a first mistake's row says: the teacher's note, or that no likely cause was found."""
    return message(v, decimals) or "wrong, no likely cause found"


def mistake_text(m: Mistake, decimals: int) -> str:
    """δstate_0: the term δstate_1 ⊙ f_1 is missing."""
    return f"{display_name(m.name)}: {note(m.example, decimals)}"


def render_class(cr: ClassReport, decimals: int | None = None) -> Group:
    d = _decimals(cr, decimals)
    sc = cr.trace.scenario
    n = len(cr.submissions)
    out: list[RenderableType] = [plain(f"Checking {n} submission(s) against {sc.file}: {sc.name}", "bold")]
    out.append(_submissions(cr, d))
    if cr.graded:
        out += [plain("Score distribution", "bold"), *map(plain, distribution(cr))]
        mistakes = cr.first_mistakes()
        if mistakes:
            out.append(plain("Most common first mistakes", "bold"))
            out += [plain(f"  {mistake_text(m, d)} — {m.count} of {len(cr.graded)}") for m in mistakes]
    return Group(*out)


def _submissions(cr: ClassReport, d: int) -> Table:
    parts = cr.graded[0].parts if cr.graded else ()
    table = Table(title=None)
    table.add_column("submission", overflow="fold")
    for p in parts:
        table.add_column(f"({p.id})" if p.id else p.title, justify="right", no_wrap=True)
    table.add_column("total", justify="right", no_wrap=True)
    table.add_column("first mistake", overflow="fold")
    for s in cr.submissions:
        if s.report is None:
            table.add_row(plain(s.file), *[""] * len(parts), "", plain(f"unreadable: {s.problem}", "red"))
            continue
        first = s.report.first_mistake
        where = f"{display_name(first.name or first.given_name)}: {note(first, d)}" if first is not None else ""
        scores = [f"{p.score:g}/{p.max_score:g}" for p in s.report.parts]
        table.add_row(plain(s.file), *scores, f"{s.report.score:g}/{s.report.max_score:g}", plain(where))
    return table


def distribution(cr: ClassReport) -> list[str]:
    """Mean, median and range, then a bar per score when the class holds few different scores, else a bar
    per tenth of the maximum score (from the lowest to the highest held)."""
    scores, top = cr.scores(), cr.max_score
    lines = [
        f"  mean {statistics.fmean(scores):.3g}, median {statistics.median(scores):g}, "
        f"min {min(scores):g}, max {max(scores):g} (of {top:g}), {len(scores)} graded"
    ]
    held = Counter(scores)
    if len(held) <= 10:
        bars = [(f"{f'{s:g}/{top:g}':>9}", held[s]) for s in sorted(held)]
    else:
        buckets = [0] * 10
        for s in scores:
            buckets[min(int(10 * s / top), 9) if top else 9] += 1
        used = [k for k, count in enumerate(buckets) if count]
        bars = [
            (f"[{top * k / 10:5.3g}, {top * (k + 1) / 10:5.3g}{']' if k == 9 else ')'}", buckets[k])
            for k in range(used[0], used[-1] + 1)  # from the lowest bucket with a score to the highest
        ]
    widest = max(count for _, count in bars)
    for label, count in bars:
        lines.append(f"  {label} {count:4d} {'█' * round(BAR * count / widest) if count else ''}".rstrip())
    return lines


def gradebook_csv(cr: ClassReport, decimals: int | None = None) -> str:
    """One row per submission: each part's score, the total, the first mistake (or why it was not graded)."""
    d = _decimals(cr, decimals)
    parts = cr.graded[0].parts if cr.graded else ()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["file", *(f"part {p.id or p.title}" for p in parts), "total", "max", "first_mistake", "note", "problem"]
    )
    for s in cr.submissions:
        if s.report is None:
            writer.writerow([s.file, *[""] * len(parts), "", "", "", "", s.problem])
            continue
        first = s.report.first_mistake
        name = (first.name or first.given_name) if first is not None else ""
        words = note(first, d) if first is not None else ""
        scores = [f"{p.score:g}" for p in s.report.parts]
        writer.writerow([s.file, *scores, f"{s.report.score:g}", f"{s.report.max_score:g}", name, words, ""])
    return buffer.getvalue()


def class_json(cr: ClassReport, decimals: int | None = None) -> str:
    d = _decimals(cr, decimals)
    doc: dict[str, Any] = {
        "lstm_trace": __version__,
        "scenario": cr.trace.scenario.file,
        "max_score": cr.max_score,
        "submissions": [
            {
                "file": s.file,
                "score": s.report.score if s.report else None,
                "parts": {p.id or p.title: p.score for p in s.report.parts} if s.report else {},
                "first_mistake": (s.report.first_mistake.name if s.report and s.report.first_mistake else None),
                "problem": s.problem or None,
            }
            for s in cr.submissions
        ],
        "first_mistakes": [
            {"name": m.name, "cause": m.cause.kind if m.cause else None, "note": mistake_text(m, d), "count": m.count}
            for m in cr.first_mistakes()
        ],
    }
    return json_safe(json.dumps(doc, indent=1, ensure_ascii=False))
