"""The contract every transform module fulfils.

A transform is a class with metadata (id, title, references, safety) and
one method, ``apply(pod)``, that reads the pod spec and asks the
``PodContext`` for edits. Its docstring is its documentation and has fixed
sections, checked by the registry and printed by ``hardener explain``:
``## What it changes``, ``## Why``, ``## Example`` (a ``yaml`` block before,
then one after; the example is run as a test) and ``## Fix safety``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import ClassVar

from hardener.context import PodContext
from hardener.model import Reference

SAFE, MAY_BREAK = "safe", "may-break"
DOC_SECTIONS = ("What it changes", "Why", "Example", "Fix safety")


@dataclasses.dataclass(frozen=True)
class NoParams:
    """A transform without parameters."""


class Transform:
    """Base class: subclasses set the class attributes and implement ``apply``."""

    id: ClassVar[str]
    title: ClassVar[str]
    rationale: ClassVar[str]
    safety: ClassVar[str] = SAFE
    guidance: ClassVar[str] = ""
    references: ClassVar[tuple[Reference, ...]] = ()
    linux_only: ClassVar[bool] = False
    """Kubernetes forbids the field on Windows pods (``spec.os.name: windows``)."""
    reports_only: ClassVar[bool] = False
    """The transform never edits: it reports what cannot be fixed safely (its example is unchanged)."""
    aliases: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type] = NoParams
    example_params: ClassVar[dict] = {}
    """The parameters the docstring's Example runs with (and is tested with); none by default."""
    example_unsafe: ClassVar[bool] = False
    """The Example overrides a value the manifest sets explicitly: it shows an unsafe fix, which
    hardener applies only with ``--unsafe-fixes`` (a test holds both ways)."""
    object_kinds: ClassVar[frozenset[str]] = frozenset()
    """Core-group kinds (``ServiceAccount``) whose objects ``apply_object`` edits."""

    def __init__(self, params: object | None = None) -> None:
        self.params = params if params is not None else self.Params()

    @property
    def needs_stream_index(self) -> bool:
        """Whether ``apply`` reads ``pod.stream`` (built only when some transform asks)."""
        return False

    def apply(self, pod: PodContext) -> None:
        raise NotImplementedError

    def apply_object(self, obj: PodContext) -> None:
        """Edit one object of a kind in ``object_kinds``; the context is rooted at the object."""

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring's ``## Section`` bodies, by section title."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        parts = re.split(r"^## +(.+)$", doc, flags=re.MULTILINE)
        sections = {"summary": parts[0].strip()}
        for title, body in zip(parts[1::2], parts[2::2]):
            sections[title.strip()] = body.strip()
        return sections

    @classmethod
    def example(cls) -> tuple[str, str]:
        """The documented before/after YAML, run as a test."""
        blocks = re.findall(r"```yaml\n(.*?)```", cls.doc_sections().get("Example", ""), flags=re.DOTALL)
        if len(blocks) != 2:
            raise ValueError(f"{cls.id}: the Example section needs two yaml blocks (before, after)")
        return blocks[0], blocks[1]
