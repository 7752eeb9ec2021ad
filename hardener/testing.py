"""Run YAML case files against a transform (sqlfluff's test cases, for fixers).

A case file, ``tests/transforms/<transform-id>.yml``, holds named cases::

    transform: run-as-non-root        # optional: defaults to the file name
    cases:
      - name: adds-pod-level-setting
        input: |
          ...
        output: |                      # or `unchanged: true`
          ...
        params: {run_as_user: 65532}   # optional transform parameters
        unsafe_fixes: true             # optional: also override explicit values (--unsafe-fixes)
        records: ["Set runAsNonRoot ..."]   # optional: messages that must be reported

Each case runs with a profile that enables only that transform. Two contracts
hold for every case: the output matches byte for byte, and a second run over
the output changes nothing. Third-party transform authors can use this module
for their own case files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from hardener.api import Result, harden
from hardener.profile import Profile, build_params
from hardener.registry import Registry, default_registry


@dataclass(frozen=True)
class Case:
    """One named case of a case file."""

    transform: str
    name: str
    input: str
    output: str | None
    params: dict = field(default_factory=dict)
    records: tuple[str, ...] = ()
    unsafe_fixes: bool = False

    @property
    def id(self) -> str:
        return f"{self.transform}::{self.name}"


def load_cases(path: str | Path) -> list[Case]:
    """Every case in a case file."""
    path = Path(path)
    raw = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    transform = raw.get("transform") or path.stem
    cases = []
    for entry in raw["cases"]:
        if "output" in entry and entry.get("unchanged"):
            raise ValueError(f"{path}: case {entry['name']}: give output or unchanged, not both")
        if "output" not in entry and not entry.get("unchanged"):
            raise ValueError(f"{path}: case {entry['name']}: needs output or unchanged: true")
        cases.append(
            Case(
                transform=transform,
                name=entry["name"],
                input=entry["input"],
                output=entry.get("output"),
                params=entry.get("params") or {},
                records=tuple(entry.get("records") or ()),
                unsafe_fixes=bool(entry.get("unsafe_fixes")),
            )
        )
    return cases


def single_transform_profile(
    transform_id: str, params: dict[str, Any] | None = None, registry: Registry | None = None, unsafe_fixes: bool = False
) -> Profile:
    """A profile that runs only ``transform_id``, with ``params`` (and its unsafe fixes, if asked)."""
    registry = registry or default_registry()
    cls = registry.get(transform_id)
    transform = cls(build_params(cls, params or {}, f"test profile for {transform_id}"))
    profile = Profile(name=transform_id, description="", source="<test>", transforms=(transform,))
    return profile.with_unsafe_fixes(unsafe_fixes)


def run_case(case: Case) -> Result:
    """Run one case and assert its contracts; returns the result for further checks."""
    profile = single_transform_profile(case.transform, case.params, unsafe_fixes=case.unsafe_fixes)
    result = harden(case.input, profile)
    expected = case.input if case.output is None else case.output
    assert result.output == expected, f"{case.id}: output differs\n--- expected\n{expected}\n--- got\n{result.output}"
    again = harden(result.output, profile)
    assert again.output == result.output, f"{case.id}: a second run changed the output again"
    messages = [record.message for record in result.records]
    for message in case.records:
        assert any(message in m for m in messages), f"{case.id}: no record says {message!r}; records: {messages}"
    return result
