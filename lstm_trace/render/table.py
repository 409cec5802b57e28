"""Rich tables, one per section, the way a worked solution is laid out."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..numeric.engine import Trace
from .rows import RowText, loss_text
from .text import ELIDED, fmt_number, safe_text


def plain(text: str, style: str = "") -> Text:
    """Text for rich as it is written: no markup ([bold] prints as [bold]), no emoji codes, no control characters."""
    return Text(safe_text(text), style=style)


def section_table(title: str, rows: list[RowText]) -> Table:
    table = Table(title=plain(title, "bold"), title_justify="left", expand=False, show_lines=False)
    table.add_column("quantity", style="bold cyan", no_wrap=True)
    table.add_column("equation", overflow="fold")
    table.add_column("with numbers", overflow="fold")
    table.add_column("value", style="bold", overflow="fold")
    for r in rows:
        table.add_row(plain(r.lhs), plain(r.symbolic), plain(r.shown), plain(r.value))
    return table


def render_tables(
    trace: Trace,
    groups: list[tuple[str, list[RowText]]],
    decimals: int | None = None,
    steps: set[int] | None = None,
    elided: str = "",
) -> Group:
    parts: list[RenderableType] = []
    sc = trace.scenario
    head = f"{sc.name}" + (f" ({sc.source})" if sc.source else "")
    if head:
        parts.append(plain(head, "bold"))
    parts.append(
        Text(
            f"{sc.cell} cell, D={sc.D}, H={sc.H}, T={sc.T}, {'with' if sc.bias else 'no'} bias, "
            f"loss {sc.loss}, {sc.optimizer} λ={sc.lr:g}",
            style="dim",
        )
    )
    for title, rows in groups:
        parts.append(section_table(title, rows))
    parts.append(Text(loss_text(trace, decimals, iterations=False, steps=steps)))
    if len(trace.losses) > 1:
        parts.append(iterations_table(trace, decimals))
    for w in trace.warnings:
        parts.append(plain(f"warning: {w}", "yellow"))
    if elided:
        parts.append(Text(elided, style="dim"))
    return Group(*parts)


def elision_note(trace: Trace, groups: list[tuple[str, list[RowText]]], hidden_steps: int, units: int) -> str:
    """What the screen leaves out of a big trace and how to see it; empty when nothing was left out."""
    T = trace.scenario.T  # noqa: N806 - the maths' name
    entries = any(ELIDED.search(r.shown) or ELIDED.search(r.value) for _, rows in groups for r in rows)
    said = []
    if hidden_steps:
        said.append(f"{hidden_steps} of the {T} steps (shown: the first and last two)")
    if entries:
        said.append(f"the middle entries of vectors longer than {units}, of matrices and of Σ_t sums")
    if not said:
        return ""
    return (
        f"Left out to keep the screen readable: {' and '.join(said)}. "
        f"See more with --steps 2-5, --units {max(2 * units, 16)}, or everything with --full; "
        "--format json holds every value."
    )


def recorded(renderable: RenderableType, fmt: str, title: str, width: int = 160) -> str:
    """The tables as a standalone HTML page or SVG image, through rich's console recorder."""
    import io

    from rich.console import Console

    rec = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor", highlight=False)
    rec.print(renderable)
    return rec.export_html(inline_styles=True) if fmt == "html" else rec.export_svg(title=safe_text(title))


def iterations_table(trace: Trace, decimals: int | None = None) -> Table:
    """E after each iteration's forward pass; the traced one marked."""
    d = trace.scenario.decimals if decimals is None else decimals
    table = Table(title="Loss per iteration", title_justify="left", title_style="bold")
    table.add_column("iteration", justify="right")
    table.add_column("E", justify="right")
    table.add_column("")
    for k, e in enumerate(trace.losses, start=1):
        table.add_row(str(k), fmt_number(e, d), "← traced above" if k == trace.iteration else "")
    return table
