#!/usr/bin/env python3
"""Benchmark: the GC cost model on a real measured grid, and the model-guided search replayed on it.

Needs the run folder of a real exhaustive grid (9 GOGC x 6 GOMEMLIMIT = 54 trials plus the baseline,
the built-in service, 1 CPU, 256MiB, constraint peak_memory_bytes <= 200MiB), made by

    .venv/bin/python benchmarks/samplers.py --measure --table benchmarks/grid-measured-epyc.json

which leaves it at benchmarks/results/samplers-grid/grid/ (--run-dir elsewhere). Nothing is measured
here: no container, no engine. Two tables:

(a) Prediction error on grid points the model was not fitted on. For k = 2, 3, 5, 8 and each seed, the
    model (orchestrator.model: observe_folder, fit_model, predict) is fitted on the baseline plus k
    grid trials drawn at random among those it can use (a complete window; the thrashing trials are
    left out, as the model leaves them out in a study), and predicts every other feasible grid point.
    Errors are |predicted - measured| / measured, pooled over the seeds. The last row is each point
    predicted from all the others (leave-one-out over the whole grid): what more data can reach.
(b) The guide in a replayed study. gctune's own study (orchestrator.app.run_study: StudyRun, its
    sampler, its ModelGuide) runs over the space a user would write (GOGC a log range 25..400,
    GOMEMLIMIT choices), 40-trial budget, answered by a ReplayRunner over the grid's run folder with
    nearest match (GOGC=57 plays GOGC=50's recorded run). Rows: TPE with search.guide: model, TPE with
    guide: none, random with guide: none; 10 seeds each; then the first two again over GOGC as the grid's
    own values (choices), where no trial is answered by a neighbour's measurement. A hit is a feasible trial within 5% of the
    grid's best feasible gc_cpu_percent. Wall time to the hit is the recorded duration of each grid
    trial the replay played (Optuna's start and end of that trial in the grid's study.db) summed up to
    the hit, plus the baseline's (from the run's start to its first trial).

Run from the repository root with the project's venv: .venv/bin/python benchmarks/model.py
(about a minute or two on 2 cores; --seeds, --ks, --skip-replay narrow it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import optuna  # noqa: E402

import samplers  # noqa: E402  (the grid's space and spec: one definition of each)
from _bench import machine  # noqa: E402
from orchestrator.app import RunOptions, replay_backend, run_study  # noqa: E402
from orchestrator.model import Observation, Point, fit_model, leave_one_out, observe_folder, predict  # noqa: E402
from orchestrator.results import Summary  # noqa: E402
from orchestrator.store import RunDir  # noqa: E402

RUN_DIR = samplers.RESULTS / samplers.SPEC_NAME / samplers.RUN_ID
OBJECTIVE = samplers.OBJECTIVE
KS = (2, 3, 5, 8)  # 2: the first fit a study makes (MIN_OBSERVATIONS with the baseline)
FIT_SEEDS = 20
REPLAY_SEEDS = 10
# (sampler, search.guide, GOGC as a user writes it: a log range, or the grid's own values)
ROWS = (("tpe", "model", "range"), ("tpe", "none", "range"), ("random", "none", "range"),
        ("tpe", "model", "grid"), ("tpe", "none", "grid"))
RANGE_LINE = f"  GOGC: {{low: {samplers.GOGC_GRID[0]}, high: {samplers.GOGC_GRID[-1]}, log: true}}\n"
GRID_LINE = f"  GOGC: [{', '.join(map(str, samplers.GOGC_GRID))}]\n"


@dataclass(frozen=True)
class GridPoint:
    trial: int
    observation: Observation | None  # None: the model cannot use it (thrashing: no complete window)
    feasible: bool
    value: float | None


def grid_points(run_dir: RunDir, summary: Summary) -> list[GridPoint]:
    return [GridPoint(t.trial, observe_folder(run_dir.trial_dir(t.trial), f"trial {t.trial}"), t.feasible,
                      t.number(OBJECTIVE)) for t in summary.trials]


def error(predicted: float, measured: float) -> float:
    return abs(predicted - measured) / measured


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def fit_errors(baseline: Observation, points: list[GridPoint], k: int, seeds: int) -> dict[str, object]:
    usable = [p for p in points if p.observation is not None]
    errors: dict[str, list[float]] = {OBJECTIVE: [], "peak_memory_bytes": []}
    verdicts, loo = [], []
    for seed in range(seeds):
        chosen = random.Random(seed).sample(usable, k)
        fit = fit_model([baseline] + [p.observation for p in chosen])
        verdicts.append(fit.quality.verdict)
        loo.append(fit.quality.error)
        for point in usable:
            if point in chosen or not point.feasible:
                continue
            o = point.observation
            predicted = predict(fit, Point(o.gogc, o.gomemlimit_bytes)).metrics
            for metric in errors:
                errors[metric].append(error(predicted[metric].value, getattr(o, metric)))
    return {"errors": errors, "good": verdicts.count("good"), "fits": seeds,
            "loo": statistics.median(e for e in loo if e is not None)}


def whole_grid_errors(baseline: Observation, points: list[GridPoint]) -> dict[str, list[float]]:
    observations = [baseline] + [p.observation for p in points if p.observation is not None]
    feasible = [True] + [p.feasible for p in points if p.observation is not None]
    errors: dict[str, list[float]] = {OBJECTIVE: [], "peak_memory_bytes": []}
    for o, ok, predicted in zip(observations, feasible, leave_one_out(observations)):
        if ok and o.label != "baseline":
            for metric in errors:
                errors[metric].append(error(predicted[metric], getattr(o, metric)))
    return errors


def table_a(run_dir: RunDir, summary: Summary, ks: list[int], seeds: int) -> None:
    baseline = observe_folder(run_dir.baseline_dir, "baseline")
    points = grid_points(run_dir, summary)
    usable = sum(p.observation is not None for p in points)
    print(f"(a) prediction error on grid points not fitted on: {usable} of {len(points)} grid trials usable by "
          f"the model, {sum(p.feasible for p in points)} feasible; {seeds} random draws per k")
    header = f"{'fitted on':<22}{'gc% median':>11}{'gc% p90':>9}{'peak median':>13}{'peak p90':>10}" \
             f"{'verdict good':>14}{'LOO error':>11}"
    print(header)
    print("-" * len(header))
    for k in ks:
        row = fit_errors(baseline, points, k, seeds)
        e = row["errors"]
        print(f"{f'baseline + {k}':<22}{100 * statistics.median(e[OBJECTIVE]):>10.1f}%"
              f"{100 * percentile(e[OBJECTIVE], 0.9):>8.1f}%{100 * statistics.median(e['peak_memory_bytes']):>12.1f}%"
              f"{100 * percentile(e['peak_memory_bytes'], 0.9):>9.1f}%{row['good']:>9}/{row['fits']:<4}"
              f"{100 * row['loo']:>10.1f}%")
    e = whole_grid_errors(baseline, points)
    print(f"{'all others (LOO)':<22}{100 * statistics.median(e[OBJECTIVE]):>10.1f}%"
          f"{100 * percentile(e[OBJECTIVE], 0.9):>8.1f}%{100 * statistics.median(e['peak_memory_bytes']):>12.1f}%"
          f"{100 * percentile(e['peak_memory_bytes'], 0.9):>9.1f}%")
    print("gc%, peak: |predicted - measured| / measured of gc_cpu_percent and peak_memory_bytes over every "
          "feasible grid point not fitted on, pooled over the draws (p90: 90th percentile); verdict good: draws "
          "whose fit the model judged good (the guide proposes only then); LOO error: the median over the "
          "draws of the fit's own leave-one-out error, the figure its verdict is taken on.\n")


def durations(run_dir: RunDir, summary: Summary, scratch: Path) -> tuple[dict[int, float], float]:
    """Each grid trial's recorded duration (Optuna's start to end), and the baseline's (run start to trial 0)."""
    copy = scratch / "grid-study.db"
    shutil.copy(run_dir.db_path, copy)  # never open the measured run's own storage
    study = optuna.load_study(study_name=summary.study_name, storage=f"sqlite:///{copy}")
    trials = {t.number: (t.datetime_start, t.datetime_complete) for t in study.get_trials(deepcopy=False)}
    started = dt.datetime.strptime(run_dir.read_info().started, "%Y-%m-%dT%H:%M:%S%z").replace(tzinfo=None)
    first = min(start for start, _ in trials.values())
    return {n: (end - start).total_seconds() for n, (start, end) in trials.items()}, (first - started).total_seconds()


def spec_text(sampler: str, guide: str, space: str, seed: int) -> str:
    """samplers.py's search spec with this guide; GOGC the grid's own values when space is "grid"."""
    text = samplers.search_spec_text(sampler, seed) + f"  guide: {guide}\n"
    assert RANGE_LINE in text
    return text if space == "range" else text.replace(RANGE_LINE, GRID_LINE)


def replay_one(run_dir: RunDir, row: tuple[str, str, str], seed: int, target: float, scratch: Path,
               seconds: dict[int, float], baseline_s: float) -> dict[str, object]:
    """One replayed study: the trial (1-based) of its first hit, the recorded wall time to it, the guide's share."""
    spec_path = scratch / f"{'-'.join(row)}-{seed}.yaml"
    spec_path.write_text(spec_text(*row, seed))
    backend = replay_backend(run_dir.root, match="nearest")
    replay_dir, summary = run_study(spec_path, RunOptions(results_dir=scratch / "runs", run_id=spec_path.stem),
                                    write_report=False, backend=backend)
    played = backend.runner.played  # the baseline's run, then each measured trial's in trial order
    measured = [t.trial for t in summary.trials if any(replay_dir.trial_dir(t.trial).glob("repeat-*"))]
    assert played[0].startswith("baseline/") and len(played) == 1 + len(measured), (played, measured)
    cost = dict(zip(measured, (seconds[int(name.split("/")[1])] if name.startswith("trials/") else baseline_s
                               for name in played[1:])))
    hit = next((t.trial for t in summary.trials if t.state == "COMPLETE" and t.feasible
                and (t.number(OBJECTIVE) or float("inf")) <= target), None)
    return {"hit": None if hit is None else hit + 1,
            "seconds": None if hit is None else baseline_s + sum(s for n, s in cost.items() if n <= hit),
            "model": sum(t.proposed_by == "model" for t in summary.trials),
            "first_model": next((t.trial + 1 for t in summary.trials if t.proposed_by == "model"), None)}


def table_b(run_dir: RunDir, summary: Summary, seeds: int) -> None:
    feasible = [(t.number(OBJECTIVE), t) for t in summary.trials
                if t.feasible and t.state == "COMPLETE" and t.number(OBJECTIVE) is not None]
    best, best_trial = min(feasible, key=lambda f: f[0])
    target = best * (1 + samplers.WITHIN)
    hits = [t for v, t in feasible if v <= target]
    print(f"(b) replayed studies, {samplers.BUDGET}-trial budget, {seeds} seeds: grid best feasible {OBJECTIVE} "
          f"{best:.2f} at {best_trial.optuna_params}; a hit is a feasible trial <= {target:.2f} "
          f"({len(hits)} grid points: {', '.join(str(t.optuna_params) for t in hits)})")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="gctune-model-bench-") as tmp:
        scratch = Path(tmp)
        seconds, baseline_s = durations(run_dir, summary, scratch)
        header = f"{'sampler':<8}{'guide':<7}{'GOGC':<7}{'trials median':>14}{'worst':>7}{'missed':>8}{'wall median':>13}" \
                 f"{'model trials':>14}  trials to the first hit, per seed"
        print(header)
        print("-" * len(header))
        for row in ROWS:
            sampler, guide, space = row
            runs = [replay_one(run_dir, row, seed, target, scratch, seconds, baseline_s) for seed in range(seeds)]
            print(f"  replayed {' '.join(row)}", file=sys.stderr, flush=True)
            budget = samplers.BUDGET
            ranked = [r["hit"] if r["hit"] is not None else budget + 1 for r in runs]
            walls = [r["seconds"] if r["seconds"] is not None else float("inf") for r in runs]

            def shown(n: float) -> str:
                return f">{budget}" if n > budget else f"{n:g}"
            wall = statistics.median(walls)
            print(f"{sampler:<8}{guide:<7}{space:<7}{shown(statistics.median(ranked)):>14}{shown(max(ranked)):>7}"
                  f"{sum(r['hit'] is None for r in runs):>6}/{seeds:<2}"
                  f"{'never' if wall == float('inf') else f'{wall:.0f} s':>12}"
                  f"{statistics.median(r['model'] for r in runs):>14g}  "
                  + " ".join(str(r["hit"]) if r["hit"] is not None else "-" for r in runs))
    print(f"trials: the first hit's position in the study (1 = the first trial after the baseline), median and worst "
          f"over the seeds (>{samplers.BUDGET}: no hit in the budget); missed: seeds without a hit; wall: recorded "
          f"seconds of the baseline and every trial measured up to the hit (median; never: over half missed); model "
          f"trials: median number of trials the GC model proposed (the guide's, measured before the sampler's). GOGC "
          f"range: a log range {samplers.GOGC_GRID[0]}..{samplers.GOGC_GRID[-1]} as a user writes it, answered by "
          f"the nearest grid point; grid: the grid's own GOGC values, so every trial is answered by its own "
          f"measurement.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR, help="the grid's run folder (default: %(default)s)")
    parser.add_argument("--ks", default=",".join(map(str, KS)), help="fitted grid points besides the baseline")
    parser.add_argument("--fit-seeds", type=int, default=FIT_SEEDS, help="random draws per k (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=REPLAY_SEEDS, help="replay seeds 0..N-1 (default: %(default)s)")
    parser.add_argument("--skip-replay", action="store_true", help="only table (a)")
    args = parser.parse_args()
    run_dir = RunDir.open(args.run_dir.resolve())
    summary = run_dir.read_summary()
    expected = len(samplers.GOGC_GRID) * len(samplers.GOMEMLIMIT_CHOICES)
    if not summary.finished or len(summary.trials) != expected:
        print(f"{run_dir.root}: {len(summary.trials)} trials, finished={summary.finished}; the grid has {expected}: "
              "measure it first (see this script's docstring)", file=sys.stderr)
        return 2
    print(f"command: {' '.join(['benchmarks/model.py'] + sys.argv[1:])}")
    print(f"machine: {machine()}; "
          f"date {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; grid measured {run_dir.read_info().started} "
          f"({run_dir.root.relative_to(REPO) if run_dir.root.is_relative_to(REPO) else run_dir.root})\n")
    table_a(run_dir, summary, [int(k) for k in args.ks.split(",") if k], args.fit_seeds)
    if not args.skip_replay:
        table_b(run_dir, summary, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
