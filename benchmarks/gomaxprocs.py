#!/usr/bin/env python3
"""Benchmark: GOMAXPROCS under CPU limits of 0.5, 1 and 1.5 on the built-in workload, by measurement.

For each CPU limit, the quickstart's service (experiments/quickstart.yaml, Go's default GC settings) runs
at GOMAXPROCS=1, GOMAXPROCS=2 and Go's own choice (unset), in interleaved rounds (1, 2, default, 1, 2,
default, ...) so drift hits all alike. Printed per cell: the median GC CPU, p99 latency and throughput
over the rounds, and the GOMAXPROCS the runtime reported. This is what the report's GOMAXPROCS advice
measures for the leaders instead of advising by rule.

Run from the repository root on an idle machine: .venv/bin/python benchmarks/gomaxprocs.py [--rounds 3]
About 4 minutes. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bench import REPO, machine, trial  # noqa: E402

SPEC = REPO / "experiments" / "quickstart.yaml"
CPUS = ("0.5", "1", "1.5")
GOMAXPROCS = ("1", "2", None)  # None: unset, Go's own choice
METRICS = ("gc_cpu_percent", "latency_p99_ms", "throughput_ops_per_s")


def median(results: list[dict[str, Any]], metric: str) -> str:
    values = [r[metric] for r in results if isinstance(r.get(metric), (int, float))]
    return f"{statistics.median(values):.1f}" if values else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default: %(default)s)")
    args = parser.parse_args()
    load, started = os.getloadavg()[0], dt.datetime.now(dt.timezone.utc)
    cells: dict[tuple[str, str | None], list[dict[str, Any]]] = {(c, g): [] for c in CPUS for g in GOMAXPROCS}
    for _ in range(args.rounds):
        for cpus, procs in cells:
            settings = {"cpus": cpus, **({"GOMAXPROCS": procs} if procs else {})}
            cells[(cpus, procs)].append(trial(SPEC, settings))
    print(f"machine: {machine()}; started {started:%Y-%m-%d %H:%MZ}, load average before {load:.2f}; "
          f"{args.rounds} interleaved rounds\n")
    print("| cpus | GOMAXPROCS | runtime's GOMAXPROCS | gc_cpu_percent | latency p99 ms | throughput ops/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for (cpus, procs), results in cells.items():
        reported = sorted({r.get("gomaxprocs") for r in results}, key=str)
        print(f"| {cpus} | {procs or 'default'} | {', '.join(map(str, reported))} | "
              + " | ".join(median(results, m) for m in METRICS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
