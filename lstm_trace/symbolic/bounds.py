"""The symbols of a rounding bound, by name: what grading/rounding.py fills in, without sympy.

boundexpr.py writes an equation's bound, Σ_v |∂f/∂v| ⊙ err_v + Σ_u |∂f/∂u| · ROUND (first-order
propagation of the rounding of each input v and of each sub-result u rounded inside the equation),
over symbols named with these prefixes.
"""

from __future__ import annotations

# the symbols a bound reads (grading/rounding.py fills them without sympy; boundexpr.py writes the bound)
ERR = "err_"  # err_state__m1: how far state_{t-1} may be off
ABS = "abs_"  # abs_W: |W|, elementwise
ONE = "one_"  # one_W: a matrix of ones shaped like W (one_W·one_x counts the products of W·x)
ROUND = "round_half"  # half a unit of the digits a sub-result is rounded to
