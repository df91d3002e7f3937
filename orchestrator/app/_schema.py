"""``gctune schema``: the spec's JSON Schema, as editors read it."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.spec import spec_json_schema

SCHEMA_FILE = "gctune.schema.json"  # the copy kept at the repository root, named by experiments/*.yaml
MODELINE = f"# yaml-language-server: $schema=../{SCHEMA_FILE}"  # the first line of every experiments/ file


def schema_text() -> str:
    """The JSON Schema of the spec (draft 2020-12) as the text of a .json file."""
    return json.dumps(spec_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> Path:
    """Write the schema to ``path`` (for editors that read it from a file)."""
    path.write_text(schema_text(), encoding="utf-8")
    return path
