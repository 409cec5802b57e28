"""A table of plain-text cells that prints as rich's Table does, written straight to text where no style shows.

rich lays out a table cell by cell through its whole renderer (measure, wrap, pad, crop), about a
millisecond a row: 17 s for the 10,000 answers of a big sheet. Into a file or a pipe nothing but the
characters shows, so there the same layout is done here, directly: rich's column widths (measured,
collapsed, reduced), its word wrap (divide_line: a word too long for the column folded), its
left justification and ellipsis, its box. Anywhere else (colour, a recording, a width too narrow for
the cells, characters that are not one cell wide each, an encoding without the box characters) the
rich Table itself is rendered. tests/test_check_speed.py holds the two to the same text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from .text import UNSAFE, safe_text

_WORD = re.compile(r"\s*\S+\s*")  # rich's word: leading space, the word, the space after it
_ASCII = re.compile(r"[\x20-\x7e]*")
# blocks whose characters (once checked one by one) are one cell each and never join another character
_BLOCKS = ((0xA1, 0x24F), (0x370, 0x4FF), (0x1D00, 0x1DBF), (0x2010, 0x205E), (0x2070, 0x23FF), (0x2500, 0x27BF))


@dataclass(frozen=True)
class Column:
    """A column as rich's add_column takes it."""

    header: str
    style: str = ""
    no_wrap: bool = False
    overflow: str = "ellipsis"  # rich's default; "fold" breaks a word too long for the column


@dataclass(frozen=True)
class Row:
    """A row's cells as written (escaped here), each cell's style where it has its own, the row's style."""

    cells: tuple[str, ...]
    styles: tuple[str, ...] = ()
    style: str | None = None


class PlainTable:
    """rich's Table(title=…, title_justify="left") with these columns and rows, its cells Text."""

    def __init__(self, title: str, columns: Sequence[Column], rows: Sequence[Row]) -> None:
        self.title, self.columns = safe_text(title), tuple(columns)
        self.rows = list(rows)
        if UNSAFE.search(" ".join(c for r in self.rows for c in r.cells)):  # escaped, where any cell needs it
            self.rows = [Row(tuple(safe_text(c) for c in r.cells), r.styles, r.style) for r in rows]
        if any(len(r.cells) != len(self.columns) for r in self.rows):
            raise ValueError(f"each row needs a cell for each of the {len(self.columns)} columns")

    def rich_table(self) -> Table:
        """The table as rich renders it (with its styles)."""
        table = Table(title=Text(self.title, style="bold"), title_justify="left")
        for c in self.columns:
            table.add_column(c.header, style=c.style, no_wrap=c.no_wrap, overflow=c.overflow)  # type: ignore[arg-type]
        for r in self.rows:
            styles = r.styles or ("",) * len(r.cells)
            table.add_row(*(Text(c, style=s) for c, s in zip(r.cells, styles, strict=True)), style=r.style)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self.plain_lines(console, options)
        if lines is None:
            yield self.rich_table()
            return
        yield Segment("\n".join(lines) + "\n")  # one piece of text: rich's work per segment is once a table

    def plain_lines(self, console: Console, options: ConsoleOptions) -> list[str] | None:
        """The table's lines as rich would print them without styles; None where only rich can say."""
        plain = console.color_system is None and not console.record and not options.legacy_windows
        if not plain or options.ascii_only or not self.rows or options.justify or options.overflow:
            return None
        if not _simple("".join([self.title, *(c.header for c in self.columns)])) or options.no_wrap:
            return None
        if any(c.overflow != ("ellipsis" if c.no_wrap else "fold") or {"[", ":"} & set(c.header) for c in self.columns):
            return None  # other columns than these (markup or an emoji code in a header) are left to rich
        if not _simple("".join(["".join(r.cells) for r in self.rows])):
            return None
        extra = len(self.columns) + 1  # the edges and the dividers
        widths = _widths(self.columns, self.rows, options.max_width - extra)
        if widths is None or min(widths) < 3:  # no room inside the padding: rich's own corner cases
            return None
        return _lay_out(self.title, self.columns, self.rows, widths, sum(widths) + extra)


def _simple(text: str) -> bool:
    """Every character one cell wide, on its own (no combining marks, no wide or zero-width ones)."""
    return _ASCII.fullmatch(text) is not None or all(_one_cell(c) for c in set(text))


@lru_cache(maxsize=4096)
def _one_cell(c: str) -> bool:
    if " " <= c <= "~":
        return True
    n = ord(c)
    if not any(lo <= n <= hi for lo, hi in _BLOCKS):
        return False
    wide = unicodedata.east_asian_width(c) in ("W", "F")
    return not wide and unicodedata.category(c)[0] not in "MCZ" and cell_len(c) == 1


def _cells(columns: Sequence[Column], rows: Sequence[Row], k: int) -> Iterator[str]:
    yield columns[k].header
    for r in rows:
        yield r.cells[k]


def _widths(columns: Sequence[Column], rows: Sequence[Row], room: int) -> list[int] | None:
    """rich's Table._calculate_column_widths (not expanded, no fixed widths), for a room of at least 3
    (None for less). Only a column's maximum counts there: its longest cell with the padding, at most
    the room (0 where every cell is empty)."""
    if room < 3:
        return None
    longest = [max(map(len, _cells(columns, rows, k))) for k in range(len(columns))]
    highs = [min(n + 2, room) if n else 0 for n in longest]
    widths = [high or 1 for high in highs]
    if sum(widths) > room:
        widths = _collapse(widths, [not c.no_wrap for c in columns], room)
        if sum(widths) > room:
            widths = _reduce(sum(widths) - room, [1] * len(widths), widths, widths)
        if min(widths) < 3:
            return None
        widths = [min(high, w) for high, w in zip(highs, widths, strict=True)]  # measured again at w
    return widths


def _collapse(widths: list[int], wrapable: list[bool], room: int) -> list[int]:
    """rich's Table._collapse_widths: the widest wrapable columns narrowed, in turn, until the table fits."""
    total = sum(widths)
    excess = total - room
    if not any(wrapable):
        return widths
    while total and excess > 0:
        widest = max(w for w, ok in zip(widths, wrapable, strict=True) if ok)
        second = max(w if ok and w != widest else 0 for w, ok in zip(widths, wrapable, strict=True))
        ratios = [1 if (w == widest and ok) else 0 for w, ok in zip(widths, wrapable, strict=True)]
        if not any(ratios) or not widest - second:
            break
        widths = _reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
        total = sum(widths)
        excess = total - room
    return widths


def _reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich's ratio_reduce: total taken from values in proportion to ratios, at most maximums."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums, strict=True)]
    left, weight = total, sum(ratios)
    if not weight:
        return values[:]
    out = []
    for r, m, v in zip(ratios, maximums, values, strict=True):
        if r and weight > 0:
            taken = min(m, round(r * left / weight))
            out.append(v - taken)
            left -= taken
            weight -= r
        else:
            out.append(v)
    return out


def _breaks(text: str, width: int) -> list[int]:
    """rich's divide_line (fold): where the lines of a wrapped text start."""
    words = text.split(" ")
    if max(map(len, words)) <= width and "" not in words:  # words one space apart, none folded: greedy, as rich
        out, at, start = [], 0, 0
        for w in words:
            if at and at + len(w) > width:
                out.append(start)
                at = 0
            at += len(w) + 1
            start += len(w) + 1
        return out
    out = []
    at = 0
    m = _WORD.match(text, 0)
    while m is not None:
        start, word = m.start(), m.group()
        size = len(word.rstrip())
        if width - at >= size:
            at += len(word)
        elif size > width:  # longer than a line: folded
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for k, piece in enumerate(pieces):
                if start:
                    out.append(start)
                if k == len(pieces) - 1:
                    at = len(piece)
                else:
                    start += len(piece)
        elif at and start:
            out.append(start)
            at = len(word)
        m = _WORD.match(text, m.end())
    return out


def wrapped(text: str, width: int, fold: bool = True) -> list[str]:
    """A cell's lines, each exactly width wide: rich's Text.wrap (justify left) of one line of
    one-cell characters; without fold, one line cut with an ellipsis."""
    if len(text) <= width:  # on one line: no break, no cut
        return [text.ljust(width)]
    if not fold:
        return [text[: width - 1] + "…"]
    cuts = [0, *_breaks(text, width), len(text)]
    lines = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        line = text[a:b]  # longer than the width only by the spaces after a word: cut (rich's rstrip_end)
        lines.append(line[:width] if len(line) > width else line.ljust(width))
    return lines


def _lay_out(title: str, columns: Sequence[Column], rows: Sequence[Row], widths: list[int], full: int) -> list[str]:
    b = box.HEAVY_HEAD
    out = wrapped(title, full) if title else []
    out.append(b.get_top(widths))
    ends = [(b.head_left, b.head_vertical, b.head_right), (b.mid_left, b.mid_vertical, b.mid_right)]
    ends.append((b.foot_left, b.foot_vertical, b.foot_right))
    body = [tuple(c.header for c in columns), *(r.cells for r in rows)]
    folds = [c.overflow == "fold" and not c.no_wrap for c in columns]
    for n, cells in enumerate(body):
        laid = [wrapped(t, w - 2, fold) for t, w, fold in zip(cells, widths, folds, strict=True)]
        height = max(map(len, laid))
        left, middle, right = ends[0 if n == 0 else 2 if n == len(body) - 1 else 1]
        if height > 1:
            for k, (lines, w) in enumerate(zip(laid, widths, strict=True)):
                blank = [" " * (w - 2)] * (height - len(lines))
                laid[k] = blank + lines if n == 0 else lines + blank  # the header sits at the bottom
        for j in range(height):
            out.append(left + middle.join([f" {cell[j]} " for cell in laid]) + right)
        if n == 0:
            out.append(b.get_row(widths, "head", edge=True))
    out.append(b.get_bottom(widths))
    return out
