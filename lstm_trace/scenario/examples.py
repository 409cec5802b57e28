"""The bundled example scenarios (lstm_trace/examples/*.yaml): listed, found by name, copied out.

A SCENARIO argument that is not a file but names an example (`lstm-trace run gomez`) reads the
bundled one, so the first commands work from any directory, not only the source tree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "examples"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def names() -> list[str]:
    """The bundled examples' names, sorted."""
    return sorted(p.stem for p in FOLDER.glob("*.yaml"))


def path_of(name: str) -> Path | None:
    """The bundled example called name (gomez, gomez-homework, …), or None."""
    if not _NAME.fullmatch(name):
        return None
    path = FOLDER / f"{name}.yaml"
    return path if path.is_file() else None


def resolve(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(the file to read, the name to show in messages): a file as given, else a bundled example by name."""
    given = os.fspath(source)
    if not os.path.exists(given):
        found = path_of(given.removesuffix(".yaml"))
        if found is not None:
            return str(found), given
    return given, given


def title(name: str) -> str:
    """An example's `name:` line, read without YAML (listing needs no parser)."""
    path = path_of(name)
    text = path.read_text(encoding="utf-8") if path else ""
    found = re.search(r'^name:\s*"?(.*?)"?\s*$', text, re.M)
    return found[1] if found else ""
