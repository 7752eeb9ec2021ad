"""Cut a YAML stream into documents by text, keeping every byte.

Documents are never re-serialized: each one is a slice of the original text,
and joining the slices gives back the stream exactly. A slice keeps the
comments and directives that precede its ``---`` (Helm's ``# Source:`` line
belongs to the document below it), so a document can be parsed on its own and
its node positions are offsets into its own slice.

YAML forbids ``---`` and ``...`` at the start of a line inside any content,
so cutting at those lines is exact, not a heuristic.

A stream of JSON objects one after the other (JSON lines, or ``kubectl get
-o json`` output concatenated) is one document per object, as kubectl reads
it: a document that starts with ``{`` ends where its outermost ``}`` closes,
when the next line starts another ``{``. Two YAML documents can never follow
each other that way without ``---``, so this cut is exact too.
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

    flow: _FlowScanner | None = None  # the document is a flow mapping (JSON): where does it close?
    for number, line in enumerate(lines):
        if line[:3] == "---" and _START.match(line):
            if marker or content:
                yield close()
                chunk_lines, marker, content = [], False, False
                first = number
            marker, flow = True, None
            chunk_lines.append(line)
        elif line[:3] == "..." and _END.match(line):
            chunk_lines.append(line)
            yield close()
            chunk_lines, marker, content, flow = [], False, False, None
            first = number + 1
        else:
            if flow is not None and line.lstrip(" \t").startswith("{") and flow.closed(chunk_lines):
                yield close()  # the next JSON object: a document of its own
                chunk_lines, marker, content, flow = [], False, False, None
            if not chunk_lines:
                first = number
            chunk_lines.append(line)
            if not content and not _TRIVIA.match(line):
                content = True
                if line.lstrip(" \t\ufeff").startswith("{"):
                    flow = _FlowScanner(len(chunk_lines) - 1)
    if chunk_lines:
        yield close()


_FLOW_EVENTS = re.compile(r"""[{}\[\]"'#\\]""")


class _FlowScanner:
    """Follows the nesting of a flow document through its lines, only as far as asked.

    Brackets inside quoted scalars and comments do not count; a quote opens
    a scalar only where one can start (a plain scalar may hold a quote). Lines
    are scanned once, when a line starting with ``{`` asks whether the
    document before it is complete, so a long JSON document costs nothing
    unless another object follows it.
    """

    def __init__(self, start: int) -> None:
        self.scanned = start
        self.depth = 0
        self.quote: str | None = None
        self.opened = False

    def closed(self, lines: list[str]) -> bool:
        """Has the outermost collection of ``lines`` (from the first content line) closed?"""
        while self.scanned < len(lines):
            self._feed(lines[self.scanned])
            self.scanned += 1
        return self.opened and self.depth == 0 and self.quote is None

    def _feed(self, line: str) -> None:
        skip_to = 0
        for match in _FLOW_EVENTS.finditer(line):
            at = match.start()
            if at < skip_to:
                continue
            char = match.group()
            if self.quote == '"':
                if char == "\\":
                    skip_to = at + 2
                elif char == '"':
                    self.quote = None
            elif self.quote == "'":
                if char == "'":
                    if line[at + 1 : at + 2] == "'":
                        skip_to = at + 2  # '' is a quote inside the scalar
                    else:
                        self.quote = None
            elif char in "\"'":
                if at == 0 or line[at - 1] in " \t{[,:?":
                    self.quote = char
            elif char == "#":
                if at == 0 or line[at - 1] in " \t":
                    return
            elif char in "{[":
                self.depth += 1
                self.opened = True
            elif char in "}]":
                self.depth -= 1
