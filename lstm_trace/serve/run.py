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
    """The quantities a student answers, in the order they are worked: the parts' (any name a part may
    hold: za_0, δgates_0, a source's own dweight_hh_l0), else every quantity the trace prints."""
    graph = Graph(trace)
    known = set(trace.values) | set(graph.nodes)
    if trace.scenario.parts and not every:
        names = dict.fromkeys(n for _, ns in part_names(trace.scenario, known) for n in ns)
        return sorted(names, key=lambda n: graph.position.get(n, len(graph.position)))
    return [r.name for r in trace.rows if r.equation is not None]


def run_app(
    trace: Trace,
    sheet: Sheet,
    instructor: bool,
    sock: socket.socket,
    url: str,
    open_browser: bool = True,
) -> None:
    """Serve until Ctrl-C (uvicorn stops cleanly on it), on a socket already bound."""
    import uvicorn

    host = sock.getsockname()[0]
    hosts = (host, f"[{host}]", "localhost", "127.0.0.1", "[::1]")  # as a Host header names them
    app = make_app(trace, sheet, instructor, hosts=hosts)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    server.run(sockets=[sock])
