"""Play back recorded real runs instead of starting containers, so studies are tested in seconds.

A capture set is one folder (``scripts/record-replays`` writes it; see tests/data/replay/README.md)::

    <set>/capture.json          image tag, Go version, engine facts, host CPUs, CPU model it was recorded on
    <set>/spec.yaml             the spec the runs were recorded with
    <set>/<config>/repeat-N/    one real run of one configuration:
        workload.jsonl          its stdout
        gctrace.txt             its stderr
        run.json                every other RunResult field, and "request" (env, limits, command, ...)
        metrics.json            what run_trial computed from it when it ran for real

A request is served by the configuration whose recorded request has the same GC environment
(GOGC, GOMEMLIMIT, GOMAXPROCS) and limits (cpus, memory); with ``match="nearest"`` by the closest
one with the same GOMAXPROCS and limits (distance over log GOGC and GOMEMLIMIT as a share of memory;
GOGC=off only matches off). Repeats of a configuration are played in order, cycling.

Stdout lines go to ``on_stdout_line`` as the Docker runner hands them over. When it asks to stop,
the output is cut after that line and the gctrace at the same process time, as an early SIGKILL
would leave it; a capture that was itself stopped early is kept whole (its tail is the real kill's
latency). Recorded timeouts are not re-enacted: ``timeout_s`` and ``stop_after_s`` are ignored.

A gctune run folder (``run.json``, ``baseline/repeat-N``, ``trials/NNNN/repeat-N``) replays too, so a
measured study (a benchmark's grid) can answer other studies: each repeat's request is its recorded
params, and the RunResult fields are those its metrics.json kept (exit code, OOM kill, the container's
peak memory, early stop). What a run folder does not keep: the container's wall time (the program's
own run time, its last sample, stands in) and its cgroup CPU time (None).
"""

from __future__ import annotations

import copy
import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from orchestrator.build import WorkloadImage
from orchestrator.parsers.gctrace import GCTraceScanner
from orchestrator.parsers.workload import parse_workload_lines
from orchestrator.results import Fingerprint, RunInfo
from orchestrator.runners._base import RunRequest, RunResult, Runner
from orchestrator.runners._oom import SIGKILL_EXIT
from orchestrator.spec import go_env
from orchestrator.store import RunDir

CAPTURE_FILE = "capture.json"
_RESULT_FIELDS = tuple(f.name for f in fields(RunResult) if f.name not in ("stdout", "stderr"))


@dataclass(frozen=True)
class ConfigKey:
    """What a request is matched on: Go's GC environment and the container limits."""

    gogc: str
    gomemlimit: int | None
    gomaxprocs: str | None
    cpus: float | None
    memory: int | None

    @classmethod
    def of(cls, env: Mapping[str, str], cpus: float | None, memory: int | None) -> ConfigKey:
        limit = env.get("GOMEMLIMIT")
        return cls(env.get("GOGC", "100"), int(limit) if limit else None, env.get("GOMAXPROCS"), cpus, memory)

    def distance(self, other: ConfigKey) -> float | None:
        """How far apart two configurations are; None when one can never stand in for the other."""
        if (self.gomaxprocs, self.cpus, self.memory) != (other.gomaxprocs, other.cpus, other.memory):
            return None
        if (self.gogc == "off") != (other.gogc == "off"):
            return None
        gogc = 0.0 if self.gogc == "off" else abs(math.log(int(self.gogc)) - math.log(int(other.gogc)))
        return math.hypot(gogc, self._share() - other._share())

    def _share(self) -> float:
        """GOMEMLIMIT as a share of memory; no limit counts as the whole memory."""
        if self.gomemlimit is None:
            return 1.0
        return self.gomemlimit / self.memory if self.memory else float(self.gomemlimit)

    def __str__(self) -> str:
        limit = "none" if self.gomemlimit is None else str(self.gomemlimit)
        return (f"GOGC={self.gogc} GOMEMLIMIT={limit} GOMAXPROCS={self.gomaxprocs or 'auto'} "
                f"cpus={self.cpus} memory={self.memory}")


@dataclass(frozen=True)
class Capture:
    """One recorded run: its output and every other field of its RunResult."""

    name: str  # <config>/repeat-N
    stdout: str
    stderr: str
    result: dict[str, Any]

    @classmethod
    def load(cls, folder: Path, name: str) -> Capture:
        run = json.loads((folder / "run.json").read_text())
        return cls(name, (folder / "workload.jsonl").read_text(), (folder / "gctrace.txt").read_text(), run)

    @classmethod
    def of_trial_repeat(cls, folder: Path, name: str, host_cpus: int | None) -> Capture:
        """One repeat of a gctune run folder, its RunResult fields rebuilt from its metrics.json."""
        metrics = json.loads((folder / "metrics.json").read_text())
        stdout = (folder / "workload.jsonl").read_text()
        params = metrics.get("params") or {}
        samples = parse_workload_lines(stdout.splitlines()).samples
        stopped_early = bool(metrics.get("stopped_early"))
        exit_code = metrics.get("exit_code")
        result = {
            "exit_code": exit_code, "wall_seconds": samples[-1].t if samples else 0.0,
            "timed_out": bool(metrics.get("timed_out")), "stopped_early": stopped_early,
            # a program stopped at the end of its window as planned: a complete window without a clean exit
            "stopped_as_planned": bool(metrics.get("window_complete")) and exit_code != 0 and not stopped_early,
            "oom_killed": bool(metrics.get("oom_killed")), "oom_signals": list(metrics.get("oom_signals") or []),
            "peak_memory_bytes": metrics.get("peak_memory_bytes"),
            "peak_memory_source": metrics.get("peak_memory_source"), "host_cpus": host_cpus,
            "request": {"env": go_env(params),
                        "limits": {"cpus": params.get("cpus"), "memory_bytes": params.get("memory")}},
        }
        return cls(name, stdout, (folder / "gctrace.txt").read_text(), result)

    @property
    def key(self) -> ConfigKey:
        request = self.result["request"]
        limits = request["limits"]
        return ConfigKey.of(request["env"], limits.get("cpus"), limits.get("memory_bytes"))

    def run_result(self) -> RunResult:
        fields_ = {name: copy.deepcopy(self.result[name]) for name in _RESULT_FIELDS if name in self.result}
        return RunResult(stdout=self.stdout, stderr=self.stderr, **fields_)  # copies: a caller may change lists


@dataclass
class _Configuration:
    """The repeats of one recorded configuration, played in order and cycling."""

    key: ConfigKey
    captures: list[Capture]
    served: int = 0

    def next(self) -> Capture:
        capture = self.captures[self.served % len(self.captures)]
        self.served += 1
        return capture


class ReplayRunner(Runner):
    """A Runner that answers each request with a recorded real run (see the module docstring).

    ``faults`` maps a call index (0-based, over all calls) to an exception raised instead of running,
    to test engine-failure streaks and interruptions; ``played`` names the capture that served each
    call (None for a fault).
    """

    name = "replay"

    def __init__(self, folder: Path | str, match: Literal["exact", "nearest"] = "exact",
                 faults: Mapping[int, BaseException] | None = None) -> None:
        if match not in ("exact", "nearest"):
            raise ValueError(f"match must be exact or nearest, got {match!r}")
        self.folder, self.match, self.faults = Path(folder), match, dict(faults or {})
        self.played: list[str | None] = []
        self.cpusets: list[str | None] = []  # the cores each played request was pinned to
        self._lock = threading.Lock()
        run_folder = not (self.folder / CAPTURE_FILE).exists() and RunDir(self.folder).info_path.exists()
        self.capture: dict[str, Any] = (_run_folder_capture(RunDir(self.folder)) if run_folder
                                        else json.loads((self.folder / CAPTURE_FILE).read_text()))
        self.host_cpus: int | None = self.capture.get("host_cpus")
        self.engine_facts: dict[str, Any] = dict(self.capture.get("engine") or {})
        self.image = WorkloadImage(self.capture["image"], self.capture["go_version"],
                                   self.capture.get("source_hash", ""), cached=True)
        self.configurations = (_group(_run_folder_captures(RunDir(self.folder), self.host_cpus), self.folder)
                               if run_folder else _load_configurations(self.folder))

    def fingerprint(self) -> Fingerprint:
        """The machine the captures were recorded on."""
        return Fingerprint.model_validate(self.capture.get("fingerprint") or {})

    def run(self, request: RunRequest) -> RunResult:
        with self._lock:  # parallel jobs share one replay
            call = len(self.played)
            if call in self.faults:
                self.played.append(None)
                raise self.faults[call]
            capture = self._configuration_for(request).next()
            self.played.append(capture.name)
            self.cpusets.append(request.limits.cpuset)
        return _play(capture, request)

    def _configuration_for(self, request: RunRequest) -> _Configuration:
        wanted = ConfigKey.of(request.env, request.limits.cpus, request.limits.memory_bytes)
        exact = [c for c in self.configurations if c.key == wanted]
        if exact:
            return exact[0]
        if self.match == "nearest":
            scored = [(d, i) for i, c in enumerate(self.configurations)
                      if (d := wanted.distance(c.key)) is not None]
            if scored:
                return self.configurations[min(scored)[1]]
        recorded = "; ".join(str(c.key) for c in self.configurations)
        raise LookupError(f"{self.folder}: no recorded run for {wanted} (match={self.match}); recorded: {recorded}")


def _load_configurations(folder: Path) -> list[_Configuration]:
    """Every <config>/repeat-N under the set, grouped by recorded request, repeats in number order."""
    captures = [Capture.load(run.parent, f"{config.name}/{run.parent.name}")
                for config in sorted(p for p in folder.iterdir() if p.is_dir())
                for run in sorted(config.glob("repeat-*/run.json"), key=lambda p: _repeat_number(p.parent))]
    return _group(captures, folder)


def _run_folder_capture(run_dir: RunDir) -> dict[str, Any]:
    """What capture.json says of a set, from a run folder's run.json."""
    info = RunInfo.model_validate(run_dir.read_json(run_dir.info_path))
    return {"image": info.image, "go_version": info.go_toolchain, "engine": info.engine.to_dict(),
            "host_cpus": info.engine.host_cpus,
            "fingerprint": info.fingerprint.to_dict() if info.fingerprint else {}}


def _run_folder_captures(run_dir: RunDir, host_cpus: int | None) -> list[Capture]:
    """The baseline's repeats, then each trial's in trial order (a trial that reused the baseline has none)."""
    folders = [run_dir.baseline_dir] + sorted(p for p in (run_dir.root / "trials").glob("[0-9]*") if p.is_dir())
    return [Capture.of_trial_repeat(repeat, repeat.relative_to(run_dir.root).as_posix(), host_cpus)
            for folder in folders
            for repeat in sorted(folder.glob("repeat-*"), key=_repeat_number) if (repeat / "metrics.json").exists()]


def _repeat_number(folder: Path) -> int:
    return int(folder.name.split("-")[1])


def _group(captures: list[Capture], folder: Path) -> list[_Configuration]:
    """Captures grouped by recorded request, in the order given."""
    by_key: dict[ConfigKey, _Configuration] = {}
    for capture in captures:
        by_key.setdefault(capture.key, _Configuration(capture.key, [])).captures.append(capture)
    if not by_key:
        raise ValueError(f"{folder}: no recorded runs (<config>/repeat-N/run.json, or a run folder's repeats)")
    return list(by_key.values())


def _play(capture: Capture, request: RunRequest) -> RunResult:
    """Hand the recorded lines to the callback; cut the run where it asks to stop."""
    callback = request.on_stdout_line
    lines = capture.stdout.split("\n")[:-1]  # as in the Docker runner: an unfinished last line is not handed over
    if callback is None:
        return capture.run_result()
    for index, line in enumerate(lines):
        if callback(line) and not capture.result.get("stopped_early"):
            return _cut(capture, lines[:index + 1])
    return capture.run_result()


def _cut(capture: Capture, kept: list[str]) -> RunResult:
    """The run as an early SIGKILL after the last kept line would have left it."""
    samples = parse_workload_lines(kept).samples
    full = parse_workload_lines(capture.stdout.splitlines()).samples
    cut_s = samples[-1].t if samples else 0.0
    recorded_wall = float(capture.result.get("wall_seconds") or 0.0)
    overhead = max(0.0, recorded_wall - full[-1].t) if full else 0.0  # container start and teardown
    peak = max((s.peak_rss_bytes for s in samples), default=0)
    return RunResult(
        stdout="".join(line + "\n" for line in kept), stderr=_cut_gctrace(capture.stderr, cut_s),
        exit_code=SIGKILL_EXIT, wall_seconds=min(recorded_wall, cut_s + overhead), stopped_early=True,
        cpu_seconds=samples[-1].rusage_cpu_s if samples else None,
        peak_memory_bytes=peak or capture.result.get("peak_memory_bytes"),
        peak_memory_source="replay: workload VmHWM up to the early stop" if peak
        else capture.result.get("peak_memory_source"),
        host_cpus=capture.result.get("host_cpus"))


def _cut_gctrace(stderr: str, cut_s: float) -> str:
    """Stderr up to the first gc line of a cycle that ended after ``cut_s`` (it was never printed)."""
    scanner = GCTraceScanner()
    kept = []
    for line in stderr.splitlines(keepends=True):
        cycle = scanner.feed(line)
        if cycle is not None and cycle.end_s > cut_s:
            break
        kept.append(line)
    return "".join(kept)
