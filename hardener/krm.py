"""``hardener krm``: a KRM function (kpt, kustomize) and a legacy kustomize exec transformer.

The KRM Functions Specification: a ``ResourceList`` (``config.kubernetes.io/v1``)
arrives on stdin, the same list with its ``items`` changed and a ``results``
list leaves on stdout, and a non-zero exit means failure (with an ``error``
result saying why).

Fidelity: the envelope is never re-serialized. Each item is hardened as a
document of its own, cut from the input text *in place*: its span, with the
``- `` before its first key turned into spaces, is a valid YAML document
indented as deep as the item (a root mapping may be indented). The engine
splices that text like any file, and the result, minus the padding, replaces
the item's span. So every byte outside the edits survives: comments inside
and between items, every annotation (``config.k8s.io/id``,
``internal.config.kubernetes.io/*``), quoting and key order. Only ``results``
is written fresh. A list sent as JSON (flow style) is first rewritten as
block YAML; JSON carries no comments to lose.

Configuration (``functionConfig``): nothing (the repository's
configuration, ``hardener.config``, else the default profile), a
``Hardener`` object of the ``hardener.dev`` group whose ``spec`` names a
profile and/or sets transforms and ``unsafe-fixes`` inline, or a ConfigMap
whose ``data.profile`` names one (what ``kpt fn eval ... -- profile=NAME``
sends). A profile the functionConfig names replaces the repository
configuration's, as ``--profile`` does; the configuration's other settings
(``select``, ``ignore``, ``per-file-ignores``, ``exclude``, ``unsafe-fixes``)
still apply, matched against each item's ``config.kubernetes.io/path`` (its
path inside the package). An excluded item is left as it is. Like ``hardener
fix``, the function fails (exit 1, with the error results) while a workload
still violates the profile.

The legacy exec transformer mode (``hardener krm --plugin-config FILE``) is
what kustomize's ``--enable-alpha-plugins`` runs: the same configuration
from a file, a plain YAML stream in and out, hardened by the ordinary engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hardener.errors import HardenerError, InputError, InternalError, ProfileError
from hardener.model import CHANGE, SKIP, Record, unknown_keys
from hardener.profile import DEFAULT_PROFILE, Profile, load_profile, load_profile_from_mapping
from hardener.workloads import locate_objects

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1", "config.kubernetes.io/v1alpha1")
CONFIG_GROUP = "hardener.dev"
CONFIG_KIND = "Hardener"
_SPEC_KEYS = {"profile", "transforms", "unsafe-fixes"}
_PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
_INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")



class ConfigError(HardenerError):
    """The functionConfig (or the legacy plugin's config file) cannot be used."""


@dataclass
class FunctionOutput:
    """What the function writes: the ResourceList text, its exit code, and messages for stderr."""

    text: str
    exit_code: int
    messages: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- configuration


def profile_from_config(config: Any, where: str = "functionConfig") -> Profile:
    """The profile a functionConfig asks for (None means the default)."""
    return chosen_profile(config, where) or _load(DEFAULT_PROFILE, where)


def chosen_profile(config: Any, where: str = "functionConfig") -> Profile | None:
    """The profile a functionConfig names, or None when it names none (the repository's configuration decides)."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: expected a {CONFIG_KIND} or ConfigMap object, got {type(config).__name__}")
    api_version, kind = config.get("apiVersion"), config.get("kind")
    if kind == "ConfigMap" and api_version == "v1":
        data = config.get("data") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: ConfigMap data must be a mapping")
        unknown = sorted(set(data) - {"profile"})
        if unknown:
            raise ConfigError(f"{where}: ConfigMap data: {unknown_keys(unknown, ('profile',))}")
        if "profile" not in data:
            return None
        profile = data["profile"]
        if not isinstance(profile, str) or not profile:
            raise ConfigError(f"{where}: ConfigMap data.profile must be a profile name or path")
        return _load(profile, where)
    group = api_version.split("/")[0] if isinstance(api_version, str) else None
    if kind == CONFIG_KIND and group == CONFIG_GROUP:
        return _profile_from_spec(config.get("spec"), where)
    raise ConfigError(
        f"{where}: unsupported {kind or 'object'} ({api_version}); use apiVersion {CONFIG_GROUP}/v1alpha1, "
        f"kind {CONFIG_KIND}, or a v1 ConfigMap with data.profile"
    )


def _profile_from_spec(spec: Any, where: str) -> Profile | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: spec must be a mapping with 'profile', 'transforms' and/or 'unsafe-fixes'")
    unknown = sorted(set(map(str, spec)) - _SPEC_KEYS)
    if unknown:
        raise ConfigError(f"{where}: spec: {unknown_keys(unknown, sorted(_SPEC_KEYS))}")
    if spec.get("profile") is None and spec.get("transforms") is None and "unsafe-fixes" not in spec:
        return None
    name = spec.get("profile", DEFAULT_PROFILE)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: spec.profile must be a profile name or path")
    if spec.get("transforms") is None and "unsafe-fixes" not in spec:
        return _load(name, where)
    if not isinstance(spec.get("transforms") or {}, dict):
        raise ConfigError(f"{where}: spec.transforms must map transform ids to true, false or parameters")
    inline = {key: spec[key] for key in ("transforms", "unsafe-fixes") if key in spec}
    return _inline_profile(name, inline, where)


def _inline_profile(extends: str, settings: dict, where: str) -> Profile:
    """Inline settings, checked exactly like a profile file; errors name the functionConfig."""
    try:
        return load_profile_from_mapping({"name": "functionConfig", "extends": extends, **settings}, f"{where}: spec")
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None


def _load(name: str, where: str) -> Profile:
    try:
        return load_profile(name)
    except ProfileError as exc:
        raise ConfigError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------- the ResourceList


def run_function(text: str, overrides=None) -> FunctionOutput:
    """Harden every item of the ResourceList ``text``; never raises for bad input.

    ``overrides`` (``hardener.config.Overrides``) say which repository
    configuration applies: ``--config``, ``--no-config``, else the working
    directory's (kpt runs functions there).
    """
    from hardener.config import Overrides, Resolver
    from hardener.yamlnodes import compose, to_data

    try:
        root = compose(text, file="<ResourceList>")
        if root is not None and getattr(root, "flow_style", False):
            text = _as_block_yaml(to_data(root).data)
            root = compose(text, file="<ResourceList>")
        data = to_data(root).data if root is not None else None
        items_node = _check_envelope(root, data)
        chosen = chosen_profile(data.get("functionConfig"))
        resolver = Resolver(overrides or Overrides())
        item_settings = [resolver.settings_for(_file_of(item)[0]) for item in data.get("items") or []]
        profiles = [resolver.profile_of(settings, chosen) for settings in item_settings]
    except (HardenerError, ConfigError) as exc:
        return _failure(text, str(exc))

    results: list[dict] = []
    splices: list[tuple[int, int, str]] = []
    errors: list[str] = []
    stream = None
    if any(transform.needs_stream_index for profile in profiles for transform in profile.transforms):
        from hardener.streamindex import index_objects

        stream = index_objects(data.get("items") or [])  # one index for the whole list, not per item
    next_index: dict[str | None, int] = {}
    for item in data.get("items") or []:
        path, file_index = _file_of(item)
        next_index[path] = max(next_index.get(path, 0), (file_index or 0) + 1)
    hardened: set[int] = set()
    for index, node in enumerate(items_node.value if items_node is not None else []):
        item = data["items"][index]
        if id(node) in hardened:
            continue  # an alias of an item already hardened (`- *a`): its text is the alias, which follows
        hardened.add(id(node))
        excluded = item_settings[index].excluded
        if excluded is not None:
            reason = f"Not hardened: excluded by the configuration ({excluded.value!r} at {excluded.source})"
            results.append(_record_result(Record(SKIP, "", reason), item))
            continue
        try:
            new_span, records = _harden_item(text, node, item, profiles[index], index, stream, next_index)
        except InputError as exc:
            errors.append(f"items[{index}]: {exc.message}")
            results.append(_error_result(f"items[{index}]: {exc.message}", item))
            continue
        except InternalError as exc:
            errors.append(f"items[{index}]: internal error: {exc}")
            results.append(_error_result(f"items[{index}]: internal error: {exc}", item))
            continue
        if new_span is not None:
            splices.append((node.start_mark.index, node.end_mark.index, new_span))
        results.extend(_record_result(record, item) for record in records)

    if errors:
        return FunctionOutput(_with_results(text, root, data, results), 1, errors)
    for start, end, new in sorted(splices, reverse=True):
        text = text[:start] + new + text[end:]
    root = compose(text, file="<ResourceList>")  # positions moved; find where `results` goes again
    output = _with_results(text, root, to_data(root).data, results)
    failed = [result["message"] for result in results if result["severity"] == "error"]
    return FunctionOutput(output, 1 if failed else 0, failed)  # the fix gate: fail while the profile is not met


def _check_envelope(root, data) -> Any:
    """The ``items`` sequence node, after checking the list is a ResourceList."""
    if not isinstance(data, dict):
        raise ConfigError("input is not a ResourceList: expected a mapping with apiVersion, kind and items")
    if data.get("kind") != "ResourceList" or data.get("apiVersion") not in RESOURCE_LIST_VERSIONS:
        raise ConfigError(
            f"input is not a ResourceList: got kind {data.get('kind')!r}, apiVersion {data.get('apiVersion')!r}; "
            f"expected kind ResourceList, apiVersion {RESOURCE_LIST_VERSIONS[0]}"
        )
    items = data.get("items")
    if items is None:
        return None
    if not isinstance(items, list):
        raise ConfigError("ResourceList items must be a list of objects")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError(f"ResourceList items[{index}] is a {type(item).__name__}, not an object")
    return dict((key.value, value) for key, value in root.value)["items"]


def _harden_item(
    text: str, node, item: dict, profile: Profile, index: int, stream=None, next_index: dict | None = None
) -> tuple[str | None, list[Record]]:
    """Harden one item in place; return its new span text (None when unchanged) and its records.

    Documents a transform adds (a ServiceAccount) become new items right after
    this one, annotated with this item's file so kpt writes them beside it.
    """
    from hardener.api import harden
    from hardener.stream import split

    start, end = node.start_mark.index, node.end_mark.index
    pad = " " * node.start_mark.column
    document = pad + text[start:end]
    result = harden(document, profile, file=_file_of(item)[0] or f"items[{index}]", stream=stream)
    if not result.changed:
        return None, result.records
    added = _added(result.records)
    output = split(result.output)[0].text if added else result.output  # the item itself, without what follows it
    if not output.startswith(pad):
        raise InternalError(f"the hardened item no longer starts at column {len(pad)}")
    span = output[len(pad):]
    if added:
        dash = " " * (node.start_mark.column - 2)
        newline = "\r\n" if "\r\n" in output else "\n"
        items_text = "".join(_item_text(_annotated(document, item, next_index or {}), dash, newline) for document in added)
        cut = span.rfind("\n") + 1
        head, tail = (span[:cut], span[cut:]) if not span[cut:].strip() else (span + newline, "")
        span = head + items_text + tail
    return span, result.records


def _added(records: list[Record]) -> list[dict]:
    """The documents a transform added (change records on the whole object)."""
    return [r.after for r in records if r.type == CHANGE and r.path == () and isinstance(r.after, dict)]


def _annotated(document: dict, beside: dict, next_index: dict) -> dict:
    """A new object with the path annotations that make kpt write it beside ``beside``."""
    path, _ = _file_of(beside)
    if path is None:
        return document
    number = next_index.get(path, 0)
    next_index[path] = number + 1
    metadata = dict(document.get("metadata") or {})
    metadata["annotations"] = {
        **(metadata.get("annotations") or {}),
        "config.kubernetes.io/path": path,
        "config.kubernetes.io/index": str(number),
        "internal.config.kubernetes.io/path": path,
        "internal.config.kubernetes.io/index": str(number),
    }
    return {**document, "metadata": metadata}


def _item_text(document: dict, dash: str, newline: str) -> str:
    """A new ResourceList item in block style at the list's own indentation."""
    from hardener.patch import Style, render_document

    lines = render_document(document, Style(newline=newline, indent=2, sequence_offset=0, json=False)).split(newline)[:-1]
    body = [f"{dash}- {lines[0]}"] + [f"{dash}  {line}" for line in lines[1:]]
    return newline.join(body) + newline


def _as_block_yaml(data: Any) -> str:
    """``data`` as block YAML that every reader reads back as ``data``.

    A string YAML 1.1 (kubectl), YAML 1.2 or go-yaml would read as anything
    else (``yes``, ``on``, ``NO``, ``1:20``, ``0755``, ``2024-01-01``) is quoted.
    """
    from io import StringIO

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = _QuotingResolver()
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
    yaml.width = 1 << 16
    stream = StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _QuotingResolver() -> type:
    """A resolver for dumping that calls a plain scalar a string only when every reader agrees."""
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    from hardener import scalars

    yaml11 = VersionedResolver(version=(1, 1))

    class QuotingResolver(VersionedResolver):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            tag = super().resolve(kind, value, implicit)
            if kind is ScalarNode and implicit[0] and tag == scalars.STR:
                for other in (scalars.plain_tag(value), str(yaml11.resolve(kind, value, implicit))):
                    if other != scalars.STR:
                        return Tag(suffix=other)
            return tag

    return QuotingResolver


# --------------------------------------------------------------------------- results


def _file_of(item: dict) -> tuple[str | None, int | None]:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    if not isinstance(annotations, dict):
        return None, None
    path = next((annotations[a] for a in _PATH_ANNOTATIONS if isinstance(annotations.get(a), str)), None)
    index = next((annotations[a] for a in _INDEX_ANNOTATIONS if a in annotations), None)
    try:
        index = int(index) if index is not None else None
    except (TypeError, ValueError):
        index = None
    return path, index


def _resource_ref(item: dict, record: Record | None = None) -> dict:
    """The object a result is about: ``item``, or the object inside it (a List's) that holds the record's path."""
    obj = item
    if record is not None:
        holders = [(path, o) for path, o in locate_objects(item) if tuple(record.path[: len(path)]) == path]
        if holders:
            obj = max(holders, key=lambda held: len(held[0]))[1]
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ref = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": metadata.get("name"), "namespace": metadata.get("namespace")}
    return {key: value for key, value in ref.items() if isinstance(value, str) and value}


def _file_result(item: dict) -> dict:
    path, index = _file_of(item)
    if path is None:
        return {}
    return {"file": {"path": path, **({"index": index} if index is not None else {})}}


def _record_result(record: Record, item: dict) -> dict:
    result: dict[str, Any] = {
        "message": f"[{record.transform}] {record.message}" if record.transform else record.message,
        "severity": record.severity or "info",  # findings: error or warning; changes and skips: info
        "resourceRef": _resource_ref(item, record),
    }
    if record.path:
        result["field"] = {"path": record.path_text}
        if record.type == CHANGE:
            if record.before is not None:
                result["field"]["currentValue"] = record.before
            result["field"]["proposedValue"] = record.after
    result.update(_file_result(item))
    result["tags"] = {"hardener.dev/record": record.type}
    if record.transform:
        result["tags"]["hardener.dev/transform"] = record.transform
    return result


def _error_result(message: str, item: dict | None = None) -> dict:
    result: dict[str, Any] = {"message": message, "severity": "error"}
    if item is not None:
        result["resourceRef"] = _resource_ref(item)
        result.update(_file_result(item))
    return result


def _failure(text: str, message: str) -> FunctionOutput:
    """Bad input or configuration: the input back unchanged, with one error result, exit 1."""
    from hardener.yamlnodes import compose, to_data

    try:
        root = compose(text, file="<ResourceList>")
        data = to_data(root).data if root is not None else None
    except HardenerError:
        root = data = None
    if not isinstance(data, dict) or data.get("kind") != "ResourceList" or getattr(root, "flow_style", False):
        envelope = {"apiVersion": RESOURCE_LIST_VERSIONS[0], "kind": "ResourceList", "items": []}
        text = _as_block_yaml(envelope)
        root = compose(text)
        data = envelope
    return FunctionOutput(_with_results(text, root, data, [_error_result(message)]), 1, [message])


def _with_results(text: str, root, data: dict, results: list[dict]) -> str:
    """``text`` with its top-level ``results`` replaced by this run's ``results``.

    Results in the input belong to an earlier run; an orchestrator collects
    each function's results itself, so they are not carried forward.
    """
    block = _as_block_yaml({"results": results}) if results else ""
    newline = "\r\n" if "\r\n" in text[: text.find("\n") + 1] else "\n"
    block = block.replace("\n", newline)
    existing = [(k, v) for k, v in root.value if k.value == "results"]
    if existing:
        key, value = existing[0]
        return text[: key.start_mark.index] + block + text[value.end_mark.index :].lstrip("\r\n")
    if not block:
        return text
    end = root.end_mark.index
    head = text[:end]
    if head and not head.endswith("\n"):
        head += newline
    return head + block + text[end:]


# --------------------------------------------------------------------------- legacy exec plugin


def run_legacy_plugin(config_path: str, data: bytes, overrides=None) -> tuple[bytes, int, list[str]]:
    """Kustomize's legacy exec transformer: config file path, a YAML stream on stdin, hardened on stdout.

    The stream has no file names: the working directory's repository
    configuration applies to all of it.
    """
    from hardener.api import harden_bytes
    from hardener.config import Overrides, Resolver
    from hardener.yamlnodes import compose, to_data

    try:
        with open(config_path, encoding="utf-8") as handle:
            config_text = handle.read()
    except OSError as exc:
        return b"", 2, [f"error: {config_path}: cannot read the transformer config: {exc.strerror or exc}"]
    try:
        root = compose(config_text, file=config_path)
        chosen = chosen_profile(to_data(root).data if root is not None else None, where=config_path)
        resolver = Resolver(overrides or Overrides())
        profile = resolver.profile_of(resolver.settings_for(None), chosen)
        result = harden_bytes(data, profile, file="<kustomize>")
    except InternalError as exc:
        return b"", 123, [f"internal error: {exc}"]
    except (HardenerError, ConfigError) as exc:
        return b"", 2, [f"error: {exc}"]
    from hardener.report.text import record_line

    failed = [record_line(r) for r in result.findings if r.is_error]
    return result.output_bytes, 1 if failed else 0, failed  # the fix gate: fail while the profile is not met
