"""Memory bounded by the input, reports included.

Memory itself is measured by ``benchmarks/run.py`` (peak RSS per report
format); these tests hold the structure that keeps it flat: aliases cannot
expand a document past its own size (characters count, not only nodes),
a run's records wait on disk rather than in memory, and every report is
written a record at a time.
"""

from __future__ import annotations

import io
import json

import pytest

from hardener import yamlnodes
from hardener.api import harden_bytes
from hardener.errors import InputError
from hardener.model import CHANGE, Record
from hardener.profile import load_profile
from hardener.recordspool import RecordSpool
from hardener.report import FORMATS, render, render_text
from hardener.runner import Input, Outcome, RunSummary, harden_inputs, stream_inputs

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
    assert harden_bytes(alone).changed
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


PODS = "".join(
    f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}\nspec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n    image: y\n"
    for i in range(30)
).encode()


def test_a_streamed_runs_records_wait_on_disk_and_come_back_in_order(tmp_path):
    source = tmp_path / "pods.yaml"
    source.write_bytes(PODS)
    summary = RunSummary(spool=RecordSpool())
    stream_inputs([Input(str(source))], load_profile("restricted"), io.BytesIO(), keep_records=True, summary=summary)
    (outcome,) = summary.outcomes
    assert outcome.result.records == []  # nothing held in memory
    expected = harden_bytes(PODS, file=str(source)).records
    assert outcome.change_count == sum(r.type == CHANGE for r in expected) > 0
    for _ in range(2):  # every pass reads them all again
        assert [(r.line, r.message) for r in summary.iter_records()] == [(r.line, r.message) for r in expected]


def test_a_bulk_runs_records_wait_on_disk(tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"p{i}.yaml")
        paths[-1].write_bytes(PODS)
    summary = harden_inputs([str(p) for p in paths], load_profile("restricted"), summary=RunSummary(spool=RecordSpool()))
    expected = harden_bytes(PODS).records
    assert all(o.result.records == [] and o.change_count == len([r for r in expected if r.type == CHANGE]) for o in summary.outcomes)
    assert [r.file for r in summary.iter_records()].count(str(paths[1])) == len(expected)


def test_the_spool_reads_at_each_iterators_own_offset():
    spool = RecordSpool()
    records = [Record(CHANGE, "t", f"m{i}") for i in range(1000)]
    spool.extend(records[:600])
    outer = iter(spool)
    first = [next(outer).message for _ in range(300)]
    inner = [r.message for r in spool]  # a second pass in the middle of the first
    spool.extend(records[600:])
    assert first + [r.message for r in outer] == [f"m{i}" for i in range(600)]
    assert inner == [f"m{i}" for i in range(600)] and len(list(spool)) == 1000


class _Watched:
    """A run whose records are handed out one at a time, counting how often the report grew in between."""

    def __init__(self, records: list[Record], out: io.StringIO) -> None:
        self.outcome = Outcome("pods.yaml")
        self.outcome.result = type("R", (), {"records": records, "changed": True, "documents": 30, "changed_documents": [0]})()
        self.outcomes, self.records, self.out = [self.outcome], records, out
        self.results, self.changed, self.errors, self.skipped = [self.outcome], [self.outcome], [], []
        self.grew = 0  # records after which the report was longer than before them

    def iter_records(self):
        for record in self.records:
            before = len(self.out.getvalue())
            yield record
            self.grew += len(self.out.getvalue()) > before


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_every_report_is_written_as_its_records_are_read(fmt):
    """A report built whole and written at the end would never grow while the records are read.

    JSON and SARIF write each record as it comes; the text report sorts each
    document's records by line, so it writes a document at a time (30 here).
    """
    records = harden_bytes(PODS, file="pods.yaml").records
    out = io.StringIO()
    run = _Watched(records, out)
    render(fmt, run, out)
    documents = len({r.document for r in records})
    assert run.grew >= (documents - 1 if fmt == "text" else sum(r.type == CHANGE for r in records)) >= 29


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_streamed_json_is_laid_out_as_json_dumps_lays_it_out(fmt, tmp_path):
    source = tmp_path / "pods.yaml"
    source.write_bytes(PODS)
    text = render_text(fmt, harden_inputs([str(source)], load_profile("restricted")))
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_every_format_renders_a_spooled_run(tmp_path):
    source = tmp_path / "pods.yaml"
    source.write_bytes(PODS)
    in_memory = harden_inputs([str(source)], load_profile("restricted"))
    spooled = harden_inputs([str(source)], load_profile("restricted"), summary=RunSummary(spool=RecordSpool()))
    for fmt in FORMATS:
        assert render_text(fmt, spooled) == render_text(fmt, in_memory)
