"""A student's sheet as they type it: one answer per quantity, kept as written, saved to a file check reads.

What is typed is a number, a vector or a matrix ([0.1, -0.2], [[1, 2], [3, 4]], the printed
form [-0.1974 0.2449], null for an entry not worked) and nothing else: it is checked against an
allow-list of characters and read by the project's own YAML reader before it is kept, so no text
typed in a browser reaches the file as anything but a number.  The file is rewritten whole, through
a temporary file and a rename, so a crash never leaves half a sheet.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import LstmTraceError
from ..names import normalise
from ..scenario.answers import AnswerProblem, Answers, from_document, load_answers
from ..scenario.yamlio import parse

MAX_FILE = 1 << 20  # bytes of an answers file serve keeps in memory
MAX_TEXT = 4000  # characters in one answer: a 32×32 matrix at 8 decimals
ALLOWED = re.compile(r"[0-9eE.,+\-\[\]\snul]*")  # digits, signs, brackets, null
FORMS = "type a number, a vector [0.1, -0.2] or a matrix [[1, 2], [3, 4]] (null for an entry not worked)"
HEADER = "# Answers saved by lstm-trace serve; grade them with: lstm-trace check {scenario} {answers}\n"


class AnswerRefused(ValueError):
    """A typed answer that is not a number, a vector or a matrix (the message says why)."""


class Sheet:
    """The answers typed so far, in the order the quantities are worked, saved to path on every change.

    A file begun by hand keeps everything: an answer to a box under any spelling check reads (δstate_0
    for dstate_0) fills that box; what no box takes (another part's answer, an entry dW[0][1], text
    that is not a number) is written back as it was.
    """

    def __init__(self, path: str | os.PathLike[str], names: Iterable[str], scenario: str) -> None:
        self.path, self.names, self.scenario = Path(path), list(names), scenario
        self.texts: dict[str, str] = {}
        self.kept: dict[str, str] = {}  # what the file holds beyond the boxes: written back as it was
        if self.path.exists() and _has_answers(self.path):
            for a in load_answers(self.path).items:
                name = normalise(a.given_name)
                if name in self.names and name not in self.texts and _fits(name, a.written):
                    self.texts[name] = a.written
                else:
                    self.kept.setdefault(a.given_name, a.written)

    def set(self, name: str, text: str) -> None:
        """Keep text as name's answer (an empty text takes it back) and save the sheet; nothing changes
        if it cannot be saved (OSError)."""
        if name not in self.names:
            raise AnswerRefused(f"{name!r} is not a quantity of this exercise")
        text = " ".join(text.split())
        texts = dict(self.texts)
        if text:
            texts[name] = checked(name, text)
        else:
            texts.pop(name, None)
        self.save(texts)
        self.texts = texts

    def document(self, texts: dict[str, str] | None = None) -> str:
        texts = self.texts if texts is None else texts
        shown = [re.sub(r"[\x00-\x1f\x7f]", "?", str(x)) for x in (self.scenario, self.path)]  # one comment line
        header = HEADER.format(scenario=shown[0], answers=shown[1])
        boxes = "".join(f"{n}: {texts[n]}\n" for n in self.names if n in texts)
        rest = "".join(f"{_key(k)}: {_value(v)}\n" for k, v in self.kept.items())
        return header + (boxes + rest or "{}\n")  # no answer yet: an empty mapping, which check reads

    def answers(self) -> Answers:
        """The sheet as check reads it (from the text it saves, so the two can never differ)."""
        return from_document(parse(self.document(), str(self.path)))

    def save(self, texts: dict[str, str] | None = None) -> None:
        folder = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.document(texts))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _has_answers(path: Path) -> bool:
    """Not an empty file, nor one of blank lines and comments only (a sheet begun with `touch`)."""
    if path.is_file() and path.stat().st_size > MAX_FILE:
        return True  # load_answers says it is too big
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True  # load_answers says why it cannot be read
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


def _fits(name: str, text: str) -> bool:
    try:
        checked(name, text)
    except AnswerRefused:
        return False
    return True


def checked(name: str, text: str) -> str:
    """text as kept: a number, vector or matrix read back by the answers reader, else AnswerRefused."""
    if len(text) > MAX_TEXT:
        raise AnswerRefused(f"an answer is at most {MAX_TEXT} characters")
    if not ALLOWED.fullmatch(text):
        raise AnswerRefused(FORMS)
    try:
        (answer,) = from_document(parse(f"{name}: {text}\n", "typed")).items
        answer.numbers()
    except (LstmTraceError, AnswerProblem, ValueError) as exc:
        raise AnswerRefused(FORMS) from exc
    return text


def _key(name: str) -> str:
    """A name from the file as YAML reads it back: plain where it can be, else a quoted string."""
    return name if re.fullmatch(r"[A-Za-z_δΔ][\w\[\]\-]*", name) else json.dumps(name, ensure_ascii=False)


def _value(text: str) -> str:
    """An answer from the file as it was written: numbers plain, anything else a quoted string."""
    return text if ALLOWED.fullmatch(text) else json.dumps(text, ensure_ascii=False)
