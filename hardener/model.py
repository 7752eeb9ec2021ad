"""The data that flows between transforms, the patcher and the reports.

A transform never touches text: it produces ``Edit``s (plain data, like
ruff's ``Edit``) and ``Record``s that explain them. The patcher turns edits
into splices; the reports render records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

Path = tuple[Any, ...]

CHANGE, FINDING, SKIP = "change", "finding", "skip"
RecordType = Literal["change", "finding", "skip"]

ERROR, WARNING = "error", "warning"
"""Finding severities. An *error*: after the run the workload still violates the profile and
hardener did not fix it (a shape it could not patch, an unsafe fix withheld, a control that only
a human can satisfy, such as a hostPath volume); gates fail on it. A *warning*: advice that does
not leave the profile unmet (a misspelled field worked around, an exemption that exempts nothing,
a token kept because the stream proves the workload calls the API)."""


@dataclass(frozen=True)
class Reference:
    """A standard that asks for a setting (PSS control, CIS item, NSA/CISA, Azure Policy)."""

    standard: str
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Edit:
    """One semantic edit at a path from the document root.

    ``set`` gives the field at ``path`` the scalar ``value``, creating the
    mappings on the way; ``append`` adds ``value`` to the list at ``path``,
    creating the list if it is missing; ``remove`` deletes the mapping key or
    sequence item at ``path`` (list indices count in the input as written).
    """

    op: Literal["set", "append", "remove"]
    path: Path
    value: Any = None


@dataclass
class Record:
    """What happened to one field: a change made, a finding, or a skip.

    ``line`` is 1-based in the input file: the edited node, the node a new
    field was inserted into, or the field or item a finding or skip is about
    (``hardener.positions``). The transform's title, rationale,
    references, safety and guidance come from the registry by ``transform``.
    """

    type: RecordType
    transform: str
    message: str
    path: Path = ()
    before: Any = None
    after: Any = None
    container: str | None = None
    file: str = "<stdin>"
    document: int | None = None
    line: int | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    end_line: int | None = None
    """Last input line the record covers, when it is more than ``line`` (a removed block, a multi-line item)."""
    column: int | None = None
    """1-based column of what ``line`` points at (the field's key, the list item, the mapping it went into)."""
    severity: str | None = None
    """Findings: ERROR or WARNING; a finding made without one is an error (fail closed). None otherwise."""
    unsafe_fix: bool = False
    """The change overrides a value the author wrote (applied with --unsafe-fixes), or the finding
    is such a fix, withheld."""
    safety: str | None = None
    """``safe`` or ``may-break`` for this record, when it knows better than its transform's class."""
    guidance: str | None = None
    """What to check or do, specific to this record (this image, this workload); None: the transform's."""
    source: str | None = None
    """The template a rendered document came from: Helm's ``# Source: chart/templates/x.yaml`` above it."""
    edit: Edit | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.type == FINDING and self.severity is None:
            self.severity = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def path_text(self) -> str:
        return format_path(self.path)


class RecordViews:
    """``changes``, ``findings`` and ``skipped`` of anything that holds ``records``."""

    records: list[Record]

    @property
    def changes(self) -> list[Record]:
        return [r for r in self.records if r.type == CHANGE]

    @property
    def findings(self) -> list[Record]:
        return [r for r in self.records if r.type == FINDING]

    @property
    def skipped(self) -> list[Record]:
        return [r for r in self.records if r.type == SKIP]


def yaml_text(value: Any) -> str:
    """A value as YAML writes it, for messages: ``true``, not Python's ``True``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def format_path(path: Path) -> str:
    """``('spec', 'containers', 0, 'image')`` -> ``spec.containers[0].image``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += ("." if text else "") + str(step)
    return text



def noun(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word for ``count`` things: ``key`` or ``keys``, ``fix`` or ``fixes``."""
    return singular if count == 1 else plural_form or singular + "s"


def unknown_keys(found: Iterable[object], allowed: Iterable[str]) -> str:
    """``unknown keys a, b; allowed: x, y``: one wording for stray keys in every file hardener reads.

    ``found`` is sorted (as text); ``allowed`` is said in the order given.
    """
    names = sorted(map(str, found))
    return f"unknown {noun(len(names), 'key')} {', '.join(names)}; allowed: {', '.join(allowed)}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 change``, ``2 changes``: every count the CLI and the reports print agrees with its noun."""
    return f"{count} {noun(count, singular, plural_form)}"
