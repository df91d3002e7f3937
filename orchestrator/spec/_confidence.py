"""The presets of ``search.confidence``: how sure a race must be, and how many repeats it may spend.

A race (search/_race.py) re-measures the leading configurations and Go's defaults in interleaved rounds
until the best is separated from every other contender by a one-sided Mann-Whitney U test, or
``max_repeats`` rounds are spent, or the time budget ends. The race looks after every round from
``min_repeats`` to ``max_repeats``; so that these repeated looks do not inflate false separations, each
test is at ``level = alpha / looks`` (Bonferroni over the looks). Each minimum can reach its level: the
smallest exact p of n repeats against n is 1 / C(2n, n) (1/70 for 4, 1/252 for 5, 1/3432 for 7).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfidencePreset:
    name: str
    alpha: float  # the significance level of each comparison of the best with another contender, over all looks
    min_repeats: int  # racing rounds before any decision (each contender measured this often)
    max_repeats: int  # rounds after which the race ends with the ties it has

    @property
    def looks(self) -> int:
        return self.max_repeats - self.min_repeats + 1

    @property
    def level(self) -> float:
        """The level each test is held to at each look."""
        return self.alpha / self.looks


CONFIDENCE_PRESETS: dict[str, ConfidencePreset] = {p.name: p for p in (
    ConfidencePreset("fast", 0.10, 4, 6),
    ConfidencePreset("standard", 0.05, 5, 10),
    ConfidencePreset("high", 0.01, 7, 16),
)}
