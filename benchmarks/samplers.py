#!/usr/bin/env python3
"""Benchmark: how many trials each gctune sampler needs to come within 5% of the grid's best.

Modes:

  benchmarks/samplers.py --measure   runs a REAL exhaustive grid (9 GOGC x 6 GOMEMLIMIT = 54 trials,
                                     plus gctune's baseline) with the real CLI, `gctune run ... --json`,
                                     and saves the measured table to benchmarks/grid-measured.json.
                                     About 5 minutes on a 2-core machine.
  benchmarks/samplers.py             replays: for each sampler and seed, an in-memory Optuna study over the
                                     space a user would write (GOGC as a log range), answered from the
                                     measured table. About 3 minutes (gp is the slow one).
                                     --within 10 moves the target; --samplers/--seeds narrow the run.
  benchmarks/samplers.py --noise-check
                                     measures the same grid again (run id grid-again, not saved) and says
                                     how far it moved from the saved table: the noise the replay freezes.

What "replay" means. The workload is measured once, on a grid. Each replayed trial asks gctune's own
sampler (orchestrator.search._samplers.create_sampler) and gctune's own suggest() for a configuration,
then answers it with the measured grid point nearest in log(GOGC) with the same GOMEMLIMIT choice: its
gc_cpu_percent as the value, and its constraint values set with trial.set_constraint exactly as gctune
sets them (computed by gctune's StudyRun.violations). So two samplers, or two seeds, see exactly the same
numbers for the same configuration: the differences between rows come from the samplers alone, not from
run-to-run measurement noise. The price: the measured noise of each grid point is frozen into the
table, and a sampler that proposes GOGC=57 is answered with GOGC=50's measurement.

Not a test: it makes no assertions about which sampler wins. Run from the repository root with the
project's venv (.venv/bin/python benchmarks/samplers.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import textwrap
import time
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

import optuna  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from orchestrator.errors import SpecError  # noqa: E402
from orchestrator.search._samplers import create_sampler  # noqa: E402
from orchestrator.search._space import grid_space, suggest  # noqa: E402
from orchestrator.search._study import Measurement, StudyRun  # noqa: E402
from orchestrator.spec import load_spec_text, resolve_trial_settings  # noqa: E402

MEASURED = HERE / "grid-measured.json"
RESULTS = HERE / "results"
RUN_ID = "grid"
SPEC_NAME = "samplers-grid"

GOGC_GRID = [25, 35, 50, 70, 100, 140, 200, 280, 400]
GOMEMLIMIT_CHOICES = ["none", "50%", "60%", "70%", "80%", "90%"]
CONSTRAINT = "peak_memory_bytes <= 200MiB"
OBJECTIVE = "gc_cpu_percent"

SAMPLERS = ["tpe", "gp", "random", "nsga2"]
SEEDS = range(10)
BUDGET = 40
WITHIN = 0.05  # "within 5% of the grid's best feasible value" (--within changes it)
GAP_AT = (10, 20, 40)  # also report how far from the grid's best the best feasible trial is after this many

# The workload and container of experiments/quickstart.yaml, with a shorter warm-up and window.
COMMON = """\
workload:
  builtin: service
  live_heap: 48MiB
  pointers: dense
  churn: 0.1
  loop: open
  rate: 10000
  warmup: 1s
  duration: 3s
container:
  cpus: 1
  memory: 256MiB
objective:
  minimize: {objective}
constraints:
  - {constraint}
""".format(objective=OBJECTIVE, constraint=CONSTRAINT)

GRID_SPEC = f"""\
# Written by benchmarks/samplers.py --measure: the exhaustive grid the sampler replay is answered from.
name: {SPEC_NAME}
{COMMON}space:
  GOGC: [{", ".join(str(g) for g in GOGC_GRID)}]
  GOMEMLIMIT: [{", ".join(GOMEMLIMIT_CHOICES)}]
search:
  sampler: grid
  trials: {len(GOGC_GRID) * len(GOMEMLIMIT_CHOICES)}
  seed: 0
"""


def search_spec_text(sampler: str, seed: int) -> str:
    """The space as a user would write it for a search: GOGC a log range, GOMEMLIMIT choices."""
    return f"""\
name: samplers-replay
{COMMON}space:
  GOGC: {{low: {GOGC_GRID[0]}, high: {GOGC_GRID[-1]}, log: true}}
  GOMEMLIMIT: [{", ".join(GOMEMLIMIT_CHOICES)}]
search:
  sampler: {sampler}
  trials: {BUDGET}
  seed: {seed}
"""


def grid_spec_text(seed: int) -> str:
    return GRID_SPEC.replace("  seed: 0\n", f"  seed: {seed}\n")


# --------------------------------------------------------------------------------------------------
# --measure


def _machine() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": cpu_model, "kernel": platform.release(),
            "python": platform.python_version(), "optuna": optuna.__version__}


def _other_gctune_containers(run_id: str) -> int | None:
    """Running gctune containers that are not ours (other people's runs compete for the 2 cores)."""
    try:
        out = subprocess.run(["docker", "ps", "--filter", "label=gctune.run", "--format",
                              '{{.Label "gctune.run"}}'], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return sum(1 for line in out.stdout.split() if line and line != run_id)


class _LoadWatcher(threading.Thread):
    """Every 10 s: the 1-minute load average and whether someone else's gctune container is running."""

    def __init__(self, run_id: str) -> None:
        super().__init__(daemon=True)
        self.run_id = run_id
        self.samples: list[dict[str, Any]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(10):
            self.samples.append({"load1": os.getloadavg()[0], "other_gctune_containers": _other_gctune_containers(self.run_id)})


def _choice_label(gomemlimit_bytes: int | None, memory_bytes: int) -> str:
    if gomemlimit_bytes is None:
        return "none"
    for label in GOMEMLIMIT_CHOICES[1:]:
        if int(memory_bytes * float(label[:-1]) / 100) == gomemlimit_bytes or \
                abs(gomemlimit_bytes / memory_bytes * 100 - float(label[:-1])) < 0.01:
            return label
    raise ValueError(f"GOMEMLIMIT {gomemlimit_bytes} is not one of {GOMEMLIMIT_CHOICES} of {memory_bytes}")


def measure(fresh: bool, run_id: str = RUN_ID, save: bool = True) -> int:
    """Run the grid with the real CLI; save it as the replay table, or (save=False) compare it with it."""
    gctune = REPO / ".venv" / "bin" / "gctune"
    run_dir = RESULTS / SPEC_NAME / run_id
    if run_dir.exists():
        if not fresh:
            print(f"{run_dir} exists; pass --fresh to delete it and measure again "
                  "(or gctune would only resume it)", file=sys.stderr)
            return 2
        shutil.rmtree(run_dir)
    RESULTS.mkdir(parents=True, exist_ok=True)
    spec_path = RESULTS / "grid.yaml"
    spec_path.write_text(GRID_SPEC)
    command = [str(gctune), "run", str(spec_path), "--results-dir", str(RESULTS), "--run-id", run_id, "--json"]
    print("running:", " ".join(os.path.relpath(c, REPO) if c.startswith("/") else c for c in command),
          file=sys.stderr, flush=True)

    watcher = _LoadWatcher(run_id)
    before = {"load1": os.getloadavg()[0], "other_gctune_containers": _other_gctune_containers(run_id)}
    started = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc)
    watcher.start()
    proc = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True)  # progress goes to stderr
    wall = time.monotonic() - started
    watcher.stop.set()
    watcher.join()
    if proc.returncode != 0:
        print(f"gctune run failed with exit code {proc.returncode}", file=sys.stderr)
        return proc.returncode
    summary = json.loads(proc.stdout)
    run_json = json.loads((run_dir / "run.json").read_text())

    memory = load_spec_text(GRID_SPEC).container.memory
    points = []
    for trial in summary["trials"]:
        params, metrics = trial["params"], trial["metrics"]
        measured_objective = isinstance(metrics.get(OBJECTIVE), (int, float)) and not isinstance(
            metrics.get(OBJECTIVE), bool)
        points.append({
            "GOGC": params["GOGC"],
            "GOMEMLIMIT": _choice_label(params["GOMEMLIMIT"], memory),
            "GOMEMLIMIT_bytes": params["GOMEMLIMIT"],
            "trial": trial["trial"],
            "state": trial["state"],
            "outcome": trial["outcome"],
            "reason": trial["reason"],
            OBJECTIVE: metrics.get(OBJECTIVE) if measured_objective else None,
            "value": (trial["values"] or {}).get(OBJECTIVE),
            "peak_memory_bytes": metrics.get("peak_memory_bytes"),
            "oom_killed": metrics.get("oom_killed"),
            "throughput_ops_per_s": metrics.get("throughput_ops_per_s"),
            "feasible": trial["feasible"],
            "violations": trial["violations"],
        })
    points.sort(key=lambda p: (GOMEMLIMIT_CHOICES.index(p["GOMEMLIMIT"]), p["GOGC"]))
    expected = len(GOGC_GRID) * len(GOMEMLIMIT_CHOICES)
    if len({(p["GOGC"], p["GOMEMLIMIT"]) for p in points}) != expected:
        print(f"warning: the grid has {len(points)} trials, not {expected} distinct points", file=sys.stderr)

    baseline = summary["baseline"]
    samples = watcher.samples
    data = {
        "about": "Measured once by `benchmarks/samplers.py --measure` (a real `gctune run` of the grid below); "
                 "`benchmarks/samplers.py` replays sampler studies against this table.",
        "date": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": f"gctune run benchmarks/results/grid.yaml --results-dir benchmarks/results --run-id {run_id} --json",
        "wall_seconds": round(wall, 1),
        "go_version": run_json.get("go_toolchain"),
        "gctune_version": run_json.get("gctune_version"),
        "image": run_json.get("image"),
        "engine": run_json.get("engine"),
        "machine": _machine(),
        "load": {
            "before": before,
            "samples_every_10s": len(samples),
            "load1_median": statistics.median(s["load1"] for s in samples) if samples else None,
            "load1_max": max(s["load1"] for s in samples) if samples else None,
            "samples_with_other_gctune_containers": sum(1 for s in samples if s["other_gctune_containers"]),
        },
        "spec": GRID_SPEC,
        "objective": OBJECTIVE,
        "constraint": CONSTRAINT,
        "baseline": {"params": baseline["params"], "outcome": baseline["outcome"],
                     "feasible": baseline["feasible"], OBJECTIVE: baseline["metrics"].get(OBJECTIVE),
                     "peak_memory_bytes": baseline["metrics"].get("peak_memory_bytes")},
        "trial_counts": summary["trial_counts"],
        "recommended": {k: summary["recommended"][k] for k in ("trial", "params", "rule")}
        if summary.get("recommended") else None,
        "points": points,
    }
    if not save:
        print(f"measured the grid again in {wall:.0f} s of gctune run (load: {data['load']})", file=sys.stderr)
        print_grid(data)
        compare(json.loads(MEASURED.read_text()), data)
        return 0
    MEASURED.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {MEASURED.relative_to(REPO)} ({len(points)} points) in {wall:.0f} s of gctune run", file=sys.stderr)
    print_grid(data)
    return 0


def compare(saved: dict[str, Any], again: dict[str, Any]) -> None:
    """How much a second measurement of the same grid moves: the noise frozen into the replay table."""
    first = {(p["GOGC"], p["GOMEMLIMIT"]): p for p in saved["points"]}
    ratios, flips = [], []
    for p in again["points"]:
        q = first.get((p["GOGC"], p["GOMEMLIMIT"]))
        if q is None or q[OBJECTIVE] is None or p[OBJECTIVE] is None:
            continue
        ratios.append(p[OBJECTIVE] / q[OBJECTIVE])
        if p["feasible"] != q["feasible"]:
            flips.append(f"GOGC={p['GOGC']}/{p['GOMEMLIMIT']}")
    deviations = sorted(abs(r - 1) for r in ratios)
    print(f"\nagainst {MEASURED.relative_to(REPO)} ({saved['date']}): {OBJECTIVE} ratio again/saved over "
          f"{len(ratios)} points: median |change| {100 * statistics.median(deviations):.0f}%, "
          f"90th percentile {100 * deviations[int(0.9 * (len(deviations) - 1))]:.0f}%, "
          f"max {100 * deviations[-1]:.0f}%")
    print(f"feasibility changed at: {', '.join(flips) or 'no point'}")
    for label, data in (("saved", saved), ("again", again)):
        ranked = sorted((p for p in data["points"] if p["feasible"] and p[OBJECTIVE] is not None),
                        key=lambda p: p[OBJECTIVE])[:5]
        print(f"best 5 feasible, {label}: " + ", ".join(
            f"GOGC={p['GOGC']}/{p['GOMEMLIMIT']} {p[OBJECTIVE]:.1f}" for p in ranked))


def print_grid(data: dict[str, Any]) -> None:
    """The measured table: gc_cpu_percent per point, '*' = infeasible."""
    cell = {(p["GOGC"], p["GOMEMLIMIT"]): p for p in data["points"]}
    print(f"\nmeasured {OBJECTIVE} (x = infeasible: peak memory over 200MiB, OOM or thrashing; "
          f"- = no value)")
    print("GOGC      " + "".join(f"{c:>8}" for c in GOMEMLIMIT_CHOICES))
    for gogc in GOGC_GRID:
        row = []
        for choice in GOMEMLIMIT_CHOICES:
            p = cell.get((gogc, choice))
            if p is None or p[OBJECTIVE] is None:
                row.append(f"{'-' if p is None or p['feasible'] else 'x -':>8}")
            else:
                row.append(f"{p[OBJECTIVE]:7.1f}{' ' if p['feasible'] else 'x'}")
        print(f"{gogc:<10}" + "".join(row))


# --------------------------------------------------------------------------------------------------
# replay


class Table:
    """The measured grid, answering a configuration the way a real gctune trial would have."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.points = {(p["GOGC"], p["GOMEMLIMIT_bytes"]): p for p in data["points"]}
        self.gogcs = sorted({p["GOGC"] for p in data["points"]})
        feasible = [p["value"] for p in data["points"] if p["feasible"] and p["state"] == "COMPLETE"]
        if not feasible:
            raise SystemExit("no feasible point in the measured grid: nothing to compare against")
        self.best = min(feasible)
        self.target = self.best * (1 + WITHIN)
        self.baseline_value = (data.get("baseline") or {}).get(OBJECTIVE)

    def nearest(self, gogc: int, gomemlimit_bytes: int | None) -> dict[str, Any]:
        grid_gogc = min(self.gogcs, key=lambda g: abs(math.log(g) - math.log(gogc)))
        return self.points[(grid_gogc, gomemlimit_bytes)]

    def hits(self, point: dict[str, Any]) -> bool:
        return point["state"] == "COMPLETE" and point["feasible"] and point["value"] <= self.target


def _violations(spec, point: dict[str, Any]) -> dict[str, float]:
    """The constraint values gctune's StudyRun.violations gives this measurement (no baseline-relative
    constraints here, so an empty baseline is exact)."""
    metrics = {"peak_memory_bytes": point["peak_memory_bytes"], "oom_killed": point["oom_killed"],
               OBJECTIVE: point[OBJECTIVE]}
    metrics = {k: v for k, v in metrics.items() if v is not None}
    measurement = Measurement(params={}, metrics=metrics, outcome=point["outcome"])
    return StudyRun.violations(types.SimpleNamespace(spec=spec, baseline={}), measurement)


def replay_study(table: Table, sampler: str, seed: int) -> dict[str, Any]:
    """One study, driven by ask/tell as gctune drives it; returns the trial number of the first hit."""
    text = grid_spec_text(seed) if sampler == "grid" else search_spec_text(sampler, seed)
    spec = load_spec_text(text, f"<{sampler} seed {seed}>")
    searched = spec.space.searched()
    grid = spec.search.sampler == "grid"
    budget = (math.prod(len(v) for v in grid_space(searched).values()) if grid else spec.search.trials)
    study = optuna.create_study(sampler=create_sampler(spec.search.sampler, spec.search.seed,
                                                       grid_space(searched), spec.search.trials),
                                directions=[d for _, d in spec.objectives])
    first_hit, seen, started = None, [], time.perf_counter()
    best_found, best_at = math.inf, {}
    for number in range(1, budget + 1):
        trial = study.ask()
        settings = resolve_trial_settings(spec, suggest(trial, searched, grid))
        point = table.nearest(settings.gogc, settings.gomemlimit_bytes)
        seen.append((point["GOGC"], point["GOMEMLIMIT"]))
        if point["state"] != "COMPLETE":
            study.tell(trial, state=TrialState.FAIL)  # a crash, timeout or engine error
            continue
        violations = _violations(spec, point)
        if any(abs(violations.get(k, math.nan) - v) > 1e-9 for k, v in (point["violations"] or {}).items()):
            raise SystemExit(f"replayed violations {violations} differ from measured {point['violations']}")
        for key, value in violations.items():
            trial.set_constraint(key, value)
        value = point[OBJECTIVE]
        if value is None:  # gctune gives a trial without the metric the worst value seen so far
            known = [t.values[0] for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
            known += [table.baseline_value] if table.baseline_value is not None else []
            value = max(known) if known else None
            if value is None:
                study.tell(trial, state=TrialState.FAIL)
                continue
        study.tell(trial, [value])
        if first_hit is None and table.hits(point):
            first_hit = number
        if point["feasible"]:
            best_found = min(best_found, point["value"])
        best_at[number] = best_found
    return {"first_hit": first_hit, "budget": budget, "distinct_points": len(set(seen)),
            "gap": {n: (best_at[min(n, budget)] / table.best - 1) for n in GAP_AT},
            "seconds": time.perf_counter() - started}


def random_hit_probability(table: Table) -> float:
    """Chance that one uniformly sampled configuration (log-uniform GOGC, uniform GOMEMLIMIT choice)
    lands on a hitting grid point: a sanity check for the random sampler's row."""
    logs = [math.log(g) for g in table.gogcs]
    edges = [logs[0]] + [(a + b) / 2 for a, b in zip(logs, logs[1:])] + [logs[-1]]
    width = {g: (edges[i + 1] - edges[i]) / (logs[-1] - logs[0]) for i, g in enumerate(table.gogcs)}
    return sum(width[p["GOGC"]] / len(GOMEMLIMIT_CHOICES) for p in table.data["points"] if table.hits(p))


REPLAY_TEXT = (
    "Replay: the workload was measured once, on a 9 x 6 grid (benchmarks/grid-measured.json). Each replayed "
    "trial asks gctune's own sampler (create_sampler) and suggest() for a configuration, over the space a user "
    "would write (GOGC a log range 25..400, GOMEMLIMIT choices), and is answered with the measured grid point "
    "nearest in log(GOGC) with the same GOMEMLIMIT choice: its gc_cpu_percent, and the constraint values "
    "gctune itself sets with trial.set_constraint. Every study sees the same number for the same "
    "configuration, so the spread between seeds and samplers comes from the samplers alone; the measurement "
    "noise is frozen into the table, not re-drawn per trial.")


def _pct(x: float) -> str:
    return "never" if math.isinf(x) else f"{100 * x:.0f}%"


def _fmt(n: float | None) -> str:
    return f">{BUDGET}" if n is None or math.isinf(n) else (f"{n:g}" if n == int(n) else f"{n:.1f}")


def replay(samplers: list[str], seeds: list[int]) -> int:
    if not MEASURED.exists():
        print(f"{MEASURED.relative_to(REPO)} is missing: run benchmarks/samplers.py --measure first", file=sys.stderr)
        return 2
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    data = json.loads(MEASURED.read_text())
    table = Table(data)
    print(textwrap.fill(REPLAY_TEXT, 100) + "\n")
    hitting = [p for p in data["points"] if table.hits(p)]
    best = min((p for p in data["points"] if p["feasible"] and p["state"] == "COMPLETE"), key=lambda p: p["value"])
    print(f"grid measured {data['date']} ({data['go_version']}, {data['machine']['cpus']} CPUs, "
          f"Docker {data['engine']['docker']}, cgroup v{data['engine']['cgroup']}); "
          f"{len(data['points'])} points, {sum(p['feasible'] for p in data['points'])} feasible")
    print(f"best feasible {OBJECTIVE}: {table.best:.2f}% at GOGC={best['GOGC']} GOMEMLIMIT={best['GOMEMLIMIT']}; "
          f"target (within {WITHIN:.0%}): <= {table.target:.2f}%")
    print(f"grid points that hit the target: {len(hitting)} of {len(data['points'])} "
          f"({', '.join('GOGC=%s/%s' % (p['GOGC'], p['GOMEMLIMIT']) for p in hitting)})")
    p = random_hit_probability(table)
    if p > 0:
        print(f"one uniformly random configuration hits with p = {p:.3f}: expected median "
              f"{math.ceil(math.log(0.5) / math.log(1 - p)) if p < 1 else 1} trials, "
              f"P(no hit in {BUDGET}) = {(1 - p) ** BUDGET:.2f}")
    print(flush=True)

    rows, notes = [], []
    for sampler in samplers:
        results = []
        try:
            for seed in seeds:
                results.append(replay_study(table, sampler, seed))
            print(f"  replayed {sampler}: {len(results)} seeds", file=sys.stderr, flush=True)
        except SpecError as exc:  # gp without torch/scipy
            notes.append(f"{sampler}: skipped ({exc})")
            continue
        firsts = [r["first_hit"] for r in results]
        ranked = [math.inf if f is None else f for f in firsts]
        rows.append({
            "sampler": sampler,
            "budget": results[0]["budget"],
            "median": statistics.median(ranked),
            "worst": max(ranked),
            "missed": sum(f is None for f in firsts),
            "seeds": len(firsts),
            "per_seed": firsts,
            "distinct": statistics.median(r["distinct_points"] for r in results),
            "gap": {n: statistics.median(r["gap"][n] for r in results) for n in GAP_AT},
            "seconds": statistics.mean(r["seconds"] for r in results),
        })

    header = ["sampler", "budget", "median", "worst", "missed", *(f"gap@{n}" for n in GAP_AT), "distinct",
              "s/study", f"trials to first hit, seeds {seeds[0]}..{seeds[-1]}"]
    lines = [[r["sampler"], str(r["budget"]), _fmt(r["median"]), _fmt(r["worst"]),
              f"{r['missed']}/{r['seeds']}", *(_pct(r["gap"][n]) for n in GAP_AT), _fmt(r["distinct"]),
              f"{r['seconds']:.1f}", " ".join(_fmt(f) if f is not None else "-" for f in r["per_seed"])]
             for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    right = set(range(1, len(header) - 1))

    def show(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(f"Trials until the first FEASIBLE trial within {WITHIN:.0%} of the grid's best feasible value")
    print(show(header))
    print(show(["-" * w for w in widths]))
    for line in lines:
        print(show(line))
    print(f"\nmedian, worst: trials until the first hit, over the seeds (>{BUDGET}: not within the budget); "
          f"missed: seeds that never hit; gap@N: median over seeds of how far the best feasible value after N "
          f"trials is above the grid's best (0% = found it); distinct: median number of different grid points "
          f"a study's trials landed on; '-' in the per-seed list: never.")
    if any(r["sampler"] == "grid" for r in rows):
        print("grid: gctune's grid sampler over the 54 measured points (budget = grid size, so it always ends on "
              "the best). Optuna's GridSampler visits the grid in an order shuffled with the seed (seed unset = 0), "
              "so its row varies with the seed like the others.")
    for note in notes:
        print("note:", note)
    return 0


def main() -> int:
    global WITHIN, MEASURED
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", action="store_true", help="run the real grid with gctune and save it")
    parser.add_argument("--noise-check", action="store_true",
                        help="run the same grid again (run id grid-again) and compare it with the saved table")
    parser.add_argument("--fresh", action="store_true", help="with --measure or --noise-check: delete a previous run of that grid first")
    parser.add_argument("--samplers", default=",".join(SAMPLERS + ["grid"]),
                        help="comma-separated samplers to replay (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds 0..N-1 (default: %(default)s)")
    parser.add_argument("--within", type=float, default=WITHIN * 100,
                        help="target: within this many percent of the grid's best (default: %(default)g)")
    parser.add_argument("--table", type=Path, default=MEASURED,
                        help="the measured grid to write (--measure) or replay from (default: %(default)s)")
    args = parser.parse_args()
    WITHIN = args.within / 100
    MEASURED = args.table.resolve()
    if args.measure:
        return measure(args.fresh)
    if args.noise_check:
        return measure(args.fresh, run_id="grid-again", save=False)
    return replay([s for s in args.samplers.split(",") if s], list(range(args.seeds)))


if __name__ == "__main__":
    sys.exit(main())
