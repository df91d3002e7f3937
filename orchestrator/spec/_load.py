"""Reading a spec from YAML, and turning every problem into ``file:line: field.path: what is valid``.

The YAML is composed into nodes first, so that each validation error's field path can be mapped back
to the line it came from (a missing key points at its parent's line).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from orchestrator.errors import SpecError
from orchestrator.spec._base import Loc, message_of
from orchestrator.spec._model import SPEC_KEYS, Spec
from orchestrator.spec._values import show

_EXPECTED_TOP = f"a mapping with keys {', '.join(SPEC_KEYS)} (name and workload are required)"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """YAML with only true/false as booleans, so ``GOGC: off`` stays the word ``off``."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_spec(path: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None = None) -> Spec:
    """Read and validate the spec at ``path``; raise SpecError with file and line on any problem.

    Workload paths are relative to ``base_dir``, by default the spec file's folder.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise SpecError(f"{source}: is a directory; expected a YAML spec file") from None
    except UnicodeDecodeError:
        raise SpecError(f"{source}: not UTF-8 text; expected a YAML spec file") from None
    except OSError as exc:
        raise SpecError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return load_spec_text(text, source, base_dir if base_dir is not None else Path(path).resolve().parent)


def load_spec_text(text: str, source: str = "<string>", base_dir: str | os.PathLike[str] | None = None) -> Spec:
    """Validate a spec given as YAML text; ``source`` names it in error messages."""
    node, data = _parse(text, source)
    if node is None:
        raise SpecError(f"{source}: file is empty; expected {_EXPECTED_TOP}")
    if not isinstance(node, MappingNode):
        raise SpecError(f"{source}:{_line(node)}: the top level must be {_EXPECTED_TOP}, got {show(data)}")
    duplicates = _duplicate_keys(node, ())
    if duplicates:
        raise SpecError("\n".join(f"{source}:{line}: {message}" for line, message in duplicates))
    try:
        return Spec.model_validate(data, context={"base_dir": Path(base_dir or ".").resolve()})
    except ValidationError as exc:
        raise SpecError(format_errors(exc, node, source)) from None


def read_spec_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A spec file's raw data, read as :func:`load_spec` reads it (``GOGC: off`` stays ``off``), without
    validating it: for reading back the spec of an old run. Empty when it cannot be read."""
    try:
        _, data = _parse(Path(path).read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, SpecError):
        return {}
    return data if isinstance(data, dict) else {}


def _parse(text: str, source: str) -> tuple[Node | None, Any]:
    """Compose the YAML node tree and construct the data from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, (None if node is None else loader.construct_document(node))
    except yaml.MarkedYAMLError as exc:
        raise SpecError(_syntax_message(exc, source)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _syntax_message(exc: yaml.MarkedYAMLError, source: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}" if mark else source
    message = f"{where}: invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context and exc.context_mark:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    return message


def format_errors(exc: ValidationError, root: Node, source: str) -> str:
    """One ``file:line: path: message`` line per error, in file order."""
    lines = {(_line_at(root, tuple(e["loc"])), _with_path(tuple(e["loc"]), message_of(e))) for e in exc.errors()}
    return "\n".join(f"{source}:{line}: {text}" for line, text in sorted(lines))


def format_path(loc: Loc) -> str:
    """A field path as users write it: ``space.GOGC.high``, ``constraints[1]``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _with_path(loc: Loc, message: str) -> str:
    return f"{format_path(loc)}: {message}" if loc else message


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _line_at(root: Node, loc: Loc) -> int:
    """The line of the deepest node along ``loc``: a key's own line, or its parent's when missing."""
    line, node = _line(root), root
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child(node: Node, part: str | int) -> tuple[int, Node] | None:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(part):
                return _line(key), value
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return _line(node.value[part]), node.value[part]
    return None


def _duplicate_keys(node: Node, loc: Loc) -> list[tuple[int, str]]:
    """Keys written twice in one mapping (YAML would silently keep the last)."""
    found: list[tuple[int, str]] = []
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name is not None and name != "<<" and name in seen:
                found.append((_line(key), f"{format_path((*loc, name))}: duplicate key; "
                                          f"it is already set on line {seen[name]}"))
            if name is not None:
                seen.setdefault(name, _line(key))
            found += _duplicate_keys(value, (*loc, name or "?"))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            found += _duplicate_keys(item, (*loc, index))
    return found
