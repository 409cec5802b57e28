"""Renderers of traces, reports and derivations. Light on import: the CLI reads these constants."""

MAX_ITEMS = 8  # longer vectors are elided on screen: their first and last few entries
