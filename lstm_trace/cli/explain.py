"""lstm-trace explain and gradcheck: why a quantity has its value; every gradient against finite differences."""

from __future__ import annotations

import click

from .common import console, emit, friendly, notation, print_to, writable

MAX_ENTRIES = 20  # per gradient (the inputs x_t as one), by default: each entry is two columns of a forward pass


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.argument("name")
@click.option("--depth", type=click.IntRange(1, 50), default=4, show_default=True, help="Levels of the tree to show.")
@click.option("--decimals", type=click.IntRange(0, 15), help="Digits after the point (default: the scenario's).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "html"]),
    default="table",
    show_default=True,
    help="Output format: on screen, or a web page with every quantity typeset.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of the screen.")
@friendly
def explain(scenario: str, name: str, depth: int, decimals: int | None, fmt: str, output: str | None) -> None:
    """Why NAME has its value: its equation, its inputs, and what feeds them, back to the loss.

    NAME is a quantity as everywhere: dstate_0, δstate_0, Δout_{-1}, dW, db_o, W_a_new.

    Examples:

    \b
        lstm-trace explain gomez dstate_0
        lstm-trace explain gomez dW_a --depth 2
        lstm-trace explain gomez dstate_0 --format html -o why.html

    Exit codes: 0 explained, 2 unusable input or unknown NAME, 3 a bug in lstm-trace.
    """
    from ..grading.graph import Graph
    from ..names import canonical
    from ..numeric.engine import trace
    from ..render.explain import render_explain
    from ..scenario.load import load_scenario

    writable(output, scenario)
    tr = trace(load_scenario(scenario))
    known = set(tr.values) | set(Graph(tr).nodes)
    with notation(tr.scenario.notation):
        if fmt == "html":
            from ..render.htmlexplain import render_explain_page

            emit(render_explain_page(tr, canonical(name, known), decimals, depth), output)
        else:
            print_to(render_explain(tr, canonical(name, known), decimals, depth), output)


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

    Each entry of W, U, b, every x_t and out_{-1} is moved by ±h and the forward
    pass rerun: (E(p + h) − E(p − h)) / 2h must match δp within 1e-7 + 1e-5·|δp|
    (an entry that does not is moved by ±2h as well, and the Richardson estimate and
    its own error judged). All the entries run together, as columns of one forward
    pass; at most --max-entries entries of each gradient are checked (of all the
    inputs x_t together, spread over the sequence) unless you ask for all.

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
    inputs = [c for c in checks if c.name.startswith("dx_")]  # x_0 … x_{T-1} share one budget
    sampled = sum(c.entries < c.size for c in checks if c not in inputs)
    sampled += sum(c.entries for c in inputs) < tr.scenario.x.size
    if sampled:
        click.echo(
            f"{sampled} gradient(s) had more than {max_entries} entries (the inputs x_t count as one); a random "
            f"{max_entries} of each were checked (--max-entries N checks more, 0 all).",
            err=True,
        )
    if fmt == "json":
        from ..render.gradcheck import gradcheck_json

        click.echo(gradcheck_json(checks, h))
    else:
        from ..render.gradcheck import render_gradcheck

        console().print(render_gradcheck(checks, h))
    raise click.exceptions.Exit(0 if all(c.ok for c in checks) else 1)
