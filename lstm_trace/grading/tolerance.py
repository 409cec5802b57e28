"""How close an answer must be: the rule, in one place.

An answer v of a quantity whose true value is t is *correct* when, entry by entry,

    |v − t| ≤ min(w, n) + b + atol + rtol·|t|

where w is half a unit in the last digit v is written to (0.0922: 0.00005); n is half a unit
in t's min_significant-th significant digit or min_significant-th decimal, whichever is coarser
(never finer than the scenario's decimals); and b is the rounding the student may have carried
in: how far their earlier numbers may be off (what they wrote, by its own rounding; what they
did not write, worked to the digits they write most, zeros aside, at most two decimals and at
least the scenario's) propagated through the equation's partial derivatives, plus each
sub-result of the equation (tanh(state_t), each product of a dot product, λ·δW) rounded to
the answer's own digits (rounding.py).  What a per-step quantity passes on is capped at its
own scale (CAP_SHARE).  An answer within w + b but not within min(w, n) + b is right only to
fewer significant digits than the sheet asks for: *too-few-digits*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..scenario.scenario import Scenario

# The first-order bound is a worst case: every rounding with the sign that hurts most, compounded
# through |U|ᵀ and |W| at every step.  Over a long sequence it grows geometrically (1e171 after 512
# steps, then NaN), although rounding errors have mixed signs and the recurrence's true Jacobian
# contracts them.  So what a per-step quantity passes on to later equations is capped at its own
# scale: CAP_SHARE of its magnitude, or CAP_UNITS half-units of the digits it is worked to, whichever
# is larger (a Σ_t then adds T capped terms, linearly, and is not capped).  A hand exercise of a few
# steps seldom reaches the cap; over 512 steps a student working every step to two decimals is still
# within it (tests/test_fairness.py), while a flipped sign or a point moved is not.
CAP_SHARE = 0.05
CAP_UNITS = 20.0


@dataclass(frozen=True)
class Rule:
    """The scenario's grading settings with the student's working digits."""

    half: float  # half a unit of the scenario's decimals
    work: float  # half a unit of the digits the student works unwritten quantities to
    min_significant: int = 2
    rtol: float = 0.0
    atol: float = 0.0

    def needed(self, t: np.ndarray) -> np.ndarray:
        """Half a unit in t's min_significant-th significant digit or min_significant-th decimal,
        whichever is coarser, and never finer than the scenario's decimals.

        Hand work keeps fixed decimals, so a value far below 1 (δi_0 = -0.00165) is not asked for
        digits a student working to two decimals cannot have (-0.00 is credited like 0.82 is); an
        exact zero asks for nothing beyond the scenario's decimals (0, 0.0 and 0.00000 all say it).
        """
        if self.min_significant <= 0:
            return np.full(np.shape(t), np.inf)
        size = np.abs(t)
        if size.max(initial=0.0) < 1:  # every first significant place at most 10^-1: one half-unit for all
            return np.full(np.shape(t), max(0.5 * 10.0 ** (-1.0 - self.min_significant + 1), self.half))
        first = np.floor(np.log10(np.maximum(size, 0.1)))  # the first significant place, at most 10^-1
        return np.maximum(0.5 * 10.0 ** (first - self.min_significant + 1), self.half)

    def cap(self, err: np.ndarray, value: np.ndarray, units: float | np.ndarray) -> np.ndarray:
        """err, at most the quantity's own scale (see CAP_SHARE); NaN (inf − inf) counts as the cap."""
        return np.fmin(err, np.maximum(CAP_SHARE * np.abs(value), CAP_UNITS * units))  # fmin: NaN gives the cap

    def within(
        self, v: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray, need: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Entries of v within the rule of x: (with the digits the sheet asks for, with the digits written).

        need: self.needed(x), when it is already at hand."""
        off = np.abs(v - x)
        size = np.abs(x)
        rest = b + self.atol + self.rtol * size + 1e-9 * (1 + size)
        return off <= np.minimum(w, self.needed(x) if need is None else need) + rest, off <= w + rest


# The coarsest working credited to quantities a student does not write down: two decimals.  A file of
# answers written to one decimal does not make every unwritten step of the trace that rough.
COARSEST_WORK = 0.005


def rule_for(
    sc: Scenario,
    tols: list[np.ndarray],
    rtol: float | None = None,
    atol: float | None = None,
    min_significant: int | None = None,
) -> Rule:
    """The rule for one answers file: the scenario's grading settings unless given, and the student's
    working digits from the rounding their answers wrote (tols)."""
    rtol = sc.rtol if rtol is None else rtol
    atol = sc.atol if atol is None else atol
    digits = sc.min_significant if min_significant is None else min_significant
    for name, x in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(x, int | float) and 0 <= x < math.inf):
            raise ValueError(f"{name} must be a finite number ≥ 0, found {x!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"min_significant must be a whole number ≥ 0, found {digits!r}")
    half = 0.5 * 10.0**-sc.decimals
    return Rule(half, working_half(tols, half), digits, float(rtol), float(atol))


def working_half(tols: list[np.ndarray], half: float) -> float:
    """The digits a student works to where they write nothing: those they write most (the median of
    the half-units of their answers' numbers, zeros left out; at most COARSEST_WORK), or the scenario's
    decimals if they write more."""
    written = np.concatenate([t.ravel() for t in tols]) if tols else np.array([])
    return max(half, min(float(np.median(written)), COARSEST_WORK)) if written.size else half


def inner_half(tol: np.ndarray, mask: np.ndarray) -> float:
    """The half-unit an answer's own sub-results are rounded to: the digits it is written to
    (their median, so that a trailing zero left off one entry does not loosen the rest)."""
    answered = (tol[mask] if mask.any() else tol).ravel()
    if answered.size == 1:
        return float(answered[0])
    return float(np.partition(answered, answered.size // 2)[answered.size // 2])  # the (upper) median
