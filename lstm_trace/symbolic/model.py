"""A derived model's equations, as the run path needs them: names and kinds now, sympy later.

derive.py builds Equations and Models from sympy expressions. The cache stores them with
their expressions pickled apart, so that a process that only traces and prints (from
compiled code and printed templates, also cached) never imports sympy: an Equation's
expr, and a Model's cell, are unpickled the first time something reads them.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy as sp

    from .cells.base import Cell


class _Deferred:
    """Fields kept pickled until first read (then sympy is imported by unpickling them)."""

    DEFERRED: tuple[str, ...] = ()

    def __getattr__(self, attr: str) -> Any:  # only called for an attribute not yet set
        blob = self.__dict__.get("_blob")
        if blob is None or attr not in self.DEFERRED:
            raise AttributeError(attr)
        for k, v in zip(self.DEFERRED, pickle.loads(blob), strict=True):  # noqa: S301 - from our own cache entry
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_blob", None)
        return self.__dict__[attr]

    def __reduce__(self) -> tuple:
        light = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self.DEFERRED}  # type: ignore[arg-type]
        light.update({k: v for k, v in self.__dict__.items() if k.startswith("_") and k != "_blob"})
        blob = pickle.dumps(tuple(getattr(self, k) for k in self.DEFERRED), protocol=pickle.HIGHEST_PROTOCOL)
        return _restore, (type(self), light, blob)


def _restore(cls: type, light: dict[str, Any], blob: bytes) -> Any:
    obj = object.__new__(cls)
    obj.__dict__.update(light, _blob=blob)
    return obj


@dataclass(frozen=True, eq=False)
class Equation(_Deferred):
    """name_{t+shift} = expr, evaluated at step t (shift is -1 for Δout_{t-1}).

    kind: "elementwise" (one unit, sympy scalars), "linear" (matrix symbols),
    or "sum" (a parameter gradient: Σ_t of a per-step linear or elementwise term).
    stacked: the same equation over all four gates at once, where it exists.

    Two equations are equal when their names, kinds, shifts and expressions are
    (compared by sympy's srepr, taken once when the equation is made).
    """

    DEFERRED = ("expr", "stacked")

    name: str
    expr: sp.Basic
    kind: str
    shift: int = 0
    stacked: sp.Basic | None = None

    def __post_init__(self) -> None:
        from sympy import srepr

        object.__setattr__(self, "_identity", (self.name, self.kind, self.shift, srepr(self.expr), srepr(self.stacked)))
        object.__setattr__(self, "_has_stacked", self.stacked is not None)

    @property
    def has_stacked(self) -> bool:
        """Whether a stacked form exists (known without reading it)."""
        return self._has_stacked  # type: ignore[attr-defined, no-any-return]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Equation) and self._identity == other._identity  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._identity)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Model(_Deferred):
    DEFERRED = ("cell", "activation_adjoints")

    cell: Cell
    loss: str
    linear: tuple[Equation, ...]  # pre-activations z_g (stacked: W·x + U·out + b)
    forward: tuple[Equation, ...]  # a, i, f, o, state, out in order
    loss_eq: Equation  # E_t, summed over units
    backward: tuple[Equation, ...]  # in evaluation order within one step
    gradients: tuple[Equation, ...]  # one per parameter, Σ over t
    update: tuple[Equation, ...]  # p_new = p − λ·δp (and an optimizer's own state, such as Adagrad's cache)
    # ∂E/∂v_t of each inlined quantity (a gate's activation): ∂E/∂a_t = δstate_t ⊙ i_t
    activation_adjoints: tuple[tuple[str, sp.Expr], ...] = ()
    head: tuple[Equation, ...] = field(default=())  # an output layer: s_t = V·out_t + c, y_t = softmax(s_t)
    # a bidirectional network's sweeps (cells/layers.py): each one's forward equations by name and its direction
    # in time (+1, or -1 from the last step back), the output layer's last; the backward pass's, in the order
    # they run (each the other way in time); the two outputs' suffixes, whose halves of a label the loss reads
    sweeps: tuple[tuple[tuple[str, ...], int], ...] = ()
    back_sweeps: tuple[tuple[str, ...], ...] = ()
    outputs: tuple[str, ...] = ()

    def equations(self) -> tuple[Equation, ...]:
        """Every equation, in the order a worked solution writes them."""
        return (*self.linear, *self.forward, *self.head, self.loss_eq, *self.backward, *self.gradients, *self.update)

    def forms(self) -> Iterator[tuple[Equation, bool]]:
        """Every equation a trace, a check or an explanation evaluates, plain and stacked."""
        for eq in (*self.linear, *self.forward, *self.head, self.loss_eq, *self.backward, *self.gradients):
            yield eq, False
            if eq.has_stacked:
                yield eq, True
        for eq in self.update:
            yield eq, False
