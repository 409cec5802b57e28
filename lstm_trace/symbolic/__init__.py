"""The symbolic layer (sympy): cells write their forward equations once, derive.py derives the rest.

cells/ (the forward equations of each cell, and output heads), derive.py (the backward
equations, gradients and updates, by differentiation), model.py (Equation, Model),
codegen.py (an equation as numpy source), boundexpr.py and bounds.py (how rounding propagates
through an equation), rewrites.py and slipcode.py (an equation's slips, compiled for `check`),
printing.py and templates.py (an equation printed once, with slots).
Nothing here depends on H, D or T, or on a scenario's numbers.
"""
