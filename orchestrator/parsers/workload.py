"""Parse the JSON lines the workload prints on stdout: a start record, samples, and a summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One periodic reading of the runtime's counters, taken inside the workload process."""

    t: float                      # seconds since process start
    event: str                    # tick | window_start | window_end
    phase: str                    # warmup | measure | done
    ops: int
    memstats: dict[str, float]
    metrics: dict[str, float]     # runtime/metrics name -> value
    rusage_cpu_s: float
    rss_bytes: int
    peak_rss_bytes: int

    def metric(self, name: str, default: float = 0.0) -> float:
        return float(self.metrics.get(name, default))


@dataclass(frozen=True)
class WorkloadOutput:
    """Everything the workload reported; ``summary`` is None when it did not finish."""

    start: dict[str, Any] | None = None
    samples: tuple[Sample, ...] = ()
    summary: dict[str, Any] | None = None
    other_lines: int = 0  # lines that were not gctune JSON records (program output, a cut last line)
    _by_event: dict[str, Sample] = field(default_factory=dict, repr=False, compare=False)

    def sample_at(self, event: str) -> Sample | None:
        """The first sample with this event (window_start / window_end), if any."""
        return self._by_event.get(event)


def parse_workload_output(text: str) -> WorkloadOutput:
    """Parse stdout text; tolerant of non-JSON lines and a line cut off by a kill."""
    return parse_workload_lines(text.splitlines())


def parse_workload_lines(lines: Iterable[str]) -> WorkloadOutput:
    start: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    samples: list[Sample] = []
    other = 0
    for line in lines:
        record = _decode(line)
        kind = record.get("type") if record else None
        if kind == "sample":
            samples.append(_sample(record))
        elif kind == "start":
            start = record
        elif kind == "summary":
            summary = record
        elif line.strip():
            other += 1
    by_event: dict[str, Sample] = {}
    for sample in samples:
        by_event.setdefault(sample.event, sample)
    return WorkloadOutput(start, tuple(samples), summary, other, by_event)


def _decode(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _sample(record: dict[str, Any]) -> Sample:
    return Sample(
        t=float(record.get("t", 0.0)),
        event=str(record.get("event", "tick")),
        phase=str(record.get("phase", "")),
        ops=int(record.get("ops", 0)),
        memstats=dict(record.get("memstats") or {}),
        metrics=dict(record.get("metrics") or {}),
        rusage_cpu_s=float(record.get("rusage_cpu_s", 0.0)),
        rss_bytes=int(record.get("rss_bytes", 0)),
        peak_rss_bytes=int(record.get("peak_rss_bytes", 0)),
    )
