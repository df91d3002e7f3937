"""The layers of the code hold: no module imports a layer above its own, and no package imports form a cycle.

The order is written once, in the README's "How it is built"; this test reads it from there, so the
README and the code cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "orchestrator"
_LAYER_LINE = re.compile(r"^\s{4}(\d+)\s+(\S+(?:,\s*\S+)*)\s{2,}")


def readme_layers() -> dict[str, int]:
    """``module or package -> layer number`` from the README's layer table."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## How it is built"):]
    layers: dict[str, int] = {}
    for line in section.splitlines():
        match = _LAYER_LINE.match(line)
        if match:
            for name in match[2].split(","):
                layers[name.strip().removesuffix("/").removesuffix(".py").replace("/", ".")] = int(match[1])
    return layers


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every orchestrator module a file imports, at the top or inside functions, typing-only included."""
    found: set[str] = set()
    name = module_name(path) if path.is_relative_to(ROOT) else "orchestrator.probe"
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("orchestrator"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.startswith("orchestrator"):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
    return found


def layer_of(module: str, layers: dict[str, int]) -> int | None:
    """The layer of the longest README entry that is the module or contains it."""
    name = module.removeprefix("orchestrator.")
    candidates = [entry for entry in layers if name == entry or name.startswith(entry + ".")]
    return layers[max(candidates, key=len)] if candidates else None


def python_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "reporter" not in p.parts]


def test_the_readme_names_a_layer_for_every_module():
    layers = readme_layers()
    assert len(set(layers.values())) >= 10, layers
    missing = [module_name(p) for p in python_modules()
               if module_name(p) not in ("orchestrator", "orchestrator.__main__")
               and layer_of(module_name(p), layers) is None]
    assert not missing, f"modules without a layer in the README: {missing}"


def test_no_module_imports_a_layer_above_its_own():
    layers = readme_layers()
    upward = []
    for path in python_modules():
        own = layer_of(module_name(path), layers)
        if own is None:
            continue
        for imported in imports_of(path):
            theirs = layer_of(imported, layers)
            if theirs is not None and theirs > own:
                upward.append(f"{module_name(path)} (layer {own}) imports {imported} (layer {theirs})")
    assert not upward, "\n".join(upward)


def test_packages_import_each_other_without_a_cycle():
    layers = readme_layers()
    graph: dict[str, set[str]] = {}
    for path in python_modules():
        own = _unit(module_name(path), layers)
        for imported in imports_of(path):
            other = _unit(imported, layers)
            if other and own and other != own:
                graph.setdefault(own, set()).add(other)
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_walker_sees_an_upward_import(tmp_path):
    """The check itself can fail: a lower module importing a higher one is caught."""
    layers = readme_layers()
    bad = tmp_path / "bad.py"
    bad.write_text("from orchestrator.app import run_study\n")
    assert {"orchestrator.app", "orchestrator.app.run_study"} <= imports_of(bad)
    assert layer_of("orchestrator.app", layers) > layer_of("orchestrator.spec", layers)
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None


def _unit(module: str, layers: dict[str, int]) -> str | None:
    """The README entry a module belongs to (a package or a single module)."""
    name = module.removeprefix("orchestrator.")
    candidates = [entry for entry in layers if name == entry or name.startswith(entry + ".")]
    return max(candidates, key=len) if candidates else None


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None
