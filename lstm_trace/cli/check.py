"""lstm-trace check and template: a student's answers graded; a blank answers file to fill in."""

from __future__ import annotations

import os
from typing import Any

import click

from .common import BadInput, check_parts, console, emit, friendly, notation, opened, print_to, writable

# render.report.VISIBILITY, written out so that --help imports no renderer (a test keeps them equal)
GRADESCOPE_VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.argument("answers", nargs=-1, type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "html"]),
    default="table",
    show_default=True,
    help="Output format: tables, JSON, or a web page of the graded sheet (one ANSWERS file).",
)
@click.option("--gradescope", "gradescope_path", metavar="FILE", help="Also write Gradescope's results.json to FILE.")
@click.option(
    "--gradescope-visibility",
    type=click.Choice(GRADESCOPE_VISIBILITY),
    default="visible",
    show_default=True,
    help="When students see each test's result on Gradescope.",
)
@click.option(
    "--hide-expected", is_flag=True, help="Gradescope: leave the expected values out, so the key is not given away."
)
@click.option(
    "--carried-credit",
    type=click.FloatRange(0, 1),
    callback=lambda ctx, param, v: _finite(v),
    help="Share of the points for an answer carried from an earlier mistake (default: the scenario's, else 0.5).",
)
@click.option("--part", "parts", multiple=True, metavar="ID", help="Only this part (repeatable), e.g. --part b.")
@click.option("--decimals", type=click.IntRange(0, 15), help="Digits shown for expected values.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE instead of the screen.")
@click.option(
    "--gradebook", metavar="FILE", help="With several ANSWERS: also write a CSV row per file (parts, total, mistake)."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    help="With several ANSWERS: grade on this many processes (default: the cores available).",
)
@friendly
def check(
    scenario: str,
    answers: tuple[str, ...],
    fmt: str,
    parts: tuple[str, ...],
    gradescope_path: str | None,
    gradescope_visibility: str,
    hide_expected: bool,
    carried_credit: float | None,
    decimals: int | None,
    output: str | None,
    gradebook: str | None,
    jobs: int | None,
) -> None:
    """Grade ANSWERS (a YAML file of name: number) against SCENARIO, like a teacher would.

    Each answer is correct (within the rounding you wrote and the rounding carried in
    from your earlier numbers), carried (wrong, but right from your own earlier answers),
    wrong (with the likely cause), missing, unknown or invalid.  Without ANSWERS, the
    scenario's own expected: block is graded, so a source's misprints show up.
    Several ANSWERS files (or a directory of them) grade a whole class: a row per
    file, the score distribution and the most common first mistakes.

    Examples:

    \b
        lstm-trace template gomez-homework -o answers.yaml
        lstm-trace check gomez-homework answers.yaml
        lstm-trace check gomez-homework answers.yaml --part b --format json
        lstm-trace check gomez-homework
        lstm-trace check homework.yaml submissions/ --gradebook grades.csv

    Exit codes: 0 every answer given is correct, 1 not, 2 unusable input,
    3 a bug in lstm-trace.
    """
    from ..grading.grade import grade
    from ..numeric.engine import trace
    from ..scenario.answers import load_answers
    from ..scenario.load import load_scenario

    for out in (output, gradescope_path, gradebook):
        writable(out, scenario, *answers)
    tr = trace(load_scenario(scenario))
    if tr.scenario.batch:  # grading reads one sequence's numbers: a batch is traced (run), not graded
        raise BadInput(f"{scenario}: check grades one sequence; this is a batch of N={tr.scenario.batch} (run it)")
    check_parts(tuple(p.id for p in tr.scenario.parts), parts)
    if len(answers) > 1 or any(os.path.isdir(a) for a in answers):
        if gradescope_path:
            raise BadInput("--gradescope grades one submission; give one ANSWERS file (Gradescope runs one each)")
        if fmt == "html":
            raise BadInput("--format html shows one graded sheet; give one ANSWERS file (a class: --format json)")
        with notation(tr.scenario.notation):
            _class(tr, answers, carried_credit, parts, fmt, decimals, output, gradebook, jobs)
    if gradebook:
        raise BadInput("--gradebook is for a class: give several ANSWERS files or a directory")
    if answers:
        given = load_answers(answers[0])
    elif len(tr.scenario.expected):
        given = tr.scenario.expected
    else:
        raise BadInput(f"{scenario}: no ANSWERS file given, and the scenario has no expected: block to check")
    with notation(tr.scenario.notation):
        report = grade(tr, given, carried_credit, parts)
        if gradescope_path:
            from ..render.report import gradescope

            scope = gradescope(report, decimals, visibility=gradescope_visibility, hide_expected=hide_expected)
            emit(scope + "\n", gradescope_path)
        _check(report, fmt, decimals, output)


def _finite(value: float | None) -> float | None:
    """click's FloatRange lets NaN through (every comparison with it is false)."""
    if value is not None and value != value:
        raise click.BadParameter("expected a number from 0 to 1, found nan")
    return value


def _class(
    tr: Any,
    answers: tuple[str, ...],
    carried_credit: float | None,
    parts: tuple[str, ...],
    fmt: str,
    decimals: int | None,
    output: str | None,
    gradebook: str | None,
    jobs: int | None,
) -> None:
    from ..grading.classbook import grade_class, submission_files
    from ..render.classbook import class_json, gradebook_csv, render_class

    files = submission_files(answers)
    if not files:
        raise BadInput(f"{', '.join(answers)}: no answers files (*.yaml, *.yml) to grade")
    cr = grade_class(tr, files, carried_credit, parts, jobs)
    if gradebook:
        emit(gradebook_csv(cr, decimals), gradebook)
    if fmt == "json":
        emit(class_json(cr, decimals) + "\n", output)
    else:
        print_to(render_class(cr, decimals), output)
    raise click.exceptions.Exit(cr.exit_code)


def _check(report: Any, fmt: str, decimals: int | None, output: str | None) -> None:
    if fmt == "html":
        from ..render.htmlreport import render_report_page

        emit(render_report_page(report, decimals), output)
    elif fmt == "json":
        from ..render.report import render_json

        emit(render_json(report, decimals) + "\n", output)
    else:
        from ..render.report import render_report

        _print_report(render_report(report, decimals), output)
    raise click.exceptions.Exit(report.exit_code)


def _print_report(renderable: Any, output: str | None) -> None:
    """common.print_to without rich's cropping pass: every line of a graded sheet is laid out within the
    width already (render/plaintable.py), and measuring each again cost a second at 10,000 answers."""
    if output:
        with opened(output) as fh:
            console(fh).print(renderable, crop=False)
    else:
        console().print(renderable, crop=False)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@click.option("--part", "parts", multiple=True, metavar="ID", help="Only this part (repeatable), e.g. --part b.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of the screen.")
@friendly
def template(scenario: str, parts: tuple[str, ...], output: str | None) -> None:
    """Write a blank answers file for SCENARIO: every name, in order, grouped by part.

    Examples:

    \b
        lstm-trace template gomez-homework --part b -o answers.yaml
        lstm-trace template my.yaml

    Exit codes: 0 written, 2 unusable input, 3 a bug in lstm-trace.
    """
    from .. import cache
    from ..render.template import Sheet, render_sheet
    from ..scenario.examples import resolve

    writable(output, scenario)

    def build(text: str) -> Sheet:  # from the text cache.of_file read, not from a second read of the file
        from ..numeric.engine import trace
        from ..render.template import answer_sheet
        from ..scenario.load import from_document
        from ..scenario.yamlio import parse

        tr = trace(from_document(parse(text, scenario)))
        if tr.scenario.batch:  # check grades one sequence: a sheet for a batch could never be graded
            raise BadInput(f"{scenario}: check grades one sequence; this is a batch of N={tr.scenario.batch}")
        with notation(tr.scenario.notation):
            return answer_sheet(tr)

    # a scenario read before: its sheet from the cache, without numpy, sympy or pydantic
    path, name = resolve(scenario)
    sheet = cache.of_file(path, "sheet", Sheet, build, name)
    check_parts(sheet.part_ids, parts)
    emit(render_sheet(sheet, parts, check_as=output or "answers.yaml"), output)
