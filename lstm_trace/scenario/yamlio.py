"""Safe YAML reading with the position of every key and the text of every scalar.

PyYAML's SafeLoader builds no objects from tags, but it accepts aliases
(billion-laughs bombs) and silently keeps the last of two duplicate keys.
This reader composes the node tree itself and refuses both, refuses any
explicit tag, and remembers where each value stood so that errors can name
the line and the key path.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml

from ..errors import ScenarioError
from ..textfile import MAX_BYTES, read_text

__all__ = ["MAX_BYTES", "Document", "load", "parse", "read_text"]

_PLAIN = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_PLAIN + t for t in ("str", "int", "float", "bool", "null")}

Path = tuple[str | int, ...]


class Document:
    """Plain data (dict/list/str/int/float/bool/None) and where each piece stood.

    The fast reader keeps no positions: a 200,000-number scenario would need as many
    marks. They are found when first asked for (an error to report, an answer's
    written digits) by reading the text again with the exact reader.
    """

    def __init__(
        self,
        data: Any,
        file: str,
        text: str | None = None,
        marks: dict[Path, tuple[int, int]] | None = None,
        texts: dict[Path, str] | None = None,
        key_marks: dict[Path, tuple[int, int]] | None = None,
    ) -> None:
        self.data, self.file, self._text = data, file, text
        if marks is None and text is None:
            marks, texts, key_marks = {}, {}, {}
        self._marks, self._texts, self._key_marks = marks, texts, key_marks

    def _positions(self) -> None:
        if self._marks is None:
            # the fast reader took this text, so it has no alias: libyaml's composer is safe and quicker
            full = _parse(self._text or "", self.file, _FastLoader or _Loader)
            self._marks, self._texts, self._key_marks = full.marks, full.texts, full.key_marks

    @property
    def marks(self) -> dict[Path, tuple[int, int]]:
        """Line and column (1-based) of each value, by key path."""
        self._positions()
        return self._marks  # type: ignore[return-value]

    @property
    def texts(self) -> dict[Path, str]:
        """Each scalar's source text, as written."""
        self._positions()
        return self._texts  # type: ignore[return-value]

    @property
    def key_marks(self) -> dict[Path, tuple[int, int]]:
        """Where each key itself stands."""
        self._positions()
        return self._key_marks  # type: ignore[return-value]

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


# libyaml's parser, where PyYAML was built with it, reads a big file several times as fast when
# its events are turned into data directly (no node tree, no marks kept). Anything it cannot
# report well (an alias, a tag, a duplicate or merge key, a YAML error) sends the text to
# _Loader, which gives the exact message and position.
_FastLoader: Any = getattr(yaml, "CSafeLoader", None)
# Plain scalars whose meaning in YAML 1.1 is nothing but the number: 0.5, -3, 12.
_DECIMAL = re.compile(r"[-+]?[0-9]+\.[0-9]*")
_INTEGER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


class _Again(Exception):
    """The fast reader met something it cannot report well: read again with _Loader."""


def parse(text: str, file: str) -> Document:
    """Parse one YAML document into plain data with marks; errors are ScenarioError."""
    if _FastLoader is not None:
        try:
            return Document(_fast(text), file, text=text)
        except (_Again, yaml.YAMLError):
            pass  # read again below, for the exact message
    return _parse(text, file)


def _fast(text: str) -> Any:
    """One document's data straight from libyaml's events; _Again for anything unusual."""
    loader = _FastLoader(text)
    try:
        loader.get_event()  # stream start
        if not loader.check_event(yaml.DocumentStartEvent):
            raise _Again  # an empty file
        loader.get_event()
        data = _data(loader)
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            raise _Again  # a second document
        return data
    finally:
        loader.dispose()


def _data(loader: Any) -> Any:
    """Build containers from events with an explicit stack: [list] or [dict, pending key]."""
    stack: list[list[Any]] = []
    while True:
        ev = loader.get_event()
        kind = type(ev)
        if kind is yaml.ScalarEvent:
            if stack and len(stack[-1]) == 2 and stack[-1][1] is None:  # a mapping's key
                merge = ev.implicit[0] and ev.value == "<<"
                if merge or ev.value in stack[-1][0] or ev.tag not in (None, "!"):
                    raise _Again  # a merge key or a duplicate: the exact reader says where
                stack[-1][1] = ev.value
                continue
            value = _scalar(loader, ev)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            if ev.tag is not None or (stack and len(stack[-1]) == 2 and stack[-1][1] is None):
                raise _Again  # a tag, or a complex key
            stack.append([[]] if kind is yaml.SequenceStartEvent else [{}, None])
            continue
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            value = stack.pop()[0]
        else:
            raise _Again  # an alias
        if not stack:
            return value
        top = stack[-1]
        if len(top) == 1:
            top[0].append(value)
        else:
            top[0][top[1]] = value
            top[1] = None


def _scalar(loader: Any, ev: Any) -> Any:
    if ev.tag is not None and ev.tag != "!":
        raise _Again  # an explicit tag
    value = ev.value
    if ev.implicit[0]:
        if _DECIMAL.fullmatch(value):
            return float(value)
        if _INTEGER.fullmatch(value):
            return int(value)
    tag = loader.resolve(yaml.ScalarNode, value, ev.implicit)
    if tag not in _SCALAR_TAGS:
        raise _Again
    return loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, value, ev.start_mark, ev.end_mark, ev.style))


def _parse(text: str, file: str, loader_class: Any = None) -> Document:
    """The exact reader: every position kept, every problem reported where it stands."""
    loader = (loader_class or _Loader)(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and ("\t" in exc.problem or "\\t" in exc.problem):
            msg += " (indent with spaces, not tabs)"
        raise ScenarioError(
            msg, file=file, line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    doc = Document(data=None, file=file)
    if root is None:
        raise ScenarioError("the file is empty", file=file)
    data = _build(root, (), doc, loader)
    return Document(data=data, file=file, marks=doc.marks, texts=doc.texts, key_marks=doc.key_marks)


def load(path: str | os.PathLike[str]) -> Document:
    return parse(read_text(path), os.fspath(path))


def _build(node: yaml.Node, path: Path, doc: Document, loader: Any) -> Any:
    """Plain data from the node tree, with the position and text of everything."""
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
            out[key] = _build(vnode, path + (key,), doc, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _PLAIN + "seq":
            raise doc.error(path, f"YAML tag {node.tag} is not allowed")
        return [_build(v, path + (i,), doc, loader) for i, v in enumerate(node.value)]
    if node.tag not in _SCALAR_TAGS:
        raise doc.error(path, f"YAML tag {node.tag} is not allowed; write plain numbers and text")
    doc.texts[path] = node.value
    return loader.construct_object(node, deep=True)
