"""Records on disk while a run goes on, read back when the report is written.

A record is small, but there are many: a stream of bare Pods makes a dozen
per container, about seventy times the input's size in Python objects. Held
in memory until the report, they made ``check --report json`` grow with the
input instead of staying flat. The spool keeps only a batch in memory and
pickles the rest to an anonymous temporary file (already unlinked: a killed
run leaves nothing behind), which any number of passes read back in order.
"""

from __future__ import annotations

import pickle
import tempfile
from typing import Iterable, Iterator

from hardener.model import Record

BATCH = 256
"""Records pickled together: fewer, larger pickles read back faster."""


class RecordSpool:
    """An append-only sequence of records on disk, iterated from the start as often as needed."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="hardener-records-")
        self._pending: list[Record] = []
        self._end = 0  # bytes pickled so far
        self.count = 0

    def extend(self, records: Iterable[Record]) -> None:
        for record in records:
            record.edit = None  # only the engine needs it, and it can hold a whole added document
            self._pending.append(record)
            self.count += 1
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._file.seek(self._end)
            pickle.dump(self._pending, self._file, pickle.HIGHEST_PROTOCOL)
            self._end = self._file.tell()
            self._pending = []

    def __iter__(self) -> Iterator[Record]:
        """Every record so far, in the order given; each iterator reads at its own offset."""
        self._flush()
        self._file.flush()
        end, offset = self._end, 0
        while offset < end:
            self._file.seek(offset)
            batch = pickle.load(self._file)
            offset = self._file.tell()
            yield from batch

    def close(self) -> None:
        self._file.close()
