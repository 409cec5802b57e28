"""pydantic's first validation error as one message: file, line, key, what was expected and found."""

from __future__ import annotations

import difflib
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
    return doc.error(path, f"{msg}, found {show(found)}")


def show(v: Any) -> str:
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if v is None:
        return "nothing (null)"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "an empty list" if not v else "a list"
    return repr(v)


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
