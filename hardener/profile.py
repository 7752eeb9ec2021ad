"""Profiles: which transforms run, with which parameters.

A profile is a small YAML file (yamllint's model): a shipped preset by bare
name (``restricted``), or a path to a user file that ``extends:`` a preset
or another file and overrides it:

    extends: restricted
    unsafe-fixes: [no-host-namespaces]          # may override explicit values (or true: all)
    transforms:
      read-only-root-filesystem: false          # off
      run-as-non-root:
        run_as_user: 65532                      # parameters, checked

Errors name the file, the transform and the key.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from hardener.errors import InputError, ProfileError
from hardener.exemptions import Exemptions, parse_exemptions
from hardener.images import ImageFacts, ImageTable, parse_entries, shipped_table
from hardener.kinds import parse_kinds, workload_kinds
from hardener.model import plural, unknown_keys
from hardener.registry import Registry, default_registry
from hardener.textio import decode
from hardener.transform import Transform
from hardener.yamlnodes import compose, to_data

DEFAULT_PROFILE = "restricted"
_TOP_LEVEL_KEYS = {"name", "description", "extends", "transforms", "exemptions", "kinds", "unsafe-fixes", "images"}


@dataclass(frozen=True)
class Profile:
    """A resolved profile: the transforms to run, in run order, with their params."""

    name: str
    description: str
    source: str
    transforms: tuple[Transform, ...]
    exemptions: Exemptions = Exemptions()
    kinds: dict = field(default_factory=dict)
    """Declared custom kinds by (group, kind), see hardener.kinds."""
    unsafe_fixes: frozenset[str] = frozenset()
    """Transforms that may override a value the author wrote explicitly (see hardener.context)."""
    images: ImageTable = field(default_factory=shipped_table)
    """What is known about images: the shipped table, then the profile's ``images:`` (see hardener.images)."""

    @property
    def transform_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.transforms)

    def with_unsafe_fixes(self, allowed: bool) -> "Profile":
        """This profile with every transform's unsafe fixes allowed, or none (``--[no-]unsafe-fixes``)."""
        return dataclasses.replace(self, unsafe_fixes=frozenset(self.transform_ids) if allowed else frozenset())

    def with_images(self, entries: tuple[ImageFacts, ...]) -> "Profile":
        """This profile knowing ``entries`` too (the image cache), over what it knew."""
        return dataclasses.replace(self, images=self.images.extended(entries))

    @functools.cached_property
    def workload_kinds(self) -> tuple:
        """The declared kinds as WorkloadKinds, built once: the engine asks for them per document."""
        return workload_kinds(self.kinds)


def shipped_profiles() -> list[str]:
    """Names of the profiles that ship with hardener."""
    root = resources.files("hardener.profiles")
    return sorted(entry.name[: -len(".yaml")] for entry in root.iterdir() if entry.name.endswith(".yaml"))


def load_profile(name_or_path: str, registry: Registry | None = None) -> Profile:
    """Resolve a shipped name or a file path into a Profile."""
    registry = registry or default_registry()
    raw, source = _resolve(name_or_path, registry, seen=())
    return _build(raw, source, registry)


def load_profile_from_mapping(raw: Any, source: str, registry: Registry | None = None) -> Profile:
    """A profile given as data (a KRM functionConfig's spec, say), checked exactly like a file.

    ``source`` names it in errors; a relative ``extends`` path is taken from
    the working directory.
    """
    registry = registry or default_registry()
    merged = _merge(_check(copy.deepcopy(raw), source), source, registry, seen=())
    return _build(merged, source, registry)


def _build(raw: dict, source: str, registry: Registry) -> Profile:
    transforms = []
    for transform_id, params in sorted(raw["transforms"].items(), key=lambda item: registry.order(item[0])):
        if params is False:
            continue
        cls = registry.get(transform_id)
        transforms.append(cls(build_params(cls, params, source)))
    unsafe = raw.get("unsafe-fixes", False)
    return Profile(
        name=raw.get("name") or FsPath(source).stem,
        description=raw.get("description") or "",
        source=source,
        transforms=tuple(transforms),
        exemptions=parse_exemptions(raw.get("exemptions"), source, set(registry.ids())),
        kinds=raw.get("kinds", {}),
        unsafe_fixes=frozenset(t.id for t in transforms) if unsafe is True else frozenset(unsafe or ()),
        images=shipped_table().extended(raw.get("images", ())),
    )


def _resolve(name_or_path: str, registry: Registry, seen: tuple[str, ...]) -> tuple[dict, str]:
    """Read one profile and everything it extends, merged (child wins).

    A file reached through ``extends`` may be anything (``extends:
    ../../etc/shadow``): its errors name the file and the problem, never
    its content.
    """
    text, source = _read(name_or_path, relative_to=FsPath(seen[-1]).parent if seen and FsPath(seen[-1]).exists() else None)
    if source in seen:
        raise ProfileError(f"{source}: 'extends' loops back: {' -> '.join(seen + (source,))}")
    return _merge(_parse(text, source, quiet=bool(seen)), source, registry, seen), source


def _merge(raw: dict, source: str, registry: Registry, seen: tuple[str, ...]) -> dict:
    """``raw`` over everything it extends (child wins)."""
    merged: dict[str, Any] = {"transforms": {}}
    if "extends" in raw:
        parent_name = raw["extends"]
        if not isinstance(parent_name, str):
            raise ProfileError(f"{source}: 'extends' must be a profile name or a path")
        merged, _ = _resolve(parent_name, registry, seen + (source,))
    for key in ("name", "description"):
        if key in raw:
            merged[key] = raw[key]
    if "exemptions" in raw:  # each key (namespaces, selectors) replaces the parent's
        if not isinstance(raw["exemptions"], dict):
            raise ProfileError(f"{source}: exemptions: expected a mapping with namespaces and/or selectors")
        merged["exemptions"] = {**(merged.get("exemptions") or {}), **raw["exemptions"]}
    if "unsafe-fixes" in raw:  # the child's answer replaces the parent's
        merged["unsafe-fixes"] = _unsafe_fixes(raw["unsafe-fixes"], source, registry)
    if "images" in raw:  # entries add up; a later one for the same image wins
        merged["images"] = tuple(merged.get("images", ())) + parse_entries(raw["images"], source)
    if "kinds" in raw:  # declarations add up; one for the same group and kind replaces the parent's
        merged["kinds"] = {**merged.get("kinds", {}), **parse_kinds(raw["kinds"], source)}
    transforms = dict(merged["transforms"])
    for transform_id, value in (raw.get("transforms") or {}).items():
        if transform_id not in registry:
            raise ProfileError(f"{source}: transforms: unknown transform {transform_id!r}; known: {', '.join(registry.ids())}")
        transform_id = registry.canonical(transform_id)
        if value is False:
            transforms[transform_id] = False
        elif value is True or value is None:
            transforms[transform_id] = transforms.get(transform_id) or {}
        elif isinstance(value, dict):
            inherited = transforms.get(transform_id) or {}
            transforms[transform_id] = {**inherited, **value}
        else:
            raise ProfileError(f"{source}: transforms: {transform_id}: expected true, false or a mapping of parameters")
    merged["transforms"] = transforms
    return merged


def _unsafe_fixes(value: Any, source: str, registry: Registry) -> bool | list[str]:
    """``unsafe-fixes``: true (every transform), false, or a list of transform ids."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{source}: unsafe-fixes: expected true, false or a list of transform ids, got {value!r}")
    unknown = [v for v in value if v not in registry]
    if unknown:
        raise ProfileError(f"{source}: unsafe-fixes: unknown transform {unknown[0]!r}; known: {', '.join(registry.ids())}")
    return [registry.canonical(v) for v in value]


def _read(name_or_path: str, relative_to: FsPath | None) -> tuple[str, str]:
    looks_like_path = "/" in name_or_path or name_or_path.endswith((".yaml", ".yml")) or "\\" in name_or_path
    if looks_like_path:
        path = FsPath(name_or_path)
        if not path.is_absolute() and relative_to is not None and (relative_to / path).exists():
            path = relative_to / path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ProfileError(f"{name_or_path}: cannot read profile: {exc.strerror or exc}") from None
        try:
            return decode(data, str(path))[0], str(path)  # as manifests are read: BOM, UTF-16, the line of a bad byte
        except InputError as exc:
            raise ProfileError(f"{exc} (in a profile)") from None
    shipped = resources.files("hardener.profiles") / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise ProfileError(f"unknown profile {name_or_path!r}; shipped profiles: {', '.join(shipped_profiles())}, or give a file path")
    return shipped.read_text(encoding="utf-8"), f"{name_or_path} (shipped)"


def _parse(text: str, source: str, quiet: bool = False) -> dict:
    return copy.deepcopy(_parse_cached(text, source, quiet))


@functools.lru_cache(maxsize=64)
def _parse_cached(text: str, source: str, quiet: bool) -> dict:
    """Read with the manifests' own C composer: duplicate keys are refused here too, naming the line.

    ``quiet``: the file was not named by the user but reached through
    ``extends``; an error quotes nothing from it (a key, a value).
    """
    try:
        raw = to_data(compose(text, file=source), file=source, text=text).data
    except InputError as exc:
        if quiet and not exc.message.startswith("invalid YAML"):
            exc = InputError("not a hardener profile (it does not read as one)", file=exc.file, document=exc.document, line=exc.line)
        raise ProfileError(str(exc)) from None
    return _check(raw, source, quiet)


_KEY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")
"""An unknown key worth naming in an error: a misspelled profile key, not a line of some other file."""


def _check(raw: Any, source: str, quiet: bool = False) -> dict:
    """The top level of a profile: a mapping of known keys, with a mapping of transforms."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: a profile is a mapping with 'transforms' (and optionally 'extends')")
    unknown = sorted(map(str, set(raw) - _TOP_LEVEL_KEYS))
    if unknown:
        allowed = ", ".join(sorted(_TOP_LEVEL_KEYS))
        if quiet or not all(_KEY_NAME.fullmatch(key) for key in unknown):
            raise ProfileError(f"{source}: not a hardener profile: {plural(len(unknown), 'top-level key')} unknown to profiles; allowed: {allowed}")
        raise ProfileError(f"{source}: {unknown_keys(unknown, sorted(_TOP_LEVEL_KEYS))}")
    if raw.get("transforms") is not None and not isinstance(raw["transforms"], dict):
        raise ProfileError(f"{source}: 'transforms' must be a mapping of transform id to settings")
    return raw


def build_params(cls: type[Transform], given: dict, source: str) -> Any:
    """Check ``given`` against the transform's Params dataclass and build it."""
    fields = {f.name: f for f in dataclasses.fields(cls.Params)}
    hints = typing.get_type_hints(cls.Params)
    for key, value in given.items():
        if key == "override_explicit" and key not in fields:
            raise ProfileError(
                f"{source}: transforms: {cls.id}: override_explicit was replaced by the profile key "
                f"'unsafe-fixes: [{cls.id}]' (or --unsafe-fixes), which every transform understands"
            )
        if key not in fields:
            known = ", ".join(fields) or "none"
            raise ProfileError(f"{source}: transforms: {cls.id}: unknown parameter {key!r} (parameters: {known})")
        if not _type_ok(value, hints[key]):
            raise ProfileError(f"{source}: transforms: {cls.id}: {key}: expected {_type_name(hints[key])}, got {value!r}")
    converted = {k: tuple(v) if isinstance(v, list) and _origin(hints[k]) is tuple else v for k, v in given.items()}
    try:
        return cls.Params(**converted)
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"{source}: transforms: {cls.id}: {exc}") from None


def _origin(hint: Any) -> Any:
    return typing.get_origin(hint) or hint


def _type_ok(value: Any, hint: Any) -> bool:
    origin = _origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is getattr(types, "UnionType", None):
        return any(_type_ok(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin in (list, tuple, frozenset, set):
        item = args[0] if args else Any
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if hint is Any:
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint in (int, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and (hint is float or isinstance(value, int))
    if origin is dict:
        return isinstance(value, dict)
    return isinstance(value, origin) if isinstance(origin, type) else True


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
