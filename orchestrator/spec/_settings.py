"""The concrete settings of one trial: the space's fixed values, command-line overrides, or defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.errors import SpecError
from orchestrator.spec._base import unknown_key_message
from orchestrator.spec._model import Spec
from orchestrator.spec._space import (
    RUNTIME_SETTINGS, SETTING_NAMES, SETTINGS, WORKLOAD_OPTION_SETTINGS, Choices, parse_setting)
from orchestrator.spec._workload import ServiceWorkload
from orchestrator.spec._values import Percent
from orchestrator.units import format_mib

GO_DEFAULT_GOGC = 100


@dataclass(frozen=True)
class TrialSettings:
    """GC knobs and container limits for one trial; None means "not set" (Go's or Docker's default)."""

    gogc: int | Literal["off"] = GO_DEFAULT_GOGC
    gomemlimit_bytes: int | None = None
    gomaxprocs: int | None = None
    cpus: float | None = None
    memory_bytes: int | None = None
    go_version: str | None = None      # None: the spec's go.version, else the toolchain beside gctune
    go_experiment: str | None = None   # None or "none": no GOEXPERIMENT
    # The built-in service's options this trial sets, e.g. (("map_keys", "int"),): passed as its flags.
    workload_options: tuple[tuple[str, Any], ...] = ()

    def env(self) -> dict[str, str]:
        """The Go runtime environment: GOGC always, GOMEMLIMIT and GOMAXPROCS when set."""
        return go_env(self.params())

    def params(self) -> dict[str, Any]:
        """The settings as recorded with a trial's results."""
        params = {"GOGC": self.gogc, "GOMEMLIMIT": self.gomemlimit_bytes,
                  "GOMAXPROCS": "auto" if self.gomaxprocs is None else self.gomaxprocs,
                  "cpus": self.cpus, "memory": self.memory_bytes}
        if self.go_version is not None:
            params["go_version"] = self.go_version
        if self.go_experiment is not None:
            params["go_experiment"] = self.go_experiment
        return {**params, **dict(self.workload_options)}


_WORDS = {"true": True, "false": False}  # --set pool=true arrives as text; YAML would have read a boolean


def _overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Parse ``--set NAME=VALUE`` pairs with the spec's own rules."""
    parsed = {}
    for name, value in overrides.items():
        if name not in SETTING_NAMES:
            raise SpecError(f"--set {name}: {unknown_key_message(name, SETTING_NAMES, 'setting')}")
        try:
            parsed[name] = parse_setting(name, _WORDS.get(value, value) if isinstance(value, str) else value)
        except ValueError as exc:
            raise SpecError(f"--set {name}: {exc}") from None
    return parsed


def _chosen(spec: Spec, overrides: dict[str, Any]) -> dict[str, Any]:
    """Each setting's value: override, else the space's fixed value, else the default (None)."""
    values: dict[str, Any] = {"cpus": spec.container.cpus, "memory": spec.container.memory,
                              "go_version": spec.go.version, "go_experiment": spec.go.experiment}
    for name, dim in spec.space.dimensions().items():
        if isinstance(dim, Choices) and dim.is_fixed:
            values[name] = dim.values[0]
    return {**values, **overrides}


def _memory_limit(value: Any, memory_bytes: int | None, overridden: bool) -> int | None:
    """GOMEMLIMIT in bytes; a percentage is of the trial's container memory."""
    if value is None or value == "none":
        return None
    if not isinstance(value, Percent):
        return int(value)
    if memory_bytes is None:
        where = "--set GOMEMLIMIT" if overridden else "space.GOMEMLIMIT"
        raise SpecError(f"{where}: {value} is a share of the container memory, but this trial has no memory "
                        "limit; set container.memory, fix space.memory to one size, pass --set memory=SIZE, "
                        "or give GOMEMLIMIT as a size")
    return value.of(memory_bytes)


def _workload_options(spec: Spec, values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The service options the space names or ``--set`` gives, each at its value for this trial (a
    searched one left unset takes the workload's own value)."""
    named = [n for n in WORKLOAD_OPTION_SETTINGS if n in values or getattr(spec.space, n) is not None]
    if named and not isinstance(spec.workload, ServiceWorkload):
        raise SpecError(f"--set {named[0]}: is an option of the built-in service; it needs workload.builtin: service")
    return tuple((n, values[n] if n in values else getattr(spec.workload, n)) for n in named)


def with_workload_options(spec: Spec, settings: TrialSettings) -> Spec:
    """The spec whose workload runs with the trial's service options (the spec itself when it sets none)."""
    if not settings.workload_options:
        return spec
    workload = spec.workload.model_copy(update=dict(settings.workload_options))
    return spec.model_copy(update={"workload": workload})


def resolve_trial_settings(spec: Spec, overrides: Mapping[str, Any] | None = None) -> TrialSettings:
    """The settings of one trial: fixed ones from the space, searched ones at their default unless overridden.

    ``overrides`` are ``--set NAME=VALUE`` strings, or values a sampler picked (ints, floats, Percent).
    """
    parsed = _overrides(overrides or {})
    values = _chosen(spec, parsed)
    gomaxprocs = values.get("GOMAXPROCS")
    cpus = values.get("cpus")
    return TrialSettings(
        gogc=values.get("GOGC", GO_DEFAULT_GOGC),
        gomemlimit_bytes=_memory_limit(values.get("GOMEMLIMIT"), values.get("memory"), "GOMEMLIMIT" in parsed),
        gomaxprocs=None if gomaxprocs in (None, "auto") else int(gomaxprocs),
        cpus=None if cpus is None else float(cpus),
        memory_bytes=values.get("memory"),
        go_version=values.get("go_version"),
        go_experiment=values.get("go_experiment"),
        workload_options=_workload_options(spec, values),
    )



GO_DEFAULTS = {"GOGC": GO_DEFAULT_GOGC, "GOMEMLIMIT": "none", "GOMAXPROCS": "auto"}


def go_env(params: Mapping[str, Any]) -> dict[str, str]:
    """The Go runtime variables for recorded settings: GOGC always, the others when they have a value.

    The one builder of the environment: a trial's container and a report's snippets both use it.
    """
    env = {"GOGC": str(params.get("GOGC", GO_DEFAULT_GOGC))}
    for name in RUNTIME_SETTINGS:
        value = params.get(name)
        if name != "GOGC" and value not in (None, "auto", "none"):
            env[SETTINGS[name].env_var or name] = str(int(value) if isinstance(value, float) else value)
    return env


def gomemlimit_share(params: Mapping[str, Any]) -> float | None:
    """GOMEMLIMIT as a percentage of the container memory, when both are known."""
    limit, memory = params.get("GOMEMLIMIT"), params.get("memory")
    if _is_number(limit) and _is_number(memory) and memory > 0:
        return 100.0 * limit / memory
    return None


def format_setting(name: str, value: Any, params: Mapping[str, Any] | None = None) -> str:
    """One recorded setting as a person reads it: ``197.4MiB (77.1% of memory)``, ``auto``, ``1.5``."""
    if value is None:
        return SETTINGS[name].unset if name in SETTINGS else "-"
    if isinstance(value, bool):
        return "true" if value else "false"  # as the spec writes it (pool=true)
    if name == "GOMEMLIMIT" and _is_number(value):
        share = gomemlimit_share(params or {})
        return format_mib(value) + (f" ({share:.1f}% of memory)" if share is not None else "")
    if name == "memory" and _is_number(value):
        return format_mib(value)
    if name == "cpus" and _is_number(value):
        return f"{value:g}"
    return str(value)


def format_settings(params: Mapping[str, Any] | None, only: tuple[str, ...] = SETTING_NAMES) -> str:
    """``GOGC=150, GOMEMLIMIT=197.4MiB (77.1% of memory), cpus=1, memory=256MiB``, in registry order."""
    if not params:
        return "-"
    names = [n for n in SETTING_NAMES if n in params and n in only] + [n for n in params if n not in SETTINGS]
    return ", ".join(f"{n}={format_setting(n, params.get(n), params)}" for n in names)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def baseline_settings(spec: Spec) -> TrialSettings:
    """Go's defaults (GOGC=100, no GOMEMLIMIT, GOMAXPROCS by the runtime) in the spec's container."""
    return resolve_trial_settings(spec, GO_DEFAULTS)
