"""Cut a YAML stream into documents by text, keeping every byte.

Documents are never re-serialized: each one is a slice of the original text,
and joining the slices gives back the stream exactly. A slice keeps the
comments and directives that precede its ``---`` (Helm's ``# Source:`` line
belongs to the document below it), so a document can be parsed on its own and
its node positions are offsets into its own slice.

YAML forbids ``---`` and ``...`` at the start of a line inside any content,
so cutting at those lines is exact, not a heuristic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_START = re.compile(r"---(?:[ \t\r\n]|$)")
_END = re.compile(r"\.\.\.(?:[ \t\r\n]|$)")
_TRIVIA = re.compile(r"[ \t]*(?:#.*)?\r?\n?$|%.*")


@dataclass(frozen=True)
class Chunk:
    """One slice of the stream.

    ``index`` is the document's 0-based position as a YAML loader counts
    documents, or None for a slice that holds no document (comments only).
    ``first_line`` is the 0-based line of the slice in the whole stream.
    """

    text: str
    first_line: int
    index: int | None

    @property
    def is_document(self) -> bool:
        return self.index is not None


def split(text: str) -> list[Chunk]:
    """Split ``text`` into chunks whose concatenation is ``text``."""
    pieces: list[tuple[int, list[str], bool, bool]] = []  # first line, lines, has marker, has content
    lines: list[str] = []
    first = 0
    marker = content = False
    number = 0

    def close() -> None:
        nonlocal lines, marker, content
        if lines:
            pieces.append((first, lines, marker, content))
        lines, marker, content = [], False, False

    for match in _LINE.finditer(text):
        line = match.group()
        if _START.match(line):
            if marker or content:
                close()
                first = number
            marker = True
            lines.append(line)
        elif _END.match(line):
            lines.append(line)
            close()
            first = number + 1
        else:
            if not lines:
                first = number
            lines.append(line)
            if not content and not _TRIVIA.match(line):
                content = True
        number += 1
    close()

    chunks: list[Chunk] = []
    index = 0
    for first_line, chunk_lines, has_marker, has_content in pieces:
        is_doc = has_marker or has_content
        chunks.append(Chunk("".join(chunk_lines), first_line, index if is_doc else None))
        index += is_doc
    return chunks
