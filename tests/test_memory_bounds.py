"""Memory bounded by the input, reports included.

Memory itself is measured by ``benchmarks/run.py`` (peak RSS per report
format); these tests hold the structure that keeps it flat: aliases cannot
expand a document past its own size (characters count, not only nodes),
a run's records wait on disk rather than in memory, and every report is
written a record at a time.
"""

from __future__ import annotations

import pytest

from hardener import yamlnodes
from hardener.api import harden_bytes
from hardener.errors import InputError

POD_TAIL = "spec:\n  containers:\n  - name: c\n    image: x\n"


def _aliased_strings(length: int, uses: int) -> bytes:
    """A Pod whose annotations hold one long string and ``uses`` aliases of it, ten to a list."""
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: p", "  annotations:", "    s: &s " + "x" * length]
    lines += [f"    l{i}: [" + ",".join(["*s"] * 10) + "]" for i in range(uses // 10)]
    return ("\n".join(lines) + "\n" + POD_TAIL).encode()


def test_aliases_of_a_long_string_are_refused_before_anything_expands_them():
    """2,000 aliases of 10 KB: 20 MB from 20 KB of text, far under the node bound (a 1 MB file needed ~100 GB)."""
    data = _aliased_strings(10_000, 2_000)
    assert len(data) < 30_000
    with pytest.raises(InputError, match=r"aliases expand to more than 16,777,216 characters \(an alias bomb\?\); refused") as error:
        harden_bytes(data, file="lol.yaml")
    assert error.value.file == "lol.yaml" and error.value.document == 0 and error.value.line is not None


def test_a_document_is_never_refused_for_its_own_length(monkeypatch):
    """Without aliases a document's scalars are no longer than its text: only expansion is bounded."""
    monkeypatch.setattr(yamlnodes, "MAX_EXPANDED_CHARS", 1_000)
    alone = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    s: " + "x" * 5_000 + "\n" + POD_TAIL).encode()
    assert len(harden_bytes(alone).changes) == 6
    with pytest.raises(InputError, match="aliases expand to more than 1,156 characters"):
        harden_bytes(_aliased_strings(1_000, 10))  # 11,000 characters from a 1,156-character document


def test_each_use_of_a_scalar_alias_counts(monkeypatch):
    monkeypatch.setattr(yamlnodes, "MAX_EXPANDED_CHARS", 100)
    with pytest.raises(InputError, match="alias bomb"):
        harden_bytes(_aliased_strings(60, 10))
    assert harden_bytes(_aliased_strings(20, 0)).changed


def test_the_stack_builder_bounds_characters_too(monkeypatch):
    """Deep documents go to the builder without recursion; it must refuse the same expansion."""
    monkeypatch.setattr(yamlnodes._FastBuilder, "MAX_DEPTH", 0)
    with pytest.raises(InputError, match="characters \\(an alias bomb\\?\\)"):
        harden_bytes(_aliased_strings(10_000, 2_000))
