"""Pictures for the page, drawn by libraries: the unrolled network (Graphviz), the loss per
iteration and the size of δstate_t and δout_t across the steps (matplotlib), as inline SVG.

They are the optional extra `pip install 'lstm-trace[pictures]'` (and Graphviz's programs for the
network); without it the page says so and is otherwise the same.
"""

from __future__ import annotations

import io
import re
import shutil
from typing import Any

import numpy as np

from ..numeric.engine import Trace
from .mathml import esc
from .text import display_name, fmt_array, fmt_number

MAX_STEPS = 6  # the network drawn for at most this many steps: the first and last three
EXTRA = "pip install 'lstm-trace[pictures]'"


def missing() -> str:
    """Why a picture cannot be drawn here ('' when everything is installed)."""
    try:
        import graphviz  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        return f"The pictures need the optional extra ({EXTRA}); {exc.name} is not installed."
    if shutil.which("neato") is None:
        return "The pictures need Graphviz's programs (dot, neato: the graphviz package of your system)."
    return ""


def pictures_section(trace: Trace, steps: list[int]) -> str:
    """The pictures, each a <figure> with its caption; or the sentence saying what to install."""
    out = ['<section id="pictures"><h2>Pictures</h2>']
    why = missing()
    if why:
        return "".join([*out, f'<p class="hint">{esc(why)}</p></section>'])
    shown = steps if len(steps) <= MAX_STEPS else [*steps[:3], *steps[-3:]]
    out.append(
        _figure(
            network_svg(trace, shown),
            "The network unrolled over the steps: each node's value and δ (the loss's gradient with respect to it); "
            "on the arrows between steps, the gradient flowing back along them.",
        )
    )
    if "dstate_0" in trace.values:  # a forward-only trace has no gradients
        out.append(
            _figure(
                gradient_sizes_svg(trace),
                "The size (Euclidean norm) of δstate_t and δout_t at each step: gradients that shrink "
                "towards the first step vanish, gradients that grow explode.",
            )
        )
    if len(trace.losses) > 1:
        out.append(_figure(loss_svg(trace), "The loss E after each iteration's forward pass."))
    else:
        out.append('<p class="hint">One iteration traced: set iterations in the scenario to see the loss fall.</p>')
    return "".join([*out, "</section>"])


def _figure(svg: str, caption: str) -> str:
    return f'<figure class="pic">{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def inline(svg: str) -> str:
    """An SVG document as an element inside HTML: no XML declaration, doctype, comments or metadata."""
    svg = svg[svg.index("<svg") :]
    return re.sub(r"<!--.*?-->|<metadata>.*?</metadata>", "", svg, flags=re.S)


def _num(value: np.ndarray, d: int, items: int = 4) -> str:
    """Numbers as the tables print them, with true minus signs; a longer vector by its size ‖·‖."""
    a = np.asarray(value, dtype=np.float64)
    if a.size > items:
        return f"‖·‖ {fmt_number(float(np.linalg.norm(a)), d)}".replace("-", "−")
    return fmt_array(a, d, True, items).replace("-", "−")


def _name(name: str) -> str:
    """A name as a picture writes it: state_-1, not state_{-1}."""
    return display_name(name).replace("{", "").replace("}", "")


def _label(name: str, value: np.ndarray, grad: np.ndarray | None, d: int, shown: str = "") -> str:
    """name = value, and δ its gradient where the trace has one (a forward-only trace has none)."""
    text = f"{shown or _name(name)} = {_num(value, d)}"
    return text if grad is None else f"{text}\nδ {_num(grad, d)}"


ROWS = {"x": 0, "gates": 1, "state": 2, "out": 3, "E": 4}  # a picture's rows, from the bottom
COLUMN, ROW = 3.2, 1.0  # inches between the steps' columns and between the rows


def network_svg(trace: Trace, steps: list[int]) -> str:
    """A step a column (x_t, the gates, state_t, out_t, E_t from the bottom); state and out run on to the next.

    Graphviz's neato with every node pinned to its row and column (dot reorders the steps' boxes), its
    splines routing the arrows around the nodes.
    """
    import graphviz

    v, d = trace.values, min(trace.scenario.decimals, 3)
    g = graphviz.Digraph(
        engine="neato",
        graph_attr={"bgcolor": "transparent", "splines": "true", "outputorder": "edgesfirst", "forcelabels": "true"},
    )
    g.attr("node", shape="box", style="rounded", fontname="Helvetica", fontsize="10")
    g.attr("edge", fontname="Helvetica", fontsize="9")

    def at(name: str, label: str, column: int, row: float, **attrs: str) -> None:
        g.node(name, label, pos=f"{column * COLUMN},{row * ROW}!", **attrs)

    stateful = "state" in trace.scenario.shape.recurrent
    at("out_-1", _label("out_-1", v["out_-1"], None, d), 0, ROWS["out"])
    if stateful:
        at("state_-1", _label("state_-1", v["state_-1"], None, d), 0, ROWS["state"])
    at("t_-1", "initial", 0, -0.7, shape="plain")
    before = -1
    for column, t in enumerate(steps, start=1):
        for name, label in _cell(trace, t, d).items():
            kind = name.rsplit("_", 1)[0]
            at(name, label, column, ROWS[kind], **({"shape": "plain"} if kind == "E" else {}))
        at(f"t_{t}", f"t = {t}", column, -0.7, shape="plain", fontsize="12")
        _links(g, v, t, before, stateful, d)
        before = t
    return inline(g.pipe(format="svg", encoding="utf-8", quiet=True))


def _links(g: Any, v: Any, t: int, before: int, stateful: bool, d: int) -> None:  # noqa: PLR0913
    """Step t's arrows, and those from the step before it, labelled with the gradients they carry back."""
    g.edges([(f"x_{t}", f"gates_{t}"), (f"gates_{t}", f"out_{t}")])
    if stateful:
        g.edges([(f"gates_{t}", f"state_{t}"), (f"state_{t}", f"out_{t}")])
    if f"E_{t}" in v:
        g.edge(f"out_{t}", f"E_{t}")
    gap = "" if t == before + 1 else f"(steps {before + 1}…{t - 1} left out)\n"
    back, back_out = v.get(f"dstate_{t}"), v.get(f"Dout_{before}")
    state_says = "" if back is None else f"{_name(f'dstate_{t}')} ⊙ f_{t}\n= {_num(back * v[f'f_{t}'], d)}"
    out_says = "" if back_out is None else f"Δ{_name(f'out_{before}')}\n= {_num(back_out, d)}"
    if stateful:
        g.edge(f"state_{before}", f"state_{t}", xlabel=gap + state_says)
    # xlabels: placed after the layout, clear of the nodes and of each other where the two arrows cross
    g.edge(f"out_{before}", f"gates_{t}", xlabel=gap + out_says)


def _cell(trace: Trace, t: int, d: int) -> dict[str, str]:
    """One step's nodes: each value, and its δ where the trace has one."""
    v, cell = trace.values, trace.scenario.shape
    names = cell.gates or ("z",)  # a vanilla RNN's box holds its pre-activation z_t
    gates = np.concatenate([v[f"{k}_{t}"] for k in names])
    grads = v.get(f"dgates_{t}") if cell.gates else v.get(f"dz_{t}")
    out = {
        f"x_{t}": _label(f"x_{t}", v[f"x_{t}"], v.get(f"dx_{t}"), d),
        f"gates_{t}": _label("", gates, grads, d, ", ".join(names)),
    }
    if "state" in cell.recurrent:
        out[f"state_{t}"] = _label(f"state_{t}", v[f"state_{t}"], v.get(f"dstate_{t}"), d)
    out[f"out_{t}"] = _label(f"out_{t}", v[f"out_{t}"], v.get(f"dout_{t}"), d)
    if f"E_{t}" in v:
        out[f"E_{t}"] = f"E_{t} = {_num(v[f'E_{t}'], d)}"
    return out


def _plot(draw) -> str:  # noqa: ANN001 - a function of a matplotlib Axes
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context({"svg.hashsalt": "lstm-trace", "svg.fonttype": "path", "font.size": 9}):
        fig = Figure(figsize=(6.4, 3.0), layout="constrained")
        draw(fig.add_subplot())
        buf = io.StringIO()
        fig.savefig(buf, format="svg", transparent=True, metadata={"Date": None})
    return inline(buf.getvalue())


def gradient_sizes_svg(trace: Trace) -> str:
    """‖δstate_t‖ and ‖δout_t‖ against t, on a log scale when none is zero."""
    T = trace.scenario.T  # noqa: N806 - the maths' name
    sizes = {k: [float(np.linalg.norm(trace.values[f"{k}_{t}"])) for t in range(T)] for k in ("dstate", "dout")}

    def draw(ax) -> None:  # noqa: ANN001
        for k, ys in sizes.items():
            ax.plot(range(T), ys, marker="o", label=f"‖{display_name(f'{k}_0')[:-2]}_t‖")
        if all(y > 0 for ys in sizes.values() for y in ys):
            ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.set_ylabel("size of the gradient")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()

    return _plot(draw)


def loss_svg(trace: Trace) -> str:
    """E after each iteration; the traced iteration marked."""

    def draw(ax) -> None:  # noqa: ANN001
        n = len(trace.losses)
        ax.plot(range(1, n + 1), trace.losses, marker="o")
        ax.plot([trace.iteration], [trace.losses[trace.iteration - 1]], marker="o", markersize=10, fillstyle="none")
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss E")
        ax.xaxis.get_major_locator().set_params(integer=True)

    return _plot(draw)
