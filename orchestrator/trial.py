"""One trial: spec + settings -> container run -> parsed output -> metrics, with raw files kept."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from orchestrator.build import GoToolchain, WorkloadImage, build_image, find_toolchain
from orchestrator.metrics._compute import compute_metrics
from orchestrator.parsers.gctrace import GCTrace, parse_gctrace
from orchestrator.parsers.workload import WorkloadOutput, parse_workload_output
from orchestrator.runners import ContainerLimits, Runner, RunRequest, RunResult
from orchestrator.spec import Spec, TrialSettings
from orchestrator.workloads import builtin_source_dir


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


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def prepare_image(spec: Spec, client: docker.DockerClient, toolchain: GoToolchain | None = None) -> WorkloadImage:
    """Build (or find in the cache) the image of the spec's workload."""
    return build_image(client, toolchain or find_toolchain(), builtin_source_dir(spec.workload.builtin),
                       spec.workload.builtin)


def trial_request(spec: Spec, settings: TrialSettings, image: WorkloadImage, run_id: str,
                  on_stdout_line: Callable[[str], bool] | None = None) -> RunRequest:
    """The container run for these settings: Go's GC knobs as environment, the rest as limits."""
    user_env = dict(spec.container.env)
    env = {**user_env, **settings.env(), "GODEBUG": merge_godebug(user_env.get("GODEBUG", ""))}
    return RunRequest(
        image=image.tag, command=spec.workload.args(), env=env,
        limits=ContainerLimits(settings.cpus, settings.memory_bytes, spec.container.pids_limit),
        timeout_s=spec.container.trial_timeout_s(spec.workload), run_id=run_id, on_stdout_line=on_stdout_line)


def merge_godebug(user: str) -> str:
    """The user's GODEBUG settings with gctrace=1 added (replacing any gctrace they set)."""
    kept = [item for item in user.split(",") if item.strip() and not item.strip().startswith("gctrace=")]
    return ",".join([*kept, "gctrace=1"])


def run_trial(spec: Spec, settings: TrialSettings, runner: Runner, image: WorkloadImage, run_id: str,
              on_stdout_line: Callable[[str], bool] | None = None) -> TrialOutcome:
    """Run one configuration and compute its metrics; ``on_stdout_line`` may ask to stop early."""
    run = runner.run(trial_request(spec, settings, image, run_id, on_stdout_line))
    output = parse_workload_output(run.stdout)
    trace = parse_gctrace(run.stderr)
    metrics = compute_metrics(output, trace, run, settings.cpus)
    return TrialOutcome(run_id, settings.params(), metrics, run, output, trace, image)


def save_trial(outcome: TrialOutcome, folder: Path) -> None:
    """Keep the raw gctrace, the workload's JSON lines and the metrics JSON in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gctrace.txt").write_text(outcome.run.stderr)
    (folder / "workload.jsonl").write_text(outcome.run.stdout)
    (folder / "metrics.json").write_text(json.dumps(outcome.to_dict(), indent=2) + "\n")
