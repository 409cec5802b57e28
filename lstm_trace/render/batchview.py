"""A batch shown readably: one block per sequence, then the batch's gradients and update.

A batch's per-step values are N×H (the sequence first). Written into one equation they read as
matrices nobody works by hand, so each sequence's forward and backward steps are shown as its
own worked solution ("Forward @ t=0 · sequence 1"), as a student works one sequence at a time;
the parameter gradients, summed (or averaged) over the sequences, and the update follow once.
"""

from __future__ import annotations

from dataclasses import replace

from ..numeric.batch import sequence_values
from ..numeric.engine import Trace
from ..scenario import layouts
from ..scenario.scenario import Scenario
from .rows import MAX_TERMS, RowText
from .rows import grouped as one_sequence
from .text import MAX_ITEMS, Style

PER_STEP = ("forward", "backward")


def header_notes(trace: Trace) -> list[str]:
    """The header's lines after the variant's: how the source's gates map, and the batch."""
    sc = trace.scenario
    notes = [layouts.header(sc.layout, sc.cell)] if sc.layout != "gomez" else []
    if sc.directions == 2:
        notes.append(bidirectional_note(sc))
    if sc.batch:
        how = "summed" if sc.reduction == "sum" else "averaged"
        notes.append(f"Batch of N={sc.batch} sequences: each shown on its own; loss and gradients {how} over them")
    if sc.loss == "upstream":
        notes.append("Δ_t is the given upstream gradient dout_t (E = Σ_t ⟨dout_t, out_t⟩ has these gradients)")
    if sc.final_dstate is not None:
        notes.append(f"final dstate is δstate_{sc.T}, reaching δstate_{sc.T - 1} whole (f_{sc.T} = 1 stands in)")
    return notes


def bidirectional_note(sc: Scenario) -> str:
    """How a bidirectional network is written: its reverse directions, its output's halves."""
    top = f"_l{sc.layers - 1}"
    note = (
        f"Bidirectional: each layer's reverse direction (names _l0r …) runs from t={sc.T - 1} back; "
        f"out_t = [out{top}_t; out{top}r_t] ({2 * sc.H} entries)"
    )
    if sc.layers > 1:
        note += "; above layer 0, the file's W_g (H×2H) is read as Wf_g_l1 for out_l0_t and Wr_g_l1 for out_l0r_t"
    if sc.output == "softmax":
        return note + f"; s_t = Vf·out{top}_t + Vr·out{top}r_t + c: the file's V (K×2H) is read as Vf and Vr"
    if sc.loss == "none":
        return note
    given, name = ("dout", "upstream") if sc.loss == "upstream" else ("label", "label")
    return note + f"; {given}_t's halves are {name}{top}_t and {name}{top}r_t"


def sequence_view(trace: Trace, n: int) -> Trace:
    """Sequence n of a batch as a trace of its own (its values; the batch's gradients)."""
    sc = trace.scenario
    return replace(trace, scenario=sc.sequence(n), values=sequence_values(sc, trace.values, n))


def grouped(
    trace: Trace,
    steps: set[int] | None = None,
    sections: tuple[str, ...] | None = None,
    decimals: int | None = None,
    max_items: int = MAX_ITEMS,
    style: type[Style] = Style,
    max_terms: int = MAX_TERMS,
) -> list[tuple[str, list[RowText]]]:
    """As rows.grouped; for a batch, each sequence's steps in a block of their own, then the gradients."""
    sc = trace.scenario
    if not sc.batch:
        return one_sequence(trace, steps, sections, decimals, max_items, style, max_terms)
    options = (decimals, max_items, style, max_terms)
    out: list[tuple[str, list[RowText]]] = []
    per_step = tuple(s for s in (sections or PER_STEP) if s in PER_STEP)
    for n in range(sc.batch if per_step else 0):
        view = sequence_view(trace, n)
        out += [(f"{title} · sequence {n}", rows) for title, rows in one_sequence(view, steps, per_step, *options)]
    shared = tuple(s for s in (sections or ("gradients", "update")) if s not in PER_STEP)
    how = "Σ_n" if sc.reduction == "sum" else "mean_n"
    for title, rows in one_sequence(trace, steps, shared, *options) if shared else []:
        if title.startswith("Parameter gradients"):
            rows = [replace(r, symbolic=f"{how} of each sequence's {r.symbolic}", substituted="") for r in rows]
        out.append((title, rows))
    return out
