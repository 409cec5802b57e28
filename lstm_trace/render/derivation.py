"""The derivation sheet: a model's forward and backward equations at step t, no numbers."""

from __future__ import annotations

import sympy as sp

from .. import __version__
from ..refs import Ref, ref_of
from ..symbolic.cells.base import logsumexp, q, softmax
from ..symbolic.derive import Equation, Model
from .equations import EquationPrinter
from .latex import printer_for
from .text import LatexStyle, Style, fill_names, name_of, tex_name, tex_text

# a section's rows: (left-hand side, kind of row, expression override, equation); kinds: "" an equation,
# "stacked" a stacked parameter's gradient, "new" an update, "gates" δgates_t, "loss" E_t, "total" E
Sheet = list[tuple[str, list[tuple[Ref, str, sp.Basic | None, Equation | None]]]]


def _family(eq: Equation, stacked: set[str], gates: tuple[str, ...]) -> tuple[str, sp.Basic] | None:
    """W_a_new = W_a − λ·δW_a -> ("W", W − λ·δW); cache_W_a_new likewise: the update of a stacked parameter
    (one whose gradient is stacked: a GRU's U_n reads δhn_t, not δn_t, so its U is updated gate by gate)."""
    base = eq.name[: -len("_new")]
    param = base.removeprefix("cache_")
    whole = param[:-2]
    if param[-2:] not in tuple(f"_{g}" for g in gates) or f"d{whole}" not in stacked:
        return None
    subs = {s: q(ref_of(s).base.replace(param, whole), None) for s in eq.expr.free_symbols if param in ref_of(s).base}
    return base.replace(param, whole), eq.expr.xreplace(subs)


def sheet(model: Model) -> Sheet:
    """Sections of (left-hand side, kind of name, expression override, equation)."""
    out: Sheet = [
        ("Forward", [(Ref(e.name, 0), "", None, e) for e in (*model.forward, *model.head)]),
        ("Loss", [(Ref("E", 0), "loss", None, model.loss_eq), (Ref("E", None), "total", None, None)]),
        ("Backward", _backward(model)),
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
    updates, stacked = [], seen
    seen = set()
    for e in model.update:
        fam = _family(e, stacked, model.cell.gates)
        if fam is None:
            updates.append((Ref(e.name, None), "new", None, e))
        elif fam[0] not in seen:
            seen.add(fam[0])
            updates.append((Ref(fam[0] + "_new", None), "new", fam[1], e))
    out.append(("Update", updates))
    return out


def _backward(model: Model) -> list[tuple[Ref, str, sp.Basic | None, Equation | None]]:
    """The backward equations, δgates_t defined just before the first that reads it."""
    rows: list[tuple[Ref, str, sp.Basic | None, Equation | None]] = [
        (Ref(e.name, e.shift), "", None, e) for e in model.backward
    ]
    reads = [k for k, e in enumerate(model.backward) if any(ref_of(s).base == "dgates" for s in e.expr.free_symbols)]
    if reads:
        rows.insert(reads[0], (Ref("dgates", 0), "gates", None, None))
    return rows


def _lhs(ref: Ref, kind: str, latex: bool) -> str:
    if kind == "new":
        base = ref.base[: -len("_new")]
        return (tex_name(Ref(base, None), None) if latex else base) + ("^{\\mathrm{new}}" if latex else "^new")
    return tex_name(ref, None) if latex else name_of(ref, None)


def _rhs(model: Model, kind: str, expr: sp.Basic | None, eq: Equation | None, style: type[Style]) -> str:
    latex = issubclass(style, LatexStyle)
    if kind == "gates":  # δgates_t = [δa_t; δi_t; δf_t; δo_t], a column
        names = [style(step=None).name(Ref(f"d{g}", 0)) for g in model.cell.gates]
        if latex:
            return r"\begin{bmatrix} " + r" \\ ".join(names) + r" \end{bmatrix}"
        return f"[{'; '.join(names)}]"
    if kind == "total":
        return style.SUM + style(step=None).name(Ref("E", 0))
    assert eq is not None
    if kind == "loss":
        return " = ".join(_units(style).total(form) for form in loss_forms(model, eq))
    if expr is not None:
        return printer_for(style)(step=None).doprint(expr)
    return fill_names(style, eq, kind == "stacked", model.linear if eq in model.forward else (), None)


def loss_forms(model: Model, eq: Equation) -> list[sp.Expr]:
    """E_t per unit as derived; with a softmax head y_t = softmax(s_t) also as −label_t·log y_t, since
    log y_{t,k} = s_{t,k} − log Σ_j exp(s_{t,j})."""
    forms = [eq.expr]
    for h in model.head:
        if isinstance(h.expr, softmax):
            s = h.expr.args[0]
            alt = eq.expr.xreplace({logsumexp(s) - s: -sp.log(q(h.name))})
            forms += [alt] if alt != eq.expr else []
    return forms


def _units(style: type[Style]) -> EquationPrinter:
    """A printer of one unit's loss summed over the units: Σ_k label_{t,k}·(log Σ_j exp(s_{t,j}) − s_{t,k})."""
    base = printer_for(style)
    latex = issubclass(style, LatexStyle)

    class Units(base):  # type: ignore[valid-type, misc]
        ODOT = base.DOT  # one unit's numbers: a product, not ⊙
        index = "k"

        def name(self, ref: Ref) -> str:
            if ref.shift is None:
                return super().name(ref)
            return (tex_name if latex else name_of)(ref, None, self.index)

        def _print_Mul(self, expr: sp.Mul) -> str:  # noqa: N802 - sympy's printer protocol
            coeff, factors = expr.as_coeff_mul()
            if coeff == 1 and all(f.is_Symbol or isinstance(f, sp.Function) for f in factors):
                ordered = sorted(factors, key=lambda f: isinstance(f, sp.Function))  # label_{t,k}·log(y_{t,k})
                return self.DOT.join(self._print(f) for f in ordered)
            return super()._print_Mul(expr)

        def _print_logsumexp(self, expr: sp.Basic) -> str:
            self.index, outer = "j", self.index  # the sum inside runs over the units too
            inner = self._print(expr.args[0])
            self.index = outer
            return rf"\log \sum_j e^{{{inner}}}" if latex else f"log Σ_j exp({inner})"

        def total(self, expr: sp.Expr) -> str:
            sigma = r"\sum_k " if latex else "Σ_k "
            if expr.could_extract_minus_sign():
                return self.MINUS + sigma + self.doprint(-expr)
            if isinstance(expr, sp.Add):  # a bidirectional network's two halves: the sum runs over both
                return sigma + (r"\left[" if latex else "[") + self.doprint(expr) + (r"\right]" if latex else "]")
            return sigma + self.doprint(expr)

    return Units(step=None)


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
