"""A step's matrix-vector products grouped by the vector they multiply (used by numeric/stepcode.py).

A stacked or bidirectional LSTM writes each gate's pre-activation alone, z_g = U_g·out_{t-1} + W_g·x_t + b_g,
and a GRU's r, z and ĥn each read U_g·out_{t-1}: three or four matrix-vector products of one vector a step,
where a hand-written loop makes one, [U_a; U_i; U_f; U_o]·out_{t-1}. Here the products M·v of a step's linear
calls (M a parameter, v a step's vector) that multiply one vector are made as one product of the matrices
stacked, made before the loop; each call then reads its block of it, its own sum kept in its order. A call's
products Mᵀ·v going back (Δout = Σ_g U_gᵀ·δg, or the LSTM's one Uᵀ·δgates_t) are one product of the transpose
copied to rows once. A value is its equation to within the products' rounding (tests/test_engine_speed.py).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..symbolic.codegen import Compiled, function, source_of
from ..symbolic.fusing import names_read
from .allsteps import sum_of

Ref = tuple[str, int]  # (base, shift) of a step's vector


class Group(NamedTuple):
    """Products made as one: M_1·v, M_2·v, … of one vector v as [M_1; M_2; …]·v, each call reading its block
    (vectors: (v,)); or a call's M_1ᵀ·v_1 + M_2ᵀ·v_2 + … as [M_1; M_2; …]ᵀ·[v_1; v_2; …] (transposed, vectors
    one per matrix). matrices: each (call k, its argument j), in block order."""

    vectors: tuple[Ref, ...]
    matrices: tuple[tuple[int, int], ...]
    transposed: bool = False


class Rewritten(NamedTuple):
    """A call's function with its grouped products as arguments: each parameter ("arg", j) the call's own
    argument j, ("block", g, m) block m of group g's product, or ("sum", g) group g's transposed product;
    alone: the function returns its one parameter as it is (the call is that product and nothing more)."""

    fn: Callable[..., Any]
    params: tuple[tuple, ...]
    alone: bool = False


def in_loop(calls: list[tuple[Compiled, tuple]], later: frozenset[int], hoisted: tuple) -> dict[int, Compiled]:
    """Each call's function a pass's loop calls (stepcode.py): its own, or its terms made in the loop (a
    hoisted call's, allsteps.hoisted); none for what the loop does not make (later, wholly hoisted)."""
    made = dict(hoisted)
    out = {}
    for k, (c, _) in enumerate(calls):
        inner = made.get(k, c)
        if k not in later and inner is not None:
            out[k] = inner
    return out


def grouped(fns: dict[int, Compiled]) -> tuple[dict[int, Rewritten], tuple[Group, ...]]:
    """Of the linear calls among fns: the products M·v that two or more of their terms make of one vector v,
    and the sums of products Mᵀ·v within a call, one or more (a backward step's Δout = Σ_g U_gᵀ·δg), as
    groups; each call that makes one, rewritten to read them."""
    parsed, by_vector, groups = {}, {}, []  # type: ignore[var-annotated]
    places: dict[tuple[int, int], tuple] = {}  # (call, term) -> ("block", g, m) or ("sum", g) (its first term)
    for k in sorted(fns):
        found = sum_of(fns[k])
        if found is None:
            continue
        params, terms = parsed[k] = found
        plan = fns[k].plan  # type: ignore[attr-defined]
        ups = [(i, f) for i, t in enumerate(terms) if (f := _product(t, params, plan, True)) is not None]
        if ups:  # one or more Mᵀ·v: one product of the transpose copied to rows (stepsource.Source.stacked)
            places.update({(k, i): ("sum", len(groups)) if n == 0 else ("drop",) for n, (i, _) in enumerate(ups)})
            groups.append(Group(tuple(f[1] for _, f in ups), tuple((k, f[0]) for _, f in ups), True))
        for i, term in enumerate(terms):
            f = _product(term, params, plan, False)
            if f is not None:
                by_vector.setdefault(f[1], []).append((k, i, f[0]))
    for v, members in by_vector.items():
        if len(members) > 1:
            places.update({(k, i): ("block", len(groups), m) for m, (k, i, _) in enumerate(members)})
            groups.append(Group((v,), tuple((k, j) for k, _, j in members)))
    rewritten = {}
    for k, (params, terms) in parsed.items():
        if any((k, i) in places for i in range(len(terms))):
            rewritten[k] = _rewrite(params, terms, [places.get((k, i)) for i in range(len(terms))])
    return rewritten, tuple(groups)


def _product(term: ast.expr, params: list[str], plan: tuple, transposed: bool) -> tuple[int, Ref] | None:
    """(the matrix's argument index, the vector) of a term M.dot(v) (transposed: M.T.dot(v)), M a parameter and
    v a step's vector."""
    if not (isinstance(term, ast.Call) and isinstance(term.func, ast.Attribute) and term.func.attr == "dot"):
        return None
    m, args = term.func.value, term.args
    if transposed:
        if not (isinstance(m, ast.Attribute) and m.attr == "T"):
            return None
        m = m.value
    if not (isinstance(m, ast.Name) and len(args) == 1 and isinstance(args[0], ast.Name) and not term.keywords):
        return None
    j, v = params.index(m.id), params.index(args[0].id)
    if plan[j][1] is not None or plan[v][1] is None:
        return None
    return j, (plan[v][0], plan[v][1])


def _rewrite(params: list[str], terms: list[ast.expr], places: list[tuple | None]) -> Rewritten:
    """The sum of terms, each grouped product (or a transposed group's sum, at its first term's place) read as
    an argument of its own, in the terms' order."""
    body: ast.expr | None = None
    names: list[tuple[str, tuple]] = []
    for term, place in zip(terms, places, strict=True):
        if place == ("drop",):
            continue
        if place is not None:
            names.append(("_" + "_".join(map(str, place)), place))
            term = ast.Name(names[-1][0], ast.Load())  # noqa: PLW2901
        body = term if body is None else ast.BinOp(body, ast.Add(), term)
    used = names_read(body)  # type: ignore[arg-type]
    own = [(j, p) for j, p in enumerate(params) if p in used]
    signature = [p for _, p in own] + [n for n, _ in names]
    source = source_of("_lambdifygenerated_blocks", signature, [ast.Return(body)])  # type: ignore[arg-type]
    params = tuple([("arg", j) for j, _ in own] + [place for _, place in names])
    return Rewritten(function(source), params, isinstance(body, ast.Name) and len(params) == 1)


def offsets(matrices: tuple[np.ndarray, ...]) -> list[int]:
    """Where each matrix's block starts in the stacked product, and where the last ends."""
    out = [0]
    for m in matrices:
        out.append(out[-1] + m.shape[0])
    return out
