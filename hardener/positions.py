"""Where a record points in its input: the line and column of the field or item it is about.

A reviewer (and GitHub code scanning, and the explained diff) is pointed at
the thing a record is about: the ``hostPath`` key of the volume, the
``automountServiceAccountToken: true`` line, the ``hostPort``, not the first
line of the document. Every record is placed here, from its path, in one
place: a transform names a path and never counts lines.

A path that is not written in the text (an absent field, a key pulled in by a
merge key) points at the nearest ancestor that is: the mapping the field
belongs in.

Lines count ``\\n`` line breaks, as editors, ``diff`` and GitHub do. The YAML
parser's marks also break lines at U+0085, U+2028 and U+2029 (YAML 1.1 line
breaks); in the rare document that holds one, ``LineMap`` turns a mark back
into the line and column a reader sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardener.model import Path
from hardener.yamlnodes import mapping_get


@dataclass(frozen=True)
class Position:
    """1-based line and column in the file; ``end_line`` when the value spans more lines."""

    line: int
    column: int
    end_line: int | None = None
    written: bool = True
    """The whole path is written in the text; False: this is the nearest ancestor that is."""


_PARSER_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_PARSER_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


class LineMap:
    """Parser marks (lines broken at U+0085, U+2028, U+2029 too) to the lines and columns of the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[int] | None = None  # mark line -> text line; None: the same (the usual case)
        if _PARSER_ONLY_BREAKS.search(text):
            self.lines, line = [0], 0
            for match in _PARSER_BREAKS.finditer(text):
                line += match.group() in ("\n", "\r\n")
                self.lines.append(line)

    def line(self, mark_line: int) -> int:
        """0-based line in the text of a 0-based mark line."""
        return mark_line if self.lines is None else self.lines[min(mark_line, len(self.lines) - 1)]

    def column(self, mark) -> int:
        """0-based column in the text's own line of a mark."""
        return mark.column if self.lines is None else mark.index - (self.text.rfind("\n", 0, mark.index) + 1)


def position(root: Node | None, path: Path, text: str, first_line: int, lines: LineMap | None = None) -> Position | None:
    """Where ``path`` (from the document root) is written in a chunk that starts at ``first_line`` (0-based)."""
    if root is None:
        return None
    lines = lines or LineMap(text)
    anchor, value, written = root, root, True
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, SequenceNode) or not 0 <= step < len(value.value):
                written = False
                break
            anchor = value = value.value[step]
        else:
            pair = mapping_get(value, step)
            if pair is None:
                written = False
                break
            anchor, value = pair  # the key is where the field is written; its value may start below
    line = first_line + lines.line(anchor.start_mark.line) + 1
    end_line = None
    empty = isinstance(value, ScalarNode) and value.value == "" and not value.style  # `key:` with nothing after it
    if written and not empty and value.start_mark.index >= anchor.start_mark.index:  # an alias's value is elsewhere
        last = first_line + lines.line(_last_line(value, text)) + 1
        end_line = last if last > line else None
    return Position(line, lines.column(anchor.start_mark) + 1, end_line, written)


def _last_line(node: Node, text: str) -> int:
    """0-based line (in the chunk) of the last character that belongs to ``node``."""
    while True:
        if isinstance(node, ScalarNode):
            end = node.end_mark.index
            if node.style in ("|", ">"):  # a block scalar's end mark is past its trailing line breaks
                body = text[node.start_mark.index : end].rstrip()
                return node.start_mark.line + len(_PARSER_BREAKS.findall(body))
            return node.end_mark.line
        if getattr(node, "flow_style", False) or not node.value:
            return node.end_mark.line
        if isinstance(node, MappingNode):
            key, child = node.value[-1]
            if child.start_mark.index < key.start_mark.index:  # an alias: it ends with its key
                return key.end_mark.line
        else:
            child = node.value[-1]
            if child.start_mark.index < node.start_mark.index:
                return node.start_mark.line
        node = child


def indentation_column(text: str, line_in_chunk: int) -> int:
    """1-based column of the first character of a line that is not a space (where a YAML line starts).

    One split in C finds the line: a loop of ``find`` calls, one per line
    above it, cost as much as placing every other record of the document.
    """
    above = text.split("\n", max(line_in_chunk, 0))
    if len(above) <= line_in_chunk:
        return 1
    content = above[-1].partition("\n")[0]
    return len(content) - len(content.lstrip(" ")) + 1
