"""lstm-trace explain and gradcheck: why a quantity has its value; every gradient against finite differences."""

from __future__ import annotations

import click

from .common import console, friendly, notation

MAX_ENTRIES = 20  # per gradient, by default: each entry costs two runs of the whole sequence


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.argument("name")
@click.option("--depth", type=click.IntRange(1, 50), default=4, show_default=True, help="Levels of the tree to show.")
@click.option("--decimals", type=click.IntRange(0, 15), help="Digits after the point (default: the scenario's).")
@friendly
def explain(scenario: str, name: str, depth: int, decimals: int | None) -> None:
    """Why NAME has its value: its equation, its inputs, and what feeds them, back to the loss.

    NAME is a quantity as everywhere: dstate_0, δstate_0, Δout_{-1}, dW, db_o, W_a_new.

    Examples:

    \b
        lstm-trace explain gomez dstate_0
        lstm-trace explain gomez dW_a --depth 2

    Exit codes: 0 explained, 2 unusable input or unknown NAME, 3 a bug in lstm-trace.
    """
    from ..grading.graph import Graph
    from ..names import canonical
    from ..numeric.engine import trace
    from ..render.explain import render_explain
    from ..scenario.load import load_scenario

    tr = trace(load_scenario(scenario))
    known = set(tr.values) | set(Graph(tr).nodes)
    with notation(tr.scenario.notation):
        console().print(render_explain(tr, canonical(name, known), decimals, depth))


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--step",
    "h",
    type=click.FloatRange(min=0, min_open=True),
    default=1e-6,
    show_default=True,
    help="h: how far each entry is moved (±h and ±2h), grown as ∛|E| for a loss over 1.",
)
@click.option(
    "--max-entries",
    type=click.IntRange(min=0),
    default=MAX_ENTRIES,
    show_default=True,
    help="Check at most this many entries of each gradient, chosen at random (0: every entry).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
@friendly
def gradcheck(scenario: str, h: float, max_entries: int | None, fmt: str) -> None:
    """Check every traced gradient against central finite differences of the loss.

    Each entry of W, U, b, every x_t and out_{-1} is moved by ±h and the sequence
    rerun: (E(p + h) − E(p − h)) / 2h must match δp within 1e-7 + 1e-5·|δp|.
    Each entry costs two runs of the sequence, so at most --max-entries entries of
    each gradient are checked unless you ask for all.

    Examples:

    \b
        lstm-trace gradcheck gomez
        lstm-trace gradcheck my.yaml --max-entries 0 --format json

    Exit codes: 0 all agree, 1 a mismatch, 2 unusable input, 3 a bug in lstm-trace.
    """
    from ..numeric.engine import trace
    from ..numeric.gradcheck import gradcheck as run_check
    from ..numeric.gradcheck import step_for
    from ..scenario.load import load_scenario

    tr = trace(load_scenario(scenario))
    checks, h = run_check(tr, h=h, max_entries=max_entries or None), step_for(tr, h)
    sampled = sum(c.entries < c.size for c in checks)
    if sampled:
        click.echo(
            f"{sampled} gradient(s) had more than {max_entries} entries; a random {max_entries} of each were "
            "checked (--max-entries N checks more, 0 all).",
            err=True,
        )
    if fmt == "json":
        from ..render.gradcheck import gradcheck_json

        click.echo(gradcheck_json(checks, h))
    else:
        from ..render.gradcheck import render_gradcheck

        console().print(render_gradcheck(checks, h))
    raise click.exceptions.Exit(0 if all(c.ok for c in checks) else 1)
