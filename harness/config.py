"""Validating configuration at the edge, with one-line errors."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import AlignboardError


def validated(model: type[BaseModel], what: str, values: dict[str, Any]) -> BaseModel:
    """``model(**values)``, or a one-line error naming the field, the problem and the value."""
    try:
        return model(**values)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "?"
        raise AlignboardError(f"invalid {what}: field {where!r}: {err['msg']} (got {err.get('input')!r})") from None
