"""Jupyter's display of a Trace: the worked solution as Markdown tables.

The engine does not know its renderers; the public API (lstm_trace/__init__.py) imports
this module with the engine, and it attaches the display to the Trace class.
"""

from __future__ import annotations

from ..numeric.engine import Trace
from .markdown import render_markdown
from .text import notation


def _repr_markdown_(trace: Trace) -> str:
    with notation(trace.scenario.notation):
        return render_markdown(trace)


Trace._repr_markdown_ = _repr_markdown_  # type: ignore[attr-defined]
