"""One registry of transforms: built-ins plus third-party plugins.

Built-ins come from ``hardener.transforms.BUILTINS``; plugins from the
``hardener.transforms`` entry-point group, whose entry-point *name* is the
transform id, so listing them imports no plugin code. Every class, built-in
or plugin, passes the same checks when it is registered.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from importlib.metadata import entry_points

from hardener.errors import ProfileError
from hardener.transform import DOC_SECTIONS, Transform

ENTRY_POINT_GROUP = "hardener.transforms"
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RegistryError(ProfileError):
    """A transform class is malformed, collides with another, or fails to load."""


def validate(cls: type) -> None:
    """Raise RegistryError unless ``cls`` is a well-formed transform."""
    name = getattr(cls, "id", None) or getattr(cls, "__name__", repr(cls))
    problems = []
    if not (isinstance(cls, type) and issubclass(cls, Transform)):
        raise RegistryError(f"{name}: not a hardener Transform subclass")
    if not isinstance(getattr(cls, "id", None), str) or not _ID.match(cls.id):
        problems.append("id must be kebab-case, e.g. run-as-non-root")
    for attr in ("title", "rationale"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr).strip():
            problems.append(f"{attr} is required")
    if not cls.references:
        problems.append("references must name at least one standard")
    if cls.safety not in ("safe", "may-break"):
        problems.append("safety must be 'safe' or 'may-break'")
    if cls.safety == "may-break" and not cls.guidance:
        problems.append("a may-break transform needs guidance")
    if not dataclasses.is_dataclass(cls.Params):
        problems.append("Params must be a dataclass")
    sections = cls.doc_sections()
    problems += [f"docstring lacks a '## {s}' section" for s in DOC_SECTIONS if s not in sections]
    if "Example" in sections:
        try:
            cls.example()
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise RegistryError(f"transform {name}: " + "; ".join(problems))


class Registry:
    """Transforms by id (and alias), in a stable order: built-ins first."""

    def __init__(self, builtins: tuple[type[Transform], ...], plugins: dict[str, object] | None = None) -> None:
        self._by_id: dict[str, type[Transform]] = {}
        self._aliases: dict[str, str] = {}
        for cls in builtins:
            self._add(cls)
        self._plugins = {name: ep for name, ep in (plugins or {}).items() if name not in self._by_id}
        for name in plugins or {}:
            if name in self._by_id or name in self._aliases:
                raise RegistryError(f"plugin transform {name!r} collides with a built-in transform id or alias")

    def _add(self, cls: type[Transform]) -> None:
        validate(cls)
        for key in (cls.id, *cls.aliases):
            if key in self._by_id or key in self._aliases:
                raise RegistryError(f"transform id or alias {key!r} is registered twice")
        self._by_id[cls.id] = cls
        self._aliases.update({alias: cls.id for alias in cls.aliases})

    def ids(self) -> list[str]:
        """Every known id, plugins included (without importing them)."""
        return list(self._by_id) + sorted(self._plugins)

    def canonical(self, transform_id: str) -> str:
        return self._aliases.get(transform_id, transform_id)

    def __contains__(self, transform_id: str) -> bool:
        return self.canonical(transform_id) in self._by_id or transform_id in self._plugins

    def get(self, transform_id: str) -> type[Transform]:
        """The class for an id or alias; a plugin is imported only now."""
        key = self.canonical(transform_id)
        if key in self._by_id:
            return self._by_id[key]
        entry_point = self._plugins.get(key)
        if entry_point is None:
            raise RegistryError(f"unknown transform {transform_id!r}; known: {', '.join(self.ids())}")
        try:
            cls = entry_point.load()  # type: ignore[attr-defined]
        except Exception as exc:  # a broken plugin must not crash the run with a traceback
            raise RegistryError(f"plugin transform {key!r} failed to load: {exc}") from exc
        if getattr(cls, "id", None) != key:
            raise RegistryError(f"plugin transform {key!r}: its class declares id {getattr(cls, 'id', None)!r}")
        self._add(cls)
        del self._plugins[key]
        return cls

    def order(self, transform_id: str) -> int:
        """Position in the run order: built-ins in BUILTINS order, then plugins."""
        ids = self.ids()
        key = self.canonical(transform_id)
        return ids.index(key) if key in ids else len(ids)


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    from hardener.transforms import BUILTINS

    plugins = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return Registry(BUILTINS, plugins)
