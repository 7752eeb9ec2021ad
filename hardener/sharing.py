"""Anchors, aliases and shared merge sources: edit a shared node once, or un-share it first.

YAML lets one node appear in several places (``&sc`` and ``*sc``), and a
merge key (``<<: *base``) pulls one mapping's keys into several others. An
edit made where the node is written shows up everywhere it is used. So:

* when every place a node is used gets the same edits (two containers that
  share one securityContext, both hardened), the edits are made once, where
  the node is written, and its aliases follow (``dedupe``);
* otherwise each alias whose edits differ is *un-shared*: its ``*name`` is
  replaced by a copy of the anchored node's text, re-indented to where the
  alias stands, and that copy takes its own edits;
* a key that a shared merge source provides is overridden by a key of the
  mapping's own (``patch.walk`` leaves shared sources alone); when the edit
  goes deeper than that key (``capabilities.drop`` inside a merged
  ``capabilities``), the key's value is first copied into the mapping.

Un-sharing only moves text around: each step is re-parsed and must mean
exactly what the document meant before, or the patcher gives up.
"""

from __future__ import annotations

from typing import Any, Callable

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardener.errors import InputError
from hardener.layout import PROPERTY, Layout, Occurrence, PatchError, content_start, line_after, line_start
from hardener.model import Edit, format_path
from hardener.patch import Step, Style, _is_merge_key, _provides, walk

MAX_UNSHARES = 50
"""Aliases un-shared in one document before the patcher gives up (each re-parses the document)."""


def dedupe(layout: Layout, edits: list[Edit]) -> tuple[list[Edit], dict[int, Edit]]:
    """The edits to splice, and for each edit left out (made through an alias) its twin made where the node is written.

    An edit through an alias has a twin that reaches the aliased node where
    it is written, with the same change (``unshare`` made sure of it); that
    twin may itself come through another alias (a container aliased in a
    second pod, whose securityContext aliases a third), so twins are
    followed to the one that is spliced.
    """
    if not layout.has_aliases:
        return edits, {}
    by_key: dict[tuple, Edit] = {}
    through: dict[int, tuple] = {}
    removed: set = set()
    for edit in edits:
        trail, remaining = walk(layout, edit.path, removed)
        _note_removal(edit, trail, remaining, removed)
        for step in trail[1:]:
            if not _edits(step, edit):
                break
            key = _signature_key(step, edit)
            if layout.is_alias(step.parent, step.slot):
                through[id(edit)] = key
                break
            if layout.is_shared(step.node):
                by_key.setdefault(key, edit)
    twins: dict[int, Edit] = {}
    for edit in edits:
        twin = edit
        for _ in range(len(edits) + 1):
            if id(twin) not in through:
                break
            found = by_key.get(through[id(twin)])
            if found is None:
                raise PatchError(f"cannot edit {format_path(edit.path)} through an alias")
            twin = found
        else:
            raise PatchError(f"cannot edit {format_path(edit.path)} through an alias")
        if twin is not edit:
            twins[id(edit)] = twin
    return [edit for edit in edits if id(edit) not in through], twins


def _note_removal(edit: Edit, trail: list[Step], remaining: tuple, removed: set) -> None:
    """A removed entry is absent for the edits after it, as it is when they are spliced."""
    if edit.op == "remove" and not remaining and len(trail) > 1:
        removed.add((id(trail[-1].parent), trail[-1].slot))


def _edits(step: Step, edit: Edit) -> bool:
    """Does ``edit`` change the node at ``step`` (or below it)? Removing it changes its parent instead."""
    return step.depth < len(edit.path) or edit.op != "remove"


def _signature_key(step: Step, edit: Edit) -> tuple:
    return (id(step.node), edit.op, tuple(edit.path[step.depth :]), repr(edit.value))


def unshare(layout: Layout, edits: list[Edit], style: Style) -> tuple[Layout, Callable[[int], int] | None]:
    """Un-share until every shared node gets the same edits in every place; the new layout and a map back to input lines."""
    from hardener.verify import strictly_equal
    from hardener.yamlnodes import compose, to_data

    original: Any = None
    shifts: list[tuple[int, int, int]] = []
    for _ in range(MAX_UNSHARES):
        change = _next_change(layout, edits, style)
        if change is None:
            break
        start, end, replacement = change
        text = layout.text
        if original is None:
            original = to_data(layout.root).data
        new_text = text[:start] + replacement + text[end:]
        try:
            root = compose(new_text)
            same = strictly_equal(to_data(root).data, original)
        except InputError:
            same = False
        if not same:
            raise PatchError("cannot un-share the anchored value without changing what it means", line=text.count("\n", 0, start))
        shifts.append((text.count("\n", 0, start), text.count("\n", start, end), replacement.count("\n")))
        layout = Layout(new_text, root)
    else:
        raise PatchError(f"more than {MAX_UNSHARES} anchored values to un-share")
    return layout, (_lines_back(shifts) if shifts else None)


def _lines_back(shifts: list[tuple[int, int, int]]) -> Callable[[int], int]:
    """A map from a line of the un-shared text to the input line it came from (a copy: the alias's line)."""

    def back(line: int) -> int:
        for first, old, new in reversed(shifts):
            if line > first + new:
                line += old - new
            elif line > first:
                line = first + min(line - first, old)
        return line

    return back


def _next_change(layout: Layout, edits: list[Edit], style: Style) -> tuple[int, int, str] | None:
    """The first text change that un-shares something an edit needs, or None when nothing does.

    Shared nodes are settled outermost first: edits that reach a node
    through an alias say nothing about what lies deeper until that alias
    is settled (made a copy, or left because its edits are the anchor's).
    """
    signatures: dict[int, dict[tuple[int, Any], list]] = {}
    depth_of: dict[int, int] = {}
    overrides: list[tuple[list[Step], tuple, Edit]] = []
    removals: list[Step] = []
    removed: set = set()
    for edit in edits:
        trail, remaining = walk(layout, edit.path, removed)
        _note_removal(edit, trail, remaining, removed)
        through_alias = False
        for step in trail[1:]:
            if not _edits(step, edit):
                removals.append(step)
                break
            if layout.is_shared(step.node):
                depth_of.setdefault(id(step.node), step.depth)
                occurrence = (id(step.parent), step.slot)
                signatures.setdefault(id(step.node), {}).setdefault(occurrence, []).append((edit.op, edit.path[step.depth :], edit.value))
            if layout.is_alias(step.parent, step.slot):
                through_alias = True
                break
        if not through_alias:
            overrides.append((trail, remaining, edit))
    for node_id in sorted(signatures, key=lambda found: depth_of[found]):
        found = signatures[node_id]
        occurrences = layout.occurrences[node_id]
        written = next(o for o in occurrences if o.written)
        expected = found.get((id(written.parent), written.slot), [])
        for occurrence in occurrences:
            if not occurrence.written and found.get((id(occurrence.parent), occurrence.slot), []) != expected:
                return _expand_alias(layout, occurrence, style)
    orphan = _orphaned_alias(layout, removals)
    if orphan is not None:
        return _expand_alias(layout, orphan, style)
    for trail, remaining, edit in overrides:
        change = _merged_override(layout, trail, remaining, edit, style)
        if change is not None:
            return change
    return None


def _orphaned_alias(layout: Layout, removals: list[Step]) -> Occurrence | None:
    """An alias that would outlive its anchor: the anchored text is removed, the alias is not."""
    removed = {(id(step.parent), step.slot) for step in removals}
    written = {node_id: next(o for o in found if o.written) for node_id, found in layout.occurrences.items()}

    def inside_removed(occurrence: Occurrence) -> bool:
        while occurrence.parent is not None:
            if (id(occurrence.parent), occurrence.slot) in removed:
                return True
            occurrence = written[id(occurrence.parent)]
        return False

    for step in removals:
        if layout.is_alias(step.parent, step.slot):
            continue  # an alias removed: its anchor stays
        stack = [step.node]
        while stack:
            node = stack.pop()
            for occurrence in layout.occurrences.get(id(node), []):
                if not occurrence.written and not inside_removed(occurrence):
                    return occurrence
            if isinstance(node, MappingNode):
                stack.extend(child for pair in node.value for child in pair)
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)
    return None


def _merged_override(layout: Layout, trail: list[Step], remaining: tuple, edit: Edit, style: Style) -> tuple[int, int, str] | None:
    """A key a shared merge source provides, copied into the mapping when an edit goes below it."""
    node = trail[-1].node
    if not remaining or not isinstance(node, MappingNode):
        return None
    key = remaining[0]
    found = _merged_from(node, key)
    if found is None:
        return None
    if len(remaining) == 1 and edit.op == "set":
        return None  # a key of the mapping's own overrides the merged one
    if len(remaining) == 1 and edit.op == "remove":
        raise PatchError(f"cannot remove {key}: a merge key (<<) shared with other places provides it", line=node.start_mark.line)
    return _add_key_copy(layout, node, *found, style)


def _merged_from(node: MappingNode, key: str) -> tuple[MappingNode, int] | None:
    """The mapping and pair index where a merge key of ``node`` finds ``key`` (the first source that has it wins)."""
    for key_node, value in node.value:
        if not _is_merge_key(key_node):
            continue
        for source in [value] if isinstance(value, MappingNode) else list(value.value):
            if not _provides(source, key):
                continue
            for index, (k, _) in reversed(list(enumerate(source.value))):
                if isinstance(k, ScalarNode) and k.value == key and not _is_merge_key(k):
                    return source, index
            return _merged_from(source, key)
    return None


# Copies ---------------------------------------------------------------------


def _expand_alias(layout: Layout, occurrence: Occurrence, style: Style) -> tuple[int, int, str]:
    """Replace the alias at ``occurrence`` with a copy of the anchored node's text."""
    text = layout.text
    parent, slot = occurrence.parent, occurrence.slot
    start, end = layout.alias_token(parent, slot)
    node = parent.value[slot][1] if isinstance(parent, MappingNode) else parent.value[slot]  # type: ignore[index]
    copy = _Copy(layout, node)
    if parent.flow_style or not copy.block:
        return start, end, copy.inline(_indent_at(text, start))
    line_end = _line_end(text, end)
    if isinstance(parent, MappingNode):
        key = parent.value[slot][0]  # type: ignore[index]
        step = style.indent if isinstance(node, MappingNode) else style.sequence_offset
        while start > key.end_mark.index and text[start - 1] in " \t":
            start -= 1
        lines = copy.lines(key.start_mark.column + step)
        return start, line_end, text[end:line_end] + style.newline + style.newline.join(lines)
    column = start - line_start(text, start)
    first, *rest = copy.lines(column)
    return start, line_end, first.lstrip(" ") + text[end:line_end] + "".join(style.newline + line for line in rest)


def _add_key_copy(layout: Layout, mapping: MappingNode, source: MappingNode, slot: int, style: Style) -> tuple[int, int, str]:
    """A new key of ``mapping``'s own: the key at ``slot`` of a merge source, with a copy of its value's text."""
    from hardener.patch import render_scalar

    text = layout.text
    key_node, value = source.value[slot]
    key_text = render_scalar(key_node.value, key_node, style)
    if layout.is_alias(source, slot):
        start, end = layout.alias_token(source, slot)
        copy, value_text = None, text[start:end]
    else:
        copy = _Copy(layout, value)
        value_text = None if copy.block else copy.inline(None)
    if mapping.flow_style:
        if value_text is None:
            raise PatchError("a block collection cannot be copied into a flow collection", line=mapping.start_mark.line)
        end = layout.end_of_child(mapping, len(mapping.value) - 1)
        if copy is not None:
            value_text = copy.inline(_indent_at(text, end))
        return end, end, f", {key_text}: {value_text}"
    column = mapping.value[0][0].start_mark.column
    at = line_after(text, layout.content_end(mapping))
    if value_text is not None:
        if copy is not None:
            value_text = copy.inline(column)
        lines = [f"{' ' * column}{key_text}: {value_text}"]
    else:
        step = style.indent if isinstance(value, MappingNode) else style.sequence_offset
        lines = [f"{' ' * column}{key_text}:"] + copy.lines(column + step)  # type: ignore[union-attr]
    body = style.newline.join(lines)
    if at == len(text) and not text.endswith("\n"):
        return at, at, style.newline + body
    return at, at, body + style.newline


def _line_end(text: str, offset: int) -> int:
    """The end of the line holding ``offset``, before its line break."""
    end = line_after(text, offset)
    if end and text[end - 1] == "\n":
        end -= 1
        if end and text[end - 1] == "\r":
            end -= 1
    return end


class _Copy:
    """The text of a node written elsewhere, without its anchor, ready to be written again at another column."""

    def __init__(self, layout: Layout, node: Node) -> None:
        text = layout.text
        self.text = text
        self.node = node
        start = content_start(text, node)
        self.block = isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and bool(node.value)
        self.tags = "" if self.block else _tags_before(text, node.start_mark.index, start)  # a block's tag says nothing more
        self.start, self.end = start, layout.content_end(node)
        self.column = start - line_start(text, start)

    def inline(self, indent: int | None) -> str:
        """The copy written where a scalar or a flow collection goes (a block collection cannot).

        Its continuation lines keep their depth below the line they start on:
        ``indent`` is the indentation of the line the copy goes on (None: only
        a one-line copy is expected).
        """
        line = self.node.start_mark.line
        if self.block:
            raise PatchError("a block collection cannot be copied into a flow collection", line=line)
        if isinstance(self.node, ScalarNode) and self.node.style in ("|", ">"):
            raise PatchError("cannot copy an anchored block scalar", line=line)
        body = self.text[self.start : self.end]
        if "\n" in body:
            lines = body.split("\n")
            delta = (indent or 0) - _indent_at(self.text, self.start)
            body = "\n".join([lines[0]] + [_reindent(part, delta, line) for part in lines[1:]])
        return self.tags + body

    def lines(self, column: int) -> list[str]:
        """The copy of a block collection as lines whose content starts at ``column``."""
        text = self.text
        first_end = _line_end(text, self.start)
        first = " " * column + text[self.start : first_end]
        rest_start = line_after(text, self.start)
        rest_end = _line_end(text, self.end)
        rest = text[rest_start:rest_end].split("\n") if rest_start < rest_end else []
        line = self.node.start_mark.line
        return [first] + [_reindent(part.rstrip("\r"), column - self.column, line) for part in rest]


def _indent_at(text: str, offset: int) -> int:
    """The indentation of the line that holds ``offset``."""
    start = line_start(text, offset)
    end = start
    while end < len(text) and text[end] == " ":
        end += 1
    return end - start


def _tags_before(text: str, start: int, content: int) -> str:
    """The tags written before a node's content, its anchor left out: ``!!map `` of ``&a !!map {}``."""
    tags = [match.group().strip() for match in PROPERTY.finditer(text, start, content) if match.group().startswith("!")]
    return " ".join(tags) + " " if tags else ""


def _reindent(line: str, delta: int, where: int) -> str:
    if not line.strip() or delta == 0:
        return line
    if delta > 0:
        return " " * delta + line
    if line[:-delta].strip():
        raise PatchError("cannot move the anchored text to the left of its own indentation", line=where)
    return line[-delta:]

