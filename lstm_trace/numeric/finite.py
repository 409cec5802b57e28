"""A trace never leaves float64's finite range silently: an iteration whose values overflow (or turn
NaN) is an error naming the first quantity, in the order computed, that did."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import numpy as np

from ..errors import LstmTraceError
from ..scenario.scenario import Scenario


class Valued(Protocol):
    values: Mapping[str, np.ndarray]


T = TypeVar("T", bound=Valued)


class _Flagged:
    """numpy's floating-point error callback: notes that an overflow, a 0-division or a NaN happened."""

    seen = False

    def __call__(self, kind: str, flag: int) -> None:
        self.seen = True


def finite(iterate: Callable[[Scenario, Mapping[str, np.ndarray]], T], sc: Scenario, state: Any, k: int) -> T:
    """An iteration whose every value is finite; else an error at the first value, in the order computed,
    that is not. numpy flags every overflow, 0-division and NaN made, so only a flagged iteration is searched."""
    flagged = _Flagged()
    with np.errstate(all="call", call=flagged):
        tr = iterate(sc, state)
    if flagged.seen:
        for name, v in tr.values.items():
            if not np.isfinite(v).all():
                bad = np.asarray(v).ravel()[~np.isfinite(np.asarray(v).ravel())][0]
                when = f" in iteration {k}" if sc.iterations > 1 else ""
                raise LstmTraceError(
                    f"the trace leaves float64's finite range at {name} = {bad}{when}: some input, weight, label, "
                    "bias or learning rate is too large to trace",
                    file=sc.file,
                )
    return tr
