"""lstm-trace: trace and check LSTM backpropagation by hand.

    >>> import lstm_trace
    >>> tr = lstm_trace.trace(lstm_trace.load_scenario("scenarios/gomez.yaml"))
    >>> round(float(tr["a_0"][0]), 5)
    0.81775

Heavy modules (numpy, sympy) load on first use, so the CLI's help stays instant.
The layers, from the bottom: the base (errors, names, refs, cache, textfile), scenario/
and symbolic/, numeric/, grading/, render/, cli/; ARCHITECTURE.md draws the map.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_scenario": ("scenario.load", "load_scenario"),
    "Scenario": ("scenario.scenario", "Scenario"),
    "trace": ("numeric.engine", "trace"),
    "Trace": ("numeric.engine", "Trace"),
    "Row": ("numeric.engine", "Row"),
    "derive": ("symbolic.derive", "derive"),
    "Model": ("symbolic.model", "Model"),
    "load_answers": ("scenario.answers", "load_answers"),
    "grade": ("grading.grade", "grade"),
    "Report": ("grading.verdicts", "Report"),
    "json_schema": ("scenario.schema", "json_schema"),
    "from_torch": ("scenario.fromtorch", "from_torch"),
    "LstmTraceError": ("errors", "LstmTraceError"),
    "ScenarioError": ("errors", "ScenarioError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        if module == "numeric.engine" or module.startswith("grading."):  # a Trace and a Report show themselves
            notebook = importlib.import_module(f"{__name__}.render.notebook")  # in a notebook: render attaches that
            if module.startswith("grading."):
                notebook.attach_report()
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
