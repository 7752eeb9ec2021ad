"""Unified diffs of hardened files: plain (for ``patch``), or explained (for a reviewer).

The plain diff is the contract for tools: ``patch -p1`` and ``git apply``
take it as it is. Lines end at ``\\n`` only: ``str.splitlines`` would also
split at U+2028, U+0085 or a form feed inside a value, and a diff cut there
does not apply.

The explained diff is the same diff with lines that start with ``#`` between
its lines: after each run of changed lines, the transform that made each
change, why, and for a change that may break the application what to
verify; after a line a finding is about, the finding. No line of a unified
diff starts with ``#`` (context, ``+`` and ``-`` lines start with a space, a
plus or a minus), so ``grep -v '^#'`` gives back the plain diff byte for
byte, and ``patch -p1`` applies that.

Which record made which changed line is read from the two texts, not from
the patcher: a replaced value or a removal is at its record's input lines; an
inserted field is found in the hardened document at the record's path (the
document is composed again, only for an explained diff). A run of changed
lines no record claims (difflib may split one insertion in two around a line
that matches) is explained with the run after it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from hardener.model import CHANGE, FINDING, Record
from hardener.report.records import guidance, may_break, transform_info
from hardener.report.text import Counts, describe

CONTEXT = 3
ANNOTATION = "#"
"""Every explanation line starts with this; no line of a unified diff does."""
MARK = f"{ANNOTATION}  ^ "
"""A record's line: it explains the lines above it."""
DETAIL = f"{ANNOTATION}      "


def split_lines(text: str) -> list[str]:
    """``text`` in lines that each keep their ``\\n``; only ``\\n`` ends a line."""
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def unified_diff(label: str, before: str, after: str) -> str:
    """A unified diff of one file, git-style ``a/`` and ``b/`` labels for relative paths."""
    return "".join(_Diff(label, before, after).lines())


def explained_diff(label: str, before: str, after: str, records: Iterable[Record]) -> str:
    """The unified diff of one file with each change's reason and each finding at its place.

    Without changes (a file with findings only) it is the findings, each with
    its line: every line starts with ``#``.
    """
    diff = _Diff(label, before, after)
    records = list(records)
    notes = _Notes(diff, records)
    counts = Counts()
    for record in records:
        counts.add(record)
    out = [f"{ANNOTATION} {label}: {counts.phrase(compact=True)}\n"]
    for line, where in diff.lines_with_positions():
        out.append(line)
        out += notes.after(where)
    out += notes.remaining()
    return "".join(out)


@dataclass
class _Diff:
    """One file's diff: difflib's grouping, written out line by line with where each line came from."""

    label: str
    before: str
    after: str
    old: list[str] = field(init=False)
    new: list[str] = field(init=False)
    groups: list[list[tuple[str, int, int, int, int]]] = field(init=False)

    def __post_init__(self) -> None:
        self.old, self.new = split_lines(self.before), split_lines(self.after)
        matcher = difflib.SequenceMatcher(None, self.old, self.new)
        self.opcodes = list(matcher.get_opcodes())  # get_grouped_opcodes trims the list it shares
        self.groups = list(matcher.get_grouped_opcodes(CONTEXT)) if self.old != self.new else []

    def lines(self) -> Iterator[str]:
        for line, _ in self.lines_with_positions():
            yield line

    def lines_with_positions(self) -> Iterator[tuple[str, tuple]]:
        """Each diff line, with what it is: ("header",), ("context", old), ("old", i) or ("new", j), 0-based."""
        if not self.groups:
            return
        relative = not self.label.startswith(("/", "<"))
        yield (f"--- {'a/' if relative else ''}{self.label}\n", ("header",))
        yield (f"+++ {'b/' if relative else ''}{self.label}\n", ("header",))
        for group in self.groups:
            first, last = group[0], group[-1]
            yield (f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n", ("hunk",))
            for tag, i1, i2, j1, j2 in group:
                if tag == "equal":
                    for i in range(i1, i2):
                        yield from _line(" ", self.old[i], ("context", i))
                    continue
                for i in range(i1, i2):
                    yield from _line("-", self.old[i], ("old", i))
                for j in range(j1, j2):
                    yield from _line("+", self.new[j], ("new", j))


def _line(sign: str, text: str, where: tuple) -> Iterator[tuple[str, tuple]]:
    """One diff line; a last line without ``\n`` carries difflib's marker with it."""
    yield (sign + text if text.endswith("\n") else f"{sign}{text}\n\\ No newline at end of file\n"), where


def _range(start: int, stop: int) -> str:
    """A hunk header's range as difflib writes it (``start,length``, 1-based)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1  # an empty range starts on the line before it
    return f"{beginning},{length}"


class _Notes:
    """Which explanation goes after which line of the diff."""

    def __init__(self, diff: _Diff, records: list[Record]) -> None:
        self.diff = diff
        self.blocks = [(i1, i2, j1, j2) for group in diff.groups for tag, i1, i2, j1, j2 in group if tag != "equal"]
        self.changes_after: dict[int, list[Record]] = {}  # block index -> changes explained after it
        self.findings_after: dict[int, list[Record]] = {}  # old line (0-based) -> findings about it
        self.placed_findings: set[int] = set()
        self.findings = [r for r in records if r.type == FINDING]
        self._attribute([r for r in records if r.type == CHANGE])
        shown = {i for group in diff.groups for _, i1, i2, _, _ in group for i in range(i1, i2)}
        for finding in self.findings:
            if finding.line is not None and finding.line - 1 in shown:
                self.findings_after.setdefault(finding.line - 1, []).append(finding)
                self.placed_findings.add(id(finding))
        self._last_line_of_block = {}
        for index, (i1, i2, j1, j2) in enumerate(self.blocks):
            self._last_line_of_block[("new", j2 - 1) if j2 > j1 else ("old", i2 - 1)] = index

    def after(self, where: tuple) -> list[str]:
        """The explanation lines that follow the diff line at ``where``."""
        out: list[str] = []
        if where[0] == "context":
            out += _explain(self.findings_after.pop(where[1], []))
        index = self._last_line_of_block.get(where)
        if index is not None:
            out += _explain(self.changes_after.get(index, []))
            i1, i2, _, _ = self.blocks[index]
            for old in range(i1, i2):  # findings about lines this change rewrote
                out += _explain(self.findings_after.pop(old, []))
        return out

    def remaining(self) -> list[str]:
        """Findings about lines no hunk shows, each with its line, in line order."""
        out = []
        from hardener.report.text import sorted_by_line

        for finding in sorted_by_line(self.findings):
            if id(finding) not in self.placed_findings:
                out += _explain([finding], at=True)
        return out

    def _attribute(self, changes: list[Record]) -> None:
        """Give every change the block of changed lines it made; blocks no change claims join the next one."""
        if not self.blocks:
            return
        claimed: dict[int, list[Record]] = {}
        outputs = _OutputDocuments(self.diff)
        for record in changes:
            index = self._block_of_old_lines(record)
            if index is None:
                index = self._block_of_new_lines(outputs.lines_of(record))
            if index is None:
                index = self._nearest_block(record.line)
            claimed.setdefault(index, []).append(record)
        pending: list[int] = []
        for index in range(len(self.blocks)):
            if index not in claimed:
                pending.append(index)
                continue
            self.changes_after[index] = claimed[index]
            pending.clear()
        if pending:  # trailing blocks nobody claimed: explain them with the last block that has records
            last = max(self.changes_after)
            self.changes_after[pending[-1]] = self.changes_after.pop(last)

    def _block_of_old_lines(self, record: Record) -> int | None:
        if record.line is None:
            return None
        first, last = record.line - 1, (record.end_line or record.line) - 1
        for index, (i1, i2, _, _) in enumerate(self.blocks):
            if i1 <= last and first < i2:
                return index
        return None

    def _block_of_new_lines(self, lines: range | None) -> int | None:
        if not lines:
            return None
        for index, (_, _, j1, j2) in enumerate(self.blocks):
            if j1 <= lines.stop - 1 and lines.start < j2:
                return index
        return None

    def _nearest_block(self, line: int | None) -> int:
        target = (line or 1) - 1
        return min(range(len(self.blocks)), key=lambda index: abs(self.blocks[index][0] - target))


class _OutputDocuments:
    """The hardened text's documents, composed on demand, to find the lines a record's field landed on."""

    def __init__(self, diff: _Diff) -> None:
        from hardener.stream import split

        self.diff = diff
        self.chunks = split(diff.after)
        self.roots: dict[int, object] = {}
        self.new_of_old = _line_map(diff.opcodes)

    def lines_of(self, record: Record) -> range | None:
        """0-based lines of the hardened text that hold the record's field (or the document it added)."""
        if record.line is None:
            return None
        anchor = self.new_of_old.get(record.line - 1)
        if anchor is None:
            return None
        position = next((p for p, c in enumerate(self.chunks) if c.first_line <= anchor < c.first_line + _count(c.text)), None)
        if position is None:
            return None
        if not record.path and isinstance(record.after, dict):  # a document added after this one
            return self._added_document(position, record.after)
        from hardener.positions import position as locate

        chunk = self.chunks[position]
        where = locate(self._root(position), record.path, chunk.text, chunk.first_line)
        if where is None or not where.written:
            return None
        return range(where.line - 1, where.end_line or where.line)

    def _added_document(self, position: int, data: dict) -> range | None:
        from hardener.yamlnodes import to_data

        for later in range(position + 1, len(self.chunks)):
            chunk = self.chunks[later]
            root = self._root(later)
            if root is not None and to_data(root, text=chunk.text).data == data:
                return range(chunk.first_line, chunk.first_line + _count(chunk.text))
        return None

    def _root(self, position: int):
        if position not in self.roots:
            from hardener.errors import InputError
            from hardener.yamlnodes import compose

            chunk = self.chunks[position]
            try:
                self.roots[position] = compose(chunk.text, first_line=chunk.first_line) if chunk.is_document else None
            except InputError:  # cannot happen for verified output; explain by position instead
                self.roots[position] = None
        return self.roots[position]


def _line_map(opcodes) -> dict[int, int]:
    """Old line -> new line for unchanged lines, and for a changed one the first line that replaced it."""
    mapping = {}
    for tag, i1, i2, j1, _ in opcodes:
        for i in range(i1, i2):
            mapping[i] = j1 + (i - i1) if tag == "equal" else j1
    return mapping


def _count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _explain(records: list[Record], at: bool = False) -> list[str]:
    """One header per record; why once per transform, and what may break once per distinct guidance."""
    out: list[str] = []
    explained: set[str] = set()
    warned: set[str] = set()
    for record in records:
        where = f"line {record.line}: " if at and record.line else ""
        out.append(f"{MARK}{where}{describe(record)}\n")
        info = transform_info(record.transform)
        if info.id not in explained:
            explained.add(info.id)
            out.append(f"{DETAIL}why: {info.rationale}\n")
        if may_break(record) and guidance(record) not in warned:  # a record's own guidance is said too
            warned.add(guidance(record))
            out.append(f"{DETAIL}may break: {guidance(record)}\n")
    return out

