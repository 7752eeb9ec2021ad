"""Where a node is written in its document's text.

The composer gives every node start and end marks, but an alias has no node
of its own: ``securityContext: *sc`` hands back the anchored node, whose
marks point at ``&sc`` elsewhere. ``Layout`` knows which occurrence of a node
is the one written out (its first, in document order: an alias always
follows its anchor) and finds the ``*name`` token of every other occurrence
in the text, so the patcher can end a block after an alias, rewrite a flow
collection that holds one, and un-share a node used in several places.

Occurrences are (parent, slot) pairs: a mapping value's slot is its pair's
index, a sequence item's its index, a mapping key's ``("key", index)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardener.yamlnodes import MERGE_TAG

_NULLS = {"", "~", "null", "Null", "NULL"}
PROPERTY = re.compile(r"(?:&[^\s,\[\]{}]+|!<[^>]*>|![^\s,\[\]{}]*)[ \t]*")
_ALIAS = re.compile(r"\*([^\s,\[\]{}]+)")


class PatchError(Exception):
    """An edit cannot be placed in the text with certainty.

    ``line`` is the 0-based line of the problem in the document's own text,
    when there is one: the caller knows where the document starts. ``node``
    and ``span`` locate it for the patcher's fallbacks (a flow collection
    can be rewritten whole).
    """

    def __init__(self, message: str, line: int | None = None, node: Node | None = None, span: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.node = node
        self.span = span

    def located(self, first_line: int) -> tuple[str, int]:
        """The message with the problem's 1-based line in the stream, and that line (else the document's first)."""
        if self.line is None:
            return self.message, first_line + 1
        return f"line {first_line + self.line + 1}: {self.message}", first_line + self.line + 1


@dataclass(frozen=True)
class Occurrence:
    """One place a node appears: its parent and slot, and whether the node's own text is written there."""

    parent: Node
    slot: object
    written: bool


def is_empty(node: Node) -> bool:
    """A plain null with no text or ``~``/``null`` (an empty value, not a collection)."""
    return isinstance(node, ScalarNode) and node.tag.endswith(":null") and node.value in _NULLS and node.style in (None, "")


def line_after(text: str, offset: int) -> int:
    """Start of the line after the one holding ``offset`` (or the end of the text)."""
    newline = text.find("\n", offset)
    return len(text) if newline < 0 else newline + 1


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def ends_line(text: str, end: int) -> bool:
    """Is nothing but blanks left on the line after offset ``end``?"""
    return not text[end : line_after(text, end)].strip()


def starts_line(text: str, start: int) -> bool:
    """Is nothing but blanks before offset ``start`` on its line?"""
    return not text[line_start(text, start) : start].strip()


def skip_trivia(text: str, index: int) -> int:
    """The offset of the next token: blanks, line breaks and comments skipped."""
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char == "#" and (index == 0 or text[index - 1] in " \t\r\n"):
            index = line_after(text, index)
        else:
            break
    return index


def content_start(text: str, node: Node) -> int:
    """Where a node's content starts: after its anchor and tag (a block collection's: its first entry)."""
    index = node.start_mark.index
    while True:
        match = PROPERTY.match(text, index)
        if match is None or match.end() == index:
            break
        index = match.end()
    if index < len(text) and text[index] in "\r\n#" and isinstance(node, (MappingNode, SequenceNode)) and node.value:
        index = skip_trivia(text, index)
    return index


def anchor_of(text: str, node: Node) -> str | None:
    """The name of the anchor written at ``node``'s start, if any."""
    index = node.start_mark.index
    while True:
        match = PROPERTY.match(text, index)
        if match is None or match.end() == index:
            return None
        if text[index] == "&":
            return match.group().rstrip(" \t")[1:]
        index = match.end()


class Layout:
    """A document's text and node graph, with every node's occurrences (computed only when it has aliases)."""

    def __init__(self, text: str, root: Node | None) -> None:
        self.text = text
        self.root = root
        self.occurrences: dict[int, list[Occurrence]] = {}
        self._keys: dict[int, tuple[dict[str, int], bool]] = {}
        self.has_aliases = root is not None and "&" in text and "*" in text
        if self.has_aliases:
            self._index()
            self.has_aliases = any(len(found) > 1 for found in self.occurrences.values())

    def _index(self) -> None:
        """Every node's occurrences, in document order (the composer binds an alias to the latest anchor)."""
        stack: list[tuple[Node | None, object, Node]] = [(None, None, self.root)]  # type: ignore[list-item]
        while stack:
            parent, slot, node = stack.pop()
            found = self.occurrences.get(id(node))
            if found is not None:
                found.append(Occurrence(parent, slot, False))  # type: ignore[arg-type]
                continue
            self.occurrences[id(node)] = [Occurrence(parent, slot, True)]  # type: ignore[arg-type]
            if isinstance(node, MappingNode):
                for index in reversed(range(len(node.value))):
                    key, value = node.value[index]
                    stack.append((node, index, value))
                    stack.append((node, ("key", index), key))
            elif isinstance(node, SequenceNode):
                stack.extend((node, index, item) for index, item in reversed(list(enumerate(node.value))))

    def own_keys(self, mapping: MappingNode) -> tuple[dict[str, int], bool]:
        """``mapping``'s own keys (key text -> pair index, the last wins) and whether it has a merge key.

        Built once per mapping and kept for the layout's life (one document,
        whose node graph does not change: un-sharing composes a new one and
        makes a new layout). Every edit's path is walked from the root, twice
        when there are aliases, and the paths of one pod share most of their
        steps: scanning each mapping's keys at every step cost more than the
        splicing. Only a scalar key counts, and a ``<<`` tagged as a merge key
        is no key of the mapping's own (as in ``mapping_get``).
        """
        found = self._keys.get(id(mapping))
        if found is None:
            slots: dict[str, int] = {}
            merge = False
            for index, (key_node, _) in enumerate(mapping.value):
                if not isinstance(key_node, ScalarNode):
                    continue
                if key_node.value == "<<" and key_node.tag == MERGE_TAG:
                    merge = True
                else:
                    slots[key_node.value] = index
            found = self._keys[id(mapping)] = (slots, merge)
        return found

    def is_shared(self, node: Node) -> bool:
        return self.has_aliases and len(self.occurrences.get(id(node), ())) > 1

    def is_alias(self, parent: Node, slot: object) -> bool:
        """Is the child of ``parent`` at ``slot`` an alias (its node written elsewhere)?"""
        if not self.has_aliases:
            return False
        child = _child(parent, slot)
        return not any(o.written and o.parent is parent and o.slot == slot for o in self.occurrences.get(id(child), ()))

    def alias_token(self, parent: Node, slot: object) -> tuple[int, int]:
        """The ``*name`` of the alias at ``parent``'s ``slot``: where the composer has no marks for it."""
        text = self.text
        if isinstance(parent, MappingNode):
            if not isinstance(slot, int):
                raise PatchError("an alias used as a mapping key", line=parent.start_mark.line)
            key = parent.value[slot][0]
            if self.is_alias(parent, ("key", slot)):
                raise PatchError("an alias used as a mapping key", line=parent.start_mark.line)
            index = skip_trivia(text, key.end_mark.index)
            if index < len(text) and text[index] == ":":
                index += 1
        else:
            assert isinstance(slot, int)
            if slot == 0:
                index = content_start(text, parent)
            else:
                index = self.end_of_child(parent, slot - 1)
            index = skip_trivia(text, index)
            if index < len(text) and text[index] in "-,[":
                index += 1
        index = skip_trivia(text, index)
        match = _ALIAS.match(text, index)
        node = _child(parent, slot)
        if match is None or match.group(1) != anchor_of(text, node):
            raise PatchError("cannot find where an alias is written", line=parent.start_mark.line, node=parent)
        return match.start(), match.end()

    def child_range(self, parent: Node, slot: int) -> tuple[int, int]:
        """Where the entry at ``slot`` is written: a mapping pair from its key, an item from its content."""
        if isinstance(parent, MappingNode):
            key, value = parent.value[slot]
            if self.is_alias(parent, ("key", slot)):
                raise PatchError("an alias used as a mapping key", line=parent.start_mark.line)
            return key.start_mark.index, self.end_of_child(parent, slot)
        item = parent.value[slot]
        if self.is_alias(parent, slot):
            return self.alias_token(parent, slot)
        return item.start_mark.index, self.end_of_child(parent, slot)

    def end_of_child(self, parent: Node, slot: int) -> int:
        """Offset just past the entry at ``slot`` of ``parent`` (an alias's token, a value's content)."""
        if self.is_alias(parent, slot):
            return self.alias_token(parent, slot)[1]
        if isinstance(parent, MappingNode):
            key, value = parent.value[slot]
            return self.content_end(value, key)
        return self.content_end(parent.value[slot])

    def content_end(self, node: Node, key: Node | None = None) -> int:
        """Offset just past the last character that belongs to ``node`` (``key`` when it is an empty value).

        A block collection ends where its last entry's content ends (its end
        mark lies on the next line); a keep-chomping block scalar (``|+``)
        owns its trailing blank lines, any other its content only.
        """
        text = self.text
        while True:
            if isinstance(node, ScalarNode):
                if is_empty(node) and not node.value and key is not None:
                    return key.end_mark.index
                if node.style in ("|", ">"):
                    if _keeps_trailing_lines(text, node):
                        end = node.end_mark.index
                        return end - 1 if end and text[end - 1] == "\n" else end
                    body = text[node.start_mark.index : node.end_mark.index]
                    return node.start_mark.index + len(body.rstrip())
                return node.end_mark.index
            if node.flow_style or not node.value:
                return node.end_mark.index
            last = len(node.value) - 1
            if self.is_alias(node, last):
                return self.alias_token(node, last)[1]
            if isinstance(node, MappingNode):
                key, child = node.value[last]
                refuse_explicit_key(text, key)
            else:
                key, child = None, node.value[last]
            node = child


def _child(parent: Node, slot: object) -> Node:
    if isinstance(slot, tuple):
        return parent.value[slot[1]][0]
    if isinstance(parent, MappingNode):
        return parent.value[slot][1]  # type: ignore[index]
    return parent.value[slot]  # type: ignore[index]


def _keeps_trailing_lines(text: str, node: ScalarNode) -> bool:
    """A ``|+`` or ``>+`` header: the scalar's trailing line breaks are part of its value."""
    header_start = content_start(text, node)
    header = text[header_start : line_after(text, header_start)].split("#", 1)[0]
    return "+" in header


def refuse_explicit_key(text: str, key: Node) -> None:
    """An explicit ``? key`` / ``: value`` entry hides where the entry starts and ends: refuse."""
    index = key.start_mark.index - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    if index >= 0 and text[index] == "?":
        raise PatchError("a mapping with an explicit '?' key", line=key.start_mark.line)
