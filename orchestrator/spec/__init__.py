"""The experiment spec: loading and validating the YAML, constraints, and the settings of one trial."""

from orchestrator.spec._confidence import CONFIDENCE_PRESETS, ConfidencePreset
from orchestrator.spec._constraints import OPS, Constraint, parse_constraint
from orchestrator.spec._load import load_spec, load_spec_text, read_spec_data
from orchestrator.spec._model import (
    SAMPLERS, SPEC_KEYS, Container, Objective, Search, Spec,
)
from orchestrator.spec._settings import (
    GO_DEFAULTS, TrialSettings, baseline_settings, format_setting, format_settings, go_env, gomemlimit_share,
    resolve_trial_settings, with_workload_options)
from orchestrator.spec._space import (
    CATEGORICAL_SETTINGS, DEPLOYED_SETTINGS, RUNTIME_SETTINGS, SETTING_NAMES, SETTINGS, WORKLOAD_OPTION_SETTINGS, Choices, CpusRange, Dimension, GogcRange, GomaxprocsRange, MemoryLimitRange,
    MemoryRange, Range, Space, parse_setting,
)
from orchestrator.spec._schema import spec_json_schema
from orchestrator.spec._values import Percent
from orchestrator.spec._workload import (
    SERVICE_OPTIONS, WORKLOAD_KINDS, GoBenchWorkload, GoPackageWorkload, ImageWorkload, ServiceWorkload, Workload, module_root)

__all__ = [
    "CATEGORICAL_SETTINGS", "CONFIDENCE_PRESETS", "ConfidencePreset",
    "DEPLOYED_SETTINGS", "GO_DEFAULTS", "OPS", "RUNTIME_SETTINGS", "SAMPLERS", "SERVICE_OPTIONS", "SETTINGS", "SETTING_NAMES", "SPEC_KEYS",
    "WORKLOAD_KINDS", "WORKLOAD_OPTION_SETTINGS",
    "Choices", "Constraint", "Container", "CpusRange", "Dimension", "GogcRange", "GomaxprocsRange",
    "MemoryLimitRange", "MemoryRange", "Objective", "Percent", "Range", "Search", "ServiceWorkload",
    "Space", "Spec", "TrialSettings", "GoBenchWorkload", "GoPackageWorkload", "ImageWorkload", "Workload",
    "module_root",
    "baseline_settings", "format_setting", "format_settings", "go_env", "gomemlimit_share", "load_spec", "load_spec_text", "read_spec_data", "parse_constraint", "parse_setting", "resolve_trial_settings",
    "spec_json_schema", "with_workload_options",
]
