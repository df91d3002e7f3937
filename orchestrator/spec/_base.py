"""The strict pydantic base model: unknown keys are rejected and every error reads as a plain message.

Each model converts the errors pydantic raises inside it into ``spec`` errors carrying a finished
message (``unknown key; valid keys: ...``, ``must be a number > 0, got -1``), so that the loader only
has to prefix them with file, line and field path.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError, model_serializer, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from orchestrator.spec._values import show

ERROR_TYPE = "spec"
Loc = tuple[str | int, ...]

_TYPE_MESSAGES = {
    "int_type": "must be an integer", "int_parsing": "must be an integer",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "string_type": "must be a string", "dict_type": "must be a mapping",
    "model_type": "must be a mapping", "list_type": "must be a list", "tuple_type": "must be a list",
}


def error_details(loc: Loc, message: str, value: Any = None) -> InitErrorDetails:
    """One plain error at ``loc`` (relative to the model being validated)."""
    return InitErrorDetails(type=PydanticCustomError(ERROR_TYPE, "{message}", {"message": message}),
                            loc=loc, input=value)


def fail(errors: Iterable[InitErrorDetails], title: str = "Spec") -> NoReturn:
    """Raise all ``errors`` at once; pydantic nests them under the caller's location."""
    raise ValidationError.from_exception_data(title, list(errors))


def fail_at(loc: Loc, message: str, value: Any = None) -> NoReturn:
    """Raise one plain error at ``loc``."""
    fail([error_details(loc, message, value)])


def message_of(error: dict[str, Any]) -> str:
    """The plain message of a pydantic error dict, without pydantic's wording."""
    ctx = error.get("ctx") or {}
    if error["type"] == ERROR_TYPE:
        return str(ctx["message"])
    if error["type"] in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if error["type"] == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {show(error.get('input'))}"
    if error["type"] == "invalid_key":
        return f"a key must be a name, got {show(error.get('input'))}"
    if error["type"] in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[error['type']]}, got {show(error.get('input'))}"
    return f"invalid value {show(error.get('input'))}"


def unknown_key_message(key: Any, valid: Iterable[str], noun: str = "key") -> str:
    """``unknown key; valid keys: a, b`` plus a close match when there is one."""
    valid = list(valid)
    message = f"unknown {noun}; valid {noun}s: {', '.join(valid)}"
    close = difflib.get_close_matches(str(key), valid, n=1) or [v for v in valid if v.lower() == str(key).lower()]
    return f"{message} (did you mean {close[0]}?)" if close else message


def to_plain(value: Any) -> Any:
    """Data in the spec's own terms (``80%``, constraint text, lists), which validates back unchanged."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if hasattr(value, "to_plain"):
        return value.to_plain()
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    return value


class StrictModel(BaseModel):
    """A frozen model that rejects unknown keys and reports errors as plain messages."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _key_noun: ClassVar[str] = "key"

    @classmethod
    def valid_keys(cls) -> list[str]:
        """The keys a user may write in this mapping, in documentation order."""
        return list(cls.model_fields)

    @classmethod
    def mapping_help(cls) -> str:
        """What this mapping should look like, for when something else was given."""
        return f"a mapping with keys {', '.join(cls.valid_keys())}"

    @classmethod
    def expected(cls, key: str) -> str:
        """What a required key should hold, for the ``missing`` message."""
        return cls.model_fields[key].description or "a value"

    @model_serializer(mode="plain")
    def _dump(self) -> dict[str, Any]:
        """Dump as plain spec data (unset keys left out): ``Spec.model_validate`` of it gives the spec back."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return {name: to_plain(value) for name, value in values.items() if value not in (None, (), [], {})}

    @model_validator(mode="wrap")
    @classmethod
    def _plain_errors(cls, data: Any, handler: Any) -> Any:
        """Validate, then restate every error in this mapping as a plain message."""
        if not isinstance(data, (dict, cls)):
            fail_at((), f"must be {cls.mapping_help()}, got {show(data)}", data)
        try:
            return handler(data)
        except ValidationError as exc:
            fail((cls._restate(error) for error in exc.errors()), cls.__name__)

    @classmethod
    def _restate(cls, error: Any) -> InitErrorDetails:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            message = unknown_key_message(loc[0], cls.valid_keys(), cls._key_noun)
        elif error["type"] == "missing" and len(loc) == 1:
            message = f"required key is missing; expected {cls.expected(str(loc[0]))}"
        else:
            message = message_of(error)
        return error_details(loc, message, error.get("input"))
