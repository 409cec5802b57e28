"""lstm-trace run: a scenario traced, shown as tables, JSON or a worked-solution document."""

from __future__ import annotations

import itertools
import sys
from typing import Any

import click

from ..render import MAX_ITEMS
from .common import BadInput, emit, friendly, notation, print_to, writable

SECTIONS = ("forward", "backward", "gradients", "update")


def parse_steps(text: str | None, T: int) -> set[int] | None:  # noqa: N803 - the maths' name
    """'0,2-3', 'last', 'first', 'all', negative counts from the end: the steps to show."""
    if text is None or text.strip() == "all":
        return None
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if part in ("first", "last"):
                out.add(0 if part == "first" else T - 1)
            elif "-" in part.lstrip("-"):
                if part.startswith("-"):
                    raise ValueError(part)  # a negative start: say what is expected
                lo, hi = (int(k) for k in part.rsplit("-", 1))
                _in_sequence(lo, T)
                _in_sequence(hi, T)
                if hi < lo:
                    raise BadInput(f"--steps: the range {part} is empty; write it low-high, as {hi}-{lo}")
                out.update(range(lo, hi + 1))
            else:
                k = int(part)
                out.add(k if k >= 0 else T + k)
        except ValueError:
            raise BadInput(f"--steps: expected step numbers like 0,2-3 or 'last', found {part!r}") from None
    for k in sorted(out):
        _in_sequence(k, T)
    return out


def _in_sequence(k: int, T: int) -> None:  # noqa: N803
    if not 0 <= k < T:
        raise BadInput(f"--steps: step {k} is outside the sequence (t = 0 … {T - 1})")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.option("--decimals", type=click.IntRange(0, 15), help="Digits after the point (default: the scenario's).")
@click.option("--steps", metavar="LIST", help="Time steps to show: 0,2-3 or first, last, all.")
@click.option(
    "--section", "sections", multiple=True, type=click.Choice(SECTIONS), help="Only these sections (repeatable)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "latex", "html", "svg"]),
    default="table",
    show_default=True,
    help="Output format: tables on screen, JSON for machines, or a worked-solution document.",
)
@click.option("--iteration", type=click.IntRange(min=1), default=1, show_default=True, help="Which iteration to trace.")
@click.option(
    "--units",
    type=click.IntRange(min=2),
    default=MAX_ITEMS,
    show_default=True,
    help="Entries shown of each vector (the first and last few, …(n more)… between).",
)
@click.option("--full", is_flag=True, help="Nothing left out: every step, every entry, every term of a Σ_t.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of the screen.")
@friendly
def run(
    scenario: str,
    decimals: int | None,
    steps: str | None,
    sections: tuple[str, ...],
    fmt: str,
    iteration: int,
    units: int,
    full: bool,
    output: str | None,
) -> None:
    """Trace SCENARIO: every forward and backward quantity, its equation, the numbers, the value.

    SCENARIO is a YAML file, or the name of a bundled example (lstm-trace examples).
    On screen, a trace longer than 4 steps shows its first and last two, and long
    vectors their first and last entries, saying what was left out.

    Examples:

    \b
        lstm-trace run gomez
        lstm-trace run gomez --steps 0 --section backward
        lstm-trace run my.yaml --format latex -o solution.tex
        lstm-trace run my.yaml --format json | jq .values.dstate_0

    Exit codes: 0 traced, 2 unusable input, 3 a bug in lstm-trace.
    """
    from ..numeric.engine import trace
    from ..scenario.load import load_scenario

    writable(output, scenario)

    sc = load_scenario(scenario)
    if iteration > sc.iterations:
        raise BadInput(f"--iteration: the scenario has {sc.iterations} iteration(s), found {iteration}")
    tr = trace(sc, iteration)
    shown, T = parse_steps(steps, sc.T), sc.T  # noqa: N806 - the maths' name
    hidden = 0
    if full:
        shown = None
    elif shown is None and fmt in ("table", "html", "svg") and T > SCREEN_STEPS:
        shown = {0, 1, T - 2, T - 1}
        hidden = T - len(shown)
    with notation(sc.notation):
        _run(tr, shown, sections, decimals, fmt, output, units, hidden, full)


SCREEN_STEPS = 4  # a longer trace shows its first and last two steps on screen


def _run(
    tr: Any,
    steps: set[int] | None,
    sections: tuple[str, ...],
    decimals: int | None,
    fmt: str,
    output: str | None,
    units: int = MAX_ITEMS,
    hidden_steps: int = 0,
    full: bool = False,
) -> None:
    from ..render.batchview import grouped  # rows.grouped; a batch: one block per sequence
    from ..render.rows import MAX_TERMS

    terms, units = (sys.maxsize, sys.maxsize) if full else (MAX_TERMS, units)
    chosen = (steps, sections or None, decimals, units)
    if fmt in ("markdown", "latex"):
        from ..render.text import LatexStyle

        groups = grouped(tr, *chosen, style=LatexStyle, max_terms=terms)
        if fmt == "markdown":
            from ..render.markdown import render_markdown

            emit(render_markdown(tr, groups), output)
        else:
            from ..render.latexdoc import render_latex_document

            emit(render_latex_document(tr, groups), output)
        return
    if fmt == "html":  # a page: every quantity typeset and linked, the pictures
        from ..render.html import page_groups, render_page
        from ..render.table import elision_note

        groups = page_groups(tr, steps, sections=sections or None, decimals=decimals, max_items=units, max_terms=terms)
        emit(render_page(tr, groups, decimals, units, elision_note(tr, groups, hidden_steps, units)), output)
        return
    if fmt == "json":  # streamed: a long sequence's rows are printed one group at a time, never all held
        from ..render.jsonout import json_chunks, streamed_groups
        from ..render.text import Style

        emit(itertools.chain(json_chunks(tr, streamed_groups(tr, *chosen, Style, terms)), ["\n"]), output)
        return
    groups = grouped(tr, *chosen, max_terms=terms)
    from ..render.table import elision_note, recorded, render_tables

    tables = render_tables(tr, groups, decimals, steps, elision_note(tr, groups, hidden_steps, units))
    if fmt == "svg":  # a picture of the tables, as a terminal shows them
        emit(recorded(tables, fmt, tr.scenario.name or tr.scenario.file), output)
    else:
        print_to(tables, output)
