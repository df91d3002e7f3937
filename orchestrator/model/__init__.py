"""The GC cost model of one run: fitted on its measured configurations, it predicts gc_cpu_percent,
peak memory and GC cycles at any GOGC and GOMEMLIMIT, with an interval and a quality verdict.

After the Go GC guide (https://go.dev/doc/gc-guide); the equations are in ``_predict``, the fit and its
leave-one-out interval in ``_fit``, reading a run's raw repeats in ``_observe``.
"""

from orchestrator.model._base import (
    MIN_OBSERVATIONS, PREDICTED_METRICS, Estimate, Fit, Observation, Parameters, Point, Prediction, Quality)
from orchestrator.model._fit import fit_model, fit_parameters, judge, leave_one_out, measured, percentage_errors
from orchestrator.model._observe import observe_folder, observe_run
from orchestrator.model._predict import heap_goal, limit_heap_goal, predict, predict_values

__all__ = ["MIN_OBSERVATIONS", "PREDICTED_METRICS", "Estimate", "Fit", "Observation", "Parameters", "Point",
           "Prediction", "Quality", "fit_model", "fit_parameters", "heap_goal", "judge", "leave_one_out", "limit_heap_goal",
           "measured", "observe_folder", "observe_run", "percentage_errors", "predict", "predict_values"]
