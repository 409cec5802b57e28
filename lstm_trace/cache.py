"""The derived-model cache: each LSTM variant is derived and compiled once per installation.

Deriving a model (sympy) and generating its numpy code take most of a small run's own
time, yet they depend only on the variant (cell, output layer, loss, optimizer, bias)
and on this package's code. So the result is pickled under

    $LSTM_TRACE_CACHE_DIR, else $XDG_CACHE_HOME/lstm-trace, else ~/.cache/lstm-trace

(LSTM_TRACE_CACHE_DIR=off turns the cache off).

It cannot serve stale equations: an entry's key is a SHA-256 over the variant, the
versions of Python, sympy and numpy, and the bytes of every .py file of this package,
so any change to any of them (an edited cell, a new deriver rule, an upgrade) names a
different file. The key is stored in the entry as well and checked on load. An entry
is only read from a directory and file owned by this user and writable by no one
else, since unpickling runs code; an unreadable or corrupt entry is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
FORMAT = 2  # bump when the stored layout changes


@cache
def code_digest() -> str:
    """SHA-256 over the bytes of every .py file of the package, by relative path."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def key(variant: tuple) -> str:
    import numpy
    import sympy

    parts = (FORMAT, sys.version, sympy.__version__, numpy.__version__, code_digest(), variant)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def directory() -> Path | None:
    """Where entries live, or None when the cache is off."""
    env = os.environ.get("LSTM_TRACE_CACHE_DIR")
    if env:
        return None if env.lower() in ("off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lstm-trace"


def _private(path: Path) -> bool:
    """Owned by this user and not writable by group or others (POSIX); always true elsewhere."""
    if not hasattr(os, "getuid"):
        return True
    st = path.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def load(variant: tuple) -> Any | None:
    """The stored value for a variant, or None (not stored, stale, foreign or unreadable)."""
    where = directory()
    if where is None:
        return None
    k = key(variant)
    path = where / f"{k}.pickle"
    try:
        if not (_private(where) and _private(path)):
            return None
        with path.open("rb") as f:
            stored = pickle.load(f)  # noqa: S301 - our own entry, in a private directory, under its key
    except Exception:  # noqa: BLE001 - missing, truncated or from another version: rebuild
        return None
    if not (isinstance(stored, dict) and stored.get("key") == k):
        return None
    return stored["value"]


def store(variant: tuple, value: Any) -> None:
    """Write an entry atomically; a cache that cannot be written is simply not used."""
    where = directory()
    if where is None:
        return
    k = key(variant)
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-", suffix=".pickle")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump({"key": k, "value": value}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, where / f"{k}.pickle")
    except Exception:  # noqa: BLE001 - a full disk or an unpicklable value: run without the entry
        Path(tmp).unlink(missing_ok=True)
