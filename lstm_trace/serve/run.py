"""Running the practice app: which quantities get a box, the server (uvicorn), the browser opened."""

from __future__ import annotations

import socket
import threading
import webbrowser

from ..grading.graph import Graph
from ..grading.scores import part_names
from ..numeric.engine import Trace
from .app import make_app
from .sheet import Sheet


def asked(trace: Trace, every: bool = False) -> list[str]:
    """The quantities a student answers, in the order they are worked: the parts', else every one computed."""
    graph = Graph(trace)
    known = set(trace.values) | set(graph.nodes)
    if trace.scenario.parts and not every:
        names = {n for _, ns in part_names(trace.scenario, known) for n in ns}
    else:
        names = {r.name for r in trace.rows if r.equation is not None}
    return [r.name for r in trace.rows if r.name in names]


def run_app(
    trace: Trace,
    answers: str,
    scenario: str,
    names: list[str],
    instructor: bool,
    sock: socket.socket,
    url: str,
    open_browser: bool = True,
) -> None:
    """Serve until Ctrl-C (uvicorn stops cleanly on it), on a socket already bound."""
    import uvicorn

    host = sock.getsockname()[0]
    app = make_app(trace, Sheet(answers, names, scenario), instructor, hosts=(host, "localhost", "127.0.0.1", "::1"))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    server.run(sockets=[sock])
