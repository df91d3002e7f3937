"""Reading a spec from YAML, and turning every problem into ``file:line: field.path: what is valid``.

The YAML is composed into nodes first, so that each validation error's field path can be mapped back
to the line it came from (a missing key points at its parent's line).

The reader is bounded, so that no file can crash or stall it: a spec is a few kilobytes with a few
hundred nodes nested a few levels deep, and anything far beyond that (a megabyte, thousands of levels,
an alias "bomb" that expands a few hundred bytes to millions of nodes, an alias inside itself, a number
of thousands of digits) is refused with its line, before it is composed further.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from orchestrator.errors import SpecError
from orchestrator.spec._base import Loc, message_of
from orchestrator.spec._model import SPEC_KEYS, Spec
from orchestrator.spec._values import MAX_NUMBER_CHARS, clip, show

MAX_SPEC_BYTES = 256 * 1024  # a real spec is a few kilobytes; pure-Python YAML reads ~1 MiB/s
MAX_DEPTH = 64  # levels of nesting: a spec needs five
MAX_NODES = 5_000  # keys, values and list items, each alias counted as all it stands for; a spec needs hundreds
MAX_ERRORS_SHOWN = 10  # problems listed; the rest are counted

_EXPECTED_TOP = f"a mapping with keys {', '.join(SPEC_KEYS)} (name and workload are required)"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that is past one of the reader's limits."""


class _Loader(yaml.SafeLoader):
    """YAML with only true/false as booleans, so ``GOGC: off`` stays the word ``off``; bounded in
    nesting, in nodes (aliases expanded) and in the length of numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0  # nodes composed so far, each alias counted as the size of what it names
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> expanded size and depth, once complete

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Compose one node, refusing it past :data:`MAX_DEPTH` or :data:`MAX_NODES`."""
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)  # an undefined alias is left to PyYAML's own error
            if target is not None:
                self._count_alias(target, event)
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise _Refused(None, None, _TOO_DEEP, event.start_mark)
        before = self._expanded
        self._count(1, event)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = (self._expanded - before, 1 + max(map(self._depth_of, _children(node)), default=0))
        return node

    def _depth_of(self, node: Node) -> int:
        return self._sizes[id(node)][1]

    def _count_alias(self, target: Node, event: Any) -> None:
        if id(target) not in self._sizes:  # the anchored node is still being composed: the alias is inside it
            raise _Refused(None, None, f"the alias *{clip(event.anchor)} refers to a node that contains it; "
                           "an alias may only repeat a finished node", event.start_mark)
        size, depth = self._sizes[id(target)]
        if self._depth + depth > MAX_DEPTH:
            raise _Refused(None, None, f"{_TOO_DEEP} (through the alias *{clip(event.anchor)})", event.start_mark)
        self._count(size, event)

    def _count(self, nodes: int, event: Any) -> None:
        self._expanded += nodes
        if self._expanded > MAX_NODES:
            raise _Refused(None, None, f"more than {MAX_NODES:,} values (keys, values and list items, with "
                           "aliases counted as what they repeat); a spec needs a few hundred", event.start_mark)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """Construct one value; a value Python refuses (a 13th month) is reported at its line."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(None, None, f"cannot read this value: {clip(str(exc))}",
                                   node.start_mark) from None

    def construct_bounded_int(self, node: ScalarNode) -> int:
        """An integer, unless its literal is too long to be one anyone means."""
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _Refused(None, None, f"a number {len(node.value):,} characters long; at most "
                           f"{MAX_NUMBER_CHARS} are read", node.start_mark)
        return int(self.construct_yaml_int(node))


_Loader.add_constructor(_INT_TAG, _Loader.construct_bounded_int)
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; a spec needs a few"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, SequenceNode) else []


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
        text = _read_text(Path(path), source)
    except FileNotFoundError:
        raise SpecError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise SpecError(f"{source}: is a directory; expected a YAML spec file") from None
    except UnicodeDecodeError:
        raise SpecError(f"{source}: not UTF-8 text; expected a YAML spec file") from None
    except OSError as exc:
        raise SpecError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return load_spec_text(text, source, base_dir if base_dir is not None else Path(path).resolve().parent)


def _read_text(path: Path, source: str) -> str:
    """The file's text, reading no more than :data:`MAX_SPEC_BYTES` (``/dev/zero`` never ends)."""
    with path.open("rb") as stream:
        data = stream.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"{source}: larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a few kilobytes")
    # Universal newlines, as reading in text mode would give.
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def load_spec_text(text: str, source: str = "<string>", base_dir: str | os.PathLike[str] | None = None) -> Spec:
    """Validate a spec given as YAML text; ``source`` names it in error messages."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"{source}: larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a few kilobytes")
    node, data = _parse(text, source)
    if node is None:
        raise SpecError(f"{source}: file is empty; expected {_EXPECTED_TOP}")
    if not isinstance(node, MappingNode):
        raise SpecError(f"{source}:{_line(node)}: the top level must be {_EXPECTED_TOP}, got {show(data)}")
    duplicates = _duplicate_keys(node, ())
    if duplicates:
        raise SpecError(_listing(f"{source}:{line}: {message}" for line, message in duplicates))
    try:
        return Spec.model_validate(data, context={"base_dir": Path(base_dir or ".").resolve()})
    except ValidationError as exc:
        raise SpecError(format_errors(exc, node, source)) from None


def read_spec_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A spec file's raw data, read as :func:`load_spec` reads it (``GOGC: off`` stays ``off``), without
    validating it: for reading back the spec of an old run. Empty when it cannot be read."""
    try:
        _, data = _parse(_read_text(Path(path), str(path)), str(path))
    except (OSError, UnicodeDecodeError, SpecError):
        return {}
    return data if isinstance(data, dict) else {}


def _parse(text: str, source: str) -> tuple[Node | None, Any]:
    """Compose the YAML node tree and construct the data from it."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here
    except yaml.reader.ReaderError as exc:
        raise SpecError(_character_message(exc, text, source)) from None
    try:
        node = loader.get_single_node()
        return node, (None if node is None else loader.construct_document(node))
    except yaml.MarkedYAMLError as exc:
        raise SpecError(_syntax_message(exc, source)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: invalid YAML: {clip(str(exc), 200)}") from None
    finally:
        loader.dispose()


def _character_message(exc: yaml.reader.ReaderError, text: str, source: str) -> str:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    return (f"{source}:{line}: the character U+{exc.character:04X} (column {column}) is not allowed in YAML; "
            "control characters and NUL bytes cannot appear in a spec")


def _syntax_message(exc: yaml.MarkedYAMLError, source: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}" if mark else source
    if isinstance(exc, _Refused):
        return f"{where}: {exc.problem}"
    message = f"{where}: invalid YAML: {clip(str(exc.problem or exc.context), 200)}"
    if exc.problem and exc.context and exc.context_mark:
        message += f" ({clip(str(exc.context), 200)} on line {exc.context_mark.line + 1})"
    return message


def format_errors(exc: ValidationError, root: Node, source: str) -> str:
    """One ``file:line: path: message`` line per error, in file order (the first
    :data:`MAX_ERRORS_SHOWN` of them)."""
    children: dict[int, dict[str, tuple[int, Node]]] = {}
    lines = {(_line_at(root, tuple(e["loc"]), children), _with_path(tuple(e["loc"]), message_of(e)))
             for e in exc.errors()}
    return _listing(f"{source}:{line}: {text}" for line, text in sorted(lines))


def _listing(lines: Iterable[str]) -> str:
    """The first :data:`MAX_ERRORS_SHOWN` lines, and how many more there are."""
    lines = list(lines)
    shown = lines[:MAX_ERRORS_SHOWN]
    if len(lines) > MAX_ERRORS_SHOWN:
        shown.append(f"... and {len(lines) - MAX_ERRORS_SHOWN:,} more problems")
    return "\n".join(shown)


def format_path(loc: Loc) -> str:
    """A field path as users write it: ``space.GOGC.high``, ``constraints[1]``; long keys cut."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{clip(str(part))}" if path else clip(str(part)))
    return path


def _with_path(loc: Loc, message: str) -> str:
    return f"{format_path(loc)}: {message}" if loc else message


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _line_at(root: Node, loc: Loc, children: dict[int, dict[str, tuple[int, Node]]]) -> int:
    """The line of the deepest node along ``loc``: a key's own line, or its parent's when missing.

    ``children`` caches each mapping's keys, so that thousands of errors in one mapping stay fast."""
    line, node = _line(root), root
    for part in loc:
        found = _child(node, part, children)
        if found is None:
            break
        line, node = found
    return line


def _child(node: Node, part: str | int, children: dict[int, dict[str, tuple[int, Node]]]) -> tuple[int, Node] | None:
    if isinstance(node, MappingNode):
        if id(node) not in children:  # the first of a repeated key wins, as in a linear search
            children[id(node)] = {key.value: (_line(key), value) for key, value in reversed(node.value)
                                  if isinstance(key, ScalarNode)}
        found = children[id(node)].get(str(part))
        if found is not None:
            return found
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
