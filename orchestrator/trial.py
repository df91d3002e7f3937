"""One trial: spec + settings -> container run -> parsed output -> metrics, with raw files kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.build import WorkloadImage
from orchestrator.metrics._compute import compute_metrics
from orchestrator.parsers.gctrace import GCTrace, parse_gctrace
from orchestrator.parsers.workload import WorkloadOutput, parse_workload_output
from orchestrator.runners import ContainerLimits, Runner, RunRequest, RunResult
from orchestrator.spec import Spec, TrialSettings, with_workload_options
from orchestrator.workloads import kind_for


@dataclass(frozen=True)
class TrialOutcome:
    """A finished trial: its metrics and the raw material they were computed from."""

    run_id: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    run: RunResult
    output: WorkloadOutput
    trace: GCTrace
    image: WorkloadImage

    def to_dict(self) -> dict[str, Any]:
        return {**self.metrics, "params": self.params, "run_id": self.run_id,
                "image": self.image.tag, "go_toolchain": self.image.go_version}


def trial_request(spec: Spec, settings: TrialSettings, image: WorkloadImage, run_id: str,
                  on_stdout_line: Callable[[str], bool] | None = None, cpuset: str | None = None) -> RunRequest:
    """The container run for these settings: Go's GC knobs as environment, the rest as limits (the
    built-in service's options as its flags)."""
    kind = kind_for(with_workload_options(spec, settings))
    user_env = dict(spec.container.env)
    env = {**kind.environment(), **user_env, **settings.env(), "GODEBUG": merge_godebug(user_env.get("GODEBUG", ""))}
    return RunRequest(
        image=image.tag, command=kind.command(), env=env,
        limits=ContainerLimits(settings.cpus, settings.memory_bytes, spec.container.pids_limit, cpuset),
        timeout_s=spec.container.trial_timeout_s(spec.workload), run_id=run_id, on_stdout_line=on_stdout_line,
        stop_after_s=kind.stop_after_s)


def merge_godebug(user: str) -> str:
    """The user's GODEBUG settings with gctrace=1 added (replacing any gctrace they set)."""
    kept = [item for item in user.split(",") if item.strip() and not item.strip().startswith("gctrace=")]
    return ",".join([*kept, "gctrace=1"])


def run_trial(spec: Spec, settings: TrialSettings, runner: Runner, image: WorkloadImage, run_id: str,
              on_stdout_line: Callable[[str], bool] | None = None, cpuset: str | None = None) -> TrialOutcome:
    """Run one configuration and compute its metrics; ``on_stdout_line`` may ask to stop early."""
    run = runner.run(trial_request(spec, settings, image, run_id, on_stdout_line, cpuset))
    output = parse_workload_output(run.stdout)
    trace = parse_gctrace(run.stderr)
    kind = kind_for(spec)
    metrics = compute_metrics(output, trace, run, settings.cpus, warmup_s=spec.workload.warmup,
                              measured_from_gctrace=kind.measured_from_gctrace)
    metrics.update(kind.extra_metrics(run, metrics))
    metrics["go_version"] = metrics.get("go_version") or image.go_version
    return TrialOutcome(run_id, settings.params(), metrics, run, output, trace, image)


def save_trial(outcome: TrialOutcome, folder: Path) -> None:
    """Keep the raw gctrace, the program's stdout (JSON lines for instrumented programs) and the metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gctrace.txt").write_text(outcome.run.stderr)
    (folder / "workload.jsonl").write_text(outcome.run.stdout)
    (folder / "metrics.json").write_text(json.dumps(outcome.to_dict(), indent=2) + "\n")
