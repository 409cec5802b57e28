"""The cache: work that depends only on its inputs and on this installation, done once.

Three kinds of entry are kept. A "model" entry is an LSTM variant derived (sympy),
compiled to numpy code and printed as templates: that takes most of a small run's own
time, yet depends only on the variant (cell, output layer, loss, optimizer, bias) and on
this package's code. A "scenario" entry is a scenario file read and validated, and a
"sheet" entry its blank answers file (render/template.py's Sheet), both keyed by the
file's path and the SHA-256 of its text, so that repeated runs and checks of one file
need no pydantic, and `template` neither numpy nor sympy. Entries are pickled under

    $LSTM_TRACE_CACHE_DIR, else $XDG_CACHE_HOME/lstm-trace, else ~/.cache/lstm-trace

(LSTM_TRACE_CACHE_DIR=off turns the cache off).

It cannot serve stale results: an entry's key is a SHA-256 over its inputs (the variant;
the scenario's path and bytes), the Python version, each dependency's installed files
(path, size and modification time of its __init__.py, which an upgrade rewrites), and
the bytes of every .py file of this package, so any change to any of them (an edited
cell, a new deriver rule, an upgrade, an edited scenario) names a different file. The
key is stored in the entry as well and checked on load. An entry is only read from a
directory and file owned by this user and writable by no one else, since unpickling
runs code; an unreadable or corrupt entry is rebuilt. The directory keeps the newest
KEEP entries; older ones are removed when a new one is written.

Shipped models: the built-in variants' model entries also come with the package (SHIPPED, written
by tools/ship_models.py at release time), so that a first run derives nothing; so do their "slips"
entries (each equation's slips compiled, symbolic/slipcode.py), so that a first check needs no
sympy. Such an entry is served only while it is current: it names the SHA-256 of the sources a model is made from
(shipped_digest: symbolic/, the base modules it reads, numeric/models.py) and the installed
sympy's version (its expressions are pickled inside); any edit makes it stale, and it is then
ignored (the model is derived as before) until rebuilt. tests/test_shipped.py fails while one is.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

PACKAGE = Path(__file__).resolve().parent
T = TypeVar("T")
FORMAT = 3  # bump when the stored layout changes
KEEP = 256  # entries kept; a model entry is about 0.3 MB, a scenario one its arrays
SUFFIX = ".lstm-trace.pickle"  # an entry's name: its key, then this
ENTRY = re.compile(r"[0-9a-f]{64}" + re.escape(SUFFIX))
DEPENDENCIES = ("numpy", "sympy", "pydantic", "pydantic_core", "yaml", "rich", "click")
SHIPPED = PACKAGE / "models"  # package data: <ident digest>.pickle per built-in variant
MODEL_SOURCES = ("symbolic", "refs.py", "names.py", "errors.py", "cache.py", "numeric/models.py")


@cache
def code_digest() -> str:
    """SHA-256 over the bytes of every .py file of the package, by relative path."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


@cache
def installed() -> tuple:
    """Each dependency as installed, without importing it: its __init__.py's path, size and mtime."""
    out = []
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        try:
            st = os.stat(origin)
            out.append((name, origin, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, origin))
    return tuple(out)


def key(ident: tuple, kind: str = "model") -> str:
    parts = (FORMAT, sys.version, installed(), code_digest(), kind, ident)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def file_ident(path: str | os.PathLike[str], text: str) -> tuple[str, str]:
    """A file's entry name: its path as given (messages name it) and the SHA-256 of its text."""
    return (os.fspath(path), hashlib.sha256(text.encode()).hexdigest())


def of_file(
    path: str | os.PathLike[str], kind: str, of: type[T], build: Callable[[str], T], name: str | None = None
) -> T:
    """What build(text) makes of a file, from the cache while the file's text is unchanged.

    The text is read once (textfile.read_text: a missing, binary or huge file is a clear error);
    a stored value not of type `of` is not served. build's errors propagate and nothing is stored.
    name: what messages call the file, when not its path (a bundled example read by its name).
    """
    from .textfile import read_text

    text = read_text(path)
    ident = file_ident(name or path, text)
    value = load(ident, kind)
    if not isinstance(value, of):
        value = build(text)
        store(ident, value, kind)
    return value


@cache
def shipped_digest() -> str:
    """SHA-256 over what a shipped model is made of: the sources that derive, compile and print it
    (MODEL_SOURCES, by relative path) and the installed sympy's version."""
    h = hashlib.sha256(f"{FORMAT}\0{sympy_version()}\0".encode())
    for part in MODEL_SOURCES:
        where = PACKAGE / part
        for path in sorted(where.rglob("*.py")) if where.is_dir() else [where]:
            h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def sympy_version() -> str:
    """The installed sympy's version, read from its release.py (importing sympy takes 0.3 s)."""
    spec = importlib.util.find_spec("sympy")
    try:
        text = (Path(spec.origin).parent / "release.py").read_text() if spec and spec.origin else ""
    except OSError:
        text = ""
    found = re.search(r"__version__\s*=\s*['\"]([^'\"]+)['\"]", text)
    return found.group(1) if found else "unknown"


def shipped_path(ident: tuple) -> Path:
    return SHIPPED / f"{hashlib.sha256(repr(ident).encode()).hexdigest()[:32]}.pickle"


def load_shipped(ident: tuple) -> Any | None:
    """A shipped model entry, or None (not shipped, or stale: made from other sources or another sympy)."""
    try:
        with shipped_path(ident).open("rb") as f:
            stored = pickle.load(f)  # noqa: S301 - part of this package, like its code
    except Exception:  # noqa: BLE001 - not shipped, or unreadable: derive
        return None
    if not (isinstance(stored, dict) and stored.get("ident") == ident and stored.get("digest") == shipped_digest()):
        return None
    return stored["value"]


def ship(ident: tuple, value: Any) -> Path:
    """Write a shipped model entry (tools/ship_models.py), stamped with the sources' digest."""
    SHIPPED.mkdir(exist_ok=True)
    path = shipped_path(ident)
    blob = pickle.dumps({"ident": ident, "digest": shipped_digest(), "value": value}, protocol=5)
    path.write_bytes(blob)
    return path


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


def load(ident: tuple, kind: str = "model") -> Any | None:
    """The stored value of an entry (a variant, a file), or None (not stored, stale, foreign or unreadable)."""
    where = directory()
    if where is None:
        return None
    k = key(ident, kind)
    path = where / f"{k}{SUFFIX}"
    try:
        if not (_private(where) and _private(path)):
            return None
        with path.open("rb") as f:
            stored = pickle.load(f)  # noqa: S301 - our own entry, in a private directory, under its key
    except Exception:  # noqa: BLE001 - missing, truncated or from another version: rebuild
        return None
    if not (isinstance(stored, dict) and stored.get("key") == k):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when older entries are removed
    return stored["value"]


def store(ident: tuple, value: Any, kind: str = "model") -> None:
    """Write an entry atomically; a cache that cannot be written is simply not used."""
    where = directory()
    if where is None:
        return
    import tempfile  # here, not at the top: a run that finds its entries never writes one (tempfile: 10 ms)

    k = key(ident, kind)
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-", suffix=".pickle")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump({"key": k, "value": value}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, where / f"{k}{SUFFIX}")
    except Exception:  # noqa: BLE001 - a full disk or an unpicklable value: run without the entry
        Path(tmp).unlink(missing_ok=True)
        return
    _prune(where)


def _prune(where: Path, keep: int | None = None) -> None:
    """Remove all but the `keep` most recently used entries (every edit of a scenario makes one).

    Only the cache's own entries, named <64 hex digits>.lstm-trace.pickle, are ever removed: the
    directory may be one the user shares with other files."""
    keep = KEEP if keep is None else keep
    try:
        mine = (p for p in where.glob(f"*{SUFFIX}") if ENTRY.fullmatch(p.name))
        entries = sorted(mine, key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
