"""Create the Optuna sampler a spec names."""

from __future__ import annotations

from typing import Any

import optuna

from orchestrator.errors import SpecError

GP_HINT = "the gp sampler needs PyTorch and SciPy: pip install 'gctune[gp]' (or pip install torch scipy)"


def create_sampler(name: str, seed: int | None, grid: dict[str, list[Any]], trials: int) -> optuna.samplers.BaseSampler:
    """One sampler per name; a seed makes the study repeatable."""
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, trials // 3)))
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return _AskTellGridSampler(grid, seed=seed)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(4, min(20, trials // 3)))
    if name == "gp":
        try:
            import scipy  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            raise SpecError(f"search.sampler: {GP_HINT}") from exc
        return optuna.samplers.GPSampler(seed=seed)
    raise SpecError(f"search.sampler: unknown sampler {name!r}")  # the spec validator lists valid ones


class _AskTellGridSampler(optuna.samplers.GridSampler):
    """GridSampler that does not call ``study.stop()`` when the grid is done.

    ``stop`` only works inside ``optimize``; gctune drives the study with ask/tell and ends it
    itself after exactly as many trials as the grid has points.
    """

    def after_trial(self, study: optuna.Study, trial: Any, state: Any, values: Any) -> None:
        pass
