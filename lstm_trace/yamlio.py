"""Safe YAML reading with the position of every key and the text of every scalar.

PyYAML's SafeLoader builds no objects from tags, but it accepts aliases
(billion-laughs bombs) and silently keeps the last of two duplicate keys.
This reader composes the node tree itself and refuses both, refuses any
explicit tag, and remembers where each value stood so that errors can name
the line and the key path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import ScenarioError

MAX_BYTES = 5 * 1024 * 1024
_PLAIN = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_PLAIN + t for t in ("str", "int", "float", "bool", "null")}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """Plain data (dict/list/str/int/float/bool/None) and where each piece stood."""

    data: Any
    file: str
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)  # scalar source text, as written
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)  # where a key itself stands

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of a path, or of its nearest ancestor that exists."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.marks:
                return self.marks[path[:n]]
        return None, None

    def error(self, path: Path, message: str, at_key: bool = False) -> ScenarioError:
        line, col = self.key_marks[path] if at_key and path in self.key_marks else self.where(path)
        return ScenarioError(message, file=self.file, line=line, column=col, path=path)


class _Loader(yaml.SafeLoader):
    """The pure-Python composer, stopped at an alias itself: exact messages and positions."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed", problem_mark=mark)
        return super().compose_node(parent, index)


# libyaml's composer, where PyYAML was built with it, reads a big file about twice as fast.  It
# resolves an alias to its anchor's very node, which _build meets twice; on that, or on any
# YAML error, the text is read again with _Loader so that the message is the exact one.
_FastLoader: Any = getattr(yaml, "CSafeLoader", None)


class _Again(Exception):
    """The fast reader met something it cannot report well: read again with _Loader."""


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


def parse(text: str, file: str) -> Document:
    """Parse one YAML document into plain data with marks; errors are ScenarioError."""
    if _FastLoader is not None:
        try:
            return _parse(text, file, _FastLoader, fast=True)
        except (_Again, yaml.YAMLError):
            pass  # read again below, for the exact message
    return _parse(text, file, _Loader, fast=False)


def _parse(text: str, file: str, loader_class: Any, fast: bool) -> Document:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        if fast:
            raise
        mark = exc.problem_mark or exc.context_mark
        msg = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and ("\t" in exc.problem or "\\t" in exc.problem):
            msg += " (indent with spaces, not tabs)"
        raise ScenarioError(
            msg, file=file, line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        if fast:
            raise
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    doc = Document(data=None, file=file)
    if root is None:
        raise ScenarioError("the file is empty", file=file)
    data = _build(root, (), doc, loader, set() if fast else None)
    return Document(data=data, file=file, marks=doc.marks, texts=doc.texts, key_marks=doc.key_marks)


def load(path: str | os.PathLike[str]) -> Document:
    return parse(read_text(path), os.fspath(path))


def _build(node: yaml.Node, path: Path, doc: Document, loader: Any, seen: set[int] | None = None) -> Any:
    """Plain data from the node tree; seen (the fast reader only) catches an alias, met as a node seen before."""
    if seen is not None:
        if id(node) in seen:
            raise _Again
        seen.add(id(node))
    doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _PLAIN + "map":
            raise doc.error(path, f"YAML tag {node.tag} is not allowed")
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode) or knode.tag == _PLAIN + "merge":
                raise doc.error(path, "keys must be plain names (no merge keys or complex keys)")
            key = str(knode.value)
            if key in out:
                raise ScenarioError(
                    f"duplicate key {key!r} (YAML would silently keep only the last one)",
                    file=doc.file,
                    line=knode.start_mark.line + 1,
                    column=knode.start_mark.column + 1,
                    path=path + (key,),
                )
            doc.key_marks[path + (key,)] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            out[key] = _build(vnode, path + (key,), doc, loader, seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _PLAIN + "seq":
            raise doc.error(path, f"YAML tag {node.tag} is not allowed")
        return [_build(v, path + (i,), doc, loader, seen) for i, v in enumerate(node.value)]
    if node.tag not in _SCALAR_TAGS:
        raise doc.error(path, f"YAML tag {node.tag} is not allowed; write plain numbers and text")
    doc.texts[path] = node.value
    return loader.construct_object(node, deep=True)
