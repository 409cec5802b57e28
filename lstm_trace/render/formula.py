"""A judged formula: the verdict, the derived form, and where a wrong one differs."""

from __future__ import annotations

import json
import math

import sympy as sp

from ..grading.formula import Judgement
from ..refs import ref_of
from .equations import EquationPrinter
from .text import name_of


def _side(expr: sp.Basic) -> str:
    return EquationPrinter(step=None).doprint(expr)


def _lhs(j: Judgement) -> str:
    return "∂E/∂" + name_of(j.of, None) if j.of is not None else name_of(ref_of(j.lhs), None)


def _point(j: Judgement) -> dict[str, float]:
    assert j.counterexample is not None
    return {name_of(ref_of(s), None): v for s, v in j.counterexample["at"].items()}


def _value(x: float, whose: str, verb: str) -> str:
    """'yours 0.3', or what a value that is no number means: undefined (0/0, log of a negative) or ±∞."""
    if math.isnan(x):
        return f"{whose} is undefined there (not a real number)"
    if math.isinf(x):
        return f"{whose} is {'−' if x < 0 else ''}∞ there (it divides by zero or overflows)"
    return f"{whose}{verb} {x:.6g}"


def _finite(x: float) -> float | None:
    """JSON has no NaN or ∞: null stands for a value that is no finite number."""
    return x if math.isfinite(x) else None


def render_formula_text(j: Judgement) -> str:
    lhs = _lhs(j)
    if j.verdict == "correct":
        return f"correct: {lhs} = {_side(j.given)}\n(the derived form: {lhs} = {_side(j.expected)})\n"
    assert j.counterexample is not None
    at = ", ".join(f"{k} = {v:g}" for k, v in _point(j).items())
    ce = j.counterexample
    derived, yours = _value(ce["expected"], "the derived form", " gives"), _value(ce["given"], "yours", "")
    return (
        f"wrong:   {lhs} = {_side(j.given)}\n"
        f"derived: {lhs} = {_side(j.expected)}\n"
        f"They differ at {at}: {derived}, {yours}.\n"
    )


def render_formula_json(j: Judgement) -> str:
    lhs = _lhs(j)
    ce = None
    if j.counterexample is not None:
        given, expected = j.counterexample["given"], j.counterexample["expected"]
        ce = {"at": _point(j), "expected": _finite(expected), "given": _finite(given)}
    return json.dumps(
        {
            "verdict": j.verdict,
            "quantity": lhs,
            "expected": f"{lhs} = {_side(j.expected)}",
            "given": f"{lhs} = {_side(j.given)}",
            "counterexample": ce,
        },
        indent=1,
        ensure_ascii=False,
    )
