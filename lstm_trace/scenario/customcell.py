"""A cell the user writes (model: {cell: custom, equations: …}), read into a form the deriver takes.

Each equation is hand-written maths (exprtext.py: parsed, never run). Its names say what they are: a
name with a time suffix is a quantity (x_t, out_{t-1}, a_t), one without is a parameter given under
`parameters:`. A 2-D parameter times a quantity (W_a·x_t) is a matrix product; a sum holding such
products is a pre-activation, written as an equation of its own (za_t = W_a·x_t + U_a·out_{t-1} + b_a)
and read back where it stood, as the built-in cells are written. The result is plain data (a tree of
lists), so the symbolic layer builds the cell from it without a second reading, and the cache keys on it.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..exprtext import ExprError, parse, split_name
from ..names import did_you_mean
from . import steps
from .yamlio import Document

FUNCTIONS = ("tanh", "sigmoid", "relu")
EQUATION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# a parameter's name: letters and digits, parts joined by _, none all digits (W_a, U2, b_hn; not W_0)
PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*")
# names the tool gives: the input, the loss's, the output layer's (s, y, V, c), the sizes, λ and ε, the
# stacked gates; c_t and h_t are read as state_t and out_t (the c/h notation)
RESERVED = {"x", "label", "upstream", "E", "s", "y", "V", "c", "h", "H", "D", "K", "lr", "eps", "gates", "dgates"}
MAX_EQUATIONS, MAX_DEPTH = 16, 12  # a cell a student works by hand; its derivation stays seconds
Tree = list[Any]


class _Reader:
    """One equation's text as a tree; a pre-activation split off as an equation of its own."""

    def __init__(self, name: str, text: str, arrays: dict[str, np.ndarray], names: list[str], fail: Any) -> None:
        self.name, self.text, self.arrays = name, text, arrays
        self.earlier, self.names = names[: names.index(name)], names
        self.linear: list[tuple[str, Tree]] = []
        self.uses: dict[str, str] = {}  # a matrix: what it multiplies ("HxD" for x_t, "HxH" for a quantity)
        self.reads: set[tuple[str, int]] = set()
        self.used: set[str] = set()  # the parameters it reads
        self._fail = fail

    def fail(self, node: ast.AST, message: str) -> Exception:
        width = (getattr(node, "end_col_offset", None) or node.col_offset + 1) - node.col_offset  # type: ignore[attr-defined]
        return self._fail(ExprError(node.col_offset, width, message))  # type: ignore[attr-defined]

    def quantity(self, node: ast.Name) -> tuple[str, int]:
        base, shift = split_name(node.id)
        assert shift is not None
        if not (base == "x" and shift == 0) and base not in self.names:
            near = did_you_mean(base, [*self.names, "x"])
            raise self.fail(node, f"unknown quantity {base}_t: the equations define {', '.join(self.names)}{near}")
        if shift not in (0, -1) or (base == "x" and shift) or (shift == 0 and base != "x" and base not in self.earlier):
            why = "is computed after it" if shift == 0 and base in self.names else "is not this step's or the last"
            written = self.text[node.col_offset : node.end_col_offset]  # type: ignore[attr-defined]
            raise self.fail(
                node, f"{self.name}_t reads this step's earlier quantities and the step before; {written} {why}"
            )
        self.reads.add((base, shift))
        return base, shift

    def tree(self, node: ast.AST) -> Tree:
        """The elementwise tree of node; a sum with matrix products is a pre-activation of its own."""
        terms = self._terms(node, 1)
        if any(self._product(t) for _, t in terms):
            linear = [(s, t) for s, t in terms if self._product(t) or self._vector(t)]
            group = f"z{self.name}" + (str(len(self.linear) + 1) if self.linear else "")
            lsum = [["lneg", self._linear(t)] if s < 0 else self._linear(t) for s, t in linear]
            plain = [t[1] if t[0] == "lneg" else t for t in lsum]
            twice = next((t for k, t in enumerate(linear) if plain[k] in plain[:k]), None)
            if twice is not None:  # W·x_t − W·x_t would leave W no gradient: one term, written once
                raise self.fail(twice[1], "this term is in the sum twice: write it once")
            self.linear.append((group, ["lsum", *lsum]))
            rest = [["neg", self.tree(t)] if s < 0 else self.tree(t) for s, t in terms if (s, t) not in linear]
            return ["add", ["q", group, 0], *rest] if rest else ["q", group, 0]
        if isinstance(node, ast.BinOp):
            kind = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}.get(type(node.op))
            if kind is None:
                raise self.fail(node, "@ multiplies a parameter matrix by a quantity: W_a @ x_t")
            return [kind, self.tree(node.left), node.right.value if kind == "pow" else self.tree(node.right)]  # type: ignore[attr-defined]
        if isinstance(node, ast.UnaryOp):
            inner = self.tree(node.operand)
            return ["neg", inner] if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Constant):
            return ["num", float(node.value)]
        if isinstance(node, ast.Call):
            return ["call", node.func.id, self.tree(node.args[0])]  # type: ignore[attr-defined]
        assert isinstance(node, ast.Name)
        if split_name(node.id)[1] is not None:
            if split_name(node.id)[0] == "x":
                raise self.fail(node, "x_t enters a cell through a matrix (W·x_t): it has D entries, the cell's H")
            return ["q", *self.quantity(node)]
        if node.id in ("V", "c"):
            raise self.fail(
                node, f"{node.id} is the softmax output layer's: give the cell's own parameter another name"
            )
        if node.id not in self.arrays:
            near = did_you_mean(node.id, list(self.arrays))
            raise self.fail(node, f"unknown parameter {node.id}: give it under parameters{near}")
        if self.arrays[node.id].ndim == 2:
            raise self.fail(node, f"{node.id} is a matrix: it multiplies a quantity ({node.id}·x_t)")
        self.used.add(node.id)
        return ["p", node.id]

    def _terms(self, node: ast.AST, sign: int) -> list[tuple[int, ast.AST]]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            return self._terms(node.left, sign) + self._terms(
                node.right, sign if isinstance(node.op, ast.Add) else -sign
            )
        return [(sign, node)]

    def _product(self, node: ast.AST) -> bool:
        left = getattr(node, "left", None)
        is_matrix = isinstance(left, ast.Name) and left.id in self.arrays and self.arrays[left.id].ndim == 2
        return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.MatMult) and is_matrix

    def _vector(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in self.arrays and self.arrays[node.id].ndim == 1

    def _linear(self, node: ast.AST) -> Tree:
        if self._vector(node):
            self.used.add(node.id)  # type: ignore[attr-defined]
            return ["vec", node.id]  # type: ignore[attr-defined]
        w, v = node.left, node.right  # type: ignore[attr-defined]
        self.used.add(w.id)
        if not isinstance(v, ast.Name) or split_name(v.id)[1] is None:
            raise self.fail(v, f"{w.id} multiplies one quantity (x_t, out_{{t-1}}, a_t): write an equation for more")
        base, shift = self.quantity(v)
        use = "HxD" if base == "x" else "HxH"
        if self.uses.setdefault(w.id, use) != use:
            raise self.fail(node, f"{w.id} multiplies both x_t and a hidden quantity: give each its own matrix")
        return ["mat", w.id, base, shift]


def read(model: Any, raw: dict, doc: Document, width: int) -> tuple[dict[str, np.ndarray], int, str]:
    """The parameters (a mapping W_a: …, or W: {a: …} for W_a), H, and the cell as the option text."""
    equations = model.equations or {}
    names = list(equations)
    arrays = _arrays(raw, doc, names)
    if len(names) > MAX_EQUATIONS:
        raise doc.error(("model", "equations"), f"a custom cell has at most {MAX_EQUATIONS} equations")
    if "out" not in equations:
        raise doc.error(("model", "equations"), "missing: out (the cell's output, which the loss reads)")
    eqs, uses, reads, used = [], {}, set(), set()
    for name, text in equations.items():
        where = ("model", "equations", name)
        _check_name(name, names, where, doc)
        try:
            node = parse(text, FUNCTIONS, MAX_DEPTH)
        except ExprError as e:
            raise _at(doc, where, text, e) from None
        r = _Reader(name, text, arrays, names, lambda e, w=where, t=text: _at(doc, w, t, e))
        tree = r.tree(node)
        eqs += [[g, "linear", t] for g, t in r.linear] + [[name, "elementwise", tree]]
        for k, v in r.uses.items():
            if uses.setdefault(k, v) != v:
                raise doc.error(where, f"{k} multiplies both x_t and a hidden quantity: give each its own matrix")
        reads |= r.reads
        used |= r.used
    H = _sizes(arrays, uses, width, doc)  # noqa: N806
    unused = [k for k in arrays if k not in used]
    if unused:
        raise doc.error(("parameters", unused[0]), f"{unused[0]} is in no equation of the cell", at_key=True)
    recurrent = [n for n in names if (n, -1) in reads]
    dims = {k: uses.get(k, "H") for k in arrays}
    spec = {"equations": eqs, "params": dims, "recurrent": recurrent, "gates": _gates(names, dims)}
    spec["written"] = dict(equations)
    return arrays, H, json.dumps(spec, separators=(",", ":"))


def _at(doc: Document, where: tuple, text: str, e: ExprError) -> ScenarioError:
    """The error at its own column in the file (one line: the file's line and column point at it)."""
    line, col = doc.where(where)
    written = doc.texts.get(where, "")
    if line is not None and col is not None and "\n" not in written:
        col += e.column + (1 if written[:1] in ("'", '"') else 0)
    part = text[e.column : e.column + max(1, e.width)]
    message = (
        f"cannot read the equation at {part!r}: {e.message}"
        if part.strip()
        else f"cannot read the equation: {e.message}"
    )
    return ScenarioError(message, file=doc.file, line=line, column=col, path=where)


def _check_name(name: str, names: list[str], where: tuple, doc: Document) -> None:
    if not EQUATION_NAME.fullmatch(name) or name in RESERVED or name[0] in "dD":
        why = "a letter then letters or digits, not starting with d or D (δ's names)"
        taken = ", ".join(sorted(RESERVED))
        raise doc.error(where, f"{name!r} cannot name a quantity: {why}, and not one of {taken}", at_key=True)
    z = re.fullmatch(r"z(.+?)\d*", name)
    if z and z[1] in names:
        raise doc.error(where, f"{name} is the name of {z[1]}'s pre-activation: choose another", at_key=True)


def _parameter_name(name: str, names: list[str]) -> bool:
    """Whether a parameter may have this name: none the tool gives a value (x_0, E, W_new, dW, cache_W, out)."""
    taken = name in RESERVED or name in names or any(name.startswith(f"z{n}") for n in names)
    made = name[0] in "dD" or name.startswith("cache_") or name.endswith("_new") or split_name(name)[1] is not None
    return bool(PARAMETER_NAME.fullmatch(name)) and not taken and not made


def _arrays(raw: dict, doc: Document, names: list[str]) -> dict[str, np.ndarray]:
    out = {}
    for key, value in raw.items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for gate, v in items:
            name, path = (key, ("parameters", key)) if gate is None else (f"{key}_{gate}", ("parameters", key, gate))
            if not _parameter_name(name, names):
                why = (
                    "letters and digits joined by _, no time suffix, not starting with d or D (δ's names) or "
                    "cache_, not ending in _new, and no name a quantity or the tool has"
                )
                raise doc.error(path, f"{name!r} cannot name a parameter: {why}", at_key=True)
            arr = steps.array(v, path, doc)
            if arr.ndim not in (1, 2):
                raise doc.error(path, f"expected {name} to be a vector or a matrix")
            out[name] = arr
    return out


def _sizes(arrays: dict[str, np.ndarray], uses: dict[str, str], D: int, doc: Document) -> int:  # noqa: N803
    """H, from the first parameter; every parameter checked against H and D."""
    first = next(iter(arrays.values()), None)
    if first is None:
        raise doc.error(("parameters",), "a custom cell needs parameters")
    H = first.shape[0]  # noqa: N806
    for k, arr in arrays.items():
        want = (H,) if arr.ndim == 1 else (H, D if uses.get(k) == "HxD" else H)
        steps.check(
            arr,
            want,
            f"{k} ({'H entries' if arr.ndim == 1 else uses.get(k, 'HxH').replace('x', '×')})",
            ("parameters", k),
            doc,
        )
    return H


def _gates(names: list[str], dims: dict[str, str]) -> list[str]:
    """The gates whose W_g, U_g (and b_g) stack as the built-in cells' do, in the equations' order."""
    gates = [g for g in names if dims.get(f"W_{g}") == "HxD" and dims.get(f"U_{g}") == "HxH"]
    if len({f"b_{g}" in dims for g in gates}) > 1 or "z" in names:  # (stacked, they would be z_t)
        return []
    return gates
