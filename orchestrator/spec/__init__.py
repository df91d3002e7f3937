"""The experiment spec: loading and validating the YAML, constraints, and the settings of one trial."""

from orchestrator.spec._constraints import OPS, Constraint, parse_constraint
from orchestrator.spec._load import load_spec, load_spec_text
from orchestrator.spec._model import (
    SAMPLERS, SPEC_KEYS, Container, Objective, Search, Spec,
)
from orchestrator.spec._settings import TrialSettings, baseline_settings, resolve_trial_settings
from orchestrator.spec._space import (
    SETTING_NAMES, Choices, CpusRange, Dimension, GogcRange, GomaxprocsRange, MemoryLimitRange,
    MemoryRange, Range, Space, parse_setting,
)
from orchestrator.spec._values import Percent
from orchestrator.spec._workload import (
    WORKLOAD_KINDS, GoBenchWorkload, GoPackageWorkload, ImageWorkload, ServiceWorkload, Workload, module_root)

__all__ = [
    "OPS", "SAMPLERS", "SETTING_NAMES", "SPEC_KEYS", "WORKLOAD_KINDS",
    "Choices", "Constraint", "Container", "CpusRange", "Dimension", "GogcRange", "GomaxprocsRange",
    "MemoryLimitRange", "MemoryRange", "Objective", "Percent", "Range", "Search", "ServiceWorkload",
    "Space", "Spec", "TrialSettings", "GoBenchWorkload", "GoPackageWorkload", "ImageWorkload", "Workload",
    "module_root",
    "baseline_settings", "load_spec", "load_spec_text", "parse_constraint", "parse_setting", "resolve_trial_settings",
]
