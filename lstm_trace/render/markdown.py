"""Markdown tables, one per section: a worked solution to publish or hand in."""

from __future__ import annotations

from ..evaluate import Trace
from .rows import RowText, grouped, loss_text


def _cell(s: str) -> str:
    return s.replace("|", "\\|") if s else ""


def render_markdown(trace: Trace, groups: list[tuple[str, list[RowText]]] | None = None) -> str:
    sc = trace.scenario
    groups = grouped(trace) if groups is None else groups
    lines = [f"# {sc.name or 'LSTM trace'}", ""]
    if sc.source:
        lines += [f"Source: {sc.source}", ""]
    lines += [f"{sc.cell} cell, D={sc.D}, H={sc.H}, T={sc.T}, loss {sc.loss}, {sc.optimizer} λ={sc.lr:g}", ""]
    for title, rows in groups:
        lines += [f"## {title}", "", "| quantity | equation | with numbers | value |", "|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {_cell(r.lhs)} | {_cell(r.symbolic)} | {_cell(r.shown)} | {_cell(r.value)} |")
        lines.append("")
    lines.append(loss_text(trace))
    lines += [f"\n> warning: {w}" for w in trace.warnings]
    return "\n".join(lines) + "\n"
