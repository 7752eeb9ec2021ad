"""Compose YAML into position-aware nodes, and read plain data off them.

We compose (parse to a node graph) and never construct Python objects from
tags: ``!!python/object`` is just a tag string here. Every node carries its
start and end marks (character offsets into the document's own text), which
is all the patcher needs to splice edits into the original bytes.

The data view is built by our own small walker so that scalars mean what
they mean to Kubernetes (hardener.scalars), aliases stay shared (an alias
bomb is never expanded), merge keys (``<<``) behave as Kubernetes' YAML
loader makes them behave, and nodes that appear under more than one path are
known: editing one of those would silently edit the others too.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from hardener import scalars
from hardener.errors import InputError

MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_EXPANDED_NODES = 1_000_000
"""A document whose aliases would expand to more nodes than this is refused."""
MAX_EXPANDED_CHARS = 16 << 20
"""A document whose aliases would expand its scalars to more characters than this, and than the
document's own length, is refused. Node counts alone let a few hundred aliases of a long string
through, and whatever walks the data whole (verification's marshal, a report of a value) pays
for every copy: a 100 KB file expanded to 2 GB. Without aliases a document's scalars are never
longer than its text, so no alias-free document is ever refused."""
MAX_DEPTH = 500
"""Deeper nesting is refused before composing: the C composer recurses on the
C stack and crashes the process (no RecursionError) near 100,000 levels, and
Python's own repr/json recurse too. Real manifests nest a few dozen levels."""
_BLOCK_PREFIX = re.compile(r"^[ \t]*(?:[-?:][ \t]+|[!&][^ \t\r\n]*[ \t]+)*", re.MULTILINE)

_local = threading.local()
_STR_TAG = VersionedResolver.DEFAULT_SCALAR_TAG
"""The tag object the resolver gives every plain string: an identity check is enough."""
_TAGS = {name: _STR_TAG if name == scalars.STR else Tag(suffix=name) for name in (scalars.STR, scalars.BOOL, scalars.INT, scalars.FLOAT, scalars.NULL, scalars.MERGE)}


class _CachedResolver(VersionedResolver):
    """Tags as Kubernetes resolves them (go-yaml v2, see hardener.scalars), remembered per text.

    The composer asks the resolver for the tag of every scalar. A quoted or
    tagged scalar gets the default tag (an explicit tag is the composer's to
    keep); a plain one's tag depends only on its text, and a manifest repeats
    the same keys and values, so it is remembered (short scalars only, and a
    bounded number). Collections get the default tags: hardener registers no
    path resolvers.
    """

    _cache: ClassVar[dict[str, Any]] = {}
    MAX_CACHED = 50_000
    MAX_LENGTH = 128

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            tag = self._cache.get(value)
            if tag is None:
                tag = _TAGS[scalars.plain_tag(value)]
                if len(value) <= self.MAX_LENGTH:
                    if len(self._cache) >= self.MAX_CACHED:
                        self._cache.clear()
                    self._cache[value] = tag
            return tag
        if kind is MappingNode:
            return self.DEFAULT_MAPPING_TAG
        return self.DEFAULT_SEQUENCE_TAG

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """The composer calls this around every node, for path resolvers, which hardener never registers.

        Doing nothing (not even looking for them) is 4% of a compose.
        """

    def ascend_resolver(self) -> None:
        """See descend_resolver."""


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
    """Every document of ``text`` as a node graph, with the C loader when there is one.

    An anchor name defined twice is legal YAML (an alias refers to the most
    recent definition, and kpt hands a KRM function exactly that when two
    files of a package use the same name), but ruamel's C composer refuses
    it: such a document is composed again by the pure composer, which only
    warns.
    """
    if _C_LOADER is None:
        return _compose_pure(text)
    loader = _C_LOADER(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    except ComposerError as error:
        if error.problem != "second occurrence":
            raise
    finally:
        loader.dispose()
        # The loader refers to itself (as parser, composer, constructor's loader,
        # resolver's loadumper): drop those references so it is freed at once,
        # not by the cycle collector.
        loader.__dict__.clear()
    return _compose_pure(text)


def _compose_pure(text: str) -> list[Node]:
    yaml = getattr(_local, "pure", None)
    if yaml is None:
        yaml = _local.pure = YAML(typ="safe", pure=True)
        yaml.Resolver = _CachedResolver
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        return list(yaml.compose_all(text))


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
    where = _Where(text, file, document, first_line)
    try:
        check_depth(text, where)
        nodes = _compose_all(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "\ufeff" in text:
            problem += " (a byte-order mark in the middle of the stream, e.g. from concatenating files; remove it)"
        raise where.error(f"invalid YAML: {problem}", mark.index if mark is not None else None) from None
    except ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise where.error(f"invalid YAML: {exc.reason} (U+{code:04X})", exc.position) from None
    except (YAMLError, ValueError) as exc:
        raise where.error(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise where.error("nesting too deep to process") from None
    if len(nodes) > 1:
        raise where.error("expected one document")
    return nodes[0] if nodes else None


@dataclass(frozen=True)
class _Where:
    """Where a document sits in its stream, to name file, document, line and column in errors."""

    text: str
    file: str = "<stdin>"
    document: int | None = None
    first_line: int = 0

    def error(self, message: str, index: int | None = None) -> InputError:
        """An InputError at character ``index`` of the document (its first line when None).

        Lines are counted from the text itself, not from the parser's marks: the
        parser also breaks lines at U+2028/U+0085, which no editor shows as a line.
        """
        if index is None:
            return InputError(message, file=self.file, document=self.document, line=self.first_line + 1)
        index = max(0, min(index, len(self.text)))
        line_start = self.text.rfind("\n", 0, index) + 1
        line = self.first_line + self.text.count("\n", 0, index) + 1
        return InputError(message, file=self.file, document=self.document, line=line, column=index - line_start + 1)


def nesting_bound(text: str) -> int:
    """A cheap upper bound of the nesting depth of ``text``.

    Every flow collection needs its own ``[`` or ``{``; a block collection
    nests deeper only by indenting further or by a compact indicator (``- -``,
    ``? ``, ``- key:``) on its line, so the longest such line prefix (plus two:
    a sequence may sit at its parent key's indentation) bounds the block depth.
    The longest line bounds that prefix in turn, and is cheaper to find.
    """
    flow = text.count("[") + text.count("{")
    longest_line = max(map(len, text.split("\n")))  # a prefix is never longer than its line
    if flow + longest_line + 2 <= MAX_DEPTH:  # most manifests: a quarter of the regex's cost
        return flow + longest_line + 2
    block = max(map(len, _BLOCK_PREFIX.findall(text)), default=0)  # findall and len in C: no frame per line
    return flow + block + 2


def check_depth(text: str, where: _Where | None = None) -> None:
    """Refuse ``text`` when it nests deeper than MAX_DEPTH, without recursing.

    The exact depth is counted on parser events (libyaml's parser keeps its
    own stacks) and only when the cheap bound says it might be too deep; the
    count stops at the first level past the limit, so a hostile 10 MB of
    ``[`` costs milliseconds.
    """
    if nesting_bound(text) <= MAX_DEPTH:
        return
    where = where or _Where(text)
    depth = 0
    for event in _yaml().parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise where.error(f"nesting deeper than {MAX_DEPTH} levels; refused", event.start_mark.index)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


@dataclass
class DataView:
    """Plain data read off a node graph, plus what is unsafe to edit.

    ``shared`` holds the ids of data objects that are reachable along more
    than one path (anchors with aliases, merge keys): an edit inside one of
    them would show up in every place that refers to it.
    """

    data: Any
    shared: set[int] = field(default_factory=set)


def to_data(root: Node | None, *, file: str = "<stdin>", document: int | None = None, first_line: int = 0, text: str | None = None) -> DataView:
    """Build the plain-data view of ``root`` (dicts, lists, scalars).

    Scalars are read as Kubernetes reads them (hardener.scalars: YAML 1.1
    booleans, Go's integers, integral floats as integers).

    Raises InputError (naming ``file``, ``document`` and the line in the
    stream) for a recursive alias, for aliases that would expand beyond
    MAX_EXPANDED_NODES, for a tagged scalar Kubernetes cannot decode
    (``!!int 1.5``), for an ambiguous merge key, and for a duplicate key in a
    mapping: Kubernetes' strict decoder (``kubectl --validate=strict``, the
    default) rejects duplicate keys, and which of two values a consumer takes
    is a guess we will not harden on.
    """
    if root is None:
        return DataView(None)
    where = _Where(text or "", file, document, first_line)
    builder: _Builder = _FastBuilder(where, text is not None)
    builder.bound_chars(root)
    try:
        data = builder.build_recursive(root)  # type: ignore[attr-defined]
    except _TooDeep:
        builder = _Builder(where, text is not None)
        builder.bound_chars(root)
        data = builder.build(root)
    except _BadScalar as bad:
        raise builder.bad_scalar(bad) from None
    return DataView(data, builder.shared)


class _TooDeep(Exception):
    """The document nests deeper than the recursive builder goes."""


class _Builder:
    def __init__(self, where: _Where, exact: bool) -> None:
        self.where = where
        self.exact = exact  # marks index into where.text; else only their line is known
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}  # expanded node count of each collection
        self.chars: dict[int, int] = {}  # expanded scalar characters of each collection
        self.shared: set[int] = set()
        self.max_chars = MAX_EXPANDED_CHARS

    def bound_chars(self, root: Node) -> None:
        """The character bound for ``root``'s document: the constant, or the document's own length."""
        span = root.end_mark.index - root.start_mark.index if root.end_mark and root.start_mark else 0
        self.max_chars = max(MAX_EXPANDED_CHARS, span)

    def check_expansion(self, size: int, chars: int, node: Node) -> None:
        if size > MAX_EXPANDED_NODES:
            raise self.error(f"aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?); refused", node)
        if chars > self.max_chars:
            raise self.error(f"aliases expand to more than {self.max_chars:,} characters (an alias bomb?); refused", node)

    def error(self, message: str, node: Node) -> InputError:
        if self.exact:
            return self.where.error(message, node.start_mark.index)
        w = self.where
        return InputError(message, file=w.file, document=w.document, line=w.first_line + node.start_mark.line + 1, column=node.start_mark.column + 1)

    def build(self, node: Node) -> Any:
        try:
            return self._build(node)
        except _BadScalar as bad:
            raise self.bad_scalar(bad) from None

    def bad_scalar(self, bad: _BadScalar) -> InputError:
        return self.error(f"{bad}; Kubernetes cannot read this value", bad.node)

    def _build(self, node: Node) -> Any:
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
                self.chars[key] = len(current.value)
            elif not ready:
                self.memo[key] = None  # placeholder: a cycle back here is an error
                stack.append((current, True))
                for child in reversed(_children(current)):
                    if id(child) in self.memo and self.memo[id(child)] is None and not isinstance(child, ScalarNode):
                        raise self.error("recursive alias (an anchor that contains itself)", child)
                    stack.append((child, False))
            else:
                self.memo[key] = self._collection(current)
        return self.memo[id(node)]

    def _collection(self, node: Node) -> Any:
        children = _children(node)
        size = 1 + sum(self.sizes.get(id(child), 1) for child in children)
        chars = sum(self.chars.get(id(child), 0) for child in children)
        self.check_expansion(size, chars, node)
        self.sizes[id(node)] = size
        self.chars[id(node)] = chars
        if isinstance(node, SequenceNode):
            return [self.memo[id(item)] for item in node.value]
        return self._mapping(
            (key_node, self.memo[id(key_node)], value_node, self.memo[id(value_node)]) for key_node, value_node in node.value
        )

    def _mapping(self, entries: Iterable[tuple[Node, Any, Node, Any]]) -> dict:
        """A mapping from its built (key node, key, value node, value) entries.

        Merge keys (``<<``) fill in what the mapping does not set itself, and
        their sources become shared; a duplicate key is refused, as
        Kubernetes' strict decoder refuses it. So is a key written before a
        merge key that sets it to something else: go-yaml v2 (Kubernetes)
        applies a merge key where it stands, so the merged value wins, while
        YAML's merge-key type (ruamel, PyYAML, go-yaml v3) lets the mapping's
        own key win. Which one a reader takes is a guess we will not harden on.
        """
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        key_nodes: dict[Any, Node] = {}
        merge_key: Node | None = None
        for key_node, key_data, value_node, value_data in entries:
            if key_node.ctag is not _STR_TAG and key_node.tag == MERGE_TAG:
                if merge_key is not None:
                    raise self.error(f"duplicate key '<<' (first at line {self._line(merge_key)}); Kubernetes rejects duplicate keys, remove one", key_node)
                merge_key = key_node
                sources = value_data if isinstance(value_node, SequenceNode) else [value_data]
                for source in sources:
                    if not isinstance(source, dict):
                        raise self.error("a merge key (<<) takes a mapping or a list of mappings; Kubernetes rejects anything else", value_node)
                    for k, v in source.items():
                        merged.setdefault(k, v)
                    self._mark_shared(source)
                continue
            key = _hashable(key_data)
            seen_as = (type(key), key)  # 1 and true are one Python dict key, two YAML keys
            if seen_as in key_nodes:
                first = key_nodes[seen_as]
                raise self.error(
                    f"duplicate key {_short(key)} (first at line {self._line(first)}); "
                    "Kubernetes rejects duplicate keys, remove one",
                    key_node,
                )
            key_nodes[seen_as] = key_node
            result[key] = value_data
        if merge_key is not None:
            self._refuse_ambiguous_merge(result, merged, key_nodes, merge_key)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def _refuse_ambiguous_merge(self, own: dict, merged: dict, key_nodes: dict, merge_key: Node) -> None:
        """Raise when a key written before ``<<`` is merged with another value (see _mapping)."""
        from hardener.verify import strictly_equal  # verify reads documents with this module

        for (_, key), key_node in key_nodes.items():
            if key in merged and key_node.start_mark.index < merge_key.start_mark.index and not strictly_equal(own[key], merged[key]):
                raise self.error(
                    f"ambiguous merge key: {_short(key)} is set here and again by the merge key (<<) at line "
                    f"{self._line(merge_key)}; Kubernetes (go-yaml v2) takes the merged value, other YAML readers "
                    "this one. Move the key below the merge key, or remove one",
                    key_node,
                )

    def _line(self, node: Node) -> int:
        if self.exact:
            return self.where.first_line + self.where.text.count("\n", 0, node.start_mark.index) + 1
        return self.where.first_line + node.start_mark.line + 1

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
    duplicate keys, recursive aliases and alias bombs refused, with the same
    messages) at a fraction of its cost: scalars, most of the nodes, are
    read in place instead of going through a stack and a memo. Past
    ``MAX_DEPTH`` it gives up and ``_Builder``, which needs no call stack,
    starts again.
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
                raise self.error("recursive alias (an anchor that contains itself)", node)
            self._mark_shared(data)
            return data
        if depth > self.MAX_DEPTH:
            raise _TooDeep
        memo[key] = None  # placeholder: a cycle back here is an error
        sizes, chars_of = self.sizes, self.chars
        size = 1
        chars = 0
        if isinstance(node, SequenceNode):
            data = []
            for item in node.value:
                if isinstance(item, ScalarNode):
                    data.append(_scalar(item))
                    size += 1
                    chars += len(item.value)
                else:
                    data.append(self.build_recursive(item, depth + 1))
                    size += sizes[id(item)]
                    chars += chars_of[id(item)]
            if size > MAX_EXPANDED_NODES or chars > self.max_chars:
                self.check_expansion(size, chars, node)
        else:
            pairs = []  # every child is built before this mapping is checked, as _Builder does
            plain_keys = True
            for key_node, value_node in node.value:
                if key_node.ctag is _STR_TAG:
                    key_data = key_node.value
                    size += 1
                    chars += len(key_data)
                elif isinstance(key_node, ScalarNode):
                    key_data = _scalar(key_node)
                    plain_keys = False
                    size += 1
                    chars += len(key_node.value)
                else:
                    key_data = self.build_recursive(key_node, depth + 1)
                    plain_keys = False
                    size += sizes[id(key_node)]
                    chars += chars_of[id(key_node)]
                if isinstance(value_node, ScalarNode):
                    value_data = _scalar(value_node)
                    size += 1
                    chars += len(value_node.value)
                else:
                    value_data = self.build_recursive(value_node, depth + 1)
                    size += sizes[id(value_node)]
                    chars += chars_of[id(value_node)]
                pairs.append((key_node, key_data, value_node, value_data))
            if size > MAX_EXPANDED_NODES or chars > self.max_chars:
                self.check_expansion(size, chars, node)
            # String keys, no merge key: one dict, unless two keys collapse into one.
            data = {k: v for _, k, _, v in pairs} if plain_keys else None
            if data is None or len(data) != len(pairs):
                data = self._mapping(pairs)  # merges, complex keys, and the duplicate-key error
        sizes[key] = size
        chars_of[key] = chars
        memo[key] = data
        return data


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _scalar(node: ScalarNode) -> Any:
    """The value Kubernetes sees for a scalar node (see hardener.scalars); raises _BadScalar."""
    if node.ctag is _STR_TAG:  # the common case, without rendering the tag
        return node.value
    key = (node.tag, node.value)
    try:
        return _CONSTRUCTED[key]  # ints, floats and bools are immutable: build each text once
    except KeyError:
        pass
    try:
        value = scalars.value(key[0], node.value)
    except scalars.ScalarError as error:
        raise _BadScalar(str(error), node) from None
    if len(node.value) <= _CachedResolver.MAX_LENGTH:
        if len(_CONSTRUCTED) >= _CachedResolver.MAX_CACHED:
            _CONSTRUCTED.clear()
        _CONSTRUCTED[key] = value
    return value


class _BadScalar(Exception):
    """A tagged scalar Kubernetes cannot decode; the builder turns it into an InputError at the node."""

    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.node = node


_CONSTRUCTED: dict[tuple[str, str], Any] = {}


def _hashable(key: Any) -> Any:
    """A complex key (a mapping or a list) as a canonical string, built without recursion."""
    if not isinstance(key, (dict, list)):
        return key
    out: list[str] = []
    stack: list[Any] = [key]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            out.append(item)
        elif isinstance(item, dict):
            stack.append(_Text("}"))
            for index, (k, v) in enumerate(reversed(list(item.items()))):
                stack.extend((v, _Text(f"{k!r}: " if not isinstance(k, (dict, list)) else ": ")))
                if isinstance(k, (dict, list)):
                    stack.append(k)
                if index < len(item) - 1:
                    stack.append(_Text(", "))
            stack.append(_Text("{"))
        elif isinstance(item, list):
            stack.append(_Text("]"))
            for index, v in enumerate(reversed(item)):
                stack.append(v)
                if index < len(item) - 1:
                    stack.append(_Text(", "))
            stack.append(_Text("["))
        else:
            out.append(repr(item))
    return "".join(out)


class _Text(str):
    """Punctuation in _hashable's output, told apart from string values."""


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mapping_get(node: Node, key: str) -> tuple[Node, Node] | None:
    """The (key, value) node pair for ``key`` in a mapping node; the last wins, as in Kubernetes."""
    found = None
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            # Only a key written << can be a merge key: other names need not render the tag.
            if key_node.value == key and isinstance(key_node, ScalarNode) and (key != "<<" or key_node.tag != MERGE_TAG):
                found = (key_node, value_node)
    return found
