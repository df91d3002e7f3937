"""Build a Go program into a static binary and pack it into a ``FROM scratch`` image.

Images are tagged by a hash of the source, the Go version and the build recipe, so the second trial
of the same workload finds its image and does not rebuild.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from orchestrator.build._toolchain import GoToolchain
from orchestrator.build._versions import binary_go_version
from orchestrator.errors import BuildError, EngineError

if TYPE_CHECKING:  # the SDK is loaded by the functions that talk to an engine, not by the recipe types
    import docker

BUILD_FLAGS = ("-trimpath", "-ldflags=-s -w")
RECIPE = "3"  # bump when the way images are built changes, so cached images are not reused
NONROOT_USER = "65534:65534"  # nobody:nogroup; a scratch image has no /etc/passwd
_SOURCE_SUFFIXES = (".go", ".mod", ".sum", ".s", ".c", ".h")
_MISSING_MODULE = re.compile(r"module lookup disabled|cannot find module providing package|no required module "
                             r"provides package|missing go.sum entry|reading .*: no such file")


@dataclass(frozen=True)
class BuildRecipe:
    """What to build: a package of a module, as a program or as a test binary, with which GOEXPERIMENT."""

    name: str                      # names the image: gctune/<name>:<hash>
    module_dir: Path               # where the go command runs (the module root)
    package: str = "."             # the package, relative to module_dir
    test_binary: bool = False      # go test -c (benchmarks) instead of go build
    experiment: str | None = None  # GOEXPERIMENT
    own_go_directive: bool = False  # built-ins: go.mod's go line follows the toolchain (GODEBUG defaults)
    extra_flags: tuple[str, ...] = field(default=())

    def vendored(self) -> bool:
        return (self.module_dir / "vendor" / "modules.txt").is_file()

    def go_args(self, output: str, *flags: str) -> list[str]:
        """The go command that builds this recipe's package into ``output`` (run in module_dir)."""
        mode = ["test", "-c"] if self.test_binary else ["build"]
        mod = ["-mod=vendor"] if self.vendored() else []
        package = self.package.strip("/") or "."
        return [*mode, *mod, *flags, "-o", output, package if package.startswith(".") else f"./{package}"]

    def go_env(self) -> dict[str, str]:
        """Target platform and GOEXPERIMENT for the go command."""
        return {"GOOS": "linux", "GOARCH": _goarch(), **({"GOEXPERIMENT": self.experiment} if self.experiment else {})}


@dataclass(frozen=True)
class WorkloadImage:
    """A built (or prebuilt) workload image and where it came from."""

    tag: str
    go_version: str   # as the binary reports it, e.g. go1.27.3 (an experiment is recorded apart)
    source_hash: str
    cached: bool


def source_hash(source_dir: Path, go_version: str, flags: tuple[str, ...] = BUILD_FLAGS) -> str:
    """Hash everything that changes the binary: source files, Go version, flags, target platform."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file() and p.suffix in _SOURCE_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(source_dir).parts)):
        digest.update(str(path.relative_to(source_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update("\0".join([RECIPE, go_version, *flags, "linux", _goarch()]).encode())
    return digest.hexdigest()[:16]


def build_image(client: docker.DockerClient, toolchain: GoToolchain, recipe: BuildRecipe) -> WorkloadImage:
    """Return the image for ``recipe``, building binary and image only when no cached one exists."""
    import docker.errors

    digest = source_hash(recipe.module_dir, toolchain.version, (*BUILD_FLAGS, *_recipe_key(recipe)))
    tag = f"gctune/{recipe.name}:{digest}"
    try:
        image = client.images.get(tag)
        return WorkloadImage(tag, image.labels.get("gctune.go_version", toolchain.version), digest, cached=True)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.DockerException as exc:
        raise EngineError(f"cannot look up image {tag}: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="gctune-build-") as tmp:
        source = recipe.module_dir
        if recipe.own_go_directive:
            source = _with_toolchain_go_directive(source, Path(tmp) / "src", toolchain)
        binary = Path(tmp) / "workload"
        _go_build(toolchain, recipe, source, binary)
        version = binary_go_version(toolchain, binary)
        _docker_build(client, binary, tag, labels={
            "gctune.workload": recipe.name, "gctune.go_version": version, "gctune.source_hash": digest})
    return WorkloadImage(tag, version, digest, cached=False)


def _recipe_key(recipe: BuildRecipe) -> tuple[str, ...]:
    return (recipe.package, "test" if recipe.test_binary else "build", recipe.experiment or "",
            "own-go" if recipe.own_go_directive else "", *recipe.extra_flags)


def _go_build(toolchain: GoToolchain, recipe: BuildRecipe, source: Path, output: Path) -> None:
    result = toolchain.run(recipe.go_args(str(output), *BUILD_FLAGS, *recipe.extra_flags), cwd=source,
                           **recipe.go_env())
    if result.returncode == 0:
        return
    what = "go test -c" if recipe.test_binary else "go build"
    hint = ""
    if _MISSING_MODULE.search(result.stderr):
        hint = ("\nA dependency is missing from this machine. gctune cannot download Go modules (there is no "
                "module proxy here): run `go mod vendor` in the module so the dependencies travel with the source.")
    raise BuildError(f"{what} of {recipe.module_dir / recipe.package} failed ({toolchain.version}):\n"
                     f"{result.stderr.strip()}{hint}")


def _with_toolchain_go_directive(source_dir: Path, copy_dir: Path, toolchain: GoToolchain) -> Path:
    """A copy of a built-in workload whose go.mod names the toolchain's own Go version.

    The ``go`` line of go.mod picks the GODEBUG defaults: left at ``go 1.21``, a Go 1.25+ build would
    keep the old GOMAXPROCS behaviour (blind to the container's CPU limit). Built-in workloads should
    behave like a service written for the Go release that builds them.
    """
    shutil.copytree(source_dir, copy_dir, ignore=shutil.ignore_patterns("*_test.go"))
    release = ".".join(toolchain.version.removeprefix("go").split(".")[:2])
    go_mod = copy_dir / "go.mod"
    go_mod.write_text(re.sub(r"(?m)^go \S+$", f"go {release}", go_mod.read_text()))
    return copy_dir


def _docker_build(client: docker.DockerClient, binary: Path, tag: str, labels: dict[str, str]) -> None:
    import docker.errors

    dockerfile = (f"FROM scratch\nCOPY {binary.name} /{binary.name}\nUSER {NONROOT_USER}\n"
                  f'ENTRYPOINT ["/{binary.name}"]\n').encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(binary, arcname=binary.name)
    context.seek(0)
    try:
        client.images.build(fileobj=context, custom_context=True, tag=tag, labels=labels, rm=True, forcerm=True)
    except docker.errors.BuildError as exc:
        log = "".join(str(item.get("stream", item.get("error", ""))) for item in exc.build_log)
        raise BuildError(f"docker build of {tag} failed: {exc.msg}\n{log.strip()}") from exc
    except docker.errors.DockerException as exc:
        raise EngineError(f"docker build of {tag} failed: {exc}") from exc


def _goarch() -> str:
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
