"""An equation in a narrow table cell, broken where a worked solution breaks it: at an operator.

rich wraps a cell at any space, so `(1 − tanh²(0.78573))` could end a line at `(1 −` and a
vector `[-0.01702 -0.00165 0 0.00176]` be cut between its entries while a `+` outside stood
unused. Here a line ends first after a +, − or = outside all brackets, then after a × ⊙ ⊗ or ·
there, then the same one bracket deeper, and between a vector's entries only where no operator
will do; a piece wider than the cell with nowhere to break is folded. table.py sizes the columns
(fitted_widths) so that, where the console is wide enough, no operand has to be broken at all.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from .text import safe_text

OPENING, CLOSING = "([{", ")]}"
TERMS = ("+", "−", "-", "=")  # a sum's operators: the best place for a line to end
FACTORS = ("×", "⊙", "⊗", "·", "/")


def break_points(text: str) -> list[tuple[int, tuple[int, int]]]:
    """Where a new line may begin, each with its rank (lower breaks first): (depth, 0 a sum's operator,
    1 a product's, 2 a plain space). Spaces around an operator belong to it: `a +| b`, `W_a·|x_0`."""
    out: list[tuple[int, tuple[int, int]]] = []
    depth = 0
    for k, c in enumerate(text):
        if c in OPENING:
            depth += 1
        elif c in CLOSING:
            depth = max(depth - 1, 0)
        elif c == "·" and k + 1 < len(text):
            out.append((k + 1, (depth, 1)))
        elif c == " " and 0 < k < len(text) - 1 and text[k + 1] != " ":  # a new line never starts with a space
            before = text[k - 1]
            if before in TERMS and k >= 2 and text[k - 2] == " ":
                out.append((k + 1, (depth, 0)))
            elif before in FACTORS and k >= 2 and text[k - 2] == " ":
                out.append((k + 1, (depth, 1)))
            elif text[k + 1] not in TERMS + FACTORS or text[k + 2 : k + 3] not in (" ", ""):
                out.append((k + 1, (depth, 2)))  # not the space before an operator: `a| + b` never
    return out


def lines(text: str, width: int) -> list[str]:
    """text in lines of at most width cells, broken at the best-ranked points that are needed."""
    if cell_len(text) <= width:
        return [text]
    points = break_points(text)
    if not points:
        return _fold(text, width)
    rank = min(r for _, r in points)
    cuts = [0, *(k for k, r in points if r == rank), len(text)]
    out: list[str] = []
    current = ""
    for piece in (text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)):
        if current and cell_len((current + piece).rstrip()) <= width:
            current += piece
            continue
        inner = lines(piece.rstrip(), width)
        if current and cell_len(current + inner[0]) <= width:  # the piece's first line still fits here
            inner[0] = current + inner[0]
        elif current:
            out.append(current.rstrip())
        out += inner[:-1]
        current = inner[-1] + piece[len(piece.rstrip()) :]
    out.append(current.rstrip())
    return out


def _fold(text: str, width: int) -> list[str]:
    out, current = [], ""
    for c in text:
        if current and cell_len(current + c) > width:
            out.append(current)
            current = ""
        current += c
    return [*out, current]


class Formula:
    """A cell's equation, numbers or value, as rich lays it out: broken at operators first."""

    def __init__(self, text: str, style: str = "") -> None:
        self.text, self.style = safe_text(text), style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        cuts = [0, *(k for k, _ in break_points(self.text)), len(self.text)]
        widest = max(cell_len(self.text[a:b].rstrip()) for a, b in zip(cuts, cuts[1:], strict=False))
        return Measurement(widest, cell_len(self.text)).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("\n".join(lines(self.text, max(options.max_width, 1))), style=self.style, overflow="fold")


def term_width(text: str, keep: str = "vectors") -> int:
    """The widest piece a line should keep whole: with keep="vectors", an operand of the outermost sums
    and products with its operator, `(1 − tanh²(0.78573)) +`; with "entries" the same, but a vector may
    be broken between its entries; with "rows", any operator may end a line, but no row of a matrix."""
    points = break_points(text)
    if keep == "rows":
        cuts = [k for k, (_, rank) in points if rank < 2 or text[k - 2] == ","]
    else:
        cuts = [k for k, (depth, rank) in points if depth == 0 or rank == 2 and keep == "entries"]
    bounds = [0, *cuts, len(text)]
    return max(cell_len(text[a:b].rstrip()) for a, b in zip(bounds, bounds[1:], strict=False))


def fitted_widths(columns: list[list[str]], kept: list[bool], room: int) -> list[int] | None:
    """Content widths for table columns of these texts (a column's first: its header) in `room` cells, so
    that no term is broken (nor, where the room allows, a vector; where it does not, at least no row of a
    matrix): each column its widest piece (a kept column its widest text), then the room left shared out
    fairly, the columns that want least served first. None where everything fits on one line, or nothing
    does: then rich lays the table out."""
    wants = [max((cell_len(t) for t in col), default=1) for col in columns]
    if sum(wants) <= room:
        return None
    for whole in ("vectors", "entries", "rows"):  # what is kept whole, as long as the room allows
        needs = [
            want if keep else max([*map(cell_len, col[0].split()), *(term_width(t, whole) for t in col[1:])])
            for col, want, keep in zip(columns, wants, kept, strict=True)
        ]
        if sum(needs) <= room:
            return _shared(needs, wants, room - sum(needs))
    return None


def _shared(needs: list[int], wants: list[int], spare: int) -> list[int]:
    widths = list(needs)
    waiting = sorted(range(len(needs)), key=lambda k: wants[k] - needs[k])
    for n, k in enumerate(waiting):
        given = min(wants[k] - needs[k], spare // (len(waiting) - n))
        widths[k] += given
        spare -= given
    return widths
