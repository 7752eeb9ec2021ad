"""Rewrite one flow collection whole, when edits inside it would collide as splices.

Splices suffice for most flow edits: a scalar replaced, entries appended, a
one-line collection rebuilt without the entries it loses. They collide when
one collection takes several kinds of edit at once (minified JSON that loses
``runAsUser`` while ``privileged`` is replaced), or when a multi-line flow
collection puts several entries on a line, or an empty value sits inside a
flow mapping (``{securityContext: }``). Then the smallest flow collection
around the problem is written anew, from its own text: every entry that is
not edited is copied as written (quoting, comments, line breaks and the
separators between entries included), edited entries are rendered in place,
removed ones leave with their comma, and new ones join the entries in the
collection's own layout. Nothing outside the collection changes.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardener.layout import Layout, PatchError, content_start, is_empty, skip_trivia
from hardener.model import Edit, Path


class FlowPlan:
    """Every edit under one flow collection, rendered as one new text for it."""

    def __init__(self, layout: Layout, node: Node, style: Any) -> None:
        self.layout, self.node, self.style = layout, node, style
        self.replace: dict[int, Any] = {}
        self.additions: dict[int, Any] = {}
        self.removals: dict[int, set[int]] = {}
        self.touched: set[int] = set()

    def add(self, edit: Edit, trail: list, remaining: Path, removed: set) -> tuple[int, int]:
        """Take one edit (walked to ``trail`` and ``remaining``); return its 0-based first and last input line."""
        from hardener.patch import _describe, _nest  # the same nesting as splices

        text = self.layout.text
        inside = next(i for i, step in enumerate(trail) if step.node is self.node)
        self.touched.update(id(step.node) for step in trail[inside:])
        step = trail[-1]
        key, node = step.key, step.node
        if edit.op == "remove":
            if remaining or len(trail) - 1 <= inside:
                raise PatchError(f"cannot remove {_describe(edit.path)}: it is not in the input text")
            parent = trail[-2].node
            self.removals.setdefault(id(parent), set()).add(step.slot)
            removed.add((id(parent), step.slot))
            start, end = self.layout.child_range(parent, step.slot)
            return text.count("\n", 0, start), text.count("\n", 0, end)
        line = (key or node).start_mark.line
        if not remaining and edit.op == "set":
            if not isinstance(node, ScalarNode) or node.style in ("|", ">"):
                raise PatchError("expected a plain value to replace", line=node.start_mark.line)
            self.replace[id(node)] = edit.value
            return node.start_mark.line, node.start_mark.line
        if not remaining and edit.op == "append" and isinstance(node, SequenceNode):
            self.additions.setdefault(id(node), []).append(edit.value)
            return node.start_mark.line, node.start_mark.line
        if not remaining:
            if not is_empty(node):
                raise PatchError(f"cannot add to {_describe(edit.path)}: it is not a list", line=node.start_mark.line)
            self.additions.setdefault(id(node), []).append(edit.value)
        elif isinstance(node, MappingNode) or is_empty(node):
            _nest(self.additions.setdefault(id(node), {}), remaining, [edit.value] if edit.op == "append" else edit.value, edit.op)
        else:
            raise PatchError(f"cannot add {_describe(edit.path)}: {remaining[0]!r} would go into a value that is not a mapping", line=line)
        return line, line

    def splice(self) -> Any:
        from hardener.patch import Splice

        return Splice(self.node.start_mark.index, self.layout.content_end(self.node), self._render(self.node))

    # Rendering ---------------------------------------------------------------

    def _render(self, node: Node) -> str:
        from hardener.patch import flow_text, render_scalar

        text, style = self.layout.text, self.style
        start = node.start_mark.index
        if id(node) in self.replace:
            return text[start : content_start(text, node)] + render_scalar(self.replace[id(node)], node, style)
        if isinstance(node, ScalarNode):
            if id(node) in self.additions:  # an explicit null (`~`) becomes the new value
                return text[start : content_start(text, node)] + flow_text(self.additions[id(node)], None, None, style)
            return text[start : self.layout.content_end(node)]
        if id(node) not in self.touched and id(node) not in self.additions:
            return text[start : self.layout.content_end(node)]
        if not node.flow_style:
            raise PatchError("a block collection inside a flow collection", line=node.start_mark.line)
        return self._render_collection(node)

    def _render_collection(self, node: Node) -> str:
        from hardener.patch import flow_entries

        text, layout = self.layout.text, self.layout
        end = node.end_mark.index
        ranges = [self._entry_range(node, slot) for slot in range(len(node.value))]
        gone = self.removals.get(id(node), set())
        kept = [slot for slot in range(len(ranges)) if slot not in gone]
        new = flow_entries(node, self.additions[id(node)], self.style) if id(node) in self.additions else []
        if not ranges:
            bracket = end - 1
            return text[node.start_mark.index : bracket] + ", ".join(new) + text[bracket:end]
        head = text[node.start_mark.index : ranges[0][0]]
        one_per_line = "\n" in text[content_start(text, node) : ranges[0][0]]
        parts = [head]
        if new and kept and one_per_line and isinstance(node, MappingNode):
            # JSON-style: new keys on lines of their own before the first key (no line gains a comma).
            pad = head[head.rfind("\n") + 1 :]
            parts.append("".join(f"{entry},{self.style.newline}{pad}" for entry in new))
            new = []
        for position, slot in enumerate(kept):
            if position:
                previous = kept[position - 1]
                parts.append(text[ranges[previous][1] : ranges[previous + 1][0]])  # the separator after it, as written
            parts.append(self._render_entry(node, slot, ranges[slot]))
        if new:
            if kept and one_per_line:
                pad = text[text.rfind("\n", 0, ranges[kept[0]][0]) + 1 : ranges[kept[0]][0]]
                parts.append("".join(f",{self.style.newline}{pad}{entry}" for entry in new))
            else:
                parts.append((", " if kept else "") + ", ".join(new))
        last = len(ranges) - 1
        if kept and kept[-1] != last:
            # Entries after the last kept one are gone: its comma goes too, a comment after it stays.
            separator = text[ranges[kept[-1]][1] : ranges[kept[-1] + 1][0]]
            comma = skip_trivia(separator, 0)
            if separator[comma : comma + 1] == ",":
                separator = separator[:comma] + separator[comma + 1 :]
            if "#" in separator:
                parts.append(separator)
        parts.append(text[ranges[last][1] : layout.content_end(node)])
        return "".join(parts)

    def _entry_range(self, node: Node, slot: int) -> tuple[int, int]:
        """Where an entry is written; an empty mapping value (``{a: }``) takes its key's colon with it."""
        start, end = self.layout.child_range(node, slot)
        if isinstance(node, MappingNode):
            key, value = node.value[slot]
            if is_empty(value) and not value.value:
                colon = end
                while colon < len(self.layout.text) and self.layout.text[colon] in " \t":
                    colon += 1
                if self.layout.text[colon : colon + 1] == ":":
                    end = colon + 1
        return start, end

    def _render_entry(self, node: Node, slot: int, written: tuple[int, int]) -> str:
        from hardener.patch import flow_text

        text = self.layout.text
        if isinstance(node, SequenceNode):
            item = node.value[slot]
            if self.layout.is_alias(node, slot) or not self._edited(item):
                return text[written[0] : written[1]]
            return self._render(item)
        key, value = node.value[slot]
        if self.layout.is_alias(node, slot) or not self._edited(value):  # an alias follows its anchor's edits
            return text[written[0] : written[1]]
        if is_empty(value) and not value.value:  # `{securityContext}` or `{securityContext: }` gains its value
            return text[key.start_mark.index : key.end_mark.index] + ": " + flow_text(self.additions[id(value)], key, None, self.style)
        return text[key.start_mark.index : value.start_mark.index] + self._render(value)

    def _edited(self, node: Node) -> bool:
        return id(node) in self.touched or id(node) in self.replace or id(node) in self.additions


def flow_to_rewrite(layout: Layout, error: PatchError, rewrite: dict[int, Node]) -> Node | None:
    """The smallest flow collection whose rewrite would get past ``error`` (not yet rewritten), or None."""
    if error.node is None and error.span is None:
        return None
    parents: dict[int, Node | None] = {}
    flows: list[Node] = []
    stack: list[tuple[Node | None, Node]] = [(None, layout.root)]
    while stack:
        parent, node = stack.pop()
        if id(node) in parents:
            continue
        parents[id(node)] = parent
        if isinstance(node, (MappingNode, SequenceNode)):
            if node.flow_style:
                flows.append(node)
            children = [child for pair in node.value for child in pair] if isinstance(node, MappingNode) else node.value
            stack.extend((node, child) for child in children)
    if error.node is not None:
        node: Node | None = error.node
        while node is not None:
            if isinstance(node, (MappingNode, SequenceNode)) and node.flow_style and id(node) not in rewrite:
                return node
            node = parents.get(id(node))
        return None
    first, last = error.span  # type: ignore[misc]
    around = [
        node
        for node in flows
        if id(node) not in rewrite and node.start_mark.index <= first and last <= layout.content_end(node)
    ]
    return min(around, key=lambda node: layout.content_end(node) - node.start_mark.index, default=None)
