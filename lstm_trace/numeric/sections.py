"""How a trace's rows are grouped and titled: its sections, and each group's title as a worked solution
writes it (Forward @ t=0; a bidirectional network's Forward @ t=2, layer 0, reverse direction)."""

from __future__ import annotations

from typing import Any

SECTIONS = ("forward", "backward", "gradients", "update")
OUTPUT = "out"  # a bidirectional network's last sweep: the output layer and the loss (numeric/sweeps.py)


def sweep_title(sweep: str) -> str:
    """', layer 0, reverse direction', ', output and loss': what a section title adds for its sweep."""
    if not sweep:
        return ""
    if sweep == OUTPUT:
        return ", output and loss"
    return f", layer {sweep[1:].rstrip('r')}" + (", reverse direction" if sweep.endswith("r") else "")


TITLES = {"forward": "Forward", "backward": "Backward", "gradients": "Parameter gradients", "update": "Update"}


def section_title(trace: Any, section: str, step: int | None, sweep: str = "") -> str:
    """Forward @ t=0, Backward @ t=1, Parameter gradients, Update: SGD, λ = 0.1; a bidirectional network's
    Forward @ t=2, layer 0, reverse direction."""
    if step == -1 and section == "backward":  # a GRU's δout_{-1}: the gradient of the initial output
        return "Backward: the initial output (t=-1)"
    if step is not None:
        return f"{TITLES[section]} @ t={step}{sweep_title(sweep)}"
    sc = trace.scenario
    if section == "update":
        name = {"sgd": "SGD", "adagrad": "Adagrad"}[sc.optimizer]
        return f"Update: {name}, λ = {sc.lr:g}" + (f", ε = {sc.eps:g}" if sc.optimizer == "adagrad" else "")
    return TITLES[section]


__all__ = ["SECTIONS", "section_title"]
