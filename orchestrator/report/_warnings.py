"""The cautions a careful engineer would attach to the recommendation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from orchestrator.report._analysis import (
    NEIGHBOUR_TOLERANCE, default_gomaxprocs, is_number, memory_bound, neighbours, overlaps, parse_go_version,
    repeats_of,
)
from orchestrator.report._data import ReportData
from orchestrator.report._format import label, metric_value, mib, settings_text

SMALL_HEADROOM_PERCENT = 15.0  # GOGC=off needs room between GOMEMLIMIT and the container limit
NEAR_BOUND = 0.05  # a peak within 5% of a memory bound is "close"


@dataclass(frozen=True)
class ReportWarning:
    """One caution: a stable code for tools, a severity and a sentence for people."""

    code: str
    severity: str  # warning | note
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def find_warnings(data: ReportData, production_go: str | None = None) -> list[ReportWarning]:
    """Every caution that applies to this run, most serious first."""
    found: list[ReportWarning] = []
    for check in (_unfinished, _no_feasible, _limiter, _thrashing_nearby, _gogc_off_headroom, _oom_nearby,
                  _memory_bound, _gomaxprocs, _go_version, _single_repeat, _saving_noise, _runner_up,
                  _baseline_infeasible):
        found.extend(check(data, production_go))
    return sorted(found, key=lambda w: w.severity != "warning")


def _trial_ref(trial: dict[str, Any]) -> str:
    params = trial.get("params") or {}
    return f"trial {trial.get('trial')} ({settings_text(params, ('GOGC', 'GOMEMLIMIT', 'GOMAXPROCS'))})"


def _near(data: ReportData) -> list[dict[str, Any]]:
    rec = data.recommended
    if rec is None:
        return []
    return neighbours(data, rec.get("params") or {}, exclude=rec.get("trial"))


def _unfinished(data: ReportData, _: str | None) -> list[ReportWarning]:
    if data.summary.get("finished"):
        return []
    counts = data.summary.get("trial_counts") or {}
    return [ReportWarning("run_unfinished", "warning",
                          f"The run stopped before its trial budget ({counts.get('total', 0)} trials so far); "
                          "this report covers only those. Resume it with `gctune run --resume` for the rest.")]


def _no_feasible(data: ReportData, _: str | None) -> list[ReportWarning]:
    if data.recommended is not None:
        return []
    miss = (data.summary.get("no_feasible") or {}).get("nearest_miss")
    text = "No configuration met every constraint."
    if miss:
        text += f" The nearest miss, {_trial_ref(miss)}, violated {', '.join(miss.get('violated') or {})}."
    return [ReportWarning("no_feasible", "warning", text + " Loosen a constraint, widen the space or give the "
                          "container more memory.")]


def _limiter(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec = data.recommended
    if rec is None or not (rec.get("metrics") or {}).get("gc_limiter_engaged"):
        return []
    return [ReportWarning("gc_limiter_engaged", "warning",
                          "The GC CPU limiter engaged in the recommended configuration: the heap was pressed "
                          "against GOMEMLIMIT and the runtime capped GC at about 50% CPU. A slightly larger live "
                          "heap in production will make it thrash or grow past the limit; raise GOMEMLIMIT or "
                          "the container memory.")]


def _thrashing_nearby(data: ReportData, _: str | None) -> list[ReportWarning]:
    bad = [t for t in _near(data) if t.get("outcome") == "thrashing" or (t.get("metrics") or {}).get(
        "gc_limiter_engaged")]
    if not bad:
        return []
    return [ReportWarning("thrashing_nearby", "warning",
                          f"GC thrashing or the GC CPU limiter was seen close to the chosen settings (within "
                          f"{NEIGHBOUR_TOLERANCE:.0%}): " + "; ".join(_trial_ref(t) for t in bad) +
                          ". The recommendation sits near a cliff; leave more room below GOMEMLIMIT.")]


def _gogc_off_headroom(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec = data.recommended
    headroom = data.summary.get("headroom") or {}
    if rec is None or (rec.get("params") or {}).get("GOGC") != "off":
        return []
    percent = headroom.get("gomemlimit_headroom_percent")
    if is_number(percent) and percent >= SMALL_HEADROOM_PERCENT:
        return []
    room = "unknown" if not is_number(percent) else f"only {percent:.0f}%"
    return [ReportWarning("gogc_off_small_headroom", "warning",
                          f"GOGC=off is recommended with {room} between GOMEMLIMIT and the container memory "
                          f"(less than {SMALL_HEADROOM_PERCENT:.0f}%). With GOGC=off the heap grows right up to "
                          "GOMEMLIMIT; goroutine stacks, cgo and off-heap memory then have little room before "
                          "the OOM killer. Prefer a finite GOGC or a lower GOMEMLIMIT.")]


def _oom_nearby(data: ReportData, _: str | None) -> list[ReportWarning]:
    ooms = [t for t in _near(data) if t.get("outcome") == "oom"]
    if not ooms:
        return []
    return [ReportWarning("oom_nearby", "warning",
                          f"OOM kills happened close to the chosen settings (within {NEIGHBOUR_TOLERANCE:.0%}): "
                          + "; ".join(_trial_ref(t) for t in ooms) + ". A small change in load could cross it.")]


def _memory_bound(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec, bound = data.recommended, memory_bound(data)
    if rec is None or bound is None:
        return []
    limit, text = bound
    spread = (rec.get("spread") or {}).get("peak_memory_bytes") or {}
    peak = (rec.get("metrics") or {}).get("peak_memory_bytes")
    if is_number(spread.get("max")) and spread["max"] > limit:
        return [ReportWarning("peak_over_bound_in_a_run", "warning",
                              f"The median peak memory meets '{text}', but one run of the recommendation peaked "
                              f"at {mib(spread['max'])}, over the bound.")]
    if is_number(peak) and peak > limit * (1 - NEAR_BOUND):
        return [ReportWarning("peak_near_bound", "note",
                              f"Peak memory ({mib(peak)}) is within {NEAR_BOUND:.0%} of the bound '{text}'.")]
    return []


def _gomaxprocs(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec = data.recommended or data.baseline
    params = (rec or {}).get("params") or {}
    cpus, gomaxprocs = params.get("cpus"), params.get("GOMAXPROCS")
    if not is_number(cpus):
        return []
    version = parse_go_version(data.go_version)
    host = (data.run_info.get("engine") or {}).get("host_cpus")
    if gomaxprocs not in (None, "auto"):
        if is_number(gomaxprocs) and gomaxprocs > cpus:
            return [ReportWarning("gomaxprocs_above_quota", "note",
                                  f"GOMAXPROCS={gomaxprocs} is above the {cpus:g}-CPU limit: Ps compete for the "
                                  "quota and the kernel throttles the process.")]
        return []
    if version is not None and version < (1, 25):
        return [ReportWarning("gomaxprocs_ignores_quota", "warning",
                              f"Before Go 1.25, GOMAXPROCS ignores the container's {cpus:g}-CPU limit and equals "
                              f"the node's CPU count ({host or 'unknown'} here, often far more in production). "
                              "Set GOMAXPROCS to the CPU limit, rounded up, or upgrade to Go 1.25+.")]
    if cpus < 2:
        default = default_gomaxprocs(data.go_version, cpus, host)
        procs = f"{default}" if default else "2 (on a host with 2+ CPUs)"
        return [ReportWarning("cpu_limit_below_2", "warning",
                              f"The CPU limit ({cpus:g}) is below 2. Go 1.25+ sets GOMAXPROCS to max(2, "
                              f"ceil(limit)) = {procs} Ps, more than the quota can run at once, so the kernel's "
                              "CFS quota throttles the process, which shows up as latency spikes (the "
                              "measurements include it). Either give the container 2 CPUs or set GOMAXPROCS=1 "
                              "(and measure that).")]
    return []


def _go_version(data: ReportData, production_go: str | None) -> list[ReportWarning]:
    measured = data.go_version
    if measured is None:
        return [ReportWarning("go_version_unknown", "warning", "The Go version of the measured program is not "
                              "recorded; GC pacing differs between Go releases.")]
    if production_go is None:
        return []
    ours, theirs = parse_go_version(measured), parse_go_version(production_go)
    if ours is None or theirs is None or ours == theirs:
        return []
    return [ReportWarning("go_version_differs", "warning",
                          f"Measured with {measured}, but production runs Go {production_go.removeprefix('go')}. "
                          "The GC pacer, the memory limit and GOMAXPROCS defaults change between releases; "
                          "repeat the run with the production toolchain.")]


def _single_repeat(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec = data.recommended
    metric = data.objectives[0][0] if data.objectives else None
    repeats = repeats_of(rec, metric) if rec else repeats_of(data.baseline, metric)
    if repeats is None or repeats >= 2:
        return []
    return [ReportWarning("single_repeat", "warning",
                          "Each configuration ran only once, so nothing shows how much the numbers vary "
                          "between runs; set search.repeats to 3 or more before relying on small differences.")]


def _saving_noise(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec = data.recommended
    if rec is None or rec.get("trial") == "baseline" or not data.objectives:
        return []
    metric, _direction = data.objectives[0]
    ours, base = (rec.get("spread") or {}).get(metric), (data.baseline.get("spread") or {}).get(metric)
    if not ours or not base or ours.get("n", 0) < 2 or base.get("n", 0) < 2 or not overlaps(ours, base):
        return []
    return [ReportWarning("saving_within_noise", "warning",
                          f"The runs of the recommendation ({metric_value(metric, ours['ci_low'])} to "
                          f"{metric_value(metric, ours['ci_high'])}) overlap those of Go's defaults "
                          f"({metric_value(metric, base['ci_low'])} to {metric_value(metric, base['ci_high'])}) "
                          f"in {label(metric)}: the difference may be noise. More repeats would tell.")]


def _runner_up(data: ReportData, _: str | None) -> list[ReportWarning]:
    runner = data.summary.get("runner_up") or {}
    if not runner.get("within_noise"):
        return []
    return [ReportWarning("runner_up_within_noise", "note",
                          f"The runner-up, {_trial_ref(runner)}, is within noise of the recommendation: on this "
                          "evidence either is as good. Prefer the one with more memory headroom.")]


def _baseline_infeasible(data: ReportData, _: str | None) -> list[ReportWarning]:
    base = data.baseline
    if not base or base.get("feasible", True):
        return []
    broken = [k for k, v in (base.get("violations") or {}).items() if is_number(v) and v > 0]
    return [ReportWarning("baseline_infeasible", "note",
                          "Go's defaults (GOGC=100, no GOMEMLIMIT) break " + (", ".join(f"'{b}'" for b in broken)
                                                                           or "a constraint") +
                          ", so they are no safe choice for this workload and container.")]
