#!/usr/bin/env python3
"""Benchmark: what running trials at once buys in throughput and costs in precision.

The same fixed study (the built-in service, 1 CPU and 256MiB per container, a 6-point GOGC grid, 3
repeats per trial, plus Go's defaults) is run three ways with the real CLI:

  1 job         gctune run SPEC                          (one container at a time)
  2 jobs        gctune run SPEC --jobs 2                 (two containers at once, each pinned to its own core)
  2 engines     gctune run SPEC --storage PG  +  gctune worker --storage PG --study NAME --engine SECOND
                (a coordinator on the local engine and a worker on a second dockerd this script starts on
                its own socket and data root, both on this machine, sharing one PostgreSQL study; the two
                engines do not know each other, so their containers are not pinned apart)

For each: the wall time of the run, trials (container runs, repeats counted) per hour, the coefficient of
variation (stdev / mean) of gc_cpu_percent over each trial's 3 repeats (median and maximum over the 6
trials), and the shift of each configuration's median against the 1-job run (median and largest
absolute shift): what the neighbour container costs in precision and in bias.

Run from the repository root on an idle machine (it checks the load first), with the engine and
PostgreSQL the project's scripts start (scripts/setup; scripts/ensure-postgres). A few minutes.
Not a test: it asserts nothing about which mode wins.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(HERE))

from _bench import GCTUNE, machine  # noqa: E402
from engines import SecondEngine  # noqa: E402 - the tests' second dockerd, on its own socket and data root

RESULTS = HERE / "results" / "parallel"
GOGCS = [50, 100, 200, 400, 800, 1600]
REPEATS = 3
SPEC = """\
# Written by benchmarks/parallel.py: one fixed study, run one job at a time, two jobs at once, and on two engines.
name: {name}
workload: {{builtin: service, live_heap: 48MiB, pointers: dense, churn: 0.1, loop: open, rate: 10000,
           warmup: 1s, duration: 3s}}
container: {{cpus: 1, memory: 256MiB}}
objective: {{minimize: gc_cpu_percent}}
space: {{GOGC: {gogcs}}}
search: {{sampler: grid, trials: {trials}, repeats: {repeats}, seed: 0}}
"""
METRIC = "gc_cpu_percent"


def write_spec(name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, gogcs=json.dumps(GOGCS), trials=len(GOGCS), repeats=REPEATS))
    return path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([*GCTUNE, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def finish(process: subprocess.Popen, what: str) -> dict[str, Any]:
    out, err = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise SystemExit(f"{what} failed ({process.returncode}):\n{err[-3000:]}")
    return json.loads(out)


def one_host(jobs: int) -> tuple[float, dict[str, Any]]:
    name = f"parallel-{jobs}job"
    spec = write_spec(name)
    start = time.monotonic()
    summary = finish(run("run", str(spec), "--results-dir", str(RESULTS), "--run-id", uuid.uuid4().hex[:8],
                         "--jobs", str(jobs), "--json"), f"{jobs} job(s)")
    return time.monotonic() - start, summary


def two_engines(storage: str) -> tuple[float, dict[str, Any]]:
    name = f"parallel-engines-{uuid.uuid4().hex[:6]}"
    spec, run_id = write_spec(name), "engines"
    with tempfile.TemporaryDirectory(prefix="gctune-engine-") as root:
        engine = SecondEngine(Path(root))
        engine.start()
        try:
            start = time.monotonic()
            coordinator = run("run", str(spec), "--results-dir", str(RESULTS), "--run-id", run_id,
                              "--storage", storage, "--json")
            _wait_for_study(storage, f"{name}/{run_id}")
            worker = run("worker", "--storage", storage, "--study", f"{name}/{run_id}", "--engine", engine.host,
                         "--results-dir", str(RESULTS / "worker"), "--json")
            summary = finish(coordinator, "the coordinator")
            finish(worker, "the worker")
            return time.monotonic() - start, summary
        finally:
            engine.stop()


def _wait_for_study(storage: str, study_name: str, timeout_s: float = 300) -> None:
    import optuna

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if "gctune:spec" in optuna.load_study(study_name=study_name, storage=storage).user_attrs:
                return
        except KeyError:
            pass
        time.sleep(1)
    raise SystemExit("the coordinator did not publish its study")


def medians(summary: dict[str, Any]) -> dict[int, float]:
    return {t["params"]["GOGC"]: t["metrics"][METRIC] for t in summary["trials"] if t["outcome"] == "ok"}


def cvs(summary: dict[str, Any]) -> list[float]:
    values = [t["spread"][METRIC]["values"] for t in summary["trials"] if t["outcome"] == "ok"]
    return [statistics.stdev(v) / statistics.fmean(v) for v in values if len(v) > 1]


def row(mode: str, wall: float, summary: dict[str, Any], reference: dict[int, float]) -> list[str]:
    runs = REPEATS * (len(summary["trials"]) + 1)  # the baseline's repeats too
    spread = cvs(summary)
    shifts = [medians(summary)[g] / reference[g] - 1 for g in medians(summary) if g in reference]
    machines = {t.get("machine") for t in summary["trials"]}
    return [mode, f"{wall:.0f}", str(runs), f"{3600 * runs / wall:.0f}",
            f"{100 * statistics.median(spread):.1f}%", f"{100 * max(spread):.1f}%",
            f"{100 * statistics.median(shifts):+.1f}%" if shifts else "-",
            f"{100 * max(shifts, key=abs):+.1f}%" if shifts else "-", str(len(machines))]


def table(rows: list[list[str]]) -> str:
    header = ["mode", "wall s", "runs", "runs/hour", "CV median", "CV max", "shift median", "shift max", "machines"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", help="an RDB URL for the two-engine mode (default: scripts/ensure-postgres)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: the machine is busy, the numbers will show it", file=sys.stderr)
    storage = args.storage or subprocess.run([str(REPO / "scripts" / "ensure-postgres")], capture_output=True,
                                             text=True, check=True).stdout.split()[-1]
    started = dt.datetime.now(dt.timezone.utc)
    wall_1, one = one_host(1)
    wall_2, two = one_host(2)
    wall_e, engines = two_engines(storage)
    reference = medians(one)
    print(f"machine: {machine()}; started {started:%Y-%m-%d %H:%MZ}, load average before {load:.2f}")
    print(f"study: GOGC {GOGCS}, {REPEATS} repeats each and of Go's defaults; 1 CPU, 256MiB containers\n")
    print(table([row("1 job", wall_1, one, reference), row("2 jobs (pinned)", wall_2, two, reference),
                 row("2 engines (coordinator + worker)", wall_e, engines, reference)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
