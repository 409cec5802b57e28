"""The sequence as courses set it: labels, or given upstream gradients (dout), or neither (forward only);
one sequence, or a batch of N sharing the parameters (each step's x is then N×D)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .messages import show
from .yamlio import Document, Path


class Steps(NamedTuple):
    x: np.ndarray  # (T, D), or (N, T, D) for a batch
    label: np.ndarray  # (T, H) or (T, K); the dout of loss "upstream"; (N, T, ·) for a batch
    loss: str  # l2, cross_entropy, upstream (every step gives dout) or none (forward only)
    batch: int  # N, or 0 without a batch axis


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if len(shape) > 1 else f"{shape[0]} entries"


def check(arr: np.ndarray, shape: tuple[int, ...], what: str, path: Path, doc: Document) -> None:
    if arr.shape != shape:
        hint = " (the transpose would fit)" if arr.ndim == 2 and arr.shape[::-1] == shape else ""
        raise doc.error(path, f"expected {what} to be {_dims(shape)}, found {_dims(arr.shape)}{hint}")


def array(value: Any, path: Path, doc: Document) -> np.ndarray:
    """A number, vector or matrix from the file; a row unlike the one before it is the file's error, named
    by its place (parameters, inputs, labels, gradients and states alike)."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        for k, row in enumerate(value[1:], start=1):
            if not isinstance(row, list) or len(row) != len(value[0]):
                found = len(row) if isinstance(row, list) else "a number"
                raise doc.error(path + (k,), f"expected {len(value[0])} entries like the row before, found {found}")
    bad = _not_a_number(value)
    if bad is not None:  # what pydantic's strict numbers refuse, for what is read without it (a custom cell's)
        raise doc.error(path, f"expected numbers, found {show(bad)}")
    try:
        return np.array(value, np.float64)
    except (ValueError, TypeError):
        raise doc.error(path, f"expected numbers, found {show(value)}") from None


def _not_a_number(value: Any) -> Any:
    """The first leaf that is not an int or a float (a boolean, a string, nothing), or None."""
    if isinstance(value, list):
        return next((b for b in map(_not_a_number, value) if b is not None), None)
    ok = isinstance(value, int | float | np.number | np.ndarray) and not isinstance(value, bool | np.bool_)
    return None if ok else (value if value is not None else "nothing (null)")


def _loss(spec: Any, doc: Document) -> str:
    """The loss the steps ask for: dout on every step is a given upstream gradient (no loss to name)."""
    both = next((t for t, s in enumerate(spec.sequence) if s.dout is not None and s.label is not None), None)
    if both is not None:
        raise doc.error(("sequence", both, "dout"), "a step gives a label or dout (∂L/∂out_t), not both")
    given = [t for t, s in enumerate(spec.sequence) if s.dout is not None]
    if spec.loss == "none" and spec.iterations > 1:
        raise doc.error(("iterations",), "loss: none traces the forward pass only: it has no update to iterate")
    if not given:
        return spec.loss
    missing = next((t for t, s in enumerate(spec.sequence) if s.dout is None), None)
    if missing is not None:
        raise doc.error(("sequence", missing), f"missing: dout (step {given[0]} gives one: every step must)")
    if "loss" in doc.data and spec.loss != "none":
        raise doc.error(("loss",), f"the steps give dout, ∂L/∂out_t itself: leave loss out (found {spec.loss})")
    if spec.loss == "none":
        raise doc.error(("loss",), "loss: none traces the forward pass only: it uses no dout (leave loss out)")
    if spec.model.output != "none":
        raise doc.error(("sequence", given[0], "dout"), "dout is ∂L/∂out_t: it needs output: none")
    return "upstream"


def _class(label: Any, K: int, path: Path, doc: Document) -> np.ndarray:  # noqa: N803
    """A class index 0 … K−1, as a one-hot row: the cross-entropy's label."""
    if isinstance(label, list) or float(label) != int(label) or not 0 <= int(label) < K:
        raise doc.error(path, f"expected a class index 0 … {K - 1} for the softmax's {K} classes, found {show(label)}")
    return np.eye(K)[int(label)]


def _target(  # noqa: PLR0913
    step: Any,
    loss: str,
    shape: tuple[int, ...],
    K: int,
    path: Path,
    doc: Document,
    two: bool = False,  # noqa: N803
) -> np.ndarray:
    """A step's label (its classes one-hot) or dout, in the given shape (N rows for a batch)."""
    if loss == "none":
        return np.zeros(shape)
    key = "dout" if loss == "upstream" else "label"
    value = getattr(step, key)
    if value is None:
        raise doc.error(path, "missing: label (or dout, the upstream gradient ∂L/∂out_t; or loss: none)")
    path += (key,)
    if K:
        if len(shape) == 1:
            return _class(value, K, path, doc)
        if not isinstance(value, list) or len(value) != shape[0]:
            raise doc.error(path, f"expected {shape[0]} class indices, one per sequence, found {show(value)}")
        return np.array([_class(v, K, path + (n,), doc) for n, v in enumerate(value)])
    arr = array(value, path, doc)
    arr = np.atleast_1d(arr) if len(shape) == 1 else arr
    what = "one per hidden unit, H" if len(shape) == 1 else "one row of H per sequence, N×H"
    if two:  # a bidirectional network's out_t: both directions'
        what = what.replace("hidden unit, H", "output unit, 2H").replace("of H", "of 2H").replace("N×H", "N×2H")
    check(arr, shape, f"{key}_{path[1]} ({what})", path, doc)
    return arr


def read(spec: Any, D: int, H: int, K: int, doc: Document) -> Steps:  # noqa: N803
    """x_t and the label or dout of each step, with the batch as a leading axis."""
    loss = _loss(spec, doc)
    first = spec.sequence[0].x
    N = len(first) if isinstance(first[0], list) else 0  # noqa: N806
    xs, targets = [], []
    for t, step in enumerate(spec.sequence):
        x = array(step.x if isinstance(step.x[0], list) or not N else [step.x], ("sequence", t, "x"), doc)
        shape = (N, D) if N else (D,)
        check(x, shape, f"x_{t} ({'N×D, like x_0' if N else 'D entries, like x_0'})", ("sequence", t, "x"), doc)
        width = K if K and loss != "upstream" else H
        two = bool(getattr(spec.model, "bidirectional", False))
        targets.append(_target(step, loss, (N, width) if N else (width,), K, ("sequence", t), doc, two))
        xs.append(x)
    x, label = np.array(xs), np.array(targets)
    if N:  # steps first as written; the batch leads in the scenario
        x, label = x.swapaxes(0, 1).copy(), label.swapaxes(0, 1).copy()
    return Steps(x, label, loss, N)


def per_sequence(value: Any, N: int, H: int, what: str, path: Path, doc: Document) -> np.ndarray:  # noqa: N803
    """An initial state or a final gradient: H entries (each sequence alike), or N×H for a batch."""
    arr = array(value, path, doc)
    if N and arr.ndim == 1:
        arr = np.tile(arr, (N, 1))
    check(arr, (N, H) if N else (H,), what, path, doc)
    return arr
