"""lstm-trace: trace and check LSTM backpropagation by hand.

    >>> import lstm_trace
    >>> tr = lstm_trace.trace(lstm_trace.load_scenario("scenarios/gomez.yaml"))
    >>> round(float(tr["a_0"][0]), 5)
    0.81775

Heavy modules (numpy, sympy) load on first use, so the CLI's help stays instant.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_scenario": ("scenario", "load_scenario"),
    "Scenario": ("scenario", "Scenario"),
    "trace": ("evaluate", "trace"),
    "Trace": ("evaluate", "Trace"),
    "Row": ("evaluate", "Row"),
    "derive": ("derive", "derive"),
    "Model": ("derive", "Model"),
    "load_answers": ("answers", "load_answers"),
    "grade": ("grading", "grade"),
    "Report": ("grading", "Report"),
    "json_schema": ("schema", "json_schema"),
    "LstmTraceError": ("errors", "LstmTraceError"),
    "ScenarioError": ("errors", "ScenarioError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
