"""lstm-trace derive and check-formula: the derived equations of a variant; a student's own formula judged."""

from __future__ import annotations

import click

from .common import cell_option, emit, friendly, output_file, stack_options, stackable, variant_options


@click.command()
@variant_options
@click.option(
    "--peephole-output",
    type=click.Choice(["current", "previous"]),
    help="peephole: the state the output gate sees: state_t, or state_{t-1} (as Theophilou's LSTM notes write "
    "it).  [default: current]",
)
@stack_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "latex"]), default="text", show_default=True, help="Output format."
)
@click.option("-o", "--output", "out_file", metavar="FILE", callback=output_file, help="Write to FILE.")
@friendly
def derive(  # noqa: PLR0913 - one per option
    cell: str,
    reset: str | None,
    activation: str | None,
    peephole_output: str | None,
    layers: int,
    bidirectional: bool,
    head: str,
    bias: bool,
    optimizer: str,
    fmt: str,
    out_file: str | None,
) -> None:
    """Print the model's forward and backward equations at step t: the derivation sheet, no numbers.

    Every backward equation is derived from the forward ones by sympy, as in run.

    Examples:

    \b
        lstm-trace derive
        lstm-trace derive --cell peephole --output-layer softmax --optimizer adagrad
        lstm-trace derive --cell gru
        lstm-trace derive --cell rnn --layers 2
        lstm-trace derive --cell gru --bidirectional
        lstm-trace derive --format latex -o lstm.tex

    Exit codes: 0 printed, 2 unusable options, 3 a bug in lstm-trace.
    """
    from ..render.derivation import render_latex, render_text
    from ..symbolic.variants import variant

    stackable(cell, layers, bidirectional)
    option = cell_option(cell, peephole_output=peephole_output, reset=reset, activation=activation)
    model = variant(cell, bias, option, head, optimizer, layers=layers, directions=2 if bidirectional else 1)
    emit((render_latex if fmt == "latex" else render_text)(model), out_file)


@click.command("check-formula")
@click.argument("formula")
@click.option(
    "--cell",
    type=click.Choice(["lstm", "peephole", "cifg", "gru", "rnn"]),
    default="lstm",
    show_default=True,
    help="The cell.",
)
@click.option(
    "--reset",
    type=click.Choice(["after", "before"]),
    help="gru: the reset gate multiplies U_n·out_{t-1} + b_hn (after, as PyTorch) or out_{t-1} before U_n "
    "(before, as Cho et al.).  [default: after]",
)
@click.option("--activation", type=click.Choice(["tanh", "relu"]), help="rnn: the activation.  [default: tanh]")
@stack_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
@friendly
def check_formula(  # noqa: PLR0913 - one per option
    formula: str, cell: str, reset: str | None, activation: str | None, layers: int, bidirectional: bool, fmt: str
) -> None:
    """Judge your own FORMULA ("quantity = expression") against the derived one.

    Names with a time suffix (dstate_t, f_{t+1}, state_{t-1}), their aliases (δstate_t,
    ahat_t for za_t, c_t/h_t, a GRU's h̃_t for n_t), gradients written dE/da_t or ∂E/∂a_t; functions tanh,
    sigmoid (σ), exp, log, relu, step; operators + - * / ** (* and ⊙ are elementwise).  Gradients on
    the right are given quantities; forward ones are read through their definitions,
    so 1 - a_t**2 and 1 - tanh(za_t)**2 are the same.  The text is parsed, never run.

    Examples:

    \b
        lstm-trace check-formula "dahat_t = dE/da_t * (1 - tanh(ahat_t)**2)"
        lstm-trace check-formula "δstate_t = δout_t ⊙ o_t ⊙ (1 − tanh(state_t)²)"
        lstm-trace check-formula --cell gru "dn_t = dout_t * (1 - z_t) * (1 - n_t**2)"
        lstm-trace check-formula --bidirectional "dstate_l0r_t = dout_l0r_t * o_l0r_t * (1 - tanh(state_l0r_t)**2)"

    Exit codes: 0 correct, 1 wrong, 2 unreadable, 3 a bug in lstm-trace.
    """
    from ..grading.formula import judge
    from ..render.formula import render_formula_json, render_formula_text
    from ..symbolic.variants import variant

    stackable(cell, layers, bidirectional)
    option = cell_option(cell, reset=reset, activation=activation)
    j = judge(variant(cell, True, option, layers=layers, directions=2 if bidirectional else 1), formula)
    emit((render_formula_json(j) + "\n") if fmt == "json" else render_formula_text(j), None)
    raise click.exceptions.Exit(0 if j.verdict == "correct" else 1)
