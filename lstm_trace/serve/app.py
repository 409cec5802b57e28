"""The practice app: the exercise's page, and an API that grades the sheet as it is typed.

GET /                  the page (render/practice.py): every quantity asked for with a box beside it
GET /api/sheet         the answers saved so far and their verdicts
PUT /api/answers/NAME  {"text": "0.5"}: keep (or, empty, take back) an answer; the sheet graded again
GET /api/hint/NAME     for an answer given and not right: the equation with the right numbers, the likely cause
                       (any quantity, for an instructor)
GET /favicon.ico       nothing (204), so that a browser's own request is no error

Everything is graded by the same grader as check (grading/grade.py), on the whole sheet each time, so
an answer carried from an earlier mistake is credited as check credits it.  Only the page and those
routes are served: no file is read by a name that comes from a request, and none but the sheet is written.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..grading.grade import grade
from ..grading.graph import Graph
from ..numeric.engine import Trace
from ..render.practice import hint, practice_page, state
from .sheet import AnswerRefused, Sheet

MAX_BODY = 16_384  # bytes in one request: one answer and its name


class Practice:
    """One exercise and one student's sheet, graded under a lock (requests come on several threads)."""

    def __init__(self, trace: Trace, sheet: Sheet, instructor: bool = False) -> None:
        self.trace, self.sheet, self.instructor = trace, sheet, instructor
        self.graph = Graph(trace)
        self.lock = threading.Lock()

    def report(self) -> Any:
        return grade(self.trace, self.sheet.answers(), graph=self.graph)

    async def page(self, request: Request) -> Response:
        with self.lock:
            report = self.report()
        return HTMLResponse(practice_page(self.trace, self.sheet.names, report, self.sheet.texts, self.instructor))

    async def get_sheet(self, request: Request) -> Response:
        with self.lock:
            return JSONResponse(state(self.report(), self.sheet.texts, self.instructor))

    async def put_answer(self, request: Request) -> Response:
        name = request.path_params["name"]
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _refused('send the answer as JSON: {"text": "0.5"}', 415)
        body = await _bounded(request)
        if body is None:
            return _refused(f"a request is at most {MAX_BODY} bytes", 413)
        try:
            text = json.loads(body)["text"]
            if not isinstance(text, str):
                raise TypeError(text)
        except (ValueError, KeyError, TypeError):
            return _refused('send the answer as JSON: {"text": "0.5"}', 400)
        with self.lock:
            try:
                self.sheet.set(name, text)
            except AnswerRefused as exc:
                return _refused(str(exc), 404 if name not in self.sheet.names else 422)
            except OSError as exc:  # the folder gone, the disk full: nothing was changed
                return _refused(f"{self.sheet.path}: cannot save the answers ({exc.strerror or exc})", 503)
            return JSONResponse(state(self.report(), self.sheet.texts, self.instructor))

    async def get_hint(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.sheet.names:
            return _refused(f"{name!r} is not a quantity of this exercise", 404)
        with self.lock:
            report = self.report()
        v = next((v for v in report.verdicts if v.name == name), None)
        if not self.instructor and (v is None or v.verdict in ("correct", "missing")):
            return _refused("a hint is for an answer not right yet: answer it first", 409)
        return JSONResponse(hint(report, name, self.instructor))


async def _bounded(request: Request) -> bytes | None:
    """The request's body, or None past MAX_BODY (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


def _refused(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def make_app(trace: Trace, sheet: Sheet, instructor: bool = False, hosts: tuple[str, ...] = ()) -> Starlette:
    """The app for one exercise and sheet; hosts: the Host headers answered (others are refused, so a page
    elsewhere cannot reach the app through a name it points at this machine)."""
    p = Practice(trace, sheet, instructor)
    routes = [
        Route("/", p.page),
        Route("/api/sheet", p.get_sheet),
        Route("/api/answers/{name}", p.put_answer, methods=["PUT"]),
        Route("/api/hint/{name}", p.get_hint),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # a browser asks; there is none
    ]
    allowed = list(hosts or ("127.0.0.1", "localhost", "testserver"))
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed)])
