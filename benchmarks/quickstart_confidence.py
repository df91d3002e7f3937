#!/usr/bin/env python3
"""Benchmark: does the default quickstart reach a confident answer in minutes, and do two seeds agree?

1. Runs the real quickstart (`experiments/quickstart.yaml`, unchanged but for `search.seed`) with seeds
   1 and 2: the wall time of each run and the confidence its race reached (the verdict is stated once,
   at the end of the run, so the time to it is the run's wall time).
2. Re-measures both recommendations and Go's defaults side by side: `rounds` interleaved rounds of
   `gctune trial` (A B defaults, A B defaults, ...), so drift hits all three alike. Then: the two-sided
   Mann-Whitney p of "seed 1's and seed 2's recommendations measure the same" (within noise when p is
   above 0.05), and whether every re-measured repeat kept the spec's constraints.

Run from the repository root on an idle machine: .venv/bin/python benchmarks/quickstart_confidence.py
About 12 minutes. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from _bench import GCTUNE, machine, trial  # noqa: E402
from orchestrator.spec import Spec, load_spec  # noqa: E402
from orchestrator.stats import mann_whitney_greater  # noqa: E402

QUICKSTART = REPO / "experiments" / "quickstart.yaml"
RESULTS = HERE / "results" / "quickstart"
METRIC, PEAK = "gc_cpu_percent", "peak_memory_bytes"


def spec_with_seed(seed: int) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"quickstart-seed{seed}.yaml"
    text, count = re.subn(r"(?m)^(\s+seed:\s*)\d+", rf"\g<1>{seed}", QUICKSTART.read_text())
    assert count == 1, "experiments/quickstart.yaml has no search.seed line to change"
    path.write_text(text)
    return path


def run_quickstart(seed: int) -> tuple[float, dict[str, Any]]:
    spec = spec_with_seed(seed)
    start = time.monotonic()
    done = subprocess.run([*GCTUNE, "run", str(spec), "--results-dir", str(RESULTS), "--run-id",
                           f"seed{seed}-{int(time.time())}", "--json"], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the quickstart with seed {seed} failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - start, json.loads(done.stdout)


def settings_of(summary: dict[str, Any]) -> dict[str, Any]:
    """The recommendation's searched settings, as `gctune trial --set` takes them (Optuna searches a
    percentage of the memory limit as ``<name>_percent``; ``--set`` writes it ``<name>=<value>%``)."""
    return {name.removesuffix("_percent"): f"{value}%" if name.endswith("_percent") else value
            for name, value in summary["recommended"]["optuna_params"].items()}


def p_same(a: list[float], b: list[float]) -> float:
    """Two-sided Mann-Whitney p: twice the smaller one-sided p."""
    return min(1.0, 2 * min(mann_whitney_greater(a, b), mann_whitney_greater(b, a)))


def constraints_kept(result: dict[str, Any], spec: Spec) -> bool:
    """Every constraint of the spec, as gctune itself judges it."""
    return all(c.is_satisfied(result) for c in spec.constraints)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="side-by-side rounds (default: %(default)s)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    started = dt.datetime.now(dt.timezone.utc)
    spec = load_spec(QUICKSTART)
    runs = {seed: run_quickstart(seed) for seed in (1, 2)}
    configs = {f"seed {seed}": settings_of(summary) for seed, (_, summary) in runs.items()}
    configs["Go's defaults"] = {}
    measured: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, settings in configs.items():
            measured[name].append(trial(QUICKSTART, settings))

    print(f"machine: {machine()}; started {started:%Y-%m-%d %H:%MZ}, load average before {load:.2f}\n")
    print("| quickstart | wall s | confidence | race rounds | recommended | stopped |")
    print("|---|---:|---|---:|---|---|")
    for seed, (wall, summary) in runs.items():
        decision = summary.get("decision") or {}
        shown = ", ".join(f"{k}={v}" for k, v in summary["recommended"]["params"].items()
                          if k in configs[f"seed {seed}"])
        print(f"| seed {seed} | {wall:.0f} | {decision.get('confidence', '-')} | {decision.get('rounds', '-')} | "
              f"{shown or 'Go defaults'} | {decision.get('stopped', '-')} |")
    print(f"\nre-measured side by side, {args.rounds} interleaved rounds:\n")
    print(f"| configuration | {METRIC} median | min..max | peak memory max (MiB) | kept every constraint |")
    print("|---|---:|---|---:|---|")
    for name, results in measured.items():
        values = [r[METRIC] for r in results]
        peaks = [r[PEAK] for r in results if r.get(PEAK) is not None]
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f}..{max(values):.2f} | "
              f"{max(peaks) / 2**20:.1f} | {all(constraints_kept(r, spec) for r in results)} |")
    a, b = ([r[METRIC] for r in measured[f"seed {s}"]] for s in (1, 2))
    p = p_same(a, b)
    print(f"\nseed 1 against seed 2: two-sided Mann-Whitney p = {p:.3f} "
          f"({'within noise' if p > 0.05 else 'apart'} at 0.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
