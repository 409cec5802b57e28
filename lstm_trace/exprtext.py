"""Maths as hand-written text, read into Python's ast without running it: a cell's equations in a scenario.

A few hand-written symbols are rewritten into Python tokens (a map back to the original columns kept,
for the caret of an error): `out_{t-1}` is the name `out__tm1_`, `x_t` stays `x_t`, ⊙ and · are `*`,
− is `-`, ² is `**2`, σ is `sigmoid`. Python's `ast` parses the result and a whitelist of node types is
checked (names, numbers, + − * / ** @, calls of the allowed functions); nothing is evaluated.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

TIME = re.compile(r"_\{\s*t\s*(?:([+\-−])\s*(\d+))?\s*\}")
NAME = re.compile(r"(.+?)(?:__t(?:([pm])(\d+))?_|_t(?:([pm])(\d+))?)$")
MAX_CHARS, MAX_PARTS, MAX_DEPTH = 500, 200, 32
OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)


@dataclass
class ExprError(Exception):
    """Where the text cannot be read: the column, how many characters, and why."""

    column: int
    width: int
    message: str

    def caret(self, text: str) -> str:
        """The text with a caret under the part at fault."""
        return f"  {text}\n  {' ' * self.column}{'^' * max(1, self.width)}"


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def rewrite(text: str, extra: tuple[Rule, ...] = ()) -> tuple[str, list[int]]:
    """Hand-written maths as Python tokens, and for each new character the column it came from; extra:
    a reader's own rules, tried before the common ones (check-formula's tanh²( and ∂)."""
    rules = [
        (TIME, lambda m: "__t" + ("" if m[1] is None else ("p" if m[1] == "+" else "m") + m[2]) + "_"),  # _{t+1}
        *extra,
        (re.compile("²"), lambda m: "**2"),
        (re.compile("[⊙·×]"), lambda m: "*"),
        (re.compile("−"), lambda m: "-"),
        (re.compile("σ"), lambda m: "sigmoid"),
    ]
    out, origin, k = [], [], 0
    while k < len(text):
        for rx, fn in rules:
            m = rx.match(text, k)
            if m:
                new = fn(m)
                out.append(new)
                origin += [k] * len(new)
                k = m.end()
                break
        else:
            out.append(text[k])
            origin.append(k)
            k += 1
    origin.append(len(text))
    return "".join(out), origin


def split_name(name: str) -> tuple[str, int | None]:
    """out__tm1_ -> ("out", -1); x_t -> ("x", 0); W_a (no time suffix: a parameter) -> ("W_a", None)."""
    m = NAME.fullmatch(name)
    if m is None:
        return name, None
    sign, k = (m[2], m[3]) if m[2] else (m[4], m[5])
    return m[1], 0 if sign is None else (int(k) if sign == "p" else -int(k))


def parse(text: str, functions: tuple[str, ...], depth: int = MAX_DEPTH) -> ast.expr:
    """The expression's tree, every node checked against the whitelist; ExprError (in the text's own
    columns) where it is not allowed."""
    if len(text) > MAX_CHARS:
        raise ExprError(MAX_CHARS, len(text) - MAX_CHARS, f"an equation is at most {MAX_CHARS} characters")
    src, origin = rewrite(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(src.strip() or "?", mode="eval")
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL character
        col = (getattr(exc, "offset", 1) or 1) - 1 + (len(src) - len(src.lstrip()))
        raise ExprError(origin[min(col, len(origin) - 1)], 1, str(exc.args[0])) from None
    lead = len(src) - len(src.lstrip())

    def at(node: ast.AST, message: str) -> ExprError:
        col, end = node.col_offset + lead, (node.end_col_offset or node.col_offset + 1) + lead  # type: ignore[attr-defined]
        start, stop = origin[min(col, len(origin) - 1)], origin[min(end, len(origin) - 1)]
        return ExprError(start, stop - start, message)

    parts = [n for n in ast.walk(tree.body) if isinstance(n, ast.expr)]
    if len(parts) > MAX_PARTS:
        raise at(tree.body, f"the equation is too long: more than {MAX_PARTS} names, numbers and operations")
    _check(tree.body, functions, at, 0, depth)
    for n in ast.walk(tree.body):  # the columns in the text's own terms, for a later error
        if hasattr(n, "col_offset"):
            e = at(n, "")
            n.col_offset, n.end_col_offset = e.column, e.column + e.width  # type: ignore[attr-defined]
    return tree.body


def _check(node: ast.AST, functions: tuple[str, ...], at: object, depth: int, limit: int) -> None:  # noqa: C901
    fail = at  # (node, message) -> ExprError
    if depth > limit:
        raise fail(node, f"the equation nests more than {limit} operations")  # type: ignore[operator]
    if isinstance(node, ast.BinOp) and isinstance(node.op, OPERATORS):
        children: list[ast.AST] = [node.left, node.right]
        if isinstance(node.op, ast.Pow) and not (
            isinstance(node.right, ast.Constant) and node.right.value in range(1, 11)
        ):
            raise fail(node.right, "an exponent is a whole number from 1 to 10")  # type: ignore[operator]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        children = [node.operand]
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if not abs(node.value) <= 1e12:
            raise fail(node, "a number in an equation is at most 1e12 in size")  # type: ignore[operator]
        children = []
    elif isinstance(node, ast.Name):
        children = []
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in functions:
            what = f"unknown function {name!r}" if name else "only functions can be called"
            raise fail(node.func, f"{what}; the functions are {', '.join(functions)}")  # type: ignore[operator]
        if len(node.args) != 1 or node.keywords:
            raise fail(node, f"{name} takes one argument")  # type: ignore[operator]
        children = [node.args[0]]
    else:
        raise fail(node, f"{type(node).__name__} is not allowed in an equation; use + - * / ** and functions")  # type: ignore[operator]
    for child in children:
        _check(child, functions, at, depth + 1, limit)
