"""A quantity's names at every step, a_0 … a_{T-1}, made once and kept: a trace names each value it makes
(values["a_3"]), and formatting those names was a tenth of a small cell's trace. The generated loops
(stepcode.py) read a step's name as names[t]; stacking a quantity's steps (allsteps.rows_of) and naming
the rows of an array (allsteps.named) read the whole tuple. Traces of one scenario share the strings.
"""

from __future__ import annotations

MAX_NAMES = 1 << 20  # names kept at most (about 60 MB); past it the kept ones are dropped and made again

_KEPT: dict[tuple[str, int, int], tuple[str, ...]] = {}
_count = 0


def step_names(base: str, shift: int, T: int) -> tuple[str, ...]:  # noqa: N803 - the maths' name
    """(base_{shift}, base_{1 + shift}, …, base_{T - 1 + shift}): entry t names the quantity read or made at
    step t (f"{base}_{t + shift}"), as the trace's values are keyed."""
    global _count  # noqa: PLW0603 - the module's own bound on what it keeps
    key = (base, shift, T)
    names = _KEPT.get(key)
    if names is None:
        names = tuple([f"{base}_{t}" for t in range(shift, T + shift)])
        if _count + T > MAX_NAMES:
            _KEPT.clear()
            _count = 0
        if T <= MAX_NAMES:
            _KEPT[key] = names
            _count += T
    return names
