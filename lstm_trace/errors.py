"""Errors a user can cause.  The CLI turns each into one message and exit code 2."""

from __future__ import annotations

from collections.abc import Sequence


def key_path(path: Sequence[str | int]) -> str:
    """('parameters', 'W', 'a', 0, 1) -> 'parameters.W.a[0][1]'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class LstmTraceError(Exception):
    """Bad input: names the file, the place in it, and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: Sequence[str | int] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = tuple(path)

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        key = key_path(self.path)
        parts = [p for p in (where, key, self.message) if p]
        return ": ".join(parts)


class ScenarioError(LstmTraceError):
    """A scenario file that cannot be used."""


class NameNotFound(LstmTraceError):
    """A quantity name the model does not have."""
