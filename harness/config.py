"""Validating configuration at the edge, with one-line errors."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import AlignboardError


def validated(model: type[BaseModel], what: str, values: dict[str, Any]) -> BaseModel:
    """``model(**values)``, or a one-line error naming the field, the problem and the value."""
    try:
        return model(**values)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "?"
        raise AlignboardError(f"invalid {what}: field {where!r}: {err['msg']} (got {err.get('input')!r})") from None


class Component:
    """What aligners and judges share: a name, a description, a version and a validated ``Config``."""

    kind: ClassVar[str] = "component"
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")

    def __init__(self, **config: Any):
        self.config = validated(self.Config, f"config for {self.kind} {self.name}", config)
