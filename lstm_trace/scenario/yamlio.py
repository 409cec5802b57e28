"""Safe YAML reading with the position of every key and the text of every scalar.

PyYAML's SafeLoader builds no objects from tags, but accepts aliases (billion-laughs bombs) and keeps
the last of two duplicate keys. This reader refuses both, any tag but !!str, and nesting deeper than
MAX_DEPTH (the composers recurse; libyaml's crashes). Plain scalars are read as a person means them:
numbers by one rule (NUMBER), true/false, null, .inf/.nan, and all else (012, 1:30, 0x1F, yes) as text.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import yaml

from ..errors import ScenarioError
from ..textfile import MAX_BYTES, check_characters, read_text

__all__ = ["MAX_BYTES", "MAX_DEPTH", "NUMBER", "Document", "load", "number", "parse", "read_text"]

_PLAIN = "tag:yaml.org,2002:"
_STR = _PLAIN + "str"
_IMPLICIT = "lstm-trace:plain"  # a plain scalar without a tag: read by plain() below, not YAML 1.1's resolvers
MAX_DEPTH = 32  # lists and mappings within each other; a scenario needs 6 (parameters.W.a[0][1] in the root)

# A number as a person writes it: 12, -0.5, .5, 3., 1e-3, 1.5E+2.  No leading zero (YAML 1.1 reads 012 as
# octal), no 0x1F, 0o7, 0b101, 1_000 or 1:30 (sexagesimal): one rule for scenarios and answers alike.
NUMBER = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(\.[0-9]*)?|(\.[0-9]+))([eE][-+]?[0-9]+)?")
_WORDS: dict[str, Any] = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
_WORDS.update({w: True for w in ("true", "True", "TRUE")} | {w: False for w in ("false", "False", "FALSE")})
_WORDS.update({s + w: float(s + "inf") for s in ("", "+", "-") for w in (".inf", ".Inf", ".INF")})
_WORDS.update({w: math.nan for w in (".nan", ".NaN", ".NAN")})
_fullmatch = NUMBER.fullmatch
_decimal = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]*").fullmatch  # most numbers in a file: a float at once
_SURROGATE = re.compile("[\ud800-\udfff]")  # from a "\ud800" escape: half a character, unprintable

Path = tuple[str | int, ...]


def number(text: str) -> int | float | None:
    """The number text means by NUMBER, or None: an int for a whole number, else a float (inf beyond float64)."""
    return plain(text) if _fullmatch(text) else None


def plain(text: str) -> Any:
    """A plain scalar's value: a number, true/false, null, ±.inf, .nan, or else the text itself."""
    m = _fullmatch(text)
    if m is None:
        return _WORDS.get(text, text)
    return int(text) if m.lastindex is None and len(text) <= 300 else float(text)  # 300 digits: within float64


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

    def _positions(self) -> Document:
        if self._marks is None:
            # the fast reader took this text, so it has no alias: libyaml's composer is safe and quicker
            full = _parse(self._text or "", self.file, _FastComposer or _Loader)
            self._marks, self._texts, self._key_marks = full.marks, full.texts, full.key_marks
        return self

    @property
    def marks(self) -> dict[Path, tuple[int, int]]:
        """Line and column (1-based) of each value, by key path."""
        return self._positions()._marks  # type: ignore[return-value]

    @property
    def texts(self) -> dict[Path, str]:
        """Each scalar's source text, as written."""
        return self._positions()._texts  # type: ignore[return-value]

    @property
    def key_marks(self) -> dict[Path, tuple[int, int]]:
        """Where each key itself stands."""
        return self._positions()._key_marks  # type: ignore[return-value]

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of a path, or of its nearest ancestor that exists."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.marks:
                return self.marks[path[:n]]
        return None, None

    def error(self, path: Path, message: str, at_key: bool = False) -> ScenarioError:
        line, col = self.key_marks[path] if at_key and path in self.key_marks else self.where(path)
        return ScenarioError(message, file=self.file, line=line, column=col, path=path)


class _Plain:
    """Resolves a plain, untagged scalar to _IMPLICIT, for plain() to read (no YAML 1.1 resolvers)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _IMPLICIT
        return super().resolve(kind, value, implicit)  # type: ignore[misc]


class _TooDeep(Exception):
    """Nested deeper than MAX_DEPTH, at this mark."""


TOO_DEEP = f"expected lists and mappings nested at most {MAX_DEPTH} deep (a scenario needs 6), found {MAX_DEPTH + 1}"


class _Loader(_Plain, yaml.SafeLoader):
    """The pure-Python composer, stopped at an alias and at MAX_DEPTH itself: exact messages and positions."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed", problem_mark=mark)
        nested = int(self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent))
        if nested and self.depth >= MAX_DEPTH:
            raise _TooDeep(self.peek_event().start_mark)
        self.depth += nested
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= nested


# libyaml's parser reads a big file several times as fast with its events turned into data directly (no
# marks kept). What it cannot report well (an alias, a tag, a duplicate, an error) goes to _Loader.
_FastLoader: Any = getattr(yaml, "CSafeLoader", None)
_FastComposer: Any = _FastLoader and type("_FastComposer", (_Plain, _FastLoader), {})  # for what _fast took


class _Again(Exception):
    """The fast reader met something it cannot report well: read again with _Loader."""


def _marked(message: str, file: str, mark: Any, path: Path = ()) -> ScenarioError:
    """An error at a YAML mark (0-based line and column), named 1-based."""
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return ScenarioError(message, file=file, line=line, column=column, path=path)


def parse(text: str, file: str) -> Document:
    """Parse one YAML document into plain data with marks; errors are ScenarioError."""
    if _FastLoader is not None:
        try:
            return Document(_fast(text), file, text=text)
        except _TooDeep as exc:
            raise _marked(TOO_DEEP, file, exc.args[0]) from None
        except (_Again, yaml.YAMLError, UnicodeEncodeError):
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
            if (ev.tag is not None or ev.style == '"') and _unusual(ev):
                raise _Again  # a tag, or a surrogate: the exact reader says where
            if stack and len(stack[-1]) == 2 and stack[-1][1] is None:  # a mapping's key
                if (ev.implicit[0] and ev.value == "<<") or ev.value in stack[-1][0]:
                    raise _Again  # a merge key or a duplicate
                stack[-1][1] = ev.value
                continue
            value = ev.value
            if ev.implicit[0]:
                value = float(value) if _decimal(value) else plain(value)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            if ev.tag is not None or (stack and len(stack[-1]) == 2 and stack[-1][1] is None):
                raise _Again  # a tag, or a complex key
            if len(stack) >= MAX_DEPTH:
                raise _TooDeep(ev.start_mark)
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


def _unusual(ev: Any) -> bool:
    """A scalar with an explicit tag, or a surrogate escape ("\\ud800", which is no character)."""
    tag = ev.tag
    return (tag is not None and tag != "!" and tag != _STR) or (ev.style == '"' and bool(_SURROGATE.search(ev.value)))


def _parse(text: str, file: str, loader_class: Any = None) -> Document:
    """The exact reader: every position kept, every problem reported where it stands."""
    check_characters(text, file)
    loader = (loader_class or _Loader)(text)
    try:
        root = loader.get_single_node()
    except _TooDeep as exc:
        raise _marked(TOO_DEEP, file, exc.args[0]) from None
    except yaml.MarkedYAMLError as exc:
        msg = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and ("\t" in exc.problem or "\\t" in exc.problem):
            msg += " (indent with spaces, not tabs)"
        raise _marked(msg, file, exc.problem_mark or exc.context_mark) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    doc = Document(data=None, file=file)
    if root is None:
        raise ScenarioError("the file is empty", file=file)
    data = _build(root, (), doc)
    return Document(data=data, file=file, marks=doc.marks, texts=doc.texts, key_marks=doc.key_marks)


def load(path: str | os.PathLike[str]) -> Document:
    return parse(read_text(path), os.fspath(path))


def _build(node: yaml.Node, path: Path, doc: Document) -> Any:
    """Plain data from the node tree, with the position and text of everything."""
    doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _PLAIN + "map":
            raise doc.error(path, f"YAML tag {node.tag} is not allowed")
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode) or (knode.tag == _IMPLICIT and knode.value == "<<"):
                raise doc.error(path, "keys must be plain names (no merge keys or complex keys)")
            key = _text(knode, path, doc)
            if key in out:
                message = f"duplicate key {key!r} (YAML would silently keep only the last one)"
                raise _marked(message, doc.file, knode.start_mark, path + (key,))
            doc.key_marks[path + (key,)] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            out[key] = _build(vnode, path + (key,), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _PLAIN + "seq":
            raise doc.error(path, f"YAML tag {node.tag} is not allowed")
        return [_build(v, path + (i,), doc) for i, v in enumerate(node.value)]
    doc.texts[path] = _text(node, path, doc)
    return plain(node.value) if node.tag == _IMPLICIT else node.value


def _text(node: yaml.Node, path: Path, doc: Document) -> str:
    """A scalar's text (a key, or a value before plain() reads it); an error for a tag or a surrogate."""
    mark = node.start_mark
    if node.tag not in (_IMPLICIT, _STR):
        raise _marked(f"YAML tag {node.tag} is not allowed; write plain numbers and text", doc.file, mark, path)
    bad = _SURROGATE.search(node.value) if node.style == '"' else None
    if bad:
        code = f"\\u{ord(bad.group()):04x}"
        raise _marked(
            f"expected text, found the escape {code}, half a surrogate pair and no character", doc.file, mark, path
        )
    return str(node.value)
