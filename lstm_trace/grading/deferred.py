"""The walk's mappings of values and errors, where a quantity left for later is worked out when first read.

A quantity nobody wrote down (za_t, a step's unwritten values) is needed by the walk only if something
reads its value or how far it may be off: an answer that is not right within its own rounding, or
another such quantity. An answer right within its own rounding reads nothing (grade.py's _right), so
on a sheet answered throughout, most of them are never read. The walk leaves each for later, and
the first read of its value or error in either world works it out, with what it reads first (in the
graph's order, without recursion); each read sees what an eager walk would have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Deferred(dict):
    """A dict whose missing key is first handed to settle(key), which stores it if it was left for later."""

    def __init__(self, data: dict[str, Any], settle: Callable[[str], None]) -> None:
        super().__init__(data)
        self.settle = settle

    def __missing__(self, key: str) -> Any:
        self.settle(key)
        return dict.__getitem__(self, key)  # KeyError if it was never there

    def get(self, key: str, default: Any = None) -> Any:
        if not dict.__contains__(self, key):
            self.settle(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        if not dict.__contains__(self, key):
            self.settle(key)  # type: ignore[arg-type]
        return dict.__contains__(self, key)
