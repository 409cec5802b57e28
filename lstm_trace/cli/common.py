"""What every command shares: the user-error exception and exit codes, the console, output to a file or stdout."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """A user error: one message, exit code 2."""

    exit_code = EXIT_BAD_INPUT


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's input errors into one clean message; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..errors import LstmTraceError

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


def console(file: Any = None) -> Any:
    from rich.console import Console

    out = file or sys.stdout
    width = None if out.isatty() or os.environ.get("COLUMNS") else 160
    return Console(file=out, width=width, soft_wrap=False, highlight=False)


@contextlib.contextmanager
def notation(name: str) -> Iterator[None]:
    """Names printed in the scenario's notation (seed 001's c/h, or state/out)."""
    from ..render.text import notation as printing_in

    with printing_in(name):
        yield


def check_parts(ids: tuple[str, ...], parts: tuple[str, ...]) -> None:
    for p in parts:
        if p not in ids:
            from ..names import did_you_mean

            have = f"; the parts are {', '.join(ids)}" if ids else "; the scenario has no parts: section"
            raise BadInput(f"--part: no part {p!r}{did_you_mean(p, ids) or have}")


def print_to(renderable: Any, output: str | None) -> None:
    """A rich renderable to stdout, or as plain text to a file."""
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            console(fh).print(renderable)
    else:
        console().print(renderable)


def emit(text: str | Iterable[str], output: str | None) -> None:
    """Text, or text in pieces (a big trace's JSON), to the file or to stdout."""
    pieces = [text] if isinstance(text, str) else text
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.writelines(pieces)
    else:
        for piece in pieces:
            click.echo(piece, nl=False)
