"""pydantic's first validation error as one message: file, line, key, what was expected and found."""

from __future__ import annotations

import difflib
import math
import re
import typing
from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from . import yamlio
from .yamlio import Path

if TYPE_CHECKING:
    from pydantic import ValidationError


def first_error(exc: ValidationError, doc: yamlio.Document) -> ScenarioError:
    from .schema import TAGS

    err = exc.errors(include_url=False)[0]
    path: Path = tuple(p for p in err["loc"] if p not in TAGS)
    kind, found = err["type"], err.get("input")
    if kind == "extra_forbidden":
        known = _fields_at(path[:-1])
        near = difflib.get_close_matches(str(path[-1]), known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else (f"; expected one of {', '.join(known)}" if known else "")
        return doc.error(path, f"unknown key {path[-1]!r}{hint}", at_key=True)
    if kind == "missing":
        return doc.error(path, "missing: this key is required")
    expected = {
        "float_type": "a number",
        "finite_number": "a finite number (not NaN or inf)",
        "list_type": "a list",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "dict_type": "a mapping",
        "string_type": "text",
        "int_type": "a whole number",
        "too_short": "a non-empty list",
    }.get(kind)
    if kind == "literal_error":
        expected = "one of " + err["ctx"]["expected"]
    if kind in ("greater_than", "greater_than_equal", "less_than_equal"):
        expected = err["msg"].replace("Input should be ", "a number ")
    msg = f"expected {expected}" if expected else err["msg"]
    if isinstance(found, float) and math.isinf(found) and yamlio.number(written := doc.texts.get(path, "")) is not None:
        return doc.error(path, f"expected a number within float64's ±1.8e308, found {brief(written)}")  # 1e400
    hint = unlike_a_number(found) if kind in ("float_type", "int_type") and isinstance(found, str) else ""
    return doc.error(path, f"{msg}, found {show(found)}{hint}")


# what YAML 1.1 would have read as a number, and yamlio.NUMBER does not
_UNLIKE = (
    (r"[-+]?0[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?", "a leading zero, which YAML 1.1 reads as octal"),
    (r"[-+]?0[xX][0-9a-fA-F_]*", "hexadecimal"),
    (r"[-+]?0[oO][0-7_]*", "octal"),
    (r"[-+]?0[bB][01_]*", "binary"),
    (r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?", "sexagesimal, which YAML 1.1 reads as 1:30 = 90"),
    (r"[-+]?[0-9_]*\.?[0-9_]*_[0-9_]*\.?[0-9_]*([eE][-+]?[0-9]+)?", "digits grouped with _"),
    (r"yes|no|on|off|y|n", "a YAML 1.1 boolean"),
)


def unlike_a_number(text: str) -> str:
    """Why a text YAML 1.1 would read as a number is not one here: ' (hexadecimal; write ...)', or ''."""
    for pattern, what in _UNLIKE:
        if re.fullmatch(pattern, text.strip(), re.IGNORECASE):
            return f" ({what}; write a decimal number such as 12, -0.5 or 1.5e-3)"
    return ""


def show(v: Any) -> str:
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if v is None:
        return "nothing (null)"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "an empty list" if not v else "a list"
    return brief(repr(v))


def brief(text: str) -> str:
    """A text as written, or its ends and length when it is long (a 5,000-digit number)."""
    return text if len(text) <= 80 else f"{text[:24]}…{text[-8:]} ({len(text):,} characters)"


def _fields_at(path: Path) -> list[str]:
    """The keys allowed at a path, for did-you-mean."""
    from pydantic import BaseModel

    from .schema import ScenarioModel

    model: Any = ScenarioModel
    for p in path:
        if isinstance(p, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or p not in model.model_fields:
            return []
        model = _model_in(model.model_fields[p].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(ann: Any) -> Any:
    """The pydantic model inside an annotation such as list[Step] or Optional[Initial]."""
    from pydantic import BaseModel

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
