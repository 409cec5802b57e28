"""lstm-trace serve: practise an exercise in the browser, each answer graded as it is typed."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import BadInput, friendly, writable

if TYPE_CHECKING:
    import socket


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--answers",
    "answers_path",
    metavar="FILE",
    help="Where the answers are saved as typed (and read back on a restart). "
    "Default: SCENARIO's name with -answers.yaml, beside it (in this directory for a bundled example).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 for any free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (this machine only).")
@click.option("--instructor", is_flag=True, help="Show the key: every expected value and the likely causes.")
@click.option("--all", "every", is_flag=True, help="A box for every quantity, not only those the parts ask for.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the address only.")
@friendly
def serve(
    scenario: str, answers_path: str | None, port: int, host: str, instructor: bool, every: bool, no_browser: bool
) -> None:
    """Practise SCENARIO (a file, or a bundled example by name) in the browser.

    A local web page shows the exercise with a box beside every quantity a part
    asks for; each answer is graded as it is typed by the same grader as check
    (correct, carried from an earlier answer, wrong with a hint on request, too
    few digits), with a running score.  Answers are saved as they are typed to
    an answers file that check grades; reloading the page restores them.  Stop
    with Ctrl-C.

    Examples:

    \b
        lstm-trace serve gomez-homework
        lstm-trace serve homework.yaml --answers mine.yaml --port 8765
        lstm-trace serve gomez-homework --instructor

    Exit codes: 0 stopped, 2 unusable input (or the port is taken), 3 a bug in lstm-trace.
    """
    from ..numeric.engine import trace
    from ..render.text import safe_text
    from ..scenario.load import load_scenario

    _loopback(host)
    sc = load_scenario(scenario)
    path = answers_path or str(_default_answers(scenario, sc.file))
    writable(path, scenario)
    tr = trace(sc)
    if sc.batch:  # grading reads one sequence's numbers, as check does
        raise BadInput(f"{scenario}: serve grades one sequence; this is a batch of N={sc.batch} (run it)")
    try:
        from ..serve.run import asked, run_app
        from ..serve.sheet import Sheet
    except ImportError as exc:  # the serve extra is not installed
        needs = exc.name or "its web server"
        raise BadInput(f"lstm-trace serve needs {needs}: pip install 'lstm-trace[serve]'") from None
    sheet = Sheet(path, asked(tr, every), scenario)  # a file that cannot be kept is refused before any address
    sock = _listening(host, port)
    url = f"http://{_shown(host)}:{sock.getsockname()[1]}/"
    name = safe_text(sc.name or scenario)
    click.echo(f"Practising {name} at {url}\nAnswers are saved to {safe_text(path)}. Stop with Ctrl-C.")
    try:
        run_app(tr, sheet, instructor, sock, url, open_browser=not no_browser)
    except KeyboardInterrupt:  # the server has shut down cleanly on it (uvicorn passes it on after): stopped
        pass
    click.echo(f"Stopped. Grade the answers with: lstm-trace check {safe_text(scenario)} {safe_text(path)}")


def _loopback(host: str) -> None:
    """Only this machine: the app has no accounts, and --instructor shows the key."""
    import ipaddress

    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise BadInput(f"--host {host!r}: serve listens on this machine only (127.0.0.1, ::1 or localhost)")


def _default_answers(given: str, file: str) -> Path:
    """Beside the scenario file; in this directory for a bundled example named by its name."""
    here = Path(given)
    if here.is_file():
        return here.with_name(f"{here.stem}-answers.yaml")
    return Path(f"{Path(file).stem}-answers.yaml")


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _listening(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or one clear message (the port taken, the address not this machine's)."""
    import socket  # here, not at the top: every other command would import it (8 ms)

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BadInput(
                f"--port {port}: the port is taken on {host}; choose another, or --port 0 for any free one"
            ) from None
        raise BadInput(f"--host {host}: cannot listen there ({exc.strerror or exc})") from None
    sock.listen(64)
    return sock
