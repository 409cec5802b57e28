"""Equations printed once, with slots: made by printing.py (sympy), filled by the renderers without it.

A row of a trace is printed from a Template: its equation printed once in a form
("plain" or "latex") with a slot wherever a name or a number goes. The engine caches every
template of a model with the model (numeric/models.py), so tracing and printing a scenario
of a variant seen before never imports sympy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..refs import Ref

if TYPE_CHECKING:
    from .model import Equation, Model

FORMS = ("plain", "latex")  # the printed forms: plain text (terminal, JSON) and LaTeX


class Filler(Protocol):
    """What fills a template's slots: render/text.py's Style."""

    def name(self, ref: Ref) -> str: ...

    def slot(self, v: Any, bare_scalar: bool = False, transposed: bool = False) -> str: ...


class Template:
    """An equation printed once, with slots: parts[odd] index slots, each (ref,) for a name or
    (ref, bare_scalar, transposed) for a number."""

    __slots__ = ("parts", "slots")

    def __init__(self, parts: list[str | int], slots: list[tuple]) -> None:
        self.parts, self.slots = parts, slots

    def __getstate__(self) -> tuple:
        return self.parts, self.slots

    def __setstate__(self, state: tuple) -> None:
        self.parts, self.slots = state

    def fill(self, style: Filler, value: Callable[[Ref], Any] | None = None) -> str:
        out = list(self.parts)
        for k in range(1, len(out), 2):
            slot = self.slots[out[k]]  # type: ignore[index]
            out[k] = style.name(slot[0]) if len(slot) == 1 else style.slot(value(slot[0]), *slot[1:])  # type: ignore[misc]
        return "".join(out)  # type: ignore[arg-type]


# (form, equation, stacked, the linear equations inlined, names) -> Template; the model cache fills it
TEMPLATES: dict[tuple, Template] = {}


def template(form: str, eq: Equation, stacked: bool, inline: tuple[Equation, ...], names: bool) -> Template:
    """An equation's template: with slots for the names (names=True) or for the numbers.

    inline: the model's pre-activations to print written out, za_t as W_a·x_t + U_a·out_{t-1} + b_a.
    """
    key = (form, eq, stacked, inline, names)
    found = TEMPLATES.get(key)
    if found is None:
        from .printing import printed_with_slots  # sympy, for a template the cache did not hold

        found = TEMPLATES[key] = Template(*printed_with_slots(form, eq.stacked if stacked else eq.expr, inline, names))
    return found


def model_templates(model: Model) -> dict[tuple, Template]:
    """Every equation of a model printed once, in both forms, with slots for names and for numbers."""
    forward = {*model.linear, *model.forward, *model.head, model.loss_eq}  # printed with za_t written out
    keys = [
        (form, eq, stacked, model.linear if eq in forward else (), names)
        for form in FORMS
        for eq, stacked in model.forms()
        for names in (True, False)
    ]
    # only these: another model sharing an equation (Δ_t = out_t − label_t) may have printed it in its own context
    return {k: template(*k) for k in keys}
