"""Turn semantic edits into text splices on the original document.

Nothing is re-serialized. Each edit is located in the node graph; then:

* an existing scalar is replaced in place (its quoting kept for strings);
* missing keys are rendered as new lines and inserted after the last line
  of the mapping they belong to, at that mapping's own indentation, with the
  document's own indent step and sequence style (``- x`` under its key, or
  indented by two);
* a flow collection (``{}``, ``[NET_RAW]``, JSON) gets flow entries in place;
* an empty value (``securityContext:``) gets its block below the key;
* a removed block key or item loses exactly its own lines; a flow
  collection is rewritten from the source text of the children it keeps.

Everything outside the spliced ranges is copied byte for byte. When an edit
cannot be placed with certainty (it would land inside an alias, say) the
patcher raises ``PatchError`` and the document is left untouched.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardener.model import Edit, Path
from hardener.scalars import is_plain_string
from hardener.yamlnodes import mapping_get

_NULLS = {"", "~", "null", "Null", "NULL"}


class PatchError(Exception):
    """An edit cannot be placed in the text with certainty.

    ``line`` is the 0-based line of the problem in the document's own text,
    when there is one: the caller knows where the document starts.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def located(self, first_line: int) -> tuple[str, int]:
        """The message with the problem's 1-based line in the stream, and that line (else the document's first)."""
        if self.line is None:
            return self.message, first_line + 1
        return f"line {first_line + self.line + 1}: {self.message}", first_line + self.line + 1


@dataclass(frozen=True)
class Splice:
    start: int
    end: int
    text: str
    depth: int = 0
    """At one offset, deeper insertions go first: they close the inner block."""


@dataclass
class _Target:
    """New content to add under one existing node."""

    node: Node
    key: Node | None  # the key node when ``node`` is an empty value
    depth: int
    content: Any  # dict of new entries, or list of new items
    lines: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Style:
    """How this document writes YAML, so inserted lines look like their neighbours."""

    newline: str
    indent: int
    sequence_offset: int
    json: bool


def patch(text: str, root: Node, edits: list[Edit], style: Style) -> tuple[str, list[int]]:
    """Apply ``edits`` to ``text`` written in ``style``; return the new text and each edit's 0-based line."""
    new_text, spans = patch_spans(text, root, edits, style)
    return new_text, [first for first, _ in spans]


def patch_spans(text: str, root: Node, edits: list[Edit], style: Style) -> tuple[str, list[tuple[int, int]]]:
    """Apply ``edits`` to ``text``; return the new text and each edit's 0-based (first, last) input line.

    An edit below a node an earlier edit removed treats that node as absent
    (the working data did the same), so a removal and a later insertion
    never land in the same text.
    """
    splices: list[Splice] = []
    targets: dict[int, _Target] = {}
    removals: dict[int, _Removal] = {}
    removed: set[int] = set()
    spans: list[Any] = []
    for edit in edits:
        trail, remaining = _walk(root, edit.path, removed)
        key, node = trail[-1]
        if edit.op == "remove":
            if remaining or len(trail) < 2:
                raise PatchError(f"cannot remove {_describe(edit.path)}: it is not in the input text")
            parent = trail[-2][1]
            removal = removals.setdefault(id(parent), _Removal(parent))
            removal.children.append((key, node))
            removed.add(id(node))
            spans.append((removal, node))
            continue
        if not remaining and edit.op == "set":
            splices.append(_replace_scalar(text, node, edit.value, style))
            spans.append((node.start_mark.line, node.start_mark.line))
            continue
        if not remaining and edit.op == "append" and isinstance(node, SequenceNode):
            target = targets.setdefault(id(node), _Target(node, key, len(trail), []))
            target.content.append(edit.value)
            spans.append((node.start_mark.line, node.start_mark.line))
            continue
        value = [edit.value] if edit.op == "append" else edit.value
        if _is_empty(node) and len(trail) > 1 and getattr(trail[-2][1], "flow_style", False):
            # `{"securityContext"}` or `{securityContext: }`: no block can go there, and a flow
            # value would have to be threaded between the key and what follows it.
            raise PatchError("cannot fill an empty value inside a flow mapping", line=node.start_mark.line)
        if not remaining:  # append onto an empty value: `drop:` with nothing after it
            if not _is_empty(node):
                raise PatchError(f"cannot add to {_describe(edit.path)}: it is not a list")
            target = targets.setdefault(id(node), _Target(node, key, len(trail), []))
            target.content.append(edit.value)
        else:
            if isinstance(node, MappingNode):
                target = targets.setdefault(id(node), _Target(node, key, len(trail), {}))
            elif _is_empty(node):
                target = targets.setdefault(id(node), _Target(node, key, len(trail), {}))
            else:
                raise PatchError(f"cannot add {_describe(edit.path)}: {remaining[0]!r} would go into a value that is not a mapping")
            _nest(target.content, remaining, value, edit.op)
        line = (key or node).start_mark.line
        spans.append((line, line))
    deletions = []
    for removal in removals.values():
        target = targets.get(id(removal.node))
        if target is not None and removal.node.flow_style and removal.node.start_mark.line == removal.node.end_mark.line:
            del targets[id(removal.node)]  # one rewrite of the flow collection: kept entries, then new ones
            deletions.extend(_remove_flow(text, removal, list(removal.node.value), {id(c) for _, c in removal.children}, _new_flow_entries(target, style)))
        else:
            deletions.extend(_render_removal(text, removal, adds=target is not None))
    for target in targets.values():
        splices.append(_render_target(text, target, style))
    splices.extend(_outermost(deletions))
    lines = [span if isinstance(span[0], int) else span[0].span_of[id(span[1])] for span in spans]
    return _apply(text, splices), lines


# Locating -----------------------------------------------------------------


def _walk(root: Node, path: Path, removed: set[int] = frozenset()) -> tuple[list[tuple[Node | None, Node]], Path]:  # type: ignore[assignment]
    """Follow ``path`` as far as it exists (removed nodes do not): the (key, node) trail and the rest."""
    trail: list[tuple[Node | None, Node]] = [(None, root)]
    node = root
    for position, step in enumerate(path):
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or not 0 <= step < len(node.value) or id(node.value[step]) in removed:
                raise PatchError(f"{_describe(path[: position + 1])} does not exist")
            node = node.value[step]
            trail.append((None, node))
            continue
        pair = mapping_get(node, step)
        if pair is None or id(pair[1]) in removed:
            return trail, path[position:]
        trail.append(pair)
        node = pair[1]
    return trail, ()


def _nest(tree: dict, path: Path, value: Any, op: str) -> None:
    for step in path[:-1]:
        tree = tree.setdefault(step, {})
    last = path[-1]
    if op == "append" and isinstance(tree.get(last), list):
        tree[last].extend(value)
    else:
        tree[last] = value


def _is_empty(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":null") and node.value in _NULLS and node.style in (None, "")


def _describe(path: Path) -> str:
    from hardener.model import format_path

    return format_path(path)


# Positions ----------------------------------------------------------------


def _content_end(text: str, node: Node, key: Node | None = None) -> int:
    """Offset just past the last character that belongs to ``node``."""
    while True:
        if isinstance(node, ScalarNode):
            if _is_empty(node) and not node.value and key is not None:
                return key.end_mark.index
            if node.style in ("|", ">"):
                body = text[node.start_mark.index : node.end_mark.index]
                return node.start_mark.index + len(body.rstrip())
            return node.end_mark.index
        if node.flow_style or not node.value:
            return node.end_mark.index
        if isinstance(node, MappingNode):
            key, child = node.value[-1]
            if child.start_mark.index < key.start_mark.index:
                raise PatchError("the block ends with an alias", line=key.start_mark.line)
            _refuse_explicit_key(text, key)
        else:
            key, child = None, node.value[-1]
            if child.start_mark.index < node.start_mark.index:
                raise PatchError("the list ends with an alias", line=node.start_mark.line)
        node = child


def _refuse_explicit_key(text: str, key: Node) -> None:
    """An explicit ``? key`` / ``: value`` entry hides where the entry starts and ends: refuse."""
    index = key.start_mark.index - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    if index >= 0 and text[index] == "?":
        raise PatchError("a mapping with an explicit '?' key", line=key.start_mark.line)


def _line_after(text: str, offset: int) -> int:
    """Start of the line after the one holding ``offset`` (or the end of the text)."""
    newline = text.find("\n", offset)
    return len(text) if newline < 0 else newline + 1


def _dash_column(text: str, item: Node) -> int:
    """Column of the ``-`` that introduces a block sequence item."""
    index = item.start_mark.index - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    if index < 0 or text[index] != "-":
        raise PatchError("cannot find the item's '-'", line=item.start_mark.line)
    return item.start_mark.column - (item.start_mark.index - index)


def detect_style(root: Node, text: str, newline: str) -> Style:
    """The indent step and sequence style most used in the document."""
    steps: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    stack = [root] if not isinstance(root, ScalarNode) else []
    seen: set[int] = set()
    while stack:  # collections only: scalars, most of the nodes, are never pushed
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(item for item in node.value if not isinstance(item, ScalarNode))
            continue
        in_flow = node.flow_style
        for key, value in node.value:
            if isinstance(value, ScalarNode):
                continue
            stack.append(value)
            if in_flow or value.flow_style or not value.value or value.start_mark.index < key.start_mark.index:
                continue
            if isinstance(value, MappingNode):
                steps[value.value[0][0].start_mark.column - key.start_mark.column] += 1
            else:
                try:
                    offsets[_dash_column(text, value.value[0]) - key.start_mark.column] += 1
                except PatchError:
                    pass
    indent = max((s for s in steps if s > 0), key=lambda s: (steps[s], -s), default=2)
    offset = max((o for o in offsets if o >= 0), key=lambda o: (offsets[o], -o), default=2)
    return Style(newline=newline, indent=indent, sequence_offset=offset, json=is_json_document(root))


def is_json_document(root: Node) -> bool:
    """A document written as JSON: a flow mapping whose keys are double-quoted."""
    return isinstance(root, MappingNode) and bool(root.flow_style) and any(k.style == '"' for k, _ in root.value[:1])


# Rendering ----------------------------------------------------------------


def render_scalar(value: Any, like: Node | None, style: Style) -> str:
    """A scalar as YAML text, quoted like its neighbour ``like`` when it is a string.

    A string goes plain only when every YAML reader (Kubernetes' YAML 1.1
    rules and YAML 1.2 alike) reads it back as that string.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, (int, float)):
        return json.dumps(value)
    value = str(value)
    quote = like.style if isinstance(like, ScalarNode) and like.style in ("'", '"') else None
    if style.json or quote == '"':
        return json.dumps(value)
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if is_plain_string(value):
        return value
    return json.dumps(value)


def _replace_scalar(text: str, node: Node, value: Any, style: Style) -> Splice:
    if not isinstance(node, ScalarNode) or node.style in ("|", ">"):
        raise PatchError("expected a plain value to replace", line=node.start_mark.line)
    return Splice(node.start_mark.index, node.end_mark.index, render_scalar(value, node, style))


def _flow(value: Any, like_key: Node | None, like_value: Node | None, style: Style) -> str:
    if isinstance(value, dict):
        entries = [f"{render_scalar(k, like_key, style)}: {_flow(v, like_key, like_value, style)}" for k, v in value.items()]
        return "{" + ", ".join(entries) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, like_key, like_value, style) for v in value) + "]"
    return render_scalar(value, like_value, style)


def _block(content: Any, indent: int, style: Style) -> list[str]:
    """New block-style lines for a mapping (dict) or a sequence (list) at ``indent``."""
    pad = " " * indent
    if isinstance(content, list):
        return [f"{pad}- {_flow(item, None, None, style)}" for item in content]
    lines = []
    for key, value in content.items():
        key_text = render_scalar(key, None, style)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key_text}:")
            lines.extend(_block(value, indent + style.indent, style))
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{key_text}:")
            lines.extend(_block(value, indent + style.sequence_offset, style))
        else:
            lines.append(f"{pad}{key_text}: {_flow(value, None, None, style)}")
    return lines


def render_document(data: dict, style: Style) -> str:
    """A new document in the stream's own style (indent step, sequence style, newlines)."""
    return style.newline.join(_block(data, 0, style)) + style.newline


def _insert_lines(text: str, after: int, lines: list[str], depth: int, style: Style) -> Splice:
    """Insert whole lines after the line that holds offset ``after``."""
    at = _line_after(text, after)
    body = style.newline.join(lines)
    if at == len(text) and not text.endswith("\n"):
        return Splice(at, at, style.newline + body, depth)  # keep the missing final newline missing
    return Splice(at, at, body + style.newline, depth)


def _render_target(text: str, target: _Target, style: Style) -> Splice:
    node, content = target.node, target.content
    if target.key is not None and _is_empty(node):
        if node.value:  # an explicit null / ~: replace it with a flow value
            return Splice(node.start_mark.index, node.end_mark.index, _flow(content, target.key, None, style), target.depth)
        step = style.indent if isinstance(content, dict) else style.sequence_offset
        return _insert_lines(text, target.key.end_mark.index, _block(content, target.key.start_mark.column + step, style), target.depth, style)
    if isinstance(node, MappingNode):
        items = list(content.items())
        if node.flow_style and not node.value and _block_key_with_empty_flow(text, target.key, node, style):
            # `securityContext: {}` in a block mapping becomes the block it stands for.
            colon = text.index(":", target.key.end_mark.index)
            lines = _block(content, target.key.start_mark.column + style.indent, style)
            return Splice(colon + 1, node.end_mark.index, style.newline + style.newline.join(lines), target.depth)
        if node.flow_style:
            like_key, like_value = (node.value[0] if node.value else (None, None))
            entries = [f"{render_scalar(k, like_key, style)}: {_flow(v, like_key, like_value, style)}" for k, v in items]
            return _flow_insert(text, node, [child for _, child in node.value], entries, target.depth, style, content)
        _refuse_explicit_key(text, node.value[0][0])
        return _insert_lines(text, _content_end(text, node), _block(content, node.value[0][0].start_mark.column, style), target.depth, style)
    if isinstance(node, SequenceNode):
        like = node.value[0] if node.value else None
        entries = [_flow(item, None, like, style) for item in content]
        if node.flow_style:
            return _flow_insert(text, node, list(node.value), entries, target.depth, style, content)
        column = _dash_column(text, node.value[0])
        pad = " " * column
        return _insert_lines(text, _content_end(text, node), [f"{pad}- {entry}" for entry in entries], target.depth, style)
    raise PatchError("cannot add to this value", line=node.start_mark.line)


def _block_key_with_empty_flow(text: str, key: Node | None, node: Node, style: Style) -> bool:
    """``key: {}`` on one line of a block mapping, with nothing after the ``{}``."""
    if key is None or style.json or key.start_mark.line != node.start_mark.line or key.style not in (None, ""):
        return False
    between = text[key.end_mark.index : node.start_mark.index]
    return _ends_line(text, node) and between.strip() == ":" and _own_line(text, key)


def _ends_line(text: str, node: Node) -> bool:
    """Is ``node`` the last thing on its line (trailing blanks aside)?"""
    return not text[node.end_mark.index : _line_after(text, node.end_mark.index)].strip()


def _own_line(text: str, node: Node) -> bool:
    """Does ``node`` start its line (Helm's ``securityContext:`` newline ``{}``)?"""
    line_start = text.rfind("\n", 0, node.start_mark.index) + 1
    return not text[line_start : node.start_mark.index].strip()


def _flow_insert(text: str, node: Node, children: list[Node], entries: list[str], depth: int, style: Style, content: Any = None) -> Splice:
    """Add entries to a flow mapping or sequence, on one line or one per line as it is written."""
    if not children and content is not None and not style.json and _own_line(text, node) and _ends_line(text, node):
        # `{}` alone on its line (what Helm's toYaml | nindent writes for empty values) becomes the
        # block it stands for, at its own column: the natural output, and no `{...}` soup. Anything
        # after it on the line (a `#` comment) would glue onto the last new line: keep flow style then.
        lines = _block(content, node.start_mark.column, style)
        return Splice(node.start_mark.index, node.end_mark.index, style.newline.join(lines).lstrip(" "), depth)
    if not children:
        open_, close = text[node.start_mark.index], text[node.end_mark.index - 1]
        return Splice(node.start_mark.index, node.end_mark.index, open_ + ", ".join(entries) + close, depth)
    first = node.value[0][0] if isinstance(node, MappingNode) else node.value[0]
    one_per_line = first.start_mark.line > node.start_mark.line
    if one_per_line and isinstance(node, MappingNode):
        # JSON-style: new keys go on lines of their own before the first key,
        # so that no existing line has to gain a comma.
        at = first.start_mark.index - first.start_mark.column
        pad = " " * first.start_mark.column
        return Splice(at, at, "".join(f"{pad}{entry},{style.newline}" for entry in entries), depth)
    last = children[-1]
    if last.start_mark.index < node.start_mark.index:
        raise PatchError("the collection ends with an alias", line=node.start_mark.line)
    end = _content_end(text, last)
    if one_per_line:  # a list keeps its order: the new item goes last and the old last line gains a comma
        pad = " " * first.start_mark.column
        return Splice(end, end, "".join(f",{style.newline}{pad}{entry}" for entry in entries), depth)
    return Splice(end, end, "".join(f", {entry}" for entry in entries), depth)


# Removing -----------------------------------------------------------------


@dataclass
class _Removal:
    """Children to delete from one collection node, and the input lines each deletion spans."""

    node: Node
    children: list[tuple[Node | None, Node]] = field(default_factory=list)
    span_of: dict[int, tuple[int, int]] = field(default_factory=dict)


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _lines_of(text: str, start: int, end: int) -> tuple[int, int]:
    """0-based first and last line of the text range [start, end)."""
    first = text.count("\n", 0, start)
    return first, first + text.count("\n", start, max(start, end - 1))


def _new_flow_entries(target: _Target, style: Style) -> list[str]:
    """The entries an insertion target adds to a flow collection, as text."""
    node = target.node
    if isinstance(node, MappingNode):
        like_key, like_value = node.value[0] if node.value else (None, None)
        return [f"{render_scalar(k, like_key, style)}: {_flow(v, like_key, like_value, style)}" for k, v in target.content.items()]
    like = node.value[0] if node.value else None
    return [_flow(item, None, like, style) for item in target.content]


def _render_removal(text: str, removal: _Removal, adds: bool = False) -> list[Splice]:
    node = removal.node
    children = list(node.value)
    doomed = {id(child) for _, child in removal.children}
    if len(doomed) == len(children) and not adds:
        raise PatchError("removing every entry would leave an empty collection", line=node.start_mark.line)
    if node.flow_style:
        return _remove_flow(text, removal, children, doomed)
    splices = []
    for index, (key, child) in enumerate(removal.children):
        item = key if key is not None else child
        if item.start_mark.index < node.start_mark.index:
            raise PatchError("cannot remove an entry that comes from an alias", line=item.start_mark.line)
        end = _line_after(text, _content_end(text, child, key))
        start = _line_start(text, item.start_mark.index)
        if key is None:  # a block sequence item: from its dash's line
            dash = text.rfind("-", 0, child.start_mark.index) if child.start_mark.index else -1
            if dash < 0 or text[start:dash].strip() or text[dash + 1 : child.start_mark.index].strip():
                raise PatchError("the item does not start its own line", line=child.start_mark.line)
        elif text[start : item.start_mark.index].strip():
            start, end = _remove_first_key(text, node, key)
        removal.span_of[id(child)] = _lines_of(text, start, end)
        splices.append(Splice(start, end, ""))
    return splices


def _remove_first_key(text: str, node: Node, key: Node) -> tuple[int, int]:
    """``- hostPort: 80`` then ``  containerPort: 80``: the next key moves up behind the dash."""
    pairs = node.value
    if pairs[0][0] is not key or len(pairs) < 2:
        raise PatchError("the key shares its line with other content", line=key.start_mark.line)
    following = pairs[1][0]
    if following.start_mark.column != key.start_mark.column or following.start_mark.line <= key.start_mark.line:
        raise PatchError("the key shares its line with other content", line=key.start_mark.line)
    between = text[_content_end(text, pairs[0][1], key) : following.start_mark.index]
    later_lines = between.partition("\n")[2]
    # A comment at the end of the removed key's line goes with it, as it does
    # with any removed line; a comment line before the next key is about that
    # key, and moving the key up behind the dash would leave it stranded.
    if "#" in later_lines:
        raise PatchError("a comment line follows the removed key", line=key.start_mark.line)
    return key.start_mark.index, following.start_mark.index


def _child_text_range(text: str, node: Node, pair: tuple[Node | None, Node]) -> tuple[int, int]:
    key, child = pair
    first = key if key is not None else child
    if first.start_mark.index < node.start_mark.index or child.start_mark.index < node.start_mark.index:
        raise PatchError("the collection holds an alias", line=node.start_mark.line)
    return first.start_mark.index, _content_end(text, child, key)


def _remove_flow(text: str, removal: _Removal, children: list, doomed: set[int], new_entries: list[str] = ()) -> list[Splice]:  # type: ignore[assignment]
    node = removal.node
    pairs = [pair if isinstance(node, MappingNode) else (None, pair) for pair in children]
    ranges = [_child_text_range(text, node, pair) for pair in pairs]
    gone = [id(child) in doomed for _, child in pairs]
    if node.start_mark.line == node.end_mark.line:
        kept = [text[a:b] for (a, b), g in zip(ranges, gone) if not g] + list(new_entries)
        inner_start, inner_end = node.start_mark.index + 1, node.end_mark.index - 1
        lead = text[inner_start : ranges[0][0]]
        trail = text[ranges[-1][1] : inner_end]
        splice = Splice(inner_start, inner_end, lead + ", ".join(kept) + trail)
        for _, child in removal.children:
            removal.span_of[id(child)] = (node.start_mark.line, node.start_mark.line)
        return [splice]
    # One entry per line (JSON): drop each removed entry's lines with its comma; the last entry
    # without a trailing comma instead takes the comma of the kept entry before it.
    lines = [text.count("\n", 0, a) for a, _ in ranges]
    if len(set(lines)) != len(lines) or any(text[_line_start(text, a) : a].strip() for a, _ in ranges):
        raise PatchError("a multi-line flow collection with several entries on a line", line=node.start_mark.line)
    kept_indices = [i for i, g in enumerate(gone) if not g]
    last_kept = kept_indices[-1] if kept_indices else -1
    splices = []
    for index, ((start, end), g) in enumerate(zip(ranges, gone)):
        if not g:
            continue
        after = end
        while after < len(text) and text[after] in " \t":
            after += 1
        has_comma = after < len(text) and text[after] == ","
        line_end = _line_after(text, after + 1 if has_comma else end)
        if text[(after + 1 if has_comma else end) : line_end].strip():
            raise PatchError("the removed entry shares its last line with other content", line=lines[index])
        if has_comma or index < last_kept or last_kept < 0:
            cut = (_line_start(text, start), line_end)
        else:
            cut = (ranges[last_kept][1], end)
        removal.span_of[id(pairs[index][1])] = _lines_of(text, *cut)
        splices.append(Splice(cut[0], cut[1], ""))
    return _merge_adjacent(splices)


def _outermost(deletions: list[Splice]) -> list[Splice]:
    """Drop deletions inside another deletion: an item removed, then the emptied list with it."""
    return [
        inner
        for inner in deletions
        if not any(outer is not inner and outer.start <= inner.start and inner.end <= outer.end and outer.end - outer.start > inner.end - inner.start for outer in deletions)
    ]


def _merge_adjacent(splices: list[Splice]) -> list[Splice]:
    """Deletions that touch or overlap become one deletion."""
    merged: list[Splice] = []
    for splice in sorted(splices, key=lambda s: s.start):
        if merged and splice.start <= merged[-1].end:
            last = merged.pop()
            merged.append(Splice(last.start, max(last.end, splice.end), ""))
        else:
            merged.append(splice)
    return merged


def _apply(text: str, splices: list[Splice]) -> str:
    """Splice from the end backwards; at one offset, deeper insertions come first."""
    ordered = sorted(splices, key=lambda s: (s.start, -s.depth))
    pieces: list[str] = []
    position = 0
    for splice in ordered:
        if splice.start < position:
            raise PatchError("two edits overlap")
        pieces.append(text[position : splice.start])
        pieces.append(splice.text)
        position = splice.end
    pieces.append(text[position:])
    return "".join(pieces)
