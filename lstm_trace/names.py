"""Canonical quantity names, their aliases, and did-you-mean.

Canonical: ``a_0``, ``state_-1``, ``Delta_1``, ``Dout_-1``, ``dstate_1``, ``dW``,
``dW_a``, ``W_a_new``.  Aliases accepted wherever a name is read: unicode
``δstate_1``, ``Δout_0``, ``Δ_1``, ``δW``; braces ``out_{-1}``; spaces.  An entry of a
vector or matrix is its name with indices: ``dW[0][1]``, ``dW_i[1]`` (a row), ``db_o[0]``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

from .errors import NameNotFound

# display forms of the bases (the inverse is used to read aliases)
DISPLAY = {
    "Delta": "Δ",
    "Dout": "Δout",
    "dout": "δout",
    "dstate": "δstate",
    "da": "δa",
    "di": "δi",
    "df": "δf",
    "do": "δo",
    "dr": "δr",
    "dz": "δz",
    "dn": "δn",
    "dhn": "δhn",
    "drh": "δrh",
    "dx": "δx",
    "ds": "δs",
    "dgates": "δgates",
    "dW": "δW",
    "dU": "δU",
    "db": "δb",
    "lr": "λ",
    "eps": "ε",
}


ENTRY = re.compile(r"(.*?)((?:\[\s*\d+\s*\])+)")


def split_entry(name: str) -> tuple[str, tuple[int, ...]]:
    """dW[0][1] -> ("dW", (0, 1)); a name without indices -> (name, ())."""
    m = ENTRY.fullmatch(name.strip())
    if m is None or not m[1].strip():
        return name, ()
    return m[1], tuple(int(i) for i in re.findall(r"\d+", m[2]))


def normalise(name: str) -> str:
    """Spell a user's name the canonical way, without checking that it exists."""
    s = name.strip().replace(" ", "")
    s = re.sub(r"_\{([^{}]*)\}", r"_\1", s)  # out_{-1} -> out_-1
    s = s.replace("−", "-").replace("∂", "d")
    s = re.sub(r"^Δ(?=_|$)", "Delta", s)
    s = s.replace("Δ", "D").replace("δ", "d")
    s = re.sub(r"\^\{?new\}?", "_new", s)  # W_a^{new} -> W_a_new
    # seed 001's c/h notation, where a step says it is the state or the output (c alone is a bias)
    s = re.sub(r"^(d?)([ch])(?=(?:_l\d+r?)?_-?\d+$)", lambda m: m[1] + {"c": "state", "h": "out"}[m[2]], s)
    s = re.sub(r"^Dh(?=(?:_l\d+r?)?_-?\d+$)", "Dout", s)
    return s


def canonical(name: str, known: Collection[str]) -> str:
    """The canonical name a user's spelling stands for; NameNotFound with a suggestion if none."""
    s = normalise(name)
    if s in known:
        return s
    raise NameNotFound(f"unknown quantity {name!r}{did_you_mean(s, known)}")


def did_you_mean(name: str, known: Collection[str]) -> str:
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""
