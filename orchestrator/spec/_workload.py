"""The ``workload`` section: which Go program to run and, for the built-in service, how it behaves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, PlainValidator, ValidationInfo, model_validator

from orchestrator.spec._base import StrictModel, error_details, fail, fail_at
from orchestrator.spec._values import (
    Parser, boolean, clip, integer, number, one_of, optional, plain_text, show, size)
from orchestrator.spec._values import duration as a_duration  # a field is named duration
from orchestrator.units import MIB, format_go_duration, format_number

WORKLOAD_KINDS = ("builtin", "go_package", "go_bench", "image")
BUILTIN_NAMES = ("service",)
DEFAULT_USER_TIMEOUT_S = 600.0  # a user program without a duration must end by itself before this

MAX_ALLOC_SIZES = 64  # the limits the Go workload itself enforces
DEFAULT_ALLOC_SIZES: dict[int, float] = {64: 60.0, 512: 30.0, 4096: 9.0, 32768: 1.0}


def _nonempty(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {show(value)}")
    return plain_text(value.strip())


def _benchtime(value: Any) -> str:
    """``go test -benchtime``: a duration such as 2s or an iteration count such as 100x."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not re.match(r"^(\d+x|\d+(\.\d+)?(ns|us|µs|ms|s|m|h))$", text):
        raise ValueError(f"must be a duration such as 2s or an iteration count such as 100x, got {show(value)}")
    return text


def _alloc_sizes(value: Any) -> dict[int, float]:
    """Parse ``{size: weight}``: the object sizes one operation allocates, with relative weights."""
    if not isinstance(value, dict) or not 0 < len(value) <= MAX_ALLOC_SIZES:
        raise ValueError(f"must be a mapping of 1 to {MAX_ALLOC_SIZES} sizes to weights such as "
                         f"{{64B: 60, 512B: 30, 4KiB: 9, 32KiB: 1}}, got {show(value)}")
    parsed: dict[int, float] = {}
    errors = []
    for key, weight in value.items():
        try:
            num_bytes = size(gt=0, le=2**30)(key)
        except ValueError as exc:
            errors.append(error_details((key,), f"{exc} (each key is an object size)", key))
            continue
        if num_bytes in parsed:
            errors.append(error_details((key,), f"the size {num_bytes} bytes is listed twice", key))
        try:
            parsed[num_bytes] = number(gt=0)(weight)
        except ValueError as exc:
            errors.append(error_details((key,), f"the weight {exc}", weight))
    if errors:
        fail(errors)
    return parsed


class ServiceWorkload(StrictModel):
    """The built-in ``service`` workload: a live heap plus allocating request handlers."""

    builtin: Annotated[Literal["service"], PlainValidator(one_of(BUILTIN_NAMES))] = Field(
        description="service, the built-in workload")
    live_heap: Annotated[int, PlainValidator(size(ge=0, le=2**40))] = 64 * MIB
    pointers: Annotated[Literal["dense", "free"], PlainValidator(one_of(("dense", "free")))] = "dense"
    churn: Annotated[float, PlainValidator(number(ge=0, le=1))] = 0.1
    workers: Annotated[int, PlainValidator(integer(ge=1, le=4096))] = 2
    alloc_sizes: Annotated[dict[int, float], PlainValidator(_alloc_sizes)] = DEFAULT_ALLOC_SIZES
    allocs_per_op: Annotated[int, PlainValidator(integer(ge=1, le=2**20))] = 16
    map_keys: Annotated[Literal["string", "int"], PlainValidator(one_of(("string", "int")))] = "string"
    pool: Annotated[bool, PlainValidator(boolean)] = False
    strings: Annotated[Literal["concat", "builder"], PlainValidator(one_of(("concat", "builder")))] = "builder"
    loop: Annotated[Literal["closed", "open"], PlainValidator(one_of(("closed", "open")))] = "closed"
    rate: Annotated[float | None, PlainValidator(optional(number(gt=0)))] = None
    warmup: Annotated[float, PlainValidator(a_duration())] = 2.0
    duration: Annotated[float, PlainValidator(a_duration())] = 8.0
    sample_interval: Annotated[float, PlainValidator(a_duration(ge=0.001))] = 0.25
    seed: Annotated[int, PlainValidator(integer(ge=-(2**63), le=2**63 - 1))] = 1  # a Go int64 flag

    kind: ClassVar[str] = "builtin"

    @property
    def planned_run_s(self) -> float | None:
        """How long the program runs by itself: warm-up plus the measurement window."""
        return self.warmup + self.duration

    @model_validator(mode="after")
    def _consistent(self) -> ServiceWorkload:
        """``rate`` goes with an open loop only; samples must fit in the measurement window."""
        if self.loop == "open" and self.rate is None:
            fail_at(("rate",), "required when loop is open: the target operations per second, e.g. rate: 2000")
        if self.loop == "closed" and self.rate is not None:
            fail_at(("rate",), "only valid with loop: open (a closed loop runs as fast as it can)", self.rate)
        if self.sample_interval >= self.duration:
            fail_at(("sample_interval",), f"must be shorter than duration ({format_go_duration(self.duration)}), "
                                          f"got {format_go_duration(self.sample_interval)}", self.sample_interval)
        return self

    def args(self) -> list[str]:
        """The workload binary's command-line flags, one argv item each."""
        sizes = ",".join(f"{b}:{format_number(w)}" for b, w in self.alloc_sizes.items())
        return [
            "-live-heap", str(self.live_heap), "-pointers", self.pointers, "-churn", format_number(self.churn),
            "-workers", str(self.workers), "-alloc-sizes", sizes, "-allocs-per-op", str(self.allocs_per_op),
            "-map-keys", self.map_keys, f"-pool={'true' if self.pool else 'false'}", "-strings", self.strings,
            "-rate", format_number(self.rate or 0), "-warmup", format_go_duration(self.warmup),
            "-duration", format_go_duration(self.duration),
            "-sample-interval", format_go_duration(self.sample_interval), "-seed", str(self.seed),
        ]

    def argv(self) -> list[str]:
        """The command line given to the container's entrypoint."""
        return self.args()


# The service's allocation patterns (the Go memory notes' string against int map keys, sync.Pool or
# not, strings.Builder against +, pointer-dense against pointer-free) may be searched in ``space``:
# one study then says what each pattern costs at its best GC settings.
SERVICE_OPTIONS = ("pointers", "map_keys", "pool", "strings")


def service_option_parser(name: str) -> Parser[Any]:
    """The parser of the service option ``name``: its ServiceWorkload field's own (one definition)."""
    for item in ServiceWorkload.model_fields[name].metadata:
        if isinstance(item, PlainValidator):
            return item.func  # type: ignore[return-value]
    raise LookupError(f"ServiceWorkload.{name} has no parser")


def _package_dir(value: Any, info: ValidationInfo) -> Path:
    """A folder of Go files inside a module, relative to the spec's folder; returned absolute."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be the path of a Go package folder, relative to the spec file, got {show(value)}")
    name = clip(plain_text(value))
    base = Path((info.context or {}).get("base_dir") or ".")
    try:
        folder = (base / value).resolve()
        problem = ("no such folder (looked in {})" if not folder.is_dir()
                   else "no .go files in {}" if not any(folder.glob("*.go"))
                   else "not inside a Go module (no go.mod in {} or above)" if module_root(folder) is None else "")
    except OSError as exc:  # a path too long for the file system, or a folder that cannot be read
        raise ValueError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if problem:
        raise ValueError(f"{name}: {problem.format(clip(str(folder)))}")
    return folder


def module_root(folder: Path) -> Path | None:
    """The nearest folder at or above ``folder`` that holds a go.mod."""
    for candidate in (folder, *folder.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    return None


def _argv(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ValueError(f"must be a list of arguments such as [\"-addr\", \":8080\"], got {show(value)}")
    errors = []
    for index, item in enumerate(value):
        try:
            plain_text(str(item))
        except ValueError as exc:
            errors.append(error_details((index,), str(exc), item))
    if errors:
        fail(errors)
    return tuple(str(v) for v in value)


class _UserProgram(StrictModel):
    """What user programs share: an optional warm-up, and a duration after which gctune stops them."""

    warmup: Annotated[float, PlainValidator(a_duration(gt=-1.0, ge=0.0))] = 0.0
    duration: Annotated[float | None, PlainValidator(optional(a_duration()))] = None

    @property
    def planned_run_s(self) -> float | None:
        return None if self.duration is None else self.warmup + self.duration


class GoPackageWorkload(_UserProgram):
    """A main package of the user's module, built statically with the chosen toolchain."""

    go_package: Annotated[Path, PlainValidator(_package_dir)]
    args: Annotated[tuple[str, ...], PlainValidator(_argv)] = ()
    kind: ClassVar[str] = "go_package"

    def argv(self) -> list[str]:
        return list(self.args)


class GoBench(StrictModel):
    """Which benchmarks of a package to run, and for how long."""

    package: Annotated[Path, PlainValidator(_package_dir)]
    bench: Annotated[str, PlainValidator(_nonempty)] = "."
    benchtime: Annotated[str, PlainValidator(_benchtime)] = "1s"
    count: Annotated[int, PlainValidator(integer(ge=1, le=100))] = 1


class GoBenchWorkload(StrictModel):
    """``go test -bench`` benchmarks of a package, compiled with ``go test -c`` and run in the container."""

    go_bench: GoBench
    kind: ClassVar[str] = "go_bench"
    warmup: ClassVar[float] = 0.0
    duration: ClassVar[float | None] = None
    planned_run_s: ClassVar[float | None] = None

    def argv(self) -> list[str]:
        bench = self.go_bench
        return ["-test.run=^$", f"-test.bench={bench.bench}", "-test.benchmem",
                f"-test.benchtime={bench.benchtime}", f"-test.count={bench.count}"]


class ImageWorkload(_UserProgram):
    """A prebuilt local image holding a Go program; gctune applies the same environment and limits."""

    image: Annotated[str, PlainValidator(_nonempty)]
    command: Annotated[tuple[str, ...] | None, PlainValidator(optional(_argv))] = None
    kind: ClassVar[str] = "image"

    def argv(self) -> list[str]:
        return list(self.command or ())


Workload = Union[ServiceWorkload, GoPackageWorkload, GoBenchWorkload, ImageWorkload]
_MODELS: dict[str, type[StrictModel]] = {"builtin": ServiceWorkload, "go_package": GoPackageWorkload,
                                         "go_bench": GoBenchWorkload, "image": ImageWorkload}


def parse_workload(value: Any, info: ValidationInfo) -> Workload:
    """Exactly one kind key; the mapping is then validated by that kind's model."""
    if isinstance(value, tuple(_MODELS.values())):
        return value  # type: ignore[return-value]
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping with one of {', '.join(WORKLOAD_KINDS)}, e.g. builtin: service, "
                         f"got {show(value)}")
    kinds = [k for k in WORKLOAD_KINDS if k in value]
    if len(kinds) != 1:
        got = ", ".join(kinds) if kinds else "none"
        raise ValueError(f"must name exactly one workload kind among {', '.join(WORKLOAD_KINDS)}, got {got}")
    return _MODELS[kinds[0]].model_validate(value, context=info.context)  # type: ignore[return-value]
