"""The ``workload`` section: which Go program to run and, for the built-in service, how it behaves."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, model_validator

from orchestrator.spec._base import StrictModel, error_details, fail, fail_at
from orchestrator.spec._values import (
    MIB, boolean, format_go_duration, format_number, integer, number, one_of, optional,
    show, size,
)
from orchestrator.spec._values import duration as a_duration  # a field is named duration

WORKLOAD_KINDS = ("builtin", "go_package", "go_bench", "image")
SUPPORTED_KINDS = ("builtin",)
BUILTIN_NAMES = ("service",)

MAX_ALLOC_SIZES = 64  # the limits the Go workload itself enforces
DEFAULT_ALLOC_SIZES: dict[int, float] = {64: 60.0, 512: 30.0, 4096: 9.0, 32768: 1.0}


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
    seed: Annotated[int, PlainValidator(integer())] = 1

    @property
    def kind(self) -> str:
        """The workload kind key (always ``builtin`` in this version)."""
        return "builtin"

    @classmethod
    def mapping_help(cls) -> str:
        """A workload mapping is recognised by its kind key."""
        return f"a mapping with one of {', '.join(WORKLOAD_KINDS)}, e.g. builtin: service"

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        """Exactly one kind key, and only the supported one."""
        if not isinstance(data, dict):
            return data  # a built model, or a non-mapping the base model reports
        kinds = [k for k in WORKLOAD_KINDS if k in data]
        if len(kinds) != 1:
            got = ", ".join(kinds) if kinds else "none"
            fail_at((), f"must name exactly one workload kind among {', '.join(WORKLOAD_KINDS)}, got {got}", data)
        if kinds[0] not in SUPPORTED_KINDS:
            fail_at((kinds[0],), "not supported yet in this version of gctune; use builtin: service", data[kinds[0]])
        return data

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
