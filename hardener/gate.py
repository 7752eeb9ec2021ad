"""The gate: whether a run's records fail it, at the ``--fail-on`` level asked for.

One place decides the exit code's ``1`` for every entry point (fix, check,
the KRM function, the exec plugin), as ruff and black do: a run fails while
the profile is not met. The levels nest, each failing on everything the next
one fails on, plus more:

* ``findings``: any change, or any finding (a warning too);
* ``changes``: any change, or any error finding (``check``'s default: a file
  that would change is not hardened yet);
* ``may-break``: a change that may break the application, or any error
  finding (for CI that lets safe fixes through but wants a human on risky ones);
* ``errors``: an error finding, i.e. a workload that still violates the
  profile and that hardener did not fix (``fix``'s default: ruff's
  ``check --fix`` fails while violations remain);
* ``never``: nothing (``--exit-zero``).

Counts, not records, are what the gate needs, so a streaming filter that
keeps no records still knows (``Tally``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from hardener.model import CHANGE, ERROR, FINDING, WARNING, Record

FAIL_ON_LEVELS = ("findings", "changes", "may-break", "errors", "never")
FIX_DEFAULT, CHECK_DEFAULT = "errors", "changes"
MAY_BREAK = "may-break"


@dataclass
class Tally:
    """How many records of each kind the gate cares about."""

    changes: int = 0
    may_break: int = 0
    errors: int = 0
    warnings: int = 0

    def add(self, record: Record, safety: Mapping[str, str]) -> None:
        """Count ``record``; ``safety`` maps a transform id to its class's safety."""
        if record.type == CHANGE:
            self.changes += 1
            self.may_break += (record.safety or safety.get(record.transform)) == MAY_BREAK
        elif record.type == FINDING:
            self.errors += record.severity == ERROR
            self.warnings += record.severity == WARNING

    def __iadd__(self, other: "Tally") -> "Tally":
        self.changes += other.changes
        self.may_break += other.may_break
        self.errors += other.errors
        self.warnings += other.warnings
        return self


def tally(records: Iterable[Record], safety: Mapping[str, str]) -> Tally:
    counted = Tally()
    for record in records:
        counted.add(record, safety)
    return counted


def safety_of(transforms) -> dict[str, str]:
    """Transform id -> its class's safety, for the transforms of a profile."""
    return {transform.id: transform.safety for transform in transforms}


def registry_safety() -> dict[str, str]:
    """Transform id -> its class's safety, for every installed transform (a run's files may use several profiles)."""
    from hardener.registry import RegistryError, default_registry

    registry = default_registry()
    safety = {}
    for transform_id in registry.ids():
        try:
            safety[transform_id] = registry.get(transform_id).safety
        except RegistryError:  # a plugin that fails to load made no records
            continue
    return safety


def check_level(level: str) -> str:
    """``level`` if it is a known ``--fail-on`` level; ValueError naming the choices otherwise."""
    if level not in FAIL_ON_LEVELS:
        raise ValueError(f"unknown --fail-on level {level!r}; choose from {', '.join(FAIL_ON_LEVELS)}")
    return level


def failure(level: str, counted: Tally) -> str | None:
    """Why the gate fails at ``level``, as a phrase for the closing line, or None when it passes."""
    reasons = []
    if level == "never":
        return None
    if counted.errors:
        reasons.append(_count(counted.errors, "error finding", "error findings") + " (the profile is not met)")
    if level in ("findings", "changes") and counted.changes:
        reasons.append(_count(counted.changes, "change", "changes"))
    elif level == "may-break" and counted.may_break:
        reasons.append(_count(counted.may_break, "change that may break the app", "changes that may break the app"))
    if level == "findings" and counted.warnings:
        reasons.append(_count(counted.warnings, "warning", "warnings"))
    return ", ".join(reasons) or None


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
