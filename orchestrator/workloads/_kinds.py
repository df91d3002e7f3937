"""Which :class:`WorkloadKind` serves a spec: the one place the spec's workload models are told apart."""

from __future__ import annotations

from orchestrator.spec import GoBenchWorkload, GoPackageWorkload, ImageWorkload, ServiceWorkload, Spec
from orchestrator.workloads._base import WorkloadKind
from orchestrator.workloads._builtin import BuiltinWorkload
from orchestrator.workloads._user import GoBenchKind, GoPackageKind, PrebuiltImageKind

_KINDS: dict[type, type[WorkloadKind]] = {
    ServiceWorkload: BuiltinWorkload,
    GoPackageWorkload: GoPackageKind,
    GoBenchWorkload: GoBenchKind,
    ImageWorkload: PrebuiltImageKind,
}


def kind_for(spec: Spec) -> WorkloadKind:
    """The behaviour of the spec's workload."""
    return _KINDS[type(spec.workload)](spec)
