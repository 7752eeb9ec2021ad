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

A value that comes from a merge key (``<<``) is edited where it is written
when that source is used only there, else overridden by a key of the
mapping's own. A node used in several places (an anchor and its aliases) is
edited once where it is written when every place gets the same edits, else
un-shared first (``hardener.sharing``). Edits that collide inside a flow
collection (a JSON object that loses one key and gains another) make the
smallest flow collection around them be rewritten whole, from the text of
its entries (``hardener.flowrewrite``).

Everything outside the spliced ranges is copied byte for byte. When an edit
cannot be placed with certainty the patcher raises ``PatchError`` and the
document is left untouched.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardener.layout import (
    Layout,
    PatchError,
    content_start,
    ends_line,
    is_empty,
    line_after,
    line_start,
    refuse_explicit_key,
    starts_line,
)
from hardener.model import Edit, Path
from hardener.scalars import is_plain_string
from hardener.yamlnodes import MERGE_TAG, mapping_get

__all__ = ["PatchError", "Style", "detect_style", "is_json_document", "patch", "patch_spans", "render_document", "render_scalar"]

MAX_FLOW_REWRITES = 50
"""Flow collections rewritten whole in one document before the patcher gives up (each is a retry)."""


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


class Step(NamedTuple):
    """One step of a walk: the node reached, its key (for a mapping value), its parent and its slot there.

    A tuple: every edit walks its path, and a frozen dataclass made that walk twice as slow.
    """

    key: Node | None
    node: Node
    parent: Node | None = None
    slot: int | None = None
    depth: int = 0
    """How many steps of the edit's path lead here (a merge key's hops add none)."""
    merge: bool = False
    """The node is a merge key's source."""


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
    from hardener.sharing import dedupe, unshare  # sharing walks paths with this module's walk

    layout = Layout(text, root)
    lines_back = None
    if layout.has_aliases:
        layout, lines_back = unshare(layout, edits, style)
    try:
        kept, twins = dedupe(layout, edits)
        new_text, kept_spans = _splice_with_fallback(layout, kept, style)
    except PatchError as error:
        if lines_back is not None and error.line is not None:
            error.line = lines_back(error.line)
        raise
    spans_of = dict(zip(map(id, kept), kept_spans))
    spans = [spans_of[id(twins.get(id(edit), edit))] for edit in edits]
    if lines_back is not None:
        spans = [(lines_back(first), lines_back(last)) for first, last in spans]
    return new_text, spans


def _splice_with_fallback(layout: Layout, edits: list[Edit], style: Style) -> tuple[str, list[tuple[int, int]]]:
    """Splice; where edits collide inside a flow collection, rewrite the smallest one around them and retry."""
    from hardener.flowrewrite import flow_to_rewrite  # only documents whose edits collide need it

    rewrite: dict[int, Node] = {}
    while True:
        try:
            return _splice(layout, edits, style, rewrite)
        except PatchError as error:
            node = flow_to_rewrite(layout, error, rewrite) if len(rewrite) < MAX_FLOW_REWRITES else None
            if node is None:
                raise
            rewrite[id(node)] = node


def _splice(layout: Layout, edits: list[Edit], style: Style, rewrite: dict[int, Node]) -> tuple[str, list[tuple[int, int]]]:
    from hardener.flowrewrite import FlowPlan

    text = layout.text
    splices: list[Splice] = []
    targets: dict[int, _Target] = {}
    removals: dict[int, _Removal] = {}
    flows: dict[int, FlowPlan] = {}
    removed: set[tuple[int, Any]] = set()  # (parent, slot): an alias's node may stay elsewhere
    spans: list[Any] = []
    for edit in edits:
        trail, remaining = walk(layout, edit.path, removed)
        step = trail[-1]
        key, node = step.key, step.node
        outer = next((s.node for s in trail if id(s.node) in rewrite), None) if rewrite else None
        if outer is not None:  # inside a flow collection rewritten whole
            plan = flows.setdefault(id(outer), FlowPlan(layout, outer, style))
            spans.append(plan.add(edit, trail, remaining, removed))
            continue
        if edit.op == "remove":
            if remaining or len(trail) < 2:
                raise PatchError(f"cannot remove {_describe(edit.path)}: it is not in the input text")
            parent = trail[-2].node
            removal = removals.setdefault(id(parent), _Removal(parent))
            removal.slots.append(step.slot)  # type: ignore[arg-type]
            removed.add((id(parent), step.slot))
            if trail[-2].merge:
                removal.merge_source = trail[-2]
            spans.append((removal, step.slot))
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
        if is_empty(node) and len(trail) > 1 and getattr(trail[-2].node, "flow_style", False):
            # `{"securityContext"}` or `{securityContext: }`: no block can go there; the flow
            # collection is rewritten with the value threaded between the key and what follows.
            raise PatchError("cannot fill an empty value inside a flow mapping", line=node.start_mark.line, node=trail[-2].node)
        if not remaining:  # append onto an empty value: `drop:` with nothing after it
            if not is_empty(node):
                raise PatchError(f"cannot add to {_describe(edit.path)}: it is not a list", line=node.start_mark.line)
            target = targets.setdefault(id(node), _Target(node, key, len(trail), []))
            target.content.append(edit.value)
        else:
            if isinstance(node, MappingNode) or is_empty(node):
                target = targets.setdefault(id(node), _Target(node, key, len(trail), {}))
            else:
                raise PatchError(
                    f"cannot add {_describe(edit.path)}: {remaining[0]!r} would go into a value that is not a mapping",
                    line=node.start_mark.line,
                )
            _nest(target.content, remaining, value, edit.op)
        line = (key or node).start_mark.line
        spans.append((line, line))
    deletions = []
    for removal in _collapse_emptied_sources(removals):
        target = targets.get(id(removal.node))
        if target is not None and removal.node.flow_style and removal.node.start_mark.line == removal.node.end_mark.line:
            del targets[id(removal.node)]  # one rewrite of the flow collection: kept entries, then new ones
            deletions.extend(_remove_flow(layout, removal, _new_flow_entries(target, style)))
        else:
            deletions.extend(_render_removal(layout, removal, adds=target is not None))
    for target in targets.values():
        splices.append(_render_target(layout, target, style))
    splices.extend(_outermost(deletions))
    for plan in flows.values():
        splices.append(plan.splice())
    lines = [span if isinstance(span[0], int) else span[0].span_of[span[1]] for span in spans]
    return _apply(text, splices), lines


# Locating -----------------------------------------------------------------


def walk(layout: Layout, path: Path, removed: set[tuple[int, Any]] = frozenset()) -> tuple[list[Step], Path]:  # type: ignore[assignment]
    """Follow ``path`` as far as it exists (removed nodes do not): the trail of steps and the rest.

    A key missing from a mapping is looked up in its merge key's sources
    (the first source that has it wins, as everywhere), but only in a source
    written for this mapping alone: one shared with other places is left
    as it is, and the key counts as missing (a key of the mapping's own
    will override it).
    """
    node = layout.root
    trail = [Step(None, node)]
    for position, step in enumerate(path):
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or not 0 <= step < len(node.value) or (id(node), step) in removed:
                raise PatchError(f"{_describe(path[: position + 1])} does not exist")
            child = node.value[step]
            trail.append(Step(None, child, node, step, position + 1, False))
            node = child
            continue
        found, hops = _own_pair(layout, node, step), ()
        if found is None and isinstance(node, MappingNode) and layout.own_keys(node)[1]:
            found, hops = _merged_pair(layout, node, step)
        if found is None or (id(found[2]), found[1]) in removed:
            return trail, path[position:]
        if hops:  # a merge key's hops (rare): no generator for the other steps
            trail.extend(Step(hop.key, hop.node, hop.parent, hop.slot, position, hop.merge) for hop in hops)
        key_node, value_node = found[2].value[found[1]]
        trail.append(Step(key_node, value_node, found[2], found[1], position + 1, False))
        node = value_node
    return trail, ()


def _own_pair(layout: Layout, node: Node, key: str) -> tuple[Node, int, Node] | None:
    """(key node, pair index, mapping) of ``key`` among the mapping's own keys; the last wins."""
    if not isinstance(node, MappingNode):
        return None
    found = layout.own_keys(node)[0].get(key)
    return None if found is None else (node.value[found][0], found, node)


def _merged_pair(layout: Layout, node: MappingNode, key: str) -> tuple[tuple[Node, int, Node] | None, list[Step]]:
    """``key`` where a merge key of ``node`` provides it, with the steps to it; None when absent or shared."""
    for index, (key_node, value) in enumerate(node.value):
        if not _is_merge_key(key_node):
            continue
        if isinstance(value, MappingNode):
            sources, hops = [(node, index, value)], []
        else:
            sources, hops = [(value, i, s) for i, s in enumerate(value.value)], [Step(key_node, value, node, index)]
        for parent, slot, source in sources:  # the first source that has the key wins
            if not _provides(source, key):
                continue
            if layout.is_shared(source) or layout.is_shared(value):
                return None, []  # shared with other places: a key of the mapping's own overrides it
            found = _own_pair(layout, source, key)
            deeper: list[Step] = []
            if found is None:
                found, deeper = _merged_pair(layout, source, key)
                if found is None:
                    return None, []
            return found, hops + [Step(key_node if parent is node else None, source, parent, slot, merge=True)] + deeper
    return None, []


def _is_merge_key(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == "<<" and node.tag == MERGE_TAG


def _provides(source: Node, key: str) -> bool:
    """Does ``source`` provide ``key`` at all, through any merge key (shared or not)?"""
    if not isinstance(source, MappingNode):
        return False
    if mapping_get(source, key) is not None:
        return True
    for key_node, value in source.value:
        if _is_merge_key(key_node):
            sources = [value] if isinstance(value, MappingNode) else list(value.value)
            if any(_provides(s, key) for s in sources):
                return True
    return False


def _nest(tree: dict, path: Path, value: Any, op: str) -> None:
    for step in path[:-1]:
        tree = tree.setdefault(step, {})
    last = path[-1]
    if op == "append" and isinstance(tree.get(last), list):
        tree[last].extend(value)
    else:
        tree[last] = value


def _describe(path: Path) -> str:
    from hardener.model import format_path

    return format_path(path)


def _dash_column(layout: Layout, sequence: Node, index: int) -> int:
    """Column of the ``-`` that introduces item ``index`` of a block sequence."""
    text = layout.text
    start = layout.child_range(sequence, index)[0]
    dash = start - 1
    while dash >= 0 and text[dash] in " \t":
        dash -= 1
    if dash < 0 or text[dash] != "-":
        raise PatchError("cannot find the item's '-'", line=sequence.start_mark.line)
    return dash - line_start(text, dash)


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
                first = value.value[0]
                dash = first.start_mark.index - 1
                while dash >= 0 and text[dash] in " \t":
                    dash -= 1
                if first.start_mark.index > key.start_mark.index and dash >= 0 and text[dash] == "-":
                    offsets[first.start_mark.column - (first.start_mark.index - dash) - key.start_mark.column] += 1
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
    return Splice(content_start(text, node), node.end_mark.index, render_scalar(value, node, style))


def flow_text(value: Any, like_key: Node | None, like_value: Node | None, style: Style) -> str:
    """A value as flow YAML (``{a: 1}``, ``[x]``), its scalars quoted like the neighbours given."""
    if isinstance(value, dict):
        entries = [f"{render_scalar(k, like_key, style)}: {flow_text(v, like_key, like_value, style)}" for k, v in value.items()]
        return "{" + ", ".join(entries) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_text(v, like_key, like_value, style) for v in value) + "]"
    return render_scalar(value, like_value, style)


def _block(content: Any, indent: int, style: Style) -> list[str]:
    """New block-style lines for a mapping (dict) or a sequence (list) at ``indent``."""
    pad = " " * indent
    if isinstance(content, list):
        return [f"{pad}- {flow_text(item, None, None, style)}" for item in content]
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
            lines.append(f"{pad}{key_text}: {flow_text(value, None, None, style)}")
    return lines


def render_document(data: dict, style: Style) -> str:
    """A new document in the stream's own style (indent step, sequence style, newlines)."""
    return style.newline.join(_block(data, 0, style)) + style.newline


def _insert_lines(text: str, after: int, lines: list[str], depth: int, style: Style) -> Splice:
    """Insert whole lines after the line that holds offset ``after``."""
    at = line_after(text, after)
    body = style.newline.join(lines)
    if at == len(text) and not text.endswith("\n"):
        return Splice(at, at, style.newline + body, depth)  # keep the missing final newline missing
    return Splice(at, at, body + style.newline, depth)


def flow_entries(node: Node, content: Any, style: Style) -> list[str]:
    """New entries for the flow collection ``node``, as text quoted like its first entry."""
    if isinstance(node, MappingNode):
        like_key, like_value = node.value[0] if node.value else (None, None)
        return [f"{render_scalar(k, like_key, style)}: {flow_text(v, like_key, like_value, style)}" for k, v in content.items()]
    like = node.value[0] if node.value else None
    return [flow_text(item, None, like, style) for item in content]


def _render_target(layout: Layout, target: _Target, style: Style) -> Splice:
    text = layout.text
    node, content = target.node, target.content
    if target.key is not None and is_empty(node):
        if node.value:  # an explicit null / ~: replace it with a flow value
            return Splice(node.start_mark.index, node.end_mark.index, flow_text(content, target.key, None, style), target.depth)
        step = style.indent if isinstance(content, dict) else style.sequence_offset
        return _insert_lines(text, target.key.end_mark.index, _block(content, target.key.start_mark.column + step, style), target.depth, style)
    if isinstance(node, MappingNode):
        if node.flow_style and not node.value and _block_key_with_empty_flow(text, target.key, node, style):
            # `securityContext: {}` in a block mapping becomes the block it stands for; an
            # anchor or a tag before the `{}` stays on the key's line.
            colon = text.index(":", target.key.end_mark.index)  # type: ignore[union-attr]
            start = content_start(text, node)
            while start > colon + 1 and text[start - 1] in " \t":
                start -= 1
            lines = _block(content, target.key.start_mark.column + style.indent, style)  # type: ignore[union-attr]
            return Splice(start, node.end_mark.index, style.newline + style.newline.join(lines), target.depth)
        if node.flow_style:
            return _flow_insert(layout, node, flow_entries(node, content, style), target.depth, style, content)
        refuse_explicit_key(text, node.value[0][0])
        column = node.value[0][0].start_mark.column
        return _insert_lines(text, layout.content_end(node), _block(content, column, style), target.depth, style)
    if isinstance(node, SequenceNode):
        entries = flow_entries(node, content, style)
        if node.flow_style:
            return _flow_insert(layout, node, entries, target.depth, style, content)
        pad = " " * _dash_column(layout, node, 0)
        return _insert_lines(text, layout.content_end(node), [f"{pad}- {entry}" for entry in entries], target.depth, style)
    raise PatchError("cannot add to this value", line=node.start_mark.line)


def _block_key_with_empty_flow(text: str, key: Node | None, node: Node, style: Style) -> bool:
    """``key: {}`` (or ``key: &anchor {}``) on one line of a block mapping, with nothing after the ``{}``."""
    if key is None or style.json or key.start_mark.line != node.start_mark.line or key.style not in (None, ""):
        return False
    between = text[key.end_mark.index : content_start(text, node)]
    return ends_line(text, node.end_mark.index) and between.lstrip().startswith(":") and starts_line(text, key.start_mark.index)


def _flow_insert(layout: Layout, node: Node, entries: list[str], depth: int, style: Style, content: Any = None) -> Splice:
    """Add entries to a flow mapping or sequence, on one line or one per line as it is written."""
    text = layout.text
    start = content_start(text, node)
    if not node.value and content is not None and not style.json and start == node.start_mark.index and starts_line(text, start) and ends_line(text, node.end_mark.index):
        # `{}` alone on its line (what Helm's toYaml | nindent writes for empty values) becomes the
        # block it stands for, at its own column: the natural output, and no `{...}` soup. Anything
        # after it on the line (a `#` comment) would glue onto the last new line: keep flow style then.
        lines = _block(content, node.start_mark.column, style)
        return Splice(node.start_mark.index, node.end_mark.index, style.newline.join(lines).lstrip(" "), depth)
    if not node.value:
        open_, close = text[start], text[node.end_mark.index - 1]
        return Splice(start, node.end_mark.index, open_ + ", ".join(entries) + close, depth)
    first_start = layout.child_range(node, 0)[0]
    one_per_line = text.count("\n", start, first_start) > 0
    if one_per_line and isinstance(node, MappingNode):
        # JSON-style: new keys go on lines of their own before the first key,
        # so that no existing line has to gain a comma.
        at = line_start(text, first_start)
        pad = text[at:first_start]
        if pad.strip():
            raise PatchError("a multi-line flow mapping whose first key shares its line", line=node.start_mark.line, node=node)
        return Splice(at, at, "".join(f"{pad}{entry},{style.newline}" for entry in entries), depth)
    end = layout.end_of_child(node, len(node.value) - 1)
    if one_per_line:  # a list keeps its order: the new item goes last and the old last line gains a comma
        pad = " " * (first_start - line_start(text, first_start))
        return Splice(end, end, "".join(f",{style.newline}{pad}{entry}" for entry in entries), depth)
    return Splice(end, end, "".join(f", {entry}" for entry in entries), depth)


# Removing -----------------------------------------------------------------


@dataclass
class _Removal:
    """Children (by slot) to delete from one collection node, and the input lines each deletion spans."""

    node: Node
    slots: list[int] = field(default_factory=list)
    span_of: dict[int, tuple[int, int]] = field(default_factory=dict)
    merge_source: Step | None = None
    """How the node is reached when it is a merge key's source."""


def _collapse_emptied_sources(removals: dict[int, _Removal]) -> list[_Removal]:
    """A merge key's source that loses every key goes itself (``<<: {runAsUser: 0}``), meaning the same."""
    for removal in list(removals.values()):
        step = removal.merge_source
        if step is None or len(set(removal.slots)) != len(removal.node.value):
            continue
        outer = removals.setdefault(id(step.parent), _Removal(step.parent))  # type: ignore[arg-type]
        outer.slots.append(step.slot)  # type: ignore[arg-type]
        del removals[id(removal.node)]
        removal.span_of = _Spans(outer, step.slot)  # type: ignore[assignment]
        removals[id(removal.node)] = removal
        removal.slots = []
    return [removal for removal in removals.values() if removal.slots]


class _Spans(dict):
    """The span of every removed key of an emptied merge source: that of the source's removal."""

    def __init__(self, outer: _Removal, slot: int) -> None:
        super().__init__()
        self.outer, self.slot = outer, slot

    def __missing__(self, _key: int) -> tuple[int, int]:
        return self.outer.span_of[self.slot]


def _lines_of(text: str, start: int, end: int) -> tuple[int, int]:
    """0-based first and last line of the text range [start, end)."""
    first = text.count("\n", 0, start)
    return first, first + text.count("\n", start, max(start, end - 1))


def _new_flow_entries(target: _Target, style: Style) -> list[str]:
    """The entries an insertion target adds to a flow collection, as text."""
    return flow_entries(target.node, target.content, style)


def _render_removal(layout: Layout, removal: _Removal, adds: bool = False) -> list[Splice]:
    text = layout.text
    node = removal.node
    if len(set(removal.slots)) == len(node.value) and not adds:
        raise PatchError("removing every entry would leave an empty collection", line=node.start_mark.line)
    if node.flow_style:
        return _remove_flow(layout, removal)
    splices = []
    for slot in removal.slots:
        start_of_entry, end_of_entry = layout.child_range(node, slot)
        end = line_after(text, end_of_entry)
        start = line_start(text, start_of_entry)
        if isinstance(node, SequenceNode):  # a block sequence item: from its dash's line
            dash = text.rfind("-", 0, start_of_entry)
            if dash < start or text[start:dash].strip() or text[dash + 1 : start_of_entry].strip():
                raise PatchError("the item does not start its own line", line=text.count("\n", 0, start_of_entry))
        elif text[start:start_of_entry].strip():
            start, end = _remove_first_key(layout, node, slot)
        removal.span_of[slot] = _lines_of(text, start, end)
        splices.append(Splice(start, end, ""))
    return splices


def _remove_first_key(layout: Layout, node: Node, slot: int) -> tuple[int, int]:
    """``- hostPort: 80`` then ``  containerPort: 80``: the next key moves up behind the dash.

    With a comment line before the next key (a comment about that key), the
    key stays where it is and the dash is left alone on its line: ``-``,
    the comment, ``containerPort: 80`` is the same item.
    """
    text = layout.text
    pairs = node.value
    key = pairs[slot][0]
    if slot != 0 or len(pairs) < 2:
        raise PatchError("the key shares its line with other content", line=key.start_mark.line)
    following = pairs[1][0]
    if following.start_mark.column != key.start_mark.column or following.start_mark.line <= key.start_mark.line:
        raise PatchError("the key shares its line with other content", line=key.start_mark.line)
    dash = key.start_mark.index - 1
    while dash >= 0 and text[dash] in " \t":
        dash -= 1
    end = layout.end_of_child(node, 0)
    between = text[end : following.start_mark.index]
    # A comment at the end of the removed key's line goes with it, as it does with any removed line.
    if "#" not in between.partition("\n")[2]:
        return key.start_mark.index, following.start_mark.index
    if dash < 0 or text[dash] != "-":
        raise PatchError("a comment line follows the removed key", line=key.start_mark.line)
    line_end = line_after(text, end) - 1
    if text[line_end - 1 : line_end] == "\r":
        line_end -= 1
    return dash + 1, line_end


def _remove_flow(layout: Layout, removal: _Removal, new_entries: list[str] = ()) -> list[Splice]:  # type: ignore[assignment]
    text = layout.text
    node = removal.node
    ranges = [layout.child_range(node, slot) for slot in range(len(node.value))]
    gone = [slot in removal.slots for slot in range(len(node.value))]
    if node.start_mark.line == node.end_mark.line:
        kept = [text[a:b] for (a, b), g in zip(ranges, gone) if not g] + list(new_entries)
        inner_start, inner_end = content_start(text, node) + 1, node.end_mark.index - 1
        lead = text[inner_start : ranges[0][0]]
        trail = text[ranges[-1][1] : inner_end]
        splice = Splice(inner_start, inner_end, lead + ", ".join(kept) + trail)
        for slot in removal.slots:
            removal.span_of[slot] = (node.start_mark.line, node.start_mark.line)
        return [splice]
    # One entry per line (JSON): drop each removed entry's lines with its comma; the last entry
    # without a trailing comma instead takes the comma of the kept entry before it.
    lines = [text.count("\n", 0, a) for a, _ in ranges]
    if len(set(lines)) != len(lines) or any(text[line_start(text, a) : a].strip() for a, _ in ranges):
        raise PatchError("a multi-line flow collection with several entries on a line", line=node.start_mark.line, node=node)
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
        line_end = line_after(text, after + 1 if has_comma else end)
        if text[(after + 1 if has_comma else end) : line_end].strip():
            raise PatchError("the removed entry shares its last line with other content", line=lines[index], node=node)
        if has_comma or index < last_kept or last_kept < 0:
            cut = (line_start(text, start), line_end)
        else:
            cut = (ranges[last_kept][1], end)
        removal.span_of[index] = _lines_of(text, *cut)
        splices.append(Splice(cut[0], cut[1], ""))
    return _merge_adjacent(splices)


def _outermost(deletions: list[Splice]) -> list[Splice]:
    """Drop deletions inside another deletion: an item removed, then the emptied list with it.

    Only a pure deletion swallows what lies inside it; a flow collection
    rebuilt from its kept entries would write an inner one back as it was,
    so both stay, overlap, and the collection is rewritten whole.
    """
    return [
        inner
        for inner in deletions
        if not any(
            outer is not inner and not outer.text and outer.start <= inner.start and inner.end <= outer.end and outer.end - outer.start > inner.end - inner.start
            for outer in deletions
        )
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


def apply_splices(text: str, splices: list[Splice]) -> str:
    """Splice from the end backwards; at one offset, deeper insertions come first."""
    return _apply(text, splices)


def _apply(text: str, splices: list[Splice]) -> str:
    ordered = sorted(splices, key=lambda s: (s.start, -s.depth))
    pieces: list[str] = []
    position = 0
    previous: Splice | None = None
    for splice in ordered:
        if splice.start < position:
            span = (min(previous.start, splice.start), max(previous.end, splice.end))  # type: ignore[union-attr]
            raise PatchError("two edits overlap", line=text.count("\n", 0, span[0]), span=span)
        pieces.append(text[position : splice.start])
        pieces.append(splice.text)
        position = splice.end
        previous = splice
    pieces.append(text[position:])
    return "".join(pieces)
