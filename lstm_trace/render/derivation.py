"""The derivation sheet: a model's forward and backward equations at step t, no numbers."""

from __future__ import annotations

import sympy as sp

from .. import __version__
from ..refs import GATES, Ref, ref_of
from ..symbolic.cells.base import q
from ..symbolic.derive import Equation, Model
from .latex import printer_for
from .text import LatexStyle, Style, fill_names, name_of, tex_name, tex_text

Sheet = list[tuple[str, list[tuple[Ref, str, sp.Basic | None, Equation]]]]


def _family(eq: Equation) -> tuple[str, sp.Basic] | None:
    """W_a_new = W_a − λ·δW_a -> ("W", W − λ·δW); cache_W_a_new likewise: the update of a stacked parameter."""
    base = eq.name[: -len("_new")]
    param = base.removeprefix("cache_")
    if param[-2:] not in tuple(f"_{g}" for g in GATES):
        return None
    whole = param[:-2]
    subs = {s: q(ref_of(s).base.replace(param, whole), None) for s in eq.expr.free_symbols if param in ref_of(s).base}
    return base.replace(param, whole), eq.expr.xreplace(subs)


def sheet(model: Model) -> Sheet:
    """Sections of (left-hand side, kind of name, expression override, equation)."""
    out: Sheet = [
        ("Forward", [(Ref(e.name, 0), "", None, e) for e in (*model.forward, *model.head)]),
        ("Loss", [(Ref("E", 0), "", None, model.loss_eq)]),
        ("Backward", [(Ref(e.name, e.shift), "", None, e) for e in model.backward]),
    ]
    grads, seen = [], set()
    for e in model.gradients:
        family = e.name.split("_")[0]
        if e.has_stacked and family not in seen:
            seen.add(family)
            grads.append((Ref(family, None), "stacked", None, e))
        elif not e.has_stacked:
            grads.append((Ref(e.name, None), "", None, e))
    out.append(("Parameter gradients", grads))
    updates, seen = [], set()
    for e in model.update:
        fam = _family(e)
        if fam is None:
            updates.append((Ref(e.name, None), "new", None, e))
        elif fam[0] not in seen:
            seen.add(fam[0])
            updates.append((Ref(fam[0] + "_new", None), "new", fam[1], e))
    out.append(("Update", updates))
    return out


def _lhs(ref: Ref, kind: str, latex: bool) -> str:
    if kind == "new":
        base = ref.base[: -len("_new")]
        return (tex_name(Ref(base, None), None) if latex else base) + ("^{\\mathrm{new}}" if latex else "^new")
    return tex_name(ref, None) if latex else name_of(ref, None)


def _rhs(model: Model, kind: str, expr: sp.Basic | None, eq: Equation, style: type[Style]) -> str:
    if expr is not None:
        return printer_for(style)(step=None).doprint(expr)
    return fill_names(style, eq, kind == "stacked", model.linear if eq in model.forward else (), None)


def render_text(model: Model) -> str:
    lines = [f"{model.cell.name} cell, loss {model.loss}: equations at step t (derived by lstm-trace {__version__})"]
    for title, rows in sheet(model):
        lines += ["", title]
        lhs = [_lhs(ref, kind, False) for ref, kind, _, _ in rows]
        width = max(map(len, lhs))
        for name, (_, kind, expr, eq) in zip(lhs, rows, strict=True):
            lines.append(f"  {name:<{width}} = {_rhs(model, kind, expr, eq, Style)}")
    return "\n".join(lines) + "\n"


def render_latex(model: Model) -> str:
    """A complete LaTeX document: one align* per section."""
    out = [
        r"\documentclass{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\begin{document}",
        rf"\section*{{{tex_text(model.cell.name)} cell, loss {tex_text(model.loss)}: equations at step $t$}}",
    ]
    for title, rows in sheet(model):
        out += [rf"\subsection*{{{title}}}", r"\begin{align*}"]
        body = [
            f"  {_lhs(ref, kind, True)} &= {_rhs(model, kind, expr, eq, LatexStyle)}" for ref, kind, expr, eq in rows
        ]
        out.append(" \\\\\n".join(body))
        out.append(r"\end{align*}")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
