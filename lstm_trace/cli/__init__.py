"""Command line: parse, call the library, print, exit code.  Nothing is computed here.

One module per command or small group (run, check and template, explain and gradcheck,
derive and check-formula, new and schema, examples and example); common.py holds what they share.
"""

from __future__ import annotations

import click

from .. import __version__
from .check import check, template
from .derive import check_formula, derive
from .examples import example, examples
from .explain import explain, gradcheck
from .new import new, schema
from .run import run
from .serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lstm-trace")
@click.option("--debug", is_flag=True, help="Show full tracebacks (for bug reports). Also LSTM_TRACE_DEBUG=1.")
def cli(debug: bool) -> None:
    """Trace and check LSTM backpropagation by hand, equation by equation.

    SCENARIO arguments are YAML files, or the names of bundled examples
    (lstm-trace examples lists them).

    Examples:

    \b
        lstm-trace run gomez
        lstm-trace example gomez-homework -o homework.yaml
        lstm-trace template homework.yaml -o answers.yaml
        lstm-trace check homework.yaml answers.yaml

    Exit codes: 0 success (check: every answer correct), 1 answers or formula
    wrong or gradients differ, 2 unusable input, 3 a bug in lstm-trace (please
    report it), 130 interrupted. Shell completion: eval "$(_LSTM_TRACE_COMPLETE=bash_source lstm-trace)"
    (zsh_source, fish_source for other shells).
    """


for command in (run, check, template, explain, gradcheck, derive, check_formula, new, schema, examples, example, serve):
    cli.add_command(command)
