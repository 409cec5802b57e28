"""Command line: parse, call the library, print, exit code.  Nothing is computed here."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from . import __version__
from .render import MAX_ITEMS

SECTIONS = ("forward", "backward", "gradients", "update")
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """A user error: one message, exit code 2."""

    exit_code = EXIT_BAD_INPUT


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's input errors into one clean message; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import LstmTraceError

        debug = click.get_current_context().find_root().params.get("debug") or os.environ.get("LSTM_TRACE_DEBUG") == "1"
        try:
            return fn(*args, **kwargs)
        except LstmTraceError as exc:
            if debug:
                raise
            raise BadInput(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: say so briefly, and how to report it
            if debug:
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc}. Rerun with --debug and report it, please."
            ) from None

    return wrapper


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
                lo, hi = part.rsplit("-", 1) if not part.startswith("-") else ("", "")
                out.update(range(int(lo), int(hi) + 1))
            else:
                k = int(part)
                out.add(k if k >= 0 else T + k)
        except ValueError:
            raise BadInput(f"--steps: expected step numbers like 0,2-3 or 'last', found {part!r}") from None
    bad = sorted(k for k in out if not 0 <= k < T)
    if bad:
        raise BadInput(f"--steps: step {bad[0]} is outside the sequence (t = 0 … {T - 1})")
    return out


def console(file: Any = None) -> Any:
    from rich.console import Console

    out = file or sys.stdout
    width = None if out.isatty() or os.environ.get("COLUMNS") else 160
    return Console(file=out, width=width, soft_wrap=False, highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lstm-trace")
@click.option("--debug", is_flag=True, help="Show full tracebacks (for bug reports). Also LSTM_TRACE_DEBUG=1.")
def cli(debug: bool) -> None:
    """Trace and check LSTM backpropagation by hand, equation by equation.

    Example:

        lstm-trace run scenarios/gomez.yaml
    """


@cli.command()
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
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
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

    Example:

        lstm-trace run scenarios/gomez.yaml --steps 0 --section backward

        lstm-trace run scenarios/gomez.yaml --format latex -o solution.tex

    On screen, a trace longer than 4 steps shows its first and last two, and long
    vectors their first and last entries, saying what was left out.
    """
    from .evaluate import trace
    from .scenario import load_scenario

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
    from .render.rows import MAX_TERMS, grouped

    terms, units = (sys.maxsize, sys.maxsize) if full else (MAX_TERMS, units)
    chosen = (steps, sections or None, decimals, units)
    if fmt in ("markdown", "latex"):
        from .render.text import LatexStyle

        groups = grouped(tr, *chosen, style=LatexStyle, max_terms=terms)
        if fmt == "markdown":
            from .render.markdown import render_markdown

            _emit(render_markdown(tr, groups), output)
        else:
            from .render.latexdoc import render_latex_document

            _emit(render_latex_document(tr, groups), output)
        return
    groups = grouped(tr, *chosen, max_terms=terms)
    if fmt == "json":
        from .render.jsonout import json_chunks

        _emit(itertools.chain(json_chunks(tr, groups), ["\n"]), output)
        return
    from .render.table import elision_note, recorded, render_tables

    tables = render_tables(tr, groups, decimals, steps, elision_note(tr, groups, hidden_steps, units))
    if fmt in ("html", "svg"):
        _emit(recorded(tables, fmt, tr.scenario.name or tr.scenario.file), output)
    else:
        _print(tables, output)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.argument("answers", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
@click.option("--gradescope", "gradescope_path", type=click.Path(dir_okay=False), help="Also write Gradescope results.")
@click.option(
    "--carried-credit",
    type=click.FloatRange(0, 1),
    help="Share of the points for an answer carried from an earlier mistake (default: the scenario's, else 0.5).",
)
@click.option("--part", "parts", multiple=True, metavar="ID", help="Only this part (repeatable), e.g. --part b.")
@click.option("--decimals", type=click.IntRange(0, 15), help="Digits shown for expected values.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@friendly
def check(
    scenario: str,
    answers: str | None,
    fmt: str,
    parts: tuple[str, ...],
    gradescope_path: str | None,
    carried_credit: float | None,
    decimals: int | None,
    output: str | None,
) -> None:
    """Grade ANSWERS (a YAML file of name: number) against SCENARIO, like a teacher would.

    Each answer is correct (within the rounding you wrote and the rounding carried in
    from your earlier numbers), carried (wrong, but right from your own earlier answers),
    wrong (with the likely cause), missing, unknown or invalid.  Without ANSWERS, the
    scenario's own expected: block is graded, so a source's misprints show up.
    Exit code 0 when every answer given is correct, 1 otherwise, 2 for unusable input.

    Example:

        lstm-trace template scenarios/gomez-homework.yaml -o answers.yaml

        lstm-trace check scenarios/gomez-homework.yaml answers.yaml
    """
    from .answers import load_answers
    from .evaluate import trace
    from .grading import grade
    from .scenario import load_scenario

    tr = trace(load_scenario(scenario))
    _check_parts(tuple(p.id for p in tr.scenario.parts), parts)
    if answers is not None:
        given = load_answers(answers)
    elif len(tr.scenario.expected):
        given = tr.scenario.expected
    else:
        raise BadInput(f"{scenario}: no ANSWERS file given, and the scenario has no expected: block to check")
    with notation(tr.scenario.notation):
        _check(grade(tr, given, carried_credit, parts), fmt, gradescope_path, decimals, output)


def _check(report: Any, fmt: str, gradescope_path: str | None, decimals: int | None, output: str | None) -> None:
    if gradescope_path:
        from .render.report import gradescope

        _emit(gradescope(report, decimals) + "\n", gradescope_path)
    if fmt == "json":
        from .render.report import render_json

        _emit(render_json(report, decimals) + "\n", output)
    else:
        from .render.report import render_report

        _print(render_report(report, decimals), output)
    raise click.exceptions.Exit(report.exit_code)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.option("--part", "parts", multiple=True, metavar="ID", help="Only this part (repeatable), e.g. --part b.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@friendly
def template(scenario: str, parts: tuple[str, ...], output: str | None) -> None:
    """Write a blank answers file for SCENARIO: every name, in order, grouped by part.

    Example:

        lstm-trace template scenarios/gomez-homework.yaml --part b -o answers.yaml
    """
    from . import cache
    from .render.template import Sheet, render_sheet

    def build(_text: str) -> Sheet:
        from .evaluate import trace
        from .render.template import answer_sheet
        from .scenario import load_scenario

        tr = trace(load_scenario(scenario))
        with notation(tr.scenario.notation):
            return answer_sheet(tr)

    # a scenario read before: its sheet from the cache, without numpy, sympy or pydantic
    sheet = cache.of_file(scenario, "sheet", Sheet, build)
    _check_parts(sheet.part_ids, parts)
    _emit(render_sheet(sheet, parts, check_as=output or "answers.yaml"), output)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.argument("name")
@click.option("--depth", type=click.IntRange(1, 50), default=4, show_default=True, help="Levels of the tree to show.")
@click.option("--decimals", type=click.IntRange(0, 15), help="Digits after the point (default: the scenario's).")
@friendly
def explain(scenario: str, name: str, depth: int, decimals: int | None) -> None:
    """Why NAME has its value: its equation, its inputs, and what feeds them, back to the loss.

    NAME is a quantity as everywhere: dstate_0, δstate_0, Δout_{-1}, dW, db_o, W_a_new.

    Example:

        lstm-trace explain scenarios/gomez.yaml dstate_0
    """
    from .evaluate import trace
    from .graph import Graph
    from .names import canonical
    from .render.explain import render_explain
    from .scenario import load_scenario

    tr = trace(load_scenario(scenario))
    known = set(tr.values) | set(Graph(tr).nodes)
    with notation(tr.scenario.notation):
        console().print(render_explain(tr, canonical(name, known), decimals, depth))


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.option("--step", "h", type=click.FloatRange(min=0, min_open=True), default=1e-6, show_default=True)
@click.option("--max-entries", type=click.IntRange(min=1), help="Check at most this many entries per gradient.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
@friendly
def gradcheck(scenario: str, h: float, max_entries: int | None, fmt: str) -> None:
    """Check every traced gradient against central finite differences of the loss.

    Each entry of W, U, b, every x_t and out_{-1} is moved by ±h and the sequence
    rerun: (E(p + h) − E(p − h)) / 2h must match δp within 1e-7 + 1e-5·|δp|.
    Exit code 0 when all agree, 1 on a mismatch.

    Example:

        lstm-trace gradcheck scenarios/gomez.yaml
    """
    from .evaluate import trace
    from .gradcheck import gradcheck as run_check
    from .scenario import load_scenario

    checks = run_check(trace(load_scenario(scenario)), h=h, max_entries=max_entries)
    if fmt == "json":
        from .render.gradcheck import gradcheck_json

        click.echo(gradcheck_json(checks, h))
    else:
        from .render.gradcheck import render_gradcheck

        console().print(render_gradcheck(checks, h))
    raise click.exceptions.Exit(0 if all(c.ok for c in checks) else 1)


@cli.command()
@click.option("--cell", type=click.Choice(["lstm", "peephole"]), default="lstm", show_default=True, help="The cell.")
@click.option(
    "--peephole-output",
    type=click.Choice(["current", "previous"]),
    default="current",
    show_default=True,
    help="The state a peephole output gate sees: state_t, or state_{t-1} as seed 004.",
)
@click.option(
    "--output",
    "head",
    type=click.Choice(["none", "softmax"]),
    default="none",
    show_default=True,
    help="Output layer: none (l2 loss on out_t) or softmax (cross-entropy).",
)
@click.option("--bias/--no-bias", default=True, show_default=True, help="With or without the bias b.")
@click.option("--optimizer", type=click.Choice(["sgd", "adagrad"]), default="sgd", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "latex"]), default="text", show_default=True, help="Output format."
)
@click.option("-o", "out_file", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@friendly
def derive(
    cell: str, peephole_output: str, head: str, bias: bool, optimizer: str, fmt: str, out_file: str | None
) -> None:
    """Print the model's forward and backward equations at step t: the derivation sheet, no numbers.

    Every backward equation is derived from the forward ones by sympy, as in run.

    Example:

        lstm-trace derive --format latex -o lstm.tex
    """
    from .cells import lstm, peephole
    from .cells.heads import no_head, softmax_head
    from .derive import derive as derive_model
    from .render.derivation import render_latex, render_text

    the_cell = peephole(bias, peephole_output) if cell == "peephole" else lstm(bias)
    if head == "softmax":
        model = derive_model(the_cell, "cross_entropy", optimizer, softmax_head())
    else:
        model = derive_model(the_cell, "l2", optimizer, no_head())
    _emit((render_latex if fmt == "latex" else render_text)(model), out_file)


@cli.command("check-formula")
@click.argument("formula")
@click.option("--cell", type=click.Choice(["lstm", "peephole"]), default="lstm", show_default=True, help="The cell.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
@friendly
def check_formula(formula: str, cell: str, fmt: str) -> None:
    """Judge your own FORMULA ("quantity = expression") against the derived one.

    Names with a time suffix (dstate_t, f_{t+1}, state_{t-1}), their aliases (δstate_t,
    ahat_t for za_t, c_t/h_t), gradients written dE/da_t or ∂E/∂a_t; functions tanh,
    sigmoid (σ), exp, log; operators + - * / ** (* and ⊙ are elementwise).  Gradients on
    the right are given quantities; forward ones are read through their definitions,
    so 1 - a_t**2 and 1 - tanh(za_t)**2 are the same.  The text is parsed, never run.
    Exit code 0 correct, 1 wrong, 2 unreadable.

    Example:

        lstm-trace check-formula "dahat_t = dE/da_t * (1 - tanh(ahat_t)**2)"
    """
    from .cells import lstm, peephole
    from .derive import derive as derive_model
    from .formula import judge
    from .render.formula import render_formula_json, render_formula_text

    j = judge(derive_model(peephole() if cell == "peephole" else lstm()), formula)
    _emit((render_formula_json(j) + "\n") if fmt == "json" else render_formula_text(j), None)
    raise click.exceptions.Exit(0 if j.verdict == "correct" else 1)


@cli.command()
@click.option("--input", "D", type=click.IntRange(1, 4096), required=True, help="D: inputs per step.")
@click.option("--hidden", "H", type=click.IntRange(1, 4096), required=True, help="H: hidden units.")
@click.option("--steps", "T", type=click.IntRange(1, 100_000), required=True, help="T: sequence length.")
@click.option("--cell", type=click.Choice(["lstm", "peephole"]), default="lstm", show_default=True)
@click.option("--output", "head", type=click.Choice(["none", "softmax"]), default="none", show_default=True)
@click.option("--classes", "K", type=click.IntRange(2, 1000), default=3, show_default=True, help="K, for softmax.")
@click.option("--optimizer", type=click.Choice(["sgd", "adagrad"]), default="sgd", show_default=True)
@click.option("--bias/--no-bias", default=True, show_default=True)
@click.option("--iterations", type=click.IntRange(1, 10_000), default=1, show_default=True)
@click.option("--seed", type=int, required=True, help="The same seed always writes the same scenario.")
@click.option("--decimals", type=click.IntRange(0, 8), default=2, show_default=True, help="Digits of the numbers.")
@click.option("--parts", "with_parts", is_flag=True, help="Add the homework parts (a)-(d), as in the sheet.")
@click.option("--answers", type=click.Path(dir_okay=False, writable=True), help="Also write the answer key here.")
@click.option("-o", "out_file", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@friendly
def new(**kw: Any) -> None:
    """Write a random scenario to work by hand: weights and inputs rounded to --decimals.

    Instructors make randomized problem sets with --parts and an answer key (--answers);
    check grades a student's file against the scenario as usual.

    Example:

        lstm-trace new --input 2 --hidden 1 --steps 2 --seed 7 --parts -o ex7.yaml --answers ex7-key.yaml
    """
    from .answers import from_document
    from .evaluate import trace
    from .generate import Spec, answers_text, homework_parts, scenario_text
    from .scenario import from_document as scenario_from
    from .yamlio import parse

    spec = Spec(
        kw["D"], kw["H"], kw["T"], kw["seed"], kw["cell"], kw["head"], kw["K"], kw["optimizer"], 0.1,
        kw["bias"], kw["decimals"], kw["iterations"],
    )  # fmt: skip
    text = scenario_text(spec)
    if kw["with_parts"] or kw["answers"]:
        tr = trace(scenario_from(parse(text, "<new>")))
        parts = homework_parts([(r.section, r.step, r.name) for r in tr.rows if r.equation is not None])
        if kw["with_parts"]:
            text = scenario_text(spec, parts)
        if kw["answers"]:
            names = [n for _, _, ns in parts for n in ns]
            key = answers_text(dict(tr.values), names, tr.scenario.decimals)
            assert len(from_document(parse(key, kw["answers"]))) == len(names)
            _emit(
                f"# Answer key for {kw['out_file'] or 'the scenario'} (lstm-trace new --seed {spec.seed})\n" + key,
                kw["answers"],
            )
    _emit(text, kw["out_file"])


@cli.command()
@friendly
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors to validate against.

    Example:

        lstm-trace schema > lstm-trace.schema.json
    """
    import json

    from .schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@contextlib.contextmanager
def notation(name: str) -> Iterator[None]:
    """Names printed in the scenario's notation (seed 001's c/h, or state/out)."""
    from .render.text import notation as printing_in

    with printing_in(name):
        yield


def _check_parts(ids: tuple[str, ...], parts: tuple[str, ...]) -> None:
    for p in parts:
        if p not in ids:
            from .names import did_you_mean

            have = f"; the parts are {', '.join(ids)}" if ids else "; the scenario has no parts: section"
            raise BadInput(f"--part: no part {p!r}{did_you_mean(p, ids) or have}")


def _print(renderable: Any, output: str | None) -> None:
    """A rich renderable to stdout, or as plain text to a file."""
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            console(fh).print(renderable)
    else:
        console().print(renderable)


def _emit(text: str | Iterable[str], output: str | None) -> None:
    """Text, or text in pieces (a big trace's JSON), to the file or to stdout."""
    pieces = [text] if isinstance(text, str) else text
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.writelines(pieces)
    else:
        for piece in pieces:
            click.echo(piece, nl=False)
