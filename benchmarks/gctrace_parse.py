"""How fast `gctune parse gctrace` summarises a long log, and in how much memory.

Builds logs of 10,000, 100,000 and 1,000,000 lines by repeating real captures from
tests/data/gctrace/, then summarises each in a fresh Python process, as `gctune parse gctrace`
does (`orchestrator.app.gctrace_summary`, which streams the file). Each size runs --repeats times;
the table shows the fastest run and the largest peak RSS (resource.getrusage, so the interpreter and
its imports are included: compare the rows, not the absolute figure). `--whole` adds the same logs
read whole with `parse_gctrace(text)`, which keeps every cycle, for comparison.

    .venv/bin/python benchmarks/gctrace_parse.py [--repeats 3] [--whole]

It is a measuring job: run it alone on the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tests" / "data" / "gctrace"
LOGS = {  # what each log repeats
    "gc lines only": "go1.27.3.txt",  # every line a complete record: the slowest case
    "interleaved": "go1.27.3-interleaved-2.txt",  # program output between and inside records
}
SIZES = (10_000, 100_000, 1_000_000)

# Runs in a fresh interpreter, so that each peak RSS is that size's own.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from orchestrator.app import gctrace_summary
from orchestrator.parsers.gctrace import parse_gctrace
path, mode = Path(sys.argv[1]), sys.argv[2]
start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if mode == "stream":
    summary = gctrace_summary(path)
else:
    summary = parse_gctrace(path.read_text(encoding="utf-8", errors="replace")).summary().to_dict()
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak, "start_kib": start_rss, "cycles": summary["cycles"]}))
"""


def build_log(capture: str, lines: int, folder: Path) -> Path:
    """``lines`` lines of the capture, repeated; the last line ends with a newline."""
    source = (CAPTURES / capture).read_text(encoding="utf-8").splitlines(keepends=True)
    path = folder / f"{Path(capture).stem}-{lines}.txt"
    with path.open("w", encoding="utf-8") as out:
        whole, rest = divmod(lines, len(source))
        for _ in range(whole):
            out.writelines(source)
        out.writelines(source[:rest])
    return path


def measure(path: Path, mode: str, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], cwd=ROOT, check=True,
                              capture_output=True, text=True)
        runs.append(json.loads(done.stdout))
    return {"seconds": min(r["seconds"] for r in runs), "peak_mib": max(r["peak_kib"] for r in runs) / 1024,
            "start_mib": max(r["start_kib"] for r in runs) / 1024, "cycles": runs[0]["cycles"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; the fastest is shown")
    parser.add_argument("--whole", action="store_true", help="also read each log whole (parse_gctrace)")
    args = parser.parse_args()
    modes = ["stream", "whole"] if args.whole else ["stream"]
    print("| log | read as | lines | seconds | lines/s | peak RSS (MiB) | RSS before parsing (MiB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for log, capture in LOGS.items():
            for lines in SIZES:
                path = build_log(capture, lines, Path(folder))
                for mode in modes:
                    m = measure(path, mode, args.repeats)
                    how = "stream (gctune parse gctrace)" if mode == "stream" else "whole text (parse_gctrace)"
                    print(f"| {log} | {how} | {lines:,} | {m['seconds']:.2f} | {lines / m['seconds']:,.0f} | "
                          f"{m['peak_mib']:.0f} | {m['start_mib']:.0f} |", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
