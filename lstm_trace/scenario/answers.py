"""A student's answers (or a source's printed numbers): names, numbers, and the digits as written.

The text of every number is kept, because 0.0922 and 0.09220 claim different
precisions and the parsed floats cannot tell them apart.  A file that cannot
be read at all is an error (exit 2); a single bad answer is kept with its
problem, so that the rest can still be graded.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..textfile import read_text
from . import answerlines, yamlio
from .messages import brief, unlike_a_number

Index = tuple[int, ...]


class AnswerProblem(ValueError):
    """One answer that cannot be graded (not a number, ragged, wrong shape); the rest still can."""


@dataclass(frozen=True)
class Answer:
    """name: value as the file wrote it, with the source text of each number by its index."""

    given_name: str
    raw: Any
    texts: Mapping[Index, str] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None

    @property
    def blank(self) -> bool:
        """Left empty (``a_0:`` in a template): not answered."""
        return self.raw is None

    @property
    def written(self) -> str:
        """The answer as the file wrote it: 0.0922, [0.1, 0.2], [[0.1, 0.2], [0.3, 0.4]]."""
        if not self.texts:
            return str(self.raw)
        if () in self.texts:
            return self.texts[()]
        items = sorted(self.texts.items())
        if max(map(len, self.texts)) == 1:
            return "[" + ", ".join([t for _, t in items]) + "]"
        rows: dict[int, list[str]] = {}
        for idx, t in items:
            rows.setdefault(idx[0], []).append(t)
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows.values()) + "]"

    def shaped(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, bool]:
        """Values and texts in a quantity's shape, and whether they were written transposed.

        A flat list serves for one row or one column, a number for one entry; an entry
        written null is NaN (not worked, neither right nor wrong).
        """
        values, texts = self.numbers()
        size = math.prod(shape)  # a tuple of ints: math.prod, not np.prod's array (4 % of checking 10,000 answers)
        if values.shape == shape:
            return values, texts, False
        flat = values.ndim < 2 or 1 in values.shape
        if values.size == size and flat and (len(shape) < 2 or 1 in shape):
            return values.reshape(shape), texts.reshape(shape), False
        if len(shape) == 2 and values.shape == shape[::-1]:
            return values.T, texts.T, True
        raise AnswerProblem(f"expected {_dims(shape)}, found {_dims(values.shape)}")

    def numbers(self) -> tuple[np.ndarray, np.ndarray]:
        """The values (0-, 1- or 2-D) and, with the same shape, the text each was written as.

        Lists as YAML writes them, or as numpy prints them ([-0.1974 0.2449], also as text).
        """
        fast = _plain_numbers(self.raw, self.texts)
        if fast is not None:
            return fast
        tree = _tree(self.raw, (), self.texts)
        if isinstance(tree, list):
            if not tree:
                raise AnswerProblem("expected numbers, found an empty list")
            if all(isinstance(r, list) for r in tree):
                widths = {len(r) for r in tree}
                if len(widths) > 1 or 0 in widths:
                    raise AnswerProblem(f"rows of different lengths ({', '.join(str(len(r)) for r in tree)}): ragged")
                cells = [[_scalar(v, (i, j)) for j, v in enumerate(r)] for i, r in enumerate(tree)]
            elif any(isinstance(r, list) for r in tree):
                raise AnswerProblem("expected a list of numbers or a list of rows, found a mix")
            else:
                cells = [_scalar(v, (i,)) for i, v in enumerate(tree)]
        else:
            cells = _scalar(tree, ())
        values = np.array(cells, dtype=object)
        return values[..., 0].astype(np.float64), values[..., 1].astype(str)


def _plain_numbers(raw: Any, texts: Mapping[Index, str]) -> tuple[np.ndarray, np.ndarray] | None:
    """A list, or rows, of plain finite numbers without exponents, at once; None for anything else
    (which numbers() reads entry by entry, with a message for what is wrong)."""
    if not isinstance(raw, list) or not raw:
        return None
    rows = raw if isinstance(raw[0], list) else None
    flat = [x for r in rows for x in r] if rows is not None and all(isinstance(r, list) for r in rows) else raw
    if rows is not None and (flat is raw or len({len(r) for r in rows}) != 1 or not rows[0]):
        return None
    if not all(type(x) is float or type(x) is int for x in flat):
        return None
    shape = (len(rows), len(rows[0])) if rows is not None else (len(raw),)
    keys = (
        [(i, j) for i in range(shape[0]) for j in range(shape[1])]
        if rows is not None
        else [(i,) for i in range(shape[0])]
    )
    written = [texts.get(k) or repr(x) for k, x in zip(keys, flat, strict=True)]
    values = np.array(flat, dtype=np.float64)
    if not np.isfinite(values).all() or any("e" in t or "E" in t for t in written):
        return None
    return values.reshape(shape), np.array(written, dtype=str).reshape(shape)


@dataclass(frozen=True)
class _Leaf:
    """One scalar as read, and its source text (None when there is none: a dict's value)."""

    value: Any
    text: str | None


_TOKEN = re.compile(r"\[|\]|[^\s,\[\]]+")
NULLS = ("null", "~", "Null", "NULL")


def _tree(v: Any, idx: Index, texts: Mapping[Index, str]) -> Any:
    """Nested lists of _Leaf; a text in numpy's printed form ([a b], [[a b] [c d]], a b) opened."""
    if isinstance(v, list):
        out: list[Any] = []
        for k, x in enumerate(v):
            sub = _tree(x, (*idx, k), texts)
            opened = isinstance(x, str) and isinstance(sub, list) and not x.lstrip().startswith("[")
            out += sub if opened else [sub]  # [-0.1974 0.2449] in YAML: one text, two numbers
        return out
    if isinstance(v, str) and (("[" in v and "]" in v) or len(v.split()) > 1):
        return _printed(v)
    return _Leaf(v, texts.get(idx))


def _printed(text: str) -> Any:
    """numpy's printed form as nested lists of _Leaf: brackets nest, spaces or commas separate."""
    stack: list[list[Any]] = [[]]
    for tok in _TOKEN.findall(text.replace("−", "-")):
        if tok == "[":
            stack.append([])
        elif tok == "]":
            if len(stack) == 1:
                raise AnswerProblem(f"unbalanced brackets in {brief(repr(text))}")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(_Leaf(None if tok in NULLS else tok, tok))
    if len(stack) != 1 or not stack[0]:
        raise AnswerProblem(f"unbalanced brackets in {brief(repr(text))}")
    return stack[0][0] if len(stack[0]) == 1 and isinstance(stack[0][0], list) else stack[0]


def _scalar(leaf: Any, idx: Index) -> tuple[float, str]:
    where = "".join(f"[{i}]" for i in idx)
    if isinstance(leaf, list):  # pragma: no cover - numbers() sorts lists out first
        raise AnswerProblem(f"entry {where}: expected a number, found a list")
    v, text = leaf.value, leaf.text
    if v is None and where:  # an entry not worked: null in a list
        return math.nan, "null"
    if isinstance(v, bool) or v is None or isinstance(v, list | dict):
        found = "nothing" if v is None else ("a list" if isinstance(v, list) else "a mapping")
        found = f"the boolean {str(v).lower()}" if isinstance(v, bool) else found
        raise AnswerProblem(f"entry {where}: expected a number, found {found}" if where else f"found {found}")
    at = f" at {where}" if where else ""
    if isinstance(v, str):  # quoted, or not a number by yamlio.NUMBER; −0.5 is read as -0.5
        s = v.strip().replace("−", "-")
        n = yamlio.number(s)
        if n is None:
            raise AnswerProblem(f"expected a number{at}, found the text {brief(repr(v))}{unlike_a_number(s)}")
        v, text = n, s
    if not math.isfinite(v):
        if text is not None and yamlio.number(text) is not None:  # 1e400, or 400 digits
            raise AnswerProblem(f"expected a number within float64's ±1.8e308{at}, found {brief(text)}")
        raise AnswerProblem(f"expected a finite number{at}, found {v}")
    places = written_decimals(text) if text is not None else None
    if places is not None and places < -308:  # 0e400: rounded to a place no float64 can hold
        raise AnswerProblem(f"expected a number with an exponent within float64's ±308{at}, found {brief(text)}")
    return float(v), text if text is not None else repr(v)


def _dims(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return "×".join(map(str, shape))
    size = math.prod(shape)
    return f"{size} number{'s' if size != 1 else ''}"


_DECIMALS = re.compile(r"[-+]?[0-9]*(\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?")


def written_decimals(text: str) -> int | None:
    """Digits after the point as written (0.09220 -> 5, 1.5e-3 -> 4); None for a whole number."""
    s = text.strip().lstrip("+-").replace("_", "")
    m = _DECIMALS.fullmatch(s)
    if m is None or not s or s == ".":  # not a number by yamlio.NUMBER; read as a whole number
        return None
    if m[1] is None and m[3] is None:
        return None
    return len(m[2] or "") - int(m[3] or 0)


def _places(t: str) -> int | None:
    """written_decimals, with the common case (0.0922, -1.5) read without a regular expression."""
    if "e" in t or "E" in t or "_" in t or t != t.strip():
        return written_decimals(t)
    k = t.find(".")
    return None if k < 0 else len(t) - k - 1


_ODD = re.compile(r"[eE_\s]")  # what _places reads with written_decimals


def half_unit(texts: np.ndarray, decimals: int) -> np.ndarray:
    """How far each number may be from what it rounds: 0.0922 -> 0.00005.

    A whole number (0, 1) is read as exact to the scenario's working decimals:
    worked solutions write an exact zero as 0, not 0.00000.
    """
    written = [str(t) for t in texts.ravel().tolist()]
    if _ODD.search("".join(written)) is None:  # plain decimals and whole numbers (0.0922, -3): at once
        places = [decimals if (k := t.find(".")) < 0 else len(t) - k - 1 for t in written]
    else:
        places = [decimals if p is None else p for p in map(_places, written)]
    exponents = np.array(places, dtype=np.float64)
    return (0.5 * 10.0**-exponents).reshape(texts.shape)


@dataclass(frozen=True)
class Answers:
    file: str
    items: tuple[Answer, ...]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raw(self) -> dict[str, Any]:
        return {a.given_name: a.raw for a in self.items}

    def texts(self) -> dict[tuple, str]:
        """Every number's source text, by (name, *index)."""
        return {(a.given_name, *i): t for a in self.items for i, t in a.texts.items()}


def from_document(doc: yamlio.Document, root: yamlio.Path = (), text: str | None = None) -> Answers:
    """The mapping at root (the whole file, or a scenario's expected: block) as answers; text: the
    file's text, whose lines say where each key stands and how its numbers were written, if plainly."""
    data = doc.data
    for p in root:
        data = data.get(p) if isinstance(data, dict) else None
    if data is None and root:
        return Answers(doc.file, ())
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        raise doc.error(root, f"expected a mapping of quantity names to numbers (a_0: 0.81775), found {found}")
    plainly = answerlines.positions(text, data) if text is not None and not root else None
    if plainly is not None:  # (the exact reader's texts and key marks, read from the lines: answerlines.py)
        return Answers(doc.file, tuple(Answer(k, v, plainly[0][k], plainly[1][k], 1) for k, v in data.items()))
    # each number's text by its answer: one pass over the document's texts, not one per answer
    texts: dict[Any, dict[Index, str]] = {}
    n = len(root)
    for p, t in doc.texts.items():
        if len(p) > n and (not n or p[:n] == root):
            texts.setdefault(p[n], {})[p[n + 1 :]] = t
    items = []
    for key, value in data.items():
        line, col = doc.key_marks.get((*root, key), (None, None))
        items.append(Answer(str(key), value, texts.get(key, {}), line, col))
    return Answers(doc.file, tuple(items))


def load_answers(path: str | os.PathLike[str]) -> Answers:
    """Read an answers file: a mapping of quantity names to numbers, lists, or lists of rows."""
    text = read_text(path)
    return from_document(yamlio.parse(text, os.fspath(path)), (), text)
