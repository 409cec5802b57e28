"""What every command shares: the user-error exception and exit codes, the console, output to a file or stdout."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

# exit codes: 0 and 1 are each command's verdict (check: all correct / not; check-formula and
# gradcheck likewise), 2 an input the tool cannot use, 3 a bug in the tool, 130 interrupted
EXIT_BAD_INPUT = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
MIN_WIDTH = 60  # narrower, the tables squeeze their values out of sight
PIPE_WIDTH = 80  # text into a pipe or a file, unless COLUMNS says otherwise
EXIT_CODES = """\b
Exit codes: 0 success (or all correct), 1 answers or formula wrong, 2 unusable
input, 3 a bug in lstm-trace (please report it), 130 interrupted."""


class BadInput(click.ClickException):
    """A user error: one message, exit code 2."""

    exit_code = EXIT_BAD_INPUT


class Bug(click.ClickException):
    """A bug in the tool: one message asking for a report, exit code 3 (never a verdict's 0 or 1)."""

    exit_code = EXIT_BUG


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
            from ..render.text import safe_text  # a key or a name from the file is part of the message

            lines = str(exc).split("\n")  # a formula's message has its caret on a line of its own
            raise BadInput("\n".join(map(safe_text, lines))) from None
        except (click.ClickException, click.exceptions.Exit, BrokenPipeError):
            raise  # click ends a closed pipe quietly
        except KeyboardInterrupt:
            interrupted()
        except Exception as exc:  # a bug: say so briefly, and how to report it
            if debug:
                raise
            raise Bug(
                f"internal error: {type(exc).__name__}: {exc}. Rerun with --debug and report it, please."
            ) from None

    return wrapper


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit 130, as a shell reports SIGINT."""
    click.echo("Interrupted.", err=True)
    raise SystemExit(EXIT_INTERRUPTED)


def console(file: Any = None) -> Any:
    """A rich console: COLUMNS when set (at least MIN_WIDTH), else the terminal's width, or PIPE_WIDTH
    into a pipe or file; there, lines end without trailing spaces. Plain text unless a terminal wants
    colour (NO_COLOR is honoured by rich)."""
    from rich.console import Console

    out = file or sys.stdout
    columns = os.environ.get("COLUMNS", "").strip()
    terminal = out.isatty()
    width = None if terminal else PIPE_WIDTH
    if columns.isdigit():
        width = max(int(columns), MIN_WIDTH)
    return Console(file=out if terminal else Trimmed(out), width=width, soft_wrap=False, highlight=False)


class Trimmed:
    """A text stream whose lines lose their trailing spaces (rich pads a title to the full width)."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.pending = stream, ""

    def write(self, text: str) -> int:
        *done, self.pending = (self.pending + text).split("\n")
        if done:
            self.stream.write("".join(line.rstrip(" ") + "\n" for line in done))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"


@contextlib.contextmanager
def notation(name: str) -> Iterator[None]:
    """Names printed in the scenario's notation (c_t/h_t, or state_t/out_t)."""
    from ..render.text import notation as printing_in

    with printing_in(name):
        yield


def check_parts(ids: tuple[str, ...], parts: tuple[str, ...]) -> None:
    for p in parts:
        if p not in ids:
            from ..names import did_you_mean

            have = f"; the parts are {', '.join(ids)}" if ids else "; the scenario has no parts: section"
            raise BadInput(f"--part: no part {p!r}{did_you_mean(p, ids) or have}")


def writable(output: str | None, *inputs: str | None) -> None:
    """Before any work: an output file can be written, and is none of the command's inputs."""
    if output is None or output == "-":
        return
    path = Path(output)
    if path.is_dir():
        raise BadInput(f"{output}: is a directory; expected a file to write")
    folder = path.parent
    if not folder.is_dir():
        raise BadInput(f"{output}: cannot write: the directory {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInput(f"{output}: cannot write: permission denied")
    for given in inputs:
        if given is not None and path.exists() and Path(given).exists() and path.samefile(given):
            raise BadInput(f"{output}: is also an input of this command; write the output to another file")


def stack_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--layers and --bidirectional: how the cell is stacked, as derive, check-formula and new take it."""
    command = click.option(
        "--bidirectional",
        is_flag=True,
        help="Each layer also read from the last step back (names carry _l0r: a_l0r_t reads out_l0r_{t+1}). "
        "Not for --cell peephole.",
    )(command)
    return click.option(
        "--layers",
        type=click.IntRange(1, 8),
        default=1,
        show_default=True,
        help="Stacked layers: layer l+1 reads layer l's out_t; names carry the layer (a_l0_t, W_a_l1). "
        "Not for --cell peephole.",
    )(command)


def variant_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--cell (with a GRU's --reset, an RNN's --activation), --output-layer, --optimizer and --bias/--no-bias:
    the variant's names, as derive and new take them."""
    options = [
        click.option(
            "--cell",
            type=click.Choice(["lstm", "peephole", "cifg", "gru", "rnn"]),
            default="lstm",
            show_default=True,
            help="The cell: an LSTM, with peepholes, with coupled input and forget gates; a GRU; a vanilla RNN.",
        ),
        click.option(
            "--reset",
            type=click.Choice(["after", "before"]),
            help="gru: the reset gate multiplies U_n·out_{t-1} + b_hn (after, as PyTorch) or out_{t-1} before "
            "U_n (before, as Cho et al.).  [default: after]",
        ),
        click.option("--activation", type=click.Choice(["tanh", "relu"]), help="rnn: the activation.  [default: tanh]"),
        click.option(
            "--output-layer",
            "head",
            type=click.Choice(["none", "softmax"]),
            default="none",
            show_default=True,
            help="none (the l2 loss on out_t) or softmax (cross-entropy).",
        ),
        click.option(
            "--optimizer", type=click.Choice(["sgd", "adagrad"]), default="sgd", show_default=True, help="The update."
        ),
        click.option("--bias/--no-bias", default=True, show_default=True, help="With or without the bias b."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def stackable(cell: str, layers: int, bidirectional: bool) -> None:
    """A peephole cell is neither stacked nor bidirectional here (as the scenario reader refuses it)."""
    if cell == "peephole" and (layers > 1 or bidirectional):
        which = "--bidirectional" if bidirectional else "--layers"
        raise click.UsageError(
            f"--cell peephole cannot be used with {which}: stacked and bidirectional layers are of lstm, cifg, "
            "gru or rnn cells"
        )


def cell_option(cell: str, **given: str | None) -> str:
    """The cell's own choice from the options given (peephole_output, reset, activation); one another
    cell's is a usage error (exit 2)."""
    from ..refs import OPTIONS

    owners = {key: owner for owner, (key, _) in OPTIONS.items()}
    for key, value in given.items():
        if value is not None and owners[key] != cell:
            flag = "--" + key.replace("_", "-")
            raise click.UsageError(f"{flag} is for --cell {owners[key]}, not --cell {cell}")
    key = next((k for k, c in owners.items() if c == cell), None)
    return (given.get(key) or "") if key else ""


def output_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """-o FILE where --output once named the output layer: a layer's name is not taken for a file."""
    if value in ("none", "softmax"):
        raise click.BadParameter(f"{value!r} is an output layer; write --output-layer {value} (-o is the file)")
    return value


@contextlib.contextmanager
def opened(output: str) -> Iterator[Any]:
    """The output file, open for writing; a failed write (a full disk) is one message, exit 2."""
    try:
        with open(output, "w", encoding="utf-8") as fh:
            yield fh
    except OSError as exc:
        raise BadInput(f"{output}: cannot write: {exc.strerror or exc}") from None


def print_to(renderable: Any, output: str | None) -> None:
    """A rich renderable to stdout, or as plain text to a file."""
    if output:
        with opened(output) as fh:
            console(fh).print(renderable)
    else:
        console().print(renderable)


def emit(text: str | Iterable[str], output: str | None) -> None:
    """Text, or text in pieces (a big trace's JSON), to the file or to stdout."""
    pieces = [text] if isinstance(text, str) else text
    if output:
        with opened(output) as fh:
            fh.writelines(pieces)
    else:
        for piece in pieces:
            click.echo(piece, nl=False)
