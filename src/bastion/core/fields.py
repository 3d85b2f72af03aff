"""Field rules shared by every slice's request records (pydantic), so that a body means the same on both
databases and the OpenAPI document says what the server does.

- ``storable_json``: every string, key and number in a body is one the databases hold: no NUL character
  (PostgreSQL refuses it in text and JSON), integers within 64 bits, no NaN or infinity. Body base classes
  run it before field validation, so free-form JSON (an evaluation summary) obeys it too.
- ``RequestBody``: the base of every request record; a slice's own base adds its configuration to it.
- ``Omittable``: a field of a partial update (PATCH) that may be left out but is never null. The JSON schema
  has no ``null`` for it, and a ``null`` sent anyway is refused as the schema says.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

T = TypeVar("T")


def _problem(value: Any) -> str | None:
    if isinstance(value, str) and "\x00" in value:
        return "contains a NUL character (\\u0000), which no text may hold"
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return f"is an integer outside {INT64_MIN}..{INT64_MAX}"
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    return None


def _first_problem(value: Any, path: str) -> str | None:
    """Where the first unstorable value is (``path: problem``), or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = _first_problem(key, f"{where} (the key)") or _first_problem(item, where)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_problem(item, f"{path}[{index}]")
            if found:
                return found
        return None
    problem = _problem(value)
    return f"{path or 'body'} {problem}" if problem else None


def storable_json(value: Any) -> Any:
    """A ``mode="before"`` model validator: the raw input unchanged, or a ValueError naming the bad value."""
    found = _first_problem(value, "")
    if found:
        raise ValueError(found)
    return value


def _bounded_integers(schema: dict[str, Any]) -> None:
    """Every integer of a body's JSON schema states the 64-bit bounds ``storable_json`` enforces, unless the
    field has narrower ones of its own."""
    if schema.get("type") == "integer":
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = INT64_MIN
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            schema["maximum"] = INT64_MAX
    for value in schema.values():
        if isinstance(value, dict):
            _bounded_integers(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _bounded_integers(item)


class RequestBody(BaseModel):
    """The base of every JSON body a client sends to ``/api``: unknown fields are refused, every value must be
    storable (``storable_json``) before any field is validated, whatever the model's fields are, and the JSON
    schema says so for integers."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_bounded_integers)
    _storable = model_validator(mode="before")(storable_json)


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("may be left out to keep the current value, but not null")
    return value


class _NullNotInSchema:
    """Drops the ``null`` branch that ``T | None`` puts in the JSON schema."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        options = schema.get("anyOf")
        if isinstance(options, list):
            kept = [option for option in options if option != {"type": "null"}]
            del schema["anyOf"]
            if len(kept) == 1:
                schema.update(kept[0])
            else:
                schema["anyOf"] = kept
        return schema


# Validators do not run on defaults: an omitted field stays None (no change); an explicit null is refused.
Omittable = Annotated[T | None, AfterValidator(_not_null), _NullNotInSchema()]
