"""Harden a byte stream document by document, all or nothing.

``hardener fix`` as a filter (``helm template ... | hardener fix``, or as a
Helm post-renderer) reads its input incrementally, cuts documents as soon as
their end is known, and hardens each one at once: memory grows with the
largest document, not with the stream. The fail-closed contract still holds:
the hardened documents go to a spool (in memory up to ``SPOOL_IN_MEMORY``,
then a temporary file) that reaches stdout only when every input was read
and hardened; an input error (exit 2) or an internal error (exit 123) emits
nothing.

A profile whose transforms need the whole stream first (a stream index: the
RoleBindings that decide whether a pod keeps its service-account token may
come after the pod) reads it twice, and still holds one document at a time:
the first pass cuts documents, indexes the few that carry stream-wide facts
and spools every one as it was cut (memory, then a temporary file); the
second hardens them from the spool.

Decoding follows ``textio.decode`` (BOM, UTF-16/32, NUL bytes, undecodable
bytes, with the same messages and lines), one block at a time.
"""

from __future__ import annotations

import codecs
import struct
import tempfile
from dataclasses import dataclass, field
from typing import IO, Callable, Iterator

from hardener.engine import DocumentHardener, needs_stream_index
from hardener.errors import InputError
from hardener.gate import Tally
from hardener.model import Record, RecordViews
from hardener.profile import Profile
from hardener.stream import Chunk, iter_chunks
from hardener.streamindex import StreamIndex, index_document
from hardener.textio import Encoding, detect_codec

BLOCK = 1 << 16
SPOOL_IN_MEMORY = 8 << 20
"""Output bytes kept in memory before the spool moves to a temporary file."""


@dataclass
class StreamedResult(RecordViews):
    """What hardening one streamed input produced: counts and records, not the texts."""

    records: list[Record] = field(default_factory=list)
    documents: int = 0
    changed_documents: list[int] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    """The gate's counts, which hold even when ``records`` were not kept."""

    @property
    def changed(self) -> bool:
        return bool(self.changed_documents)


class DecodedLines:
    """The lines of a binary stream, decoded block by block exactly as ``textio.decode`` decodes.

    ``encoding`` is known once the first block has been read (iteration
    starts by reading it).
    """

    def __init__(self, handle: IO[bytes], file: str) -> None:
        self.handle = handle
        self.file = file
        self.encoding = Encoding()
        self._read = getattr(handle, "read1", handle.read)
        self._newlines_fed = 0  # b"\n" bytes in everything given to the decoder so far
        self._offset = 0  # body bytes given to the decoder so far
        self._text_newlines = 0  # "\n" characters decoded so far

    def __iter__(self) -> Iterator[str]:
        head = self._read_head()
        codec, bom = detect_codec(head)
        self.encoding = Encoding(codec=codec, bom=bom)
        decoder = codecs.getincrementaldecoder(codec)("strict")
        pending = ""
        block = head[len(bom):]
        while True:
            final = not block
            text = self._decode(decoder, block, codec, len(bom), final)
            if text:
                lines = (pending + text).split("\n")
                pending = lines.pop()
                for line in lines:
                    yield line + "\n"
            if final:
                break
            block = self._read(BLOCK)
        if pending:
            yield pending

    def _read_head(self) -> bytes:
        """At least four bytes (the longest BOM) unless the stream is shorter."""
        head = b""
        while len(head) < 4:
            more = self._read(BLOCK)
            if not more:
                break
            head += more
        return head

    def _decode(self, decoder, block: bytes, codec: str, bom_length: int, final: bool) -> str:
        if codec == "utf-8" and b"\x00" in block:
            line = self._newlines_fed + block[: block.index(b"\x00")].count(b"\n") + 1
            raise InputError("binary data (NUL byte), not a YAML text file", file=self.file, line=line)
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            start = self._offset - len(pending) + exc.start  # exc.object is pending + block
            line = self._newlines_fed - pending.count(b"\n") + exc.object[: exc.start].count(b"\n") + 1
            raise InputError(
                f"cannot decode as {codec.upper()}: byte 0x{exc.object[exc.start]:02x} at offset {start + bom_length}",
                file=self.file,
                line=line,
            ) from None
        self._newlines_fed += block.count(b"\n")
        self._offset += len(block)
        if "\x00" in text:  # UTF-16/32 that decoded, but to NUL characters: binary all the same
            line = self._text_newlines + text[: text.index("\x00")].count("\n") + 1
            raise InputError(f"binary data (NUL character after decoding as {codec.upper()}), not a YAML text file", file=self.file, line=line)
        self._text_newlines += text.count("\n")
        return text


def harden_stream(
    handle: IO[bytes],
    profile: Profile,
    sink: IO[bytes],
    *,
    file: str = "<stdin>",
    keep_records: bool = True,
    on_records: Callable[[list[Record]], None] | None = None,
    evidence: StreamIndex | None = None,
) -> StreamedResult:
    """Harden the YAML stream read from ``handle`` into ``sink``, one document at a time.

    Raises InputError as soon as something cannot be read; what was written
    to ``sink`` by then is partial and must be thrown away (``spooled_run``
    does that). A profile whose transforms need a stream index reads the
    input into a ``ChunkSpool`` first, indexing as it goes. With
    ``on_records``, each document's records (all of them, or with
    ``keep_records=False`` its error findings) are handed over as soon as it
    is done, to a spool on disk, instead of being kept on the result.
    ``evidence``: the index of the file's directory, the file's own documents
    included (``RunEvidence.for_file``); with it there is no first pass.
    """
    lines = DecodedLines(handle, file)
    line_iter = iter(lines)
    first = next(line_iter, "")
    encoding = lines.encoding
    newline = "\r\n" if first.endswith("\r\n") else "\n"

    def all_lines() -> Iterator[str]:
        if first:
            yield first
        yield from line_iter

    chunks: Iterator[Chunk] = iter_chunks(all_lines())
    index = None
    if needs_stream_index(profile) and evidence is not None:
        index = evidence.copy()  # the run read this file's facts before it started
    elif needs_stream_index(profile):
        index, spool = StreamIndex(), ChunkSpool()
        for chunk in chunks:
            index_document(index, chunk, file)
            spool.add(chunk)
        chunks = spool.chunks()
    hardener = DocumentHardener(profile, file, newline, index, keep_records=keep_records)
    sink.write(encoding.bom)
    codec = encoding.codec
    for chunk in chunks:
        sink.write(hardener.harden(chunk).encode(codec))
        if on_records is not None:  # after every document, records or not
            on_records(hardener.records)
            hardener.records = []
    return StreamedResult(hardener.records, hardener.documents, hardener.changed_documents, hardener.tally)


class ChunkSpool:
    """Chunks kept as they were cut, in memory up to ``SPOOL_IN_MEMORY`` and then in a temporary file.

    Read back once, in order, without cutting the text again: each chunk is
    its position (first line, document index) and its UTF-8 text.
    """

    _HEADER = struct.Struct("<QqQ")  # first line, document index (-1: none), text bytes

    def __init__(self) -> None:
        self._file = new_spool()

    def add(self, chunk: Chunk) -> None:
        data = chunk.text.encode("utf-8", "surrogatepass")
        index = -1 if chunk.index is None else chunk.index
        self._file.write(self._HEADER.pack(chunk.first_line, index, len(data)) + data)

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk added, in order; the spool is closed at the end."""
        with self._file as spool:
            spool.seek(0)
            while header := spool.read(self._HEADER.size):
                first_line, index, size = self._HEADER.unpack(header)
                yield Chunk(spool.read(size).decode("utf-8", "surrogatepass"), first_line, None if index < 0 else index)


def new_spool() -> IO[bytes]:
    """Where output waits until the whole run has succeeded: memory first, then a temporary file."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")
