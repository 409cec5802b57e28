"""A scenario or answers file's text, or one clear error; no YAML yet (template reads files without it)."""

from __future__ import annotations

import os

from .errors import ScenarioError

MAX_BYTES = 5 * 1024 * 1024


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text, or a clear error for a missing, huge, binary or non-UTF-8 file."""
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ScenarioError("is a directory, expected a YAML file", file=name)
    try:
        size = os.path.getsize(name)
        if size > MAX_BYTES:
            raise ScenarioError(f"file is {size:,} bytes; the limit is {MAX_BYTES:,}", file=name)
        with open(name, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=name) from None
    if b"\0" in raw:
        raise ScenarioError("is a binary file, expected YAML text", file=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"is not UTF-8 text (byte {exc.start})", file=name) from None
