"""Where trials run: a runner, the images it runs, and the facts of the engine for run.json.

The application layer asks for a :class:`Backend` instead of building a Docker runner itself, so the
same study, night or trial runs on a real engine or on recorded replays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.results import EngineFacts
from orchestrator.runners import Runner
from orchestrator.spec import Spec
from orchestrator.workloads import ImageSource


@dataclass
class Backend:
    runner: Runner
    images: Callable[[Spec], ImageSource]
    engine: EngineFacts

    @property
    def host_cpus(self) -> int | None:
        return self.engine.host_cpus


def docker_backend(engine_url: str | None = None) -> Backend:
    """The Docker engine at ``engine_url``, else the one DOCKER_HOST (or the local socket) names; EngineError
    when none answers."""
    from orchestrator.runners import DockerRunner, connect
    from orchestrator.workloads import WorkloadImages

    runner = DockerRunner(connect(base_url=engine_url) if engine_url else None, engine_url=engine_url)
    engine = runner.engine
    facts = EngineFacts(docker=engine.server_version, cgroup=engine.cgroup_version, host_cpus=engine.host_cpus,
                        host_memory_bytes=engine.host_memory_bytes)
    return Backend(runner, lambda spec: WorkloadImages(spec, runner.client), facts)


def replay_backend(captures: Path, match: str = "exact") -> Backend:
    """Recorded real runs played back (tests, benchmarks): no engine, no build."""
    from orchestrator.runners import ReplayRunner
    from orchestrator.workloads import RecordedImage

    runner = ReplayRunner(captures, match=match)
    facts = EngineFacts.model_validate(runner.engine_facts)
    return Backend(runner, lambda spec: RecordedImage(runner.image), facts)
