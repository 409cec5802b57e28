"""A worked solution as a complete LaTeX document: per section, each quantity's equation,
the same with numbers, and the value, aligned at the equals signs."""

from __future__ import annotations

from ..numeric.engine import Trace
from .rows import RowText, loss_text
from .text import tex_text

PREAMBLE = [
    r"\documentclass[10pt]{article}",
    r"\usepackage[landscape,margin=1.5cm]{geometry}",
    r"\usepackage{amsmath,amssymb}",
    r"\allowdisplaybreaks",
    r"\begin{document}",
]


def render_latex_document(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> str:
    """groups: rows in LaTeX notation (grouped(..., style=LatexStyle))."""
    sc = trace.scenario
    out = list(PREAMBLE)
    out.append(rf"\section*{{{tex_text(sc.name or 'LSTM trace')}}}")
    if sc.source:
        out.append(rf"Source: {tex_text(sc.source)}\par")
    out.append(
        rf"{tex_text(sc.cell)} cell, $D={sc.D}$, $H={sc.H}$, $T={sc.T}$, loss {tex_text(sc.loss)}, "
        rf"{tex_text(sc.optimizer)} $\lambda={sc.lr:g}$\par"
    )
    for title, rows in groups:
        out += [rf"\subsection*{{{tex_text(title)}}}", r"\begin{align*}"]
        lines = []
        for r in rows:
            if r.substituted:
                lines += [rf"{r.lhs} &= {r.symbolic}", rf"&= {r.substituted}", rf"&= {r.value}"]
            else:
                lines.append(rf"{r.lhs} &= {r.value} && \text{{({tex_text(r.note)})}}")
        out.append(" \\\\\n".join(lines))
        out.append(r"\end{align*}")
    out.append("\n".join(map(tex_text, loss_text(trace).split("\n"))) + r"\par")  # with iterations, two lines
    out += [rf"\noindent\textbf{{warning:}} {tex_text(w)}\par" for w in trace.warnings]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
