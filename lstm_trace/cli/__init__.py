"""Command line: parse, call the library, print, exit code.  Nothing is computed here.

One module per command or small group (run, check and template, explain and gradcheck,
derive and check-formula, new and schema); common.py holds what they share.
"""

from __future__ import annotations

import click

from .. import __version__
from .check import check, template
from .derive import check_formula, derive
from .explain import explain, gradcheck
from .new import new, schema
from .run import run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lstm-trace")
@click.option("--debug", is_flag=True, help="Show full tracebacks (for bug reports). Also LSTM_TRACE_DEBUG=1.")
def cli(debug: bool) -> None:
    """Trace and check LSTM backpropagation by hand, equation by equation.

    Example:

        lstm-trace run scenarios/gomez.yaml
    """


for command in (run, check, template, explain, gradcheck, derive, check_formula, new, schema):
    cli.add_command(command)
