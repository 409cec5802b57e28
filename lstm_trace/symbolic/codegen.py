"""Equations as numpy functions: Python source generated once from sympy, loaded without it.

``generate`` (needs sympy) turns an equation into the source of a numpy function and
a description of its arguments; ``load`` (numpy only) executes that source in a
namespace holding numpy's functions and the few the cells add (σ, softmax, …).
The two halves meet in the derived-model cache (cache.py): a process that finds its
model there never runs lambdify.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

import numpy as np

from ..refs import SIZE_NAMES, Ref, ref_of, symbol_name
from .fusing import cheaper, grouped


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ = 1/(1 + e^{-x}), with e^{-x} taken at most e^{709} so that it never overflows.

    Five cheap numpy calls (the where(x ≥ 0, 1/(1 + e), e/(1 + e)) form took twice the time, its where the
    dearest) and within 1.2 ulp of the exact value wherever σ(x) is a normal float64 (tests/test_stepcode.py).
    Below x = -709, where σ(x) < 1.2e-308 leaves the normal range, it is 1/(1 + e^{709}) ≈ 1.2e-308."""
    return 1.0 / (1.0 + np.exp(np.minimum(np.negative(x), 709.0)))


def np_sigmoids(*xs: np.ndarray) -> tuple[np.ndarray, ...]:
    """σ of each of several arrays of one shape (a step's gates i, f, o), in one pass over them stacked:
    σ is elementwise, so each entry is the bits σ gives it alone; the results are views of one array."""
    shape = np.shape(xs[0])
    for x in xs:
        if type(x) is not np.ndarray or x.shape != shape or not shape:
            return tuple(np_sigmoid(x) for x in xs)
    n = shape[0]
    whole = np_sigmoid(np.concatenate(xs))
    return tuple([whole[k * n : (k + 1) * n] for k in range(len(xs))])


def np_softmax(s: np.ndarray) -> np.ndarray:
    """Over the units (axis 0), shifted by the largest so that no exponent overflows."""
    e = np.exp(s - np.max(s, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def np_logsumexp(s: np.ndarray) -> np.ndarray:
    """log Σ_k e^{s_k} over the units, the same for each unit (so it broadcasts back), without overflow."""
    m = np.max(s, axis=0, keepdims=True)
    return m + np.log(np.sum(np.exp(s - m), axis=0, keepdims=True))


def np_unitsum(v: np.ndarray) -> np.ndarray:
    return np.sum(v, axis=0, keepdims=True)


def np_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def np_step(x: np.ndarray) -> np.ndarray:
    """relu's derivative: 1 where x > 0, else 0 (0 at 0, as PyTorch takes it)."""
    return (np.asarray(x) > 0).astype(np.float64)


FUNCTIONS = {
    "sigmoid": np_sigmoid,
    "sigmoids": np_sigmoids,
    "softmax": np_softmax,
    "logsumexp": np_logsumexp,
    "unitsum": np_unitsum,
    "relu": np_relu,
    "step": np_step,
}


@dataclass(frozen=True)
class Arg:
    """One argument: the quantity it reads, and whether a vector is passed as a column."""

    ref: Ref
    column: bool


@dataclass(frozen=True)
class Compiled:
    """An equation as a numpy function.

    kind is the equation's ("elementwise", "linear", "sum"); cols, for a "sum", is 1 when the
    per-step term is a vector (Σ_t then sums the stacked columns) and -1 when it is a matrix.
    """

    kind: str
    args: tuple[Arg, ...]
    cols: int
    source: str
    fn: Callable[..., np.ndarray] = field(compare=False, repr=False)

    def __post_init__(self) -> None:  # the arguments as plain tuples, for the trace's per-step loop
        object.__setattr__(self, "plan", tuple((a.ref.base, a.ref.shift, a.column) for a in self.args))

    @property
    def spec(self) -> tuple[str, tuple[Arg, ...], int, str]:
        """What the cache stores: everything but the function, which load() rebuilds."""
        return self.kind, self.args, self.cols, self.source


def generate(expr: Any, kind: str, moving: frozenset[str] = frozenset()) -> tuple[str, tuple[Arg, ...], int, str]:
    """The source of a numpy function computing expr, with its arguments sorted by name; an elementwise one's
    products with their factors that read no quantity in moving grouped (fusing.grouped: a backward equation's,
    moving the backward pass's quantities)."""
    import sympy as sp

    syms = sorted(expr.atoms(sp.Symbol, sp.MatrixSymbol) - expr.atoms(sp.Dummy), key=lambda s: s.name)
    syms = [s for s in syms if s.name not in SIZE_NAMES]
    args = tuple(Arg(ref_of(s), isinstance(s, sp.MatrixSymbol) or kind == "sum") for s in syms)
    matrix = kind == "sum" and isinstance(expr, sp.MatrixExpr) and expr.shape[1] != 1
    code = source(syms, expr)
    if kind == "elementwise" and moving:
        code = _grouped(code, frozenset(s.name for s, a in zip(syms, args, strict=True) if a.ref.base in moving))
    return kind, args, -1 if matrix else 1, code


def _grouped(code: str, moving: frozenset[str]) -> str:
    fn = ast.parse(code).body[0]
    assert isinstance(fn, ast.FunctionDef)
    fn.body = grouped(fn.body, moving)
    return ast.unparse(ast.fix_missing_locations(fn)) + "\n"


def source(syms: list[Any], expr: Any) -> str:
    """lambdify's source for expr as a function of syms, in numpy.

    Only the source is wanted (function() supplies the names), so lambdify gets numpy's printer
    and an empty namespace: with modules="numpy" it would run 'from numpy import *' (0.1 s) first.
    """
    import inspect

    import sympy as sp
    from sympy.printing.numpy import NumPyPrinter

    printer = NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
    return inspect.getsource(sp.lambdify(syms, expr, modules=[{}], printer=printer, cse=True, docstring_limit=0))


def load(kind: str, args: tuple[Arg, ...], cols: int, source: str) -> Compiled:
    return Compiled(kind, args, cols, source, function(source))


def function(source: str, extra: dict[str, Any] | None = None) -> Callable[..., np.ndarray]:
    """Execute generated source with numpy's functions (and the cells' own, and extra) as its globals."""
    code = compile(source, "<lstm-trace equation>", "exec")
    namespace: dict[str, Any] = {**FUNCTIONS, **(extra or {})}
    for name in _names(code):
        if name not in namespace and not hasattr(builtins, name) and hasattr(np, name):
            namespace[name] = getattr(np, name)
    exec(code, namespace)  # noqa: S102 - source generated by lambdify from our own equations
    return next(v for k, v in namespace.items() if k.startswith("_lambdifygenerated"))


ACROSS_UNITS = frozenset({"softmax", "logsumexp", "unitsum"})  # the functions that read a vector's every unit


def unitwise(c: Compiled) -> bool:
    """Whether c's value at a unit reads only that unit's values (no softmax, logsumexp or sum over the units,
    no matrix product): it gives the same bits evaluated on the steps stacked as rows as in columns."""
    return c.kind == "elementwise" and not _names(c.fn.__code__) & ACROSS_UNITS


def _names(code: CodeType) -> set[str]:
    out = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            out |= _names(const)
    return out


def fuse(parts: list[tuple[Ref, Compiled]]) -> Compiled:
    """Consecutive elementwise equations as one function returning a tuple, in order.

    Each part's generated body is inlined (its temporaries renamed apart) and its result
    assigned to its output's name, which a later part reads as it would read an argument:
    a step's a, i, f, o, state and out become one call instead of six. Arguments are the
    parts' arguments not produced within; the arithmetic is each part's own, unchanged.
    """
    body: list[ast.stmt] = []
    produced: list[str] = []
    args: dict[str, Arg] = {}
    for k, (out, c) in enumerate(parts):
        assert c.kind == "elementwise", c.kind
        fn = ast.parse(c.source).body[0]
        assert isinstance(fn, ast.FunctionDef)
        for a, param in zip(c.args, fn.args.args, strict=True):
            if param.arg not in produced:
                args.setdefault(param.arg, a)
        statements = [st for st in fn.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
        local = {t.id for st in statements if isinstance(st, ast.Assign) for t in st.targets if isinstance(t, ast.Name)}
        for st in statements:  # cse's temporaries (x0, x1, …) renamed apart from the other parts'
            for node in ast.walk(st):
                if isinstance(node, ast.Name) and node.id in local:
                    node.id = f"_{k}_{node.id}"
        *steps, ret = statements
        assert isinstance(ret, ast.Return) and ret.value is not None
        name = symbol_name(out)
        body += [*steps, ast.Assign(targets=[ast.Name(name, ast.Store())], value=ret.value, lineno=0)]
        produced.append(name)
    body = cheaper(body)
    body.append(ast.Return(ast.Tuple([ast.Name(n, ast.Load()) for n in produced], ast.Load())))
    return load("fused", tuple(args.values()), 1, source_of("_lambdifygenerated_fused", list(args), body))


def source_of(name: str, params: list[str], body: list[ast.stmt]) -> str:
    """The source of def name(params): body, for code generated from an equation's own (function() loads it)."""
    signature = ast.arguments(
        posonlyargs=[], args=[ast.arg(p) for p in params], kwonlyargs=[], kw_defaults=[], defaults=[]
    )
    fn = ast.FunctionDef(name, signature, body, decorator_list=[], lineno=0)
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=[fn], type_ignores=[])))


Fetch = Callable[[Ref, int], np.ndarray]


def call(c: Compiled, fetch: Fetch, step: int, T: int, columns: dict[Ref, np.ndarray] | None = None) -> np.ndarray:  # noqa: N803
    """Evaluate at a step, reading each argument through fetch.

    A "sum" (a parameter gradient) is evaluated once over all steps:
    Σ_t g_t ⊗ x_t = [g_0 … g_T]·[x_0 … x_T]ᵀ, and Σ_t g_t sums the columns.
    columns: where the stacked steps of a quantity are kept for the next sum that reads them.
    """
    vals = []
    for a in c.args:
        if c.kind == "sum" and a.ref.shift is not None:
            v = None if columns is None else columns.get(a.ref)
            if v is None:
                v = np.stack([fetch(a.ref, t) for t in range(T)], axis=1)
                if columns is not None:
                    columns[a.ref] = v
        else:
            v = fetch(a.ref, step)
            if a.column and v.ndim == 1:
                v = v.reshape(-1, 1)  # a column, also beside the steps of a Σ_t (P_i ⊙ [state_0 … state_T])
        vals.append(v)
    out = np.asarray(c.fn(*vals), dtype=np.float64)
    if c.kind == "sum":
        return out.sum(axis=1) if c.cols == 1 else out
    return out.ravel() if c.kind == "linear" else out
