"""Rich tables, one per section, the way a worked solution is laid out."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from ..numeric.engine import Trace
from .batchview import header_notes
from .rows import RowText, loss_text
from .text import ELIDED, fmt_number, safe_text
from .wrapping import Formula, fitted_widths


def plain(text: str, style: str = "") -> Text:
    """Text for rich as it is written: no markup ([bold] prints as [bold]), no emoji codes, no control characters."""
    return Text(safe_text(text), style=style)


COLUMNS = ("quantity", "equation", "with numbers", "value")


class SectionTable:
    """A section's rows as a table as wide as the console allows, each column wide enough for its
    widest term where the room allows (wrapping.py), so that a line breaks at an operator."""

    def __init__(self, title: str, rows: list[RowText]) -> None:
        self.title, self.rows = title, rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cells = [[r.lhs, r.symbolic, r.shown, r.value] for r in self.rows]
        room = options.max_width - (len(COLUMNS) + 1) - 2 * len(COLUMNS)  # borders and padding
        columns = [[name, *texts] for name, texts in zip(COLUMNS, zip(*cells, strict=True), strict=True)]
        widths = fitted_widths(columns, [True, False, False, False], room)
        table = Table(title=plain(self.title, "bold"), title_justify="left", expand=False, show_lines=False)
        for k, (name, style) in enumerate(zip(COLUMNS, ("bold cyan", "", "", "bold"), strict=True)):
            table.add_column(name, style=style, no_wrap=k == 0, width=widths[k] if widths else None)
        for lhs, symbolic, shown, value in cells:  # broken at operators, not inside a term (wrapping.py)
            table.add_row(plain(lhs), Formula(symbolic), Formula(shown), Formula(value))
        yield table


def section_table(title: str, rows: list[RowText]) -> SectionTable:
    return SectionTable(title, rows)


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
    parts += [Text(note, style="dim") for note in header_notes(trace)]  # a source's layout, a batch
    for title, rows in groups:
        parts.append(section_table(title, rows))
    if sc.loss in ("l2", "cross_entropy"):  # forward only, or a given upstream gradient: no loss to show
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
