"""JSON written a piece at a time, laid out exactly as ``json.dumps(indent=2)`` lays out the whole.

A report of a large run holds hundreds of thousands of records; ``json.dumps``
of the whole report builds every record's dict, then a list of millions of
string pieces, then the string (then its encoding): over a thousand times
the input in memory. Here each value is dumped on its own and indented to
its depth (a JSON string never holds a raw newline, so re-indenting after
each newline is exact), and arrays are written item by item.
"""

from __future__ import annotations

import json
from typing import IO, Any, Iterable


def dumps(value: Any, level: int) -> str:
    """``value`` as ``json.dumps(indent=2)`` writes it when nested ``level`` deep."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


def write_array(out: IO[str], items: Iterable[Any], level: int) -> None:
    """An array nested ``level`` deep, written one item at a time."""
    _write_container(out, ((None, item) for item in items), level, "[", "]")


def write_object(out: IO[str], members: Iterable[tuple[str, Any]], level: int) -> None:
    """An object nested ``level`` deep; a ``Streamed`` member value (or array item) writes itself."""
    _write_container(out, members, level, "{", "}")


def _write_container(out: IO[str], entries: Iterable[tuple[str | None, Any]], level: int, opening: str, closing: str) -> None:
    pad = "\n" + "  " * (level + 1)
    empty = True
    for key, value in entries:
        out.write((opening if empty else ",") + pad + ("" if key is None else json.dumps(key, ensure_ascii=False) + ": "))
        if isinstance(value, Streamed):
            value.write(out, level + 1)
        else:
            out.write(dumps(value, level + 1))
        empty = False
    out.write(opening + closing if empty else "\n" + "  " * level + closing)


class Streamed:
    """A member written by ``write(out, level)`` when its turn comes (an array of records, a nested object)."""

    def __init__(self, write) -> None:
        self.write = write


def array(items: Iterable[Any]) -> Streamed:
    return Streamed(lambda out, level: write_array(out, items, level))


def obj(members: Iterable[tuple[str, Any]]) -> Streamed:
    return Streamed(lambda out, level: write_object(out, members, level))
