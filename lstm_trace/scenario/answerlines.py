"""Where an answers file's keys stand and how its numbers were written, read from its lines in one pass.

The digits of each number and the line of each key come from the exact reader (yamlio's positions),
which builds the file again as a tree of nodes: 0.9 s for a sheet of 10,000 answers. Most answers
files are one key a line, a number or a flow list of numbers after it ([0.1, 0.2], [[…], […]]), a
comment perhaps. For such a file the same texts and lines are read here from the lines themselves,
and checked against the data the YAML reader parsed: the same keys in the same order, each number
the same value of the same type. Anything else (a block list, a quoted or null entry, an indented
key, a key over several lines, other line breaks than \\n) gives None, and the exact reader is asked.
"""

from __future__ import annotations

import re
from typing import Any

from . import yamlio

Index = tuple[int, ...]

# a key at the start of a line, its value (if any) and a comment (if any)
_LINE = re.compile(r"(?P<key>[^\s#:'\"\[\]{},&*!|>%@`?-][^\s:#]*):(?:[ \t]+(?P<value>[^#]*?))?(?:[ \t]+#.*)?[ \t]*")
_TOKEN = re.compile(r"\[|\]|,|[^\s,\[\]]+")
_DECIMAL = r"-?(?:0|[1-9][0-9]*)\.[0-9]+"  # a float as the YAML reader reads it at once (yamlio._decimal)
_ROW = re.compile(rf"\[ *{_DECIMAL}(?: *, *{_DECIMAL})* *\]")
_DECIMALS = re.compile(_DECIMAL)


def positions(text: str, data: dict[str, Any]) -> tuple[dict[str, dict[Index, str]], dict[str, int]] | None:
    """Each key's numbers as written (by index) and its line; None where the lines do not say it plainly."""
    if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text or "\t" in text:
        return None
    keys = iter(data)
    texts: dict[str, dict[Index, str]] = {}
    lines: dict[str, int] = {}
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.fullmatch(line)
        key = None if m is None else m["key"]
        if key is None or next(keys, None) != key:
            return None
        written = _written((m["value"] or "").strip(), data[key])  # type: ignore[index]
        if written is None:
            return None
        texts[key], lines[key] = written, n
    return None if next(keys, None) is not None else (texts, lines)


def _written(value: str, parsed: Any) -> dict[Index, str] | None:
    """A value's numbers by index, as written, if the text is what the reader parsed; else None."""
    if not value:
        return {(): ""} if parsed is None else None
    if not value.startswith("["):
        return {(): value} if _same(value, parsed) else None
    if _ROW.fullmatch(value) and isinstance(parsed, list):  # a row of decimals, the usual answer: at once
        numbers = _DECIMALS.findall(value)
        same = all(type(x) is float for x in parsed) and list(map(float, numbers)) == parsed
        return {(k,): t for k, t in enumerate(numbers)} if same else None
    tokens = _TOKEN.findall(value)
    if "".join(tokens) != value.replace(" ", ""):
        return None
    out: dict[Index, str] = {}
    at = _nested(tokens, 0, parsed, (), out)
    return out if at == len(tokens) else None


def _nested(tokens: list[str], at: int, parsed: Any, idx: Index, out: dict[Index, str]) -> int:
    """Read a flow list from tokens[at] against parsed (a list); where it ends, or -1 if they differ."""
    if tokens[at] != "[" or not isinstance(parsed, list) or len(idx) > 1:
        return -1
    at += 1
    for k, item in enumerate(parsed):
        if k:
            if at >= len(tokens) or tokens[at] != ",":
                return -1
            at += 1
        if at >= len(tokens):
            return -1
        if tokens[at] == "[":
            at = _nested(tokens, at, item, (*idx, k), out)
            if at < 0:
                return -1
        elif _same(tokens[at], item):
            out[(*idx, k)] = tokens[at]
            at += 1
        else:
            return -1
    return at + 1 if at < len(tokens) and tokens[at] == "]" else -1


def _same(token: str, parsed: Any) -> bool:
    """The token is a plain number and the reader read it as this very value, of this type."""
    n = yamlio.number(token)
    return n is not None and type(n) is type(parsed) and n == parsed
