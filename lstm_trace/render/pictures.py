"""Pictures for the page, drawn by libraries: the unrolled network (Graphviz), the loss per
iteration and the size of δstate_t and δout_t across the steps (matplotlib), as inline SVG.

They are the optional extra `pip install 'lstm-trace[pictures]'` (and Graphviz's programs for the
network); without it the page says so and is otherwise the same.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..numeric.engine import Trace
from ..refs import Shape, named_by_layer, shape, suffixes
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
    steps = [t for t in steps if t >= 0]  # the initial values' row (a GRU's δout_{-1}) is drawn as "initial"
    shown = steps if len(steps) <= MAX_STEPS else [*steps[:3], *steps[-3:]]
    out.append(
        _figure(
            network_svg(trace, shown),
            "The network unrolled over the steps: each node's value and δ (the loss's gradient with respect to it); "
            "on the arrows between steps, the gradient flowing back along them.",
        )
    )
    if "dout_0" in trace.values:  # a forward-only trace has no gradients
        handed = " and ".join(f"{display_name(f'd{k}_0')[:-2]}_t" for k in trace.scenario.shape.recurrent)
        out.append(
            _figure(
                gradient_sizes_svg(trace),
                f"The size (Euclidean norm) of {handed} at each step: gradients that shrink "
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


COLUMN, ROW = 3.2, 1.0  # inches between the steps' columns and between the rows


@dataclass(frozen=True)
class _Layer:
    """One layer of the picture: its names' suffix ('' for one layer, _l0 …), its cell's shape, and its
    rows from the bottom (x_t is row 0): the gates' box, what it hands on besides out_t (state_t), out_t."""

    suffix: str
    cell: Shape
    first: int
    layer: int = 0
    reverse: bool = False  # a bidirectional network's reverse direction: it hands on from t to t-1

    @property
    def kinds(self) -> list[str]:
        return ["gates", *[k for k in self.cell.recurrent if k != "out"], "out"]

    def row(self, kind: str) -> int:
        return self.first + self.kinds.index(kind)

    def name(self, kind: str, t: int) -> str:
        return f"{kind}{self.suffix}_{t}"


def _layers(trace: Trace) -> list[_Layer]:
    """Each layer (and direction) from the bottom: its suffix, the cell's shape and its first row."""
    sc = trace.scenario
    n, directions = getattr(sc, "layers", 1), getattr(sc, "directions", 1)
    one = shape(sc.cell, sc.bias, sc.option) if named_by_layer(n, directions) else sc.shape
    size = 2 + len(one.recurrent)  # rows per layer
    each = suffixes(n, directions) if named_by_layer(n, directions) else [""]
    return [_Layer(s, one, 1 + k * size, int(s[2:].rstrip("r") or 0), s.endswith("r")) for k, s in enumerate(each)]


def network_svg(trace: Trace, steps: list[int]) -> str:
    """A step a column (x_t, each layer's gates, state_t and out_t, E_t from the bottom); what a step hands
    on runs on to the next.

    Graphviz's neato with every node pinned to its row and column (dot reorders the steps' boxes), its
    splines routing the arrows around the nodes.
    """
    import graphviz

    v, d, layers = trace.values, min(trace.scenario.decimals, 3), _layers(trace)
    g = graphviz.Digraph(
        engine="neato",
        graph_attr={"bgcolor": "transparent", "splines": "true", "outputorder": "edgesfirst", "forcelabels": "true"},
    )
    g.attr("node", shape="box", style="rounded", fontname="Helvetica", fontsize="10")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    drawn: set[str] = set()

    def at(name: str, label: str, column: int, row: float, **attrs: str) -> None:
        drawn.add(name)
        g.node(name, label, pos=f"{column * COLUMN},{row * ROW}!", **attrs)

    for layer in layers:  # the initial values, with δout_{-1} where the cell hands it back (GRU)
        for k in (k for k in layer.kinds[1:] if layer.name(k, -1) in v):
            name = layer.name(k, -1)
            at(name, _label(name, v[name], v.get("d" + name), d), 0, layer.row(k))
    at("t_-1", "initial", 0, -0.7, shape="plain")
    top = layers[-1].first + len(layers[-1].kinds)  # E_t's row
    before = -1
    for column, t in enumerate(steps, start=1):
        for name, (label, row) in _cell(trace, layers, t, d).items():
            at(name, label, column, row if row >= 0 else top, **({"shape": "plain"} if row < 0 else {}))
        at(f"t_{t}", f"t = {t}", column, -0.7, shape="plain", fontsize="12")
        for edge in _links(v, layers, t, before, d):
            if edge[0] in drawn and edge[1] in drawn:
                g.edge(*edge[:2], **edge[2])
        before = t
    return inline(g.pipe(format="svg", encoding="utf-8", quiet=True))


def _links(v: Any, layers: list[_Layer], t: int, before: int, d: int) -> list[tuple[str, str, dict]]:
    """Step t's arrows, and those from the step before it, labelled with the gradients they carry back."""
    gap = "" if t == before + 1 else f"(steps {before + 1}…{t - 1} left out)\n"
    edges = []
    for layer in layers:
        gates, out = layer.name("gates", t), layer.name("out", t)
        # its input: x_t, or the layer below's out_t (both directions' where the network is bidirectional)
        below = [b for b in layers if b.layer == layer.layer - 1]
        edges += [(b.name("out", t), gates, {}) for b in below] or [(f"x_{t}", gates, {})]
        # what a step hands on: from the step before (a reverse direction's: from this step to the one before)
        src, dst = (t, before) if layer.reverse else (before, t)
        for k in layer.kinds[1:-1]:  # state_t: from the gates, into out_t, on to the next step
            back, f = v.get(layer.name("d" + k, dst)), v.get(layer.name("f", dst))  # δstate ⊙ f flows back
            carried = f"{_name(layer.name('d' + k, dst))} ⊙ {_name(layer.name('f', dst))}"
            says = "" if back is None or f is None else f"{carried}\n= {_num(back * f, d)}"
            edges += [(gates, layer.name(k, t), {}), (layer.name(k, t), out, {})]
            edges.append((layer.name(k, src), layer.name(k, dst), {"xlabel": gap + says}))
        edges.append((gates, out, {}))
        back_out = v.get(layer.name("Dout", src))
        says = "" if back_out is None else f"Δ{_name(layer.name('out', src))}\n= {_num(back_out, d)}"
        # xlabels: placed after the layout, clear of the nodes and of each other where the two arrows cross
        edges.append((layer.name("out", src), layer.name("gates", dst), {"xlabel": gap + says}))
    if f"E_{t}" in v:
        edges += [(top.name("out", t), f"E_{t}", {}) for top in layers if top.layer == layers[-1].layer]
    return edges


def _cell(trace: Trace, layers: list[_Layer], t: int, d: int) -> dict[str, tuple[str, int]]:
    """One step's nodes, each its label (value, and δ where the trace has one) and row (E_t's: −1, the top)."""
    v = trace.values
    out = {f"x_{t}": (_label(f"x_{t}", v[f"x_{t}"], v.get(f"dx_{t}"), d), 0)}
    for layer in layers:
        names = layer.cell.gates or ("z",)  # a vanilla RNN's box holds its pre-activation z_t
        gates = np.concatenate([v[layer.name(k, t)] for k in names])
        grads = v.get(layer.name("dgates" if layer.cell.gates else "dz", t))
        out[layer.name("gates", t)] = (_label("", gates, grads, d, ", ".join(names)), layer.row("gates"))
        for k in layer.kinds[1:]:
            name = layer.name(k, t)
            out[name] = (_label(name, v[name], v.get("d" + name), d), layer.row(k))
    if f"E_{t}" in v:
        out[f"E_{t}"] = (f"E_{t} = {_num(v[f'E_{t}'], d)}", -1)
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
    """‖δstate_t‖ and ‖δout_t‖ (what a step hands the next) against t, on a log scale when none is zero."""
    T = trace.scenario.T  # noqa: N806 - the maths' name
    handed = [f"d{k}" for k in trace.scenario.shape.recurrent]
    sizes = {k: [float(np.linalg.norm(trace.values[f"{k}_{t}"])) for t in range(T)] for k in handed}

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
