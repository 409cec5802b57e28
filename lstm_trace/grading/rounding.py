"""How far hand rounding can move a result, in numbers: each equation's bound evaluated.

symbolic/bounds.py writes the bound of an equation, Σ_v |∂f/∂v| ⊙ e_v (first-order
propagation); the engine compiles it with the model (numeric/models.py). Here it is
evaluated on the true values and on how far each input may be off.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..numeric.models import compiled_bound, lookup
from ..refs import Ref
from ..scenario.scenario import Scenario
from ..symbolic.bounds import ABS, ERR
from ..symbolic.codegen import call
from ..symbolic.model import Equation


def bound(
    eq: Equation,
    step: int,
    sc: Scenario,
    values: Mapping[str, np.ndarray],
    errors: Mapping[str, np.ndarray],
    stacked: bool = False,
) -> np.ndarray:
    """How far eq's result may be off when each input is off by errors[name] (0 where absent)."""
    c = compiled_bound(eq, stacked)

    def fetch(r: Ref, t: int) -> np.ndarray:
        if r.base.startswith(ABS):
            return np.abs(lookup(values, sc, Ref(r.base[len(ABS) :], r.shift), t))
        if r.base.startswith(ERR):
            inner = Ref(r.base[len(ERR) :], r.shift)
            if inner.shift is None:
                return errors.get(inner.base, np.zeros_like(lookup(values, sc, inner, t)))
            return lookup(errors, sc, inner, t)
        return lookup(values, sc, r, t)

    return call(c, fetch, step, sc.T)
