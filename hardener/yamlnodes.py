"""Compose YAML into position-aware nodes, and read plain data off them.

We compose (parse to a node graph) and never construct Python objects from
tags: ``!!python/object`` is just a tag string here. Every node carries its
start and end marks (character offsets into the document's own text), which
is all the patcher needs to splice edits into the original bytes.

The data view is built by our own small walker so that aliases stay shared
(an alias bomb is never expanded), merge keys (``<<``) behave as Kubernetes'
YAML loader makes them behave, and nodes that appear under more than one
path are known: editing one of those would silently edit the others too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import _DEFAULT_YAML_VERSION, VersionedResolver

from hardener.errors import InputError

MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_EXPANDED_NODES = 1_000_000
"""A document whose aliases would expand to more nodes than this is refused."""

_local = threading.local()
_STR_TAG = VersionedResolver.DEFAULT_SCALAR_TAG
"""The tag object the resolver gives every plain string: an identity check is enough."""
_SCALAR_CONSTRUCTORS = {
    # Only the plain types of the core schema; every other tag (timestamps,
    # !!binary, !!python/..., custom tags) is read as the string it is.
    "tag:yaml.org,2002:null": None,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
}


class _CachedResolver(VersionedResolver):
    """ruamel's resolver, remembering the tag of each plain scalar it has seen.

    The C composer asks the (pure Python) resolver for the tag of every
    scalar, and answering costs more than composing: the resolver looks up
    the YAML version and walks its regular expressions each time. The answer
    depends only on the scalar's text, its implicit flags and the version, and
    a manifest repeats the same keys and values, so it is remembered (short
    scalars only, and a bounded number of them). The tags are ruamel's own:
    the cache changes how fast, never what. Only used with the C parser,
    whose resolver always works with the loader's default version (the pure
    parser switches versions on a ``%YAML`` directive, which the key does
    not hold), and only while no path resolvers are registered.
    """

    _cache: dict[tuple, Any] = {}
    MAX_CACHED = 50_000
    MAX_LENGTH = 128

    @property
    def processing_version(self) -> Any:
        # What VersionedResolver.processing_version finds for a C loader, after
        # three failed attribute lookups: the loader's version or the default.
        return self._loader_version or _DEFAULT_YAML_VERSION

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            key = (value, implicit)
            tag = self._cache.get(key)
            if tag is not None:
                return tag
            tag = super().resolve(kind, value, implicit)
            if len(value) <= self.MAX_LENGTH and not self.yaml_path_resolvers:
                if len(self._cache) >= self.MAX_CACHED:
                    self._cache.clear()
                self._cache[key] = tag
            return tag
        if not self.yaml_path_resolvers:
            if kind is MappingNode:
                return self.DEFAULT_MAPPING_TAG
            if kind is SequenceNode:
                return self.DEFAULT_SEQUENCE_TAG
        return super().resolve(kind, value, implicit)


def _c_loader_class() -> type | None:
    """ruamel's C loader (what ``YAML(typ="safe", pure=False)`` builds on every call), built once."""
    try:
        from ruamel.yaml.main import CParser
    except ImportError:  # pragma: no cover - ruamel without its C extension
        return None
    if CParser is None:
        return None

    class CLoader(CParser, SafeConstructor, _CachedResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            _CachedResolver.__init__(self, loadumper=self)

    return CLoader


_C_LOADER = _c_loader_class()


def _compose_all(text: str) -> list[Node]:
    """Every document of ``text`` as a node graph, with the C loader when there is one."""
    if _C_LOADER is None:
        return list(_yaml().compose_all(text))
    loader = _C_LOADER(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    finally:
        loader.dispose()
        # The loader refers to itself (as parser, composer, constructor's loader,
        # resolver's loadumper): drop those references so it is freed at once,
        # not by the cycle collector.
        loader.__dict__.clear()


def _yaml() -> YAML:
    """One composer per thread: ruamel's YAML objects are not re-entrant."""
    yaml = getattr(_local, "yaml", None)
    if yaml is None:
        yaml = _local.yaml = YAML(typ="safe", pure=False)
    return yaml


def compose(text: str, *, file: str = "<stdin>", document: int | None = None, first_line: int = 0) -> Node | None:
    """Compose ``text`` (one document) into its root node.

    Errors become InputError with the line in the whole stream
    (``first_line`` is where this document's text starts).
    """
    try:
        nodes = _compose_all(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line = first_line + mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise InputError(f"invalid YAML: {problem}", file=file, document=document, line=line, column=column) from None
    except (YAMLError, ValueError) as exc:
        raise InputError(f"invalid YAML: {exc}", file=file, document=document, line=first_line + 1) from None
    except RecursionError:
        raise InputError("nesting too deep to process", file=file, document=document, line=first_line + 1) from None
    if len(nodes) > 1:
        raise InputError("expected one document", file=file, document=document, line=first_line + 1)
    return nodes[0] if nodes else None


@dataclass
class DataView:
    """Plain data read off a node graph, plus what is unsafe to edit.

    ``shared`` holds the ids of data objects that are reachable along more
    than one path (anchors with aliases, merge keys): an edit inside one of
    them would show up in every place that refers to it.
    """

    data: Any
    shared: set[int] = field(default_factory=set)


def to_data(root: Node | None) -> DataView:
    """Build the plain-data view of ``root`` (dicts, lists, scalars)."""
    if root is None:
        return DataView(None)
    builder = _FastBuilder()
    try:
        data = builder.build_recursive(root)
    except _TooDeep:
        builder = _Builder()
        data = builder.build(root)
    return DataView(data, builder.shared)


class _TooDeep(Exception):
    """The document nests deeper than the recursive builder goes."""


class _Builder:
    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.shared: set[int] = set()

    def build(self, node: Node) -> Any:
        # An explicit stack instead of recursion: deep nesting must not raise
        # RecursionError. Children are built before their parents.
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:
            current, ready = stack.pop()
            key = id(current)
            if key in self.memo and not ready:
                self._mark_shared(self.memo[key])
                continue
            if isinstance(current, ScalarNode):
                self.memo[key] = _scalar(current)
                self.sizes[key] = 1
            elif not ready:
                self.memo[key] = None  # placeholder: a cycle back here is an error
                stack.append((current, True))
                for child in reversed(_children(current)):
                    if id(child) in self.memo and self.memo[id(child)] is None and not isinstance(child, ScalarNode):
                        raise InputError("recursive alias", line=child.start_mark.line + 1)
                    stack.append((child, False))
            else:
                self.memo[key] = self._collection(current)
        return self.memo[id(node)]

    def _collection(self, node: Node) -> Any:
        size = 1 + sum(self.sizes.get(id(child), 1) for child in _children(node))
        if size > MAX_EXPANDED_NODES:
            raise InputError(f"aliases expand to more than {MAX_EXPANDED_NODES} nodes", line=node.start_mark.line + 1)
        self.sizes[id(node)] = size
        if isinstance(node, SequenceNode):
            return [self.memo[id(item)] for item in node.value]
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    source_data = self.memo[id(source)]
                    if isinstance(source_data, dict):
                        for k, v in source_data.items():
                            merged.setdefault(k, v)
                        self._mark_shared(source_data)
                continue
            result[_hashable(self.memo[id(key_node)])] = self.memo[id(value_node)]
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def _mark_shared(self, data: Any) -> None:
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, (dict, list)) and id(item) not in self.shared:
                self.shared.add(id(item))
                stack.extend(item.values() if isinstance(item, dict) else item)


class _FastBuilder(_Builder):
    """The data view by recursion, for documents of ordinary depth (all manifests).

    It means exactly what ``_Builder`` means (aliases shared, merge keys,
    recursive aliases and alias bombs refused) at a fraction of its cost:
    scalars, most of the nodes, are read in place instead of going through a
    stack and a memo. Past ``MAX_DEPTH`` it gives up and ``_Builder``, which
    needs no call stack, starts again.
    """

    MAX_DEPTH = 200

    def build_recursive(self, node: Node, depth: int = 0) -> Any:
        # The memo holds collections only: a scalar seen twice is the same immutable value.
        if isinstance(node, ScalarNode):
            return _scalar(node)
        key = id(node)
        memo = self.memo
        if key in memo:
            data = memo[key]
            if data is None:
                raise InputError("recursive alias", line=node.start_mark.line + 1)
            self._mark_shared(data)
            return data
        if depth > self.MAX_DEPTH:
            raise _TooDeep
        memo[key] = None  # placeholder: a cycle back here is an error
        sizes = self.sizes
        size = 1
        if isinstance(node, SequenceNode):
            data = []
            for item in node.value:
                if isinstance(item, ScalarNode):
                    data.append(_scalar(item))
                    size += 1
                else:
                    data.append(self.build_recursive(item, depth + 1))
                    size += sizes[id(item)]
        else:
            data = {}
            merged: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode):
                    key_data = _scalar(key_node)
                    size += 1
                else:
                    key_data = _hashable(self.build_recursive(key_node, depth + 1))
                    size += sizes[id(key_node)]
                if isinstance(value_node, ScalarNode):
                    value_data = _scalar(value_node)
                    size += 1
                else:
                    value_data = self.build_recursive(value_node, depth + 1)
                    size += sizes[id(value_node)]
                if key_node.ctag is not _STR_TAG and key_node.tag == MERGE_TAG:
                    sources = value_data if isinstance(value_node, SequenceNode) else [value_data]
                    for source_data in sources:
                        if isinstance(source_data, dict):
                            for k, v in source_data.items():
                                merged.setdefault(k, v)
                            self._mark_shared(source_data)
                    continue
                data[key_data] = value_data
            for k, v in merged.items():
                data.setdefault(k, v)
        if size > MAX_EXPANDED_NODES:
            raise InputError(f"aliases expand to more than {MAX_EXPANDED_NODES} nodes", line=node.start_mark.line + 1)
        sizes[key] = size
        memo[key] = data
        return data


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _scalar(node: ScalarNode) -> Any:
    if node.ctag is _STR_TAG:  # the common case, without rendering the tag
        return node.value
    tag = node.tag
    if tag not in _SCALAR_CONSTRUCTORS:
        return node.value
    construct = _SCALAR_CONSTRUCTORS[tag]
    if construct is None:
        return None
    key = (tag, node.value)
    if key in _CONSTRUCTED:  # ints, floats and bools are immutable: build each text once
        return _CONSTRUCTED[key]
    try:
        value = construct(_yaml().constructor, node)
    except (ValueError, YAMLError):
        value = node.value
    if len(node.value) <= _CachedResolver.MAX_LENGTH:
        if len(_CONSTRUCTED) >= _CachedResolver.MAX_CACHED:
            _CONSTRUCTED.clear()
        _CONSTRUCTED[key] = value
    return value


_CONSTRUCTED: dict[tuple[str, str], Any] = {}


def _hashable(key: Any) -> Any:
    if isinstance(key, (dict, list)):
        return repr(key)
    return key


def mapping_get(node: Node, key: str) -> tuple[Node, Node] | None:
    """The (key, value) node pair for ``key`` in a mapping node; the last wins, as in Kubernetes."""
    found = None
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key and key_node.tag != MERGE_TAG:
                found = (key_node, value_node)
    return found
