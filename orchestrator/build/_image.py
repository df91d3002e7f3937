"""Build a Go main package into a static binary and pack it into a ``FROM scratch`` image.

Images are tagged by a hash of the source, the Go version and the build flags, so the second trial
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
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from orchestrator.build._toolchain import GoToolchain
from orchestrator.errors import BuildError, EngineError

BUILD_FLAGS = ("-trimpath", "-ldflags=-s -w")
RECIPE = "2"  # bump when the way images are built changes, so cached images are not reused
NONROOT_USER = "65534:65534"  # nobody:nogroup; a scratch image has no /etc/passwd


@dataclass(frozen=True)
class WorkloadImage:
    """A built workload image and where it came from."""

    tag: str
    go_version: str
    source_hash: str
    cached: bool


def source_hash(source_dir: Path, go_version: str, flags: tuple[str, ...] = BUILD_FLAGS) -> str:
    """Hash everything that changes the binary: source files, Go version, flags, target platform."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file() and p.suffix in (".go", ".mod", ".sum")):
        digest.update(str(path.relative_to(source_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update("\0".join([RECIPE, go_version, *flags, "linux", _goarch()]).encode())
    return digest.hexdigest()[:16]


def build_image(client: docker.DockerClient, toolchain: GoToolchain, source_dir: Path, name: str) -> WorkloadImage:
    """Return the image for ``source_dir``, building binary and image only when no cached one exists."""
    digest = source_hash(source_dir, toolchain.version)
    tag = f"gctune/{name}:{digest}"
    try:
        client.images.get(tag)
        return WorkloadImage(tag, toolchain.version, digest, cached=True)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.DockerException as exc:
        raise EngineError(f"cannot look up image {tag}: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="gctune-build-") as tmp:
        binary = Path(tmp) / name
        _go_build(toolchain, _with_toolchain_go_directive(source_dir, Path(tmp) / "src", toolchain), binary)
        _docker_build(client, binary, tag, labels={
            "gctune.workload": name, "gctune.go_version": toolchain.version, "gctune.source_hash": digest})
    return WorkloadImage(tag, toolchain.version, digest, cached=False)


def _go_build(toolchain: GoToolchain, source_dir: Path, output: Path) -> None:
    result = toolchain.run(["build", *BUILD_FLAGS, "-o", str(output), "."], cwd=source_dir,
                           GOOS="linux", GOARCH=_goarch())
    if result.returncode != 0:
        raise BuildError(f"go build of {source_dir} failed ({toolchain.version}):\n{result.stderr.strip()}")


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
