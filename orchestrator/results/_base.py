"""The base of every results model, and the schema version check shared by all of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.errors import UsageError

# Version 1 is the format of gctune 0.1 (it wrote no schema_version); bump on any incompatible change
# and teach the models to read the older versions.
SCHEMA_VERSION = 1

Model = TypeVar("Model", bound="ResultModel")


class ResultModel(BaseModel):
    """Typed, validated, JSON-round-trippable; unknown keys of older files are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as written to disk (keys in field order, None kept)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_dict(cls: type[Model], data: Any, source: str = "") -> Model:
        """Validate data read from a file; ``source`` names it in the error."""
        check_schema_version(data, source or cls.__name__)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UsageError(f"{source or cls.__name__}: not a gctune {cls.__name__} "
                             f"({where}: {first['msg']})") from None

    @classmethod
    def read(cls: type[Model], path: Path) -> Model:
        """Load a model from a JSON file; UsageError (exit 2) when it cannot be read as one."""
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise UsageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise UsageError(f"{path}: cannot be read as JSON ({exc})") from None
        return cls.from_dict(data, str(path))


def check_schema_version(data: Any, source: str) -> None:
    """Refuse data written by a newer gctune: reading it as ours would silently misread it."""
    version = data.get("schema_version", 1) if isinstance(data, dict) else 1
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UsageError(f"{source}: schema_version {version!r} is not a version gctune writes")
    if version > SCHEMA_VERSION:
        raise UsageError(f"{source}: written by a newer gctune (schema_version {version}; this gctune reads "
                         f"up to {SCHEMA_VERSION}); upgrade gctune to read it")
