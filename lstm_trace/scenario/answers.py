"""A student's answers (or a source's printed numbers): names, numbers, and the digits as written.

The text of every number is kept, because 0.0922 and 0.09220 claim different
precisions and the parsed floats cannot tell them apart.  A file that cannot
be read at all is an error (exit 2); a single bad answer is kept with its
problem, so that the rest can still be graded.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from . import yamlio
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
        rows: dict[int, list[str]] = {}
        for idx, t in sorted(self.texts.items()):
            rows.setdefault(idx[0], []).append(t)
        if all(len(i) == 1 for i in self.texts):
            return "[" + ", ".join(t for _, t in sorted(self.texts.items())) + "]"
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows.values()) + "]"

    def shaped(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, bool]:
        """Values and texts in a quantity's shape, and whether they were written transposed.

        A flat list serves for one row or one column, a number for one entry.
        """
        values, texts = self.numbers()
        size = int(np.prod(shape))
        if values.shape == shape:
            return values, texts, False
        flat = values.ndim < 2 or 1 in values.shape
        if values.size == size and flat and (len(shape) < 2 or 1 in shape):
            return values.reshape(shape), texts.reshape(shape), False
        if len(shape) == 2 and values.shape == shape[::-1]:
            return values.T, texts.T, True
        raise AnswerProblem(f"expected {_dims(shape)}, found {_dims(values.shape)}")

    def numbers(self) -> tuple[np.ndarray, np.ndarray]:
        """The values (0-, 1- or 2-D) and, with the same shape, the text each was written as."""
        raw = self.raw
        if isinstance(raw, list):
            if not raw:
                raise AnswerProblem("expected numbers, found an empty list")
            if all(isinstance(r, list) for r in raw):
                widths = {len(r) for r in raw}
                if len(widths) > 1 or 0 in widths:
                    raise AnswerProblem(f"rows of different lengths ({', '.join(str(len(r)) for r in raw)}): ragged")
                cells = [[self._scalar(v, (i, j)) for j, v in enumerate(r)] for i, r in enumerate(raw)]
            elif any(isinstance(r, list | dict) for r in raw):
                raise AnswerProblem("expected a list of numbers or a list of rows, found a mix")
            else:
                cells = [self._scalar(v, (i,)) for i, v in enumerate(raw)]
        elif isinstance(raw, dict):
            raise AnswerProblem("expected a number or a list of numbers, found a mapping")
        else:
            cells = self._scalar(raw, ())
        values = np.array(cells, dtype=object)
        return values[..., 0].astype(np.float64), values[..., 1].astype(str)

    def _scalar(self, v: Any, idx: Index) -> tuple[float, str]:
        where = "".join(f"[{i}]" for i in idx)
        text = self.texts.get(idx)
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
    size = int(np.prod(shape))
    return f"{size} number{'s' if size != 1 else ''}"


def written_decimals(text: str) -> int | None:
    """Digits after the point as written (0.09220 -> 5, 1.5e-3 -> 4); None for a whole number."""
    s = text.strip().lstrip("+-").replace("_", "")
    if "." not in s and "e" not in s.lower():
        return None
    try:
        exponent = Decimal(s).as_tuple().exponent
    except InvalidOperation:  # not a number by yamlio.NUMBER; read as a whole number
        return None
    return -int(exponent) if isinstance(exponent, int) else None


def half_unit(texts: np.ndarray, decimals: int) -> np.ndarray:
    """How far each number may be from what it rounds: 0.0922 -> 0.00005.

    A whole number (0, 1) is read as exact to the scenario's working decimals:
    worked solutions write an exact zero as 0, not 0.00000.
    """
    places = [written_decimals(str(t)) for t in texts.ravel()]
    return np.array([0.5 * 10.0 ** -(decimals if p is None else p) for p in places]).reshape(texts.shape)


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


def from_document(doc: yamlio.Document, root: yamlio.Path = ()) -> Answers:
    """The mapping at root (the whole file, or a scenario's expected: block) as answers."""
    data = doc.data
    for p in root:
        data = data.get(p) if isinstance(data, dict) else None
    if data is None and root:
        return Answers(doc.file, ())
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        raise doc.error(root, f"expected a mapping of quantity names to numbers (a_0: 0.81775), found {found}")
    items = []
    for key, value in data.items():
        path = (*root, key)
        texts = {p[len(path) :]: t for p, t in doc.texts.items() if p[: len(path)] == path}
        line, col = doc.key_marks.get(path, (None, None))
        items.append(Answer(str(key), value, texts, line, col))
    return Answers(doc.file, tuple(items))


def load_answers(path: str | os.PathLike[str]) -> Answers:
    """Read an answers file: a mapping of quantity names to numbers, lists, or lists of rows."""
    return from_document(yamlio.load(path))
