"""A worked solution as a complete LaTeX document: per section, each quantity's equation,
the same with numbers, and the value, aligned at the equals signs; the loss and warnings typeset."""

from __future__ import annotations

import numpy as np

from ..numeric.engine import Trace
from .batchview import header_notes
from .rows import TRAINED, RowText, loss_parts
from .texchars import tex_prose
from .text import LatexStyle, tex_text

PREAMBLE = [
    r"\documentclass[10pt]{article}",
    r"\usepackage[landscape,margin=1.5cm]{geometry}",
    r"\usepackage{amsmath,amssymb}",
    r"\allowdisplaybreaks",
]


def render_latex_document(trace: Trace, groups: list[tuple[str, list[RowText]]]) -> str:
    """groups: rows in LaTeX notation (grouped(..., style=LatexStyle))."""
    sc = trace.scenario
    out = [*PREAMBLE, rf"\setcounter{{MaxMatrixCols}}{{{_columns(trace)}}}", r"\begin{document}"]
    out.append(rf"\section*{{{tex_text(sc.name or 'LSTM trace')}}}")
    if sc.source:
        out.append(rf"Source: {tex_text(sc.source)}\par")
    out.append(
        rf"{tex_text(sc.cell)} cell, $D={sc.D}$, $H={sc.H}$, $T={sc.T}$, loss {tex_text(sc.loss)}, "
        rf"{tex_text(sc.optimizer)} $\lambda={sc.lr:g}$\par"
    )
    out += [rf"{typeset(note)}\par" for note in header_notes(trace)]  # a source's layout, a batch
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
    out += loss_lines(trace) if sc.loss in TRAINED else []  # forward only, or a given upstream gradient: none
    out += [rf"\noindent\textbf{{warning:}} {typeset(w)}\par" for w in trace.warnings]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def loss_lines(trace: Trace) -> list[str]:
    """Loss: $E_{0} = …$, $E_{1} = …$; $E = \\sum_t E_{t} = …$ and, with iterations, E after each."""
    terms, total, each = loss_parts(trace, style=LatexStyle)
    listed = ", ".join(rf"${t}$" if t else r"\dots" for t in terms)
    out = [rf"\noindent Loss: {listed}; ${total}$\par"]
    if each:
        per = ", ".join(f"{k}: ${e}$" for k, e in each)
        out.append(rf"\noindent Iteration {trace.iteration} of {len(each)} traced. Loss per iteration: {per}\par")
    return out


def typeset(sentence: str) -> str:
    """A sentence of the tool's (a warning) with its maths as maths and its prose escaped."""
    return "".join(f"${text}$" if maths else tex_text(text) for maths, text in tex_prose(sentence))


def _columns(trace: Trace) -> int:
    """Columns enough for the widest matrix printed (amsmath's bmatrix allows 10 unless told)."""
    widest = max((np.shape(v)[-1] for v in trace.values.values() if np.ndim(v) == 2), default=1)
    return max(10, widest + 1)
