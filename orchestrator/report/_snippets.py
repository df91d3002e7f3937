"""Deployable configuration for the recommendation: env file, Dockerfile, Kubernetes, systemd.

GOMEMLIMIT is written in bytes, exactly as measured (Go accepts a plain byte count, or an integer
with a B/KiB/MiB/GiB/TiB suffix); a comment gives it in MiB and as a share of the memory limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from orchestrator.report._analysis import is_number
from orchestrator.report._data import ReportData
from orchestrator.results import LOW_MARGIN_PERCENT
from orchestrator.spec import go_env, gomemlimit_share
from orchestrator.units import format_docker_size, format_k8s_memory, format_mib


@dataclass(frozen=True)
class Snippet:
    """One ready-to-paste piece of configuration and why it looks the way it does."""

    name: str
    filename: str
    language: str
    reason: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def build_snippets(data: ReportData) -> list[Snippet]:
    """The snippets for the recommendation (or, when there is none, for nothing: an empty list)."""
    rec = data.recommended
    if rec is None:
        return []
    params = rec.params
    env = go_env(params)
    origin = ("Go's defaults measured best; GOGC=100 is the default, written out so a later change is visible"
              if rec.is_baseline else f"settings of trial {rec.trial} ({rec.rule})")
    note = memory_note(data)
    return [_env_file(env, params, origin, note), _dockerfile(env, params, origin, note),
            _kubernetes(env, params, origin, data.experiment, note), _systemd(env, params, origin, note)]


def memory_note(data: ReportData) -> str | None:
    """``measured peak 180MiB of the 256MiB limit, 12.3MiB of it outside the Go runtime; margin 76MiB (30%)``."""
    headroom = data.summary.headroom
    if headroom is None or headroom.peak_headroom_bytes is None:
        return None
    peak = headroom.memory_limit_bytes - headroom.peak_headroom_bytes
    text = f"measured peak {format_mib(peak)} of the {format_mib(headroom.memory_limit_bytes)} limit"
    outside = headroom.memory_outside_go_bytes
    if outside is not None:
        text += f", {format_mib(max(0.0, outside))} of it outside the Go runtime"
    text += f"; margin {format_mib(headroom.peak_headroom_bytes)}"
    if headroom.margin_percent is not None:
        text += f" ({headroom.margin_percent:.0f}%)" + (f" - below {LOW_MARGIN_PERCENT:g}%, see the warnings" if headroom.low_margin else "")
    return text


def _limit_comment(params: Mapping[str, Any]) -> str:
    share = gomemlimit_share(params)
    text = format_mib(params["GOMEMLIMIT"])
    if share is not None:
        text += f" = {share:.1f}% of the {format_mib(params['memory'])} memory limit"
    return text


def _comments(env: dict[str, str], params: Mapping[str, Any], origin: str, note: str | None) -> list[str]:
    lines = [f"# gctune: {origin}"] + ([f"# {note}"] if note else [])
    if "GOMEMLIMIT" in env:
        lines.append(f"# GOMEMLIMIT {_limit_comment(params)}; recompute it if you change the memory limit")
    else:
        lines.append("# no GOMEMLIMIT: the measured setting leaves the soft memory limit off")
    return lines


def _env_file(env: dict[str, str], params: Mapping[str, Any], origin: str, note: str | None) -> Snippet:
    text = "\n".join(_comments(env, params, origin, note) + [f"{k}={v}" for k, v in env.items()]) + "\n"
    return Snippet("env file", "gc.env", "sh",
                   "KEY=VALUE lines for `docker run --env-file`, Compose `env_file:` or systemd "
                   "`EnvironmentFile=`; values in bytes so every reader parses them alike.", text)


def _dockerfile(env: dict[str, str], params: Mapping[str, Any], origin: str, note: str | None) -> Snippet:
    lines = _comments(env, params, origin, note)
    limits = _docker_limits(params)
    if limits:
        lines.append(f"# measured with: docker run {limits} ... (a Dockerfile cannot set limits)")
    lines += [f"ENV {k}={v}" for k, v in env.items()]
    return Snippet("Dockerfile", "Dockerfile", "dockerfile",
                   "ENV lines bake the settings into the image; the container limits they were measured "
                   "with must still be given at run time.", "\n".join(lines) + "\n")


def _docker_limits(params: Mapping[str, Any]) -> str:
    parts = []
    if is_number(params.get("cpus")):
        parts.append(f"--cpus {params['cpus']:g}")
    if is_number(params.get("memory")):
        parts.append(f"--memory {format_docker_size(params['memory'])}")
    return " ".join(parts)


def k8s_quantity_cpu(cpus: float) -> str:
    """A Kubernetes CPU quantity: ``1`` or ``1500m``."""
    millis = round(cpus * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def _kubernetes(env: dict[str, str], params: Mapping[str, Any], origin: str, name: str,
                note: str | None) -> Snippet:
    lines = [f"# gctune: {origin}"] + ([f"# {note}"] if note else []) + [
        "# Merge into the container entry of your Pod template (spec.template.spec.containers[]).",
        f"name: {_yaml_name(name)}"]
    limits = []
    if is_number(params.get("cpus")):
        limits.append(f"    cpu: \"{k8s_quantity_cpu(params['cpus'])}\"")
    if is_number(params.get("memory")):
        limits.append(f"    memory: \"{format_k8s_memory(params['memory'])}\"")
    if limits:
        lines += ["resources:", "  limits:    # requests default to these when left out"] + limits
    lines.append("env:")
    for key, value in env.items():
        lines += [f"  - name: {key}", f"    value: \"{value}\""]
        if key == "GOMEMLIMIT":
            lines[-1] += f"    # {_limit_comment(params)}"
    reason = ("resources.limits and env together, because the settings were measured under exactly these "
              "limits.")
    if "GOMEMLIMIT" in env and is_number(params.get("memory")):
        reason += (" GOMEMLIMIT is the computed byte value: a `valueFrom.resourceFieldRef` with "
                   "`resource: limits.memory` can only pass the whole limit (divided by a `divisor`), never a "
                   "share of it, so keep the two in step by hand when the limit changes.")
    if is_number(params.get("cpus")) and params["cpus"] < 2 and "GOMAXPROCS" not in env:
        reason += (f" With a CPU limit of {params['cpus']:g}, Go 1.25+ still starts "
                   f"{max(2, math.ceil(params['cpus']))} Ps (see the warnings).")
    return Snippet("Kubernetes", "container.yaml", "yaml", reason, "\n".join(lines) + "\n")


def _yaml_name(name: str) -> str:
    """A DNS-1123 label for the container name (Kubernetes refuses anything else)."""
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:63].strip("-")
    return cleaned or "app"


def _systemd(env: dict[str, str], params: Mapping[str, Any], origin: str, note: str | None) -> Snippet:
    lines = _comments(env, params, origin, note) + ["[Service]",
                                              "Environment=" + " ".join(f"{k}={v}" for k, v in env.items())]
    if is_number(params.get("memory")):
        lines.append(f"MemoryMax={int(params['memory'])}")
    if is_number(params.get("cpus")):
        lines.append(f"CPUQuota={params['cpus'] * 100:g}%")
    return Snippet("systemd", "gctune.conf", "ini",
                   "A drop-in for /etc/systemd/system/<unit>.service.d/; MemoryMax= and CPUQuota= reproduce "
                   "the limits the settings were measured under (Go 1.25+ reads CPUQuota as its CPU limit).",
                   "\n".join(lines) + "\n")
