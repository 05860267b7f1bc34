"""The exceptions kendall raises: one class per kind of failure.

Every one carries ``problems``: a list of ``(field, what to fix)`` pairs, the field
written as a path into the scenario (``queue "ledger".service.mean``). It is empty
where the failure is not about one field (an unstable queue, a refused method).
"""

from __future__ import annotations


class KendallError(Exception):
    """Base class of every kendall error."""

    problems: list[tuple[str, str]]

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ValidationError(KendallError, ValueError):
    """The scenario, a setting, an SLO or an argument is invalid; ``problems`` names
    each field and the fix."""


class UnstableError(KendallError):
    """A queue gets more work than its consumers can do (offered load >= 1): no
    steady state exists. Add consumers, cut the load or give the queue a capacity."""


class NoMethodError(KendallError):
    """No analytic method applies to this model; simulate it instead."""


class SloUnreachableError(KendallError):
    """Sizing cannot meet an SLO with any number of consumers (for instance a p99
    below the service time's own p99)."""


class SimulationError(KendallError):
    """The simulation could not run to the end (a memory or arrival limit, a stall)."""


class CancelledError(KendallError):
    """The run was stopped before it finished."""


__all__ = [
    "KendallError",
    "ValidationError",
    "UnstableError",
    "NoMethodError",
    "SloUnreachableError",
    "SimulationError",
    "CancelledError",
]
