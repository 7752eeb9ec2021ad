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
from typing import Iterable, Iterator

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
    return list(iter_chunks(lines_of(text)))


def lines_of(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its ``\n`` (only ``\n`` ends a line, as for a YAML reader)."""
    parts = text.split("\n")
    last = parts.pop()
    for part in parts:
        yield part + "\n"
    if last:
        yield last


def iter_chunks(lines: Iterable[str]) -> Iterator[Chunk]:
    """Chunks as soon as their end is known: the streaming form of ``split``.

    A chunk ends where the next ``---`` starts or where a ``...`` closes it,
    so each is yielded after at most one line of look-ahead; memory holds one
    chunk, never the stream.
    """
    chunk_lines: list[str] = []
    first = 0
    marker = content = False
    index = 0

    def close() -> Chunk:
        nonlocal index
        is_doc = marker or content
        chunk = Chunk("".join(chunk_lines), first, index if is_doc else None)
        index += is_doc
        return chunk

    for number, line in enumerate(lines):
        if line[:3] == "---" and _START.match(line):
            if marker or content:
                yield close()
                chunk_lines, marker, content = [], False, False
                first = number
            marker = True
            chunk_lines.append(line)
        elif line[:3] == "..." and _END.match(line):
            chunk_lines.append(line)
            yield close()
            chunk_lines, marker, content = [], False, False
            first = number + 1
        else:
            if not chunk_lines:
                first = number
            chunk_lines.append(line)
            if not content and not _TRIVIA.match(line):
                content = True
    if chunk_lines:
        yield close()
