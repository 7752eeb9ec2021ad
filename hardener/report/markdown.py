"""Markdown report: a pull-request body a reviewer reads to the end.

It leads with what a reviewer must act on: the summary, then *What to verify
before merging* (every change that may break an application, grouped by
transform, with the workloads it touched and what hardener knows about them)
and what hardener could not fix.
Then the details, one collapsed section per file, riskiest first (files with
changes that may break and with errors), one table row per workload and
transform listing its containers, field paths relative to the pod spec. Last,
why each transform acts, with its references.

The body fits GitHub's limit and stays short enough to read: file sections
are added whole (a table is never cut) until the details budget is spent;
the files left out are named and the full report (every file) is pointed to.

Everything that comes from the user's manifests (names, values, messages)
is escaped, so a resource name cannot inject Markdown or HTML into the body.
Records are read file by file, twice (once to count, once to write the
details); only counts and a bounded number of examples are held.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator

from hardener.model import CHANGE, FINDING, SKIP, Record, plural
from hardener.report.records import (
    ENGINE_ID,
    ERROR,
    WARNING,
    is_unsafe_fix,
    iter_records,
    may_break,
    severity,
    summary_dict,
    transform_info,
    workload_label,
)
from hardener.workloads import CONTAINER_LISTS

BODY_LIMIT = 65_536
"""GitHub refuses a pull-request body longer than this many characters."""
DETAILS_LIMIT = 20_000
"""Characters of per-file details in a body: a few screens; the full report holds the rest."""
PLACES = 6
"""Files named under each item of *What to verify* and examples under each error, in a body."""

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


def text(value: object) -> str:
    """User text, inert in Markdown and HTML, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def code(value: object) -> str:
    """User text as an inline code span that no backtick inside can close."""
    value = " ".join(str(value).split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def value_cell(value: object) -> str:
    """A before/after value: YAML-ish scalars, ``—`` when the field was absent."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return code("true" if value else "false")
    if isinstance(value, (list, dict)):
        return code(json.dumps(value, ensure_ascii=False, default=str))
    return code(value)


def render(summary, out: IO[str], full_report: str | None = None, full: bool = False) -> bool:
    """Write the pull-request body to ``out``; True when it left files out (``full_report`` has them).

    ``full`` writes the full report instead: every file's details, as read, no budget.
    """
    counts = summary_dict(summary)
    run = _Run.read(summary, measure=not full)
    head = ["## hardener: Kubernetes workloads hardened", "", _lead(counts)]
    head += _checklist(run)
    head += _not_fixed(run)
    if counts["errors"]:
        head += ["", "### Inputs that could not be read", ""]
        head += [f"- {code(error['file'])}: {text(error['message'])}" for error in counts["errors"]]
    tail = _untouched(summary) + _why(counts["by_transform"])
    out.write("\n".join(head) + "\n")
    if full:
        left = _write_all_details(summary, run, out)
    else:
        room = BODY_LIMIT - _size(head) - _size(tail) - 1_000  # what is left of GitHub's limit, with a margin
        left = _write_details(summary, run, min(DETAILS_LIMIT, room), room, full_report, out)
    out.write("\n".join(tail) + "\n")
    return left


def left_out(body: str) -> bool:
    """The body had to leave some files' details out (the full report has them)."""
    return _LEFT_OUT in body


_LEFT_OUT = "are not detailed here"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


# What the run did, gathered in one pass ---------------------------------------


@dataclass
class _FileStats:
    label: str
    order: int
    fixes: int = 0
    breaking: int = 0
    errors: int = 0
    warnings: int = 0
    skips: int = 0
    size: int = 0
    """Characters of the file's section in the body."""

    def risk(self) -> tuple:
        """Riskiest first: changes that may break and errors, then either, then the rest; then by name."""
        return (-(self.breaking > 0 and self.errors > 0), -(self.breaking > 0 or self.errors > 0), -self.errors,
                -self.breaking, -self.fixes, self.label)  # fmt: skip

    def phrase(self) -> str:
        parts = [plural(self.fixes, "fix", "fixes") + (f" ({self.breaking} may break)" if self.breaking else "")]
        parts += [plural(self.errors, "error")] if self.errors else []
        parts += [plural(self.warnings, "warning")] if self.warnings else []
        parts += [plural(self.skips, "skip")] if self.skips else []
        return ", ".join(parts)


@dataclass
class _Places:
    """Where one transform's may-break fixes are: the first files with their workloads, and how many in all.

    A file's records come together, so only the current file's workloads are held to count them.
    A record's own guidance (what hardener knows about this image, this command) is what the
    reviewer must check: each distinct text is kept once (up to ``limit``) with the first places
    it applies to.
    """

    limit: int | None
    files: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    """A record's own guidance -> the first places (``file``: workload) it was given for."""
    note_counts: dict[str, int] = field(default_factory=dict)
    """A record's own guidance -> how many places it was given for."""
    file_count: int = 0
    workload_count: int = 0
    unsafe: int = 0
    _current: str | None = None
    _current_workloads: set[tuple] = field(default_factory=set)
    _current_notes: set[tuple] = field(default_factory=set)

    def add(self, file: str, record: Record) -> None:
        if file != self._current:
            self._current, self._current_workloads, self._current_notes = file, set(), set()
            self.file_count += 1
        key = (record.document, record.kind, record.namespace, record.name)
        if key not in self._current_workloads:
            self._current_workloads.add(key)
            self.workload_count += 1
            if file in self.files:
                self.files[file].append(_workload(record))
            elif self.limit is None or len(self.files) < self.limit:
                self.files[file] = [_workload(record)]
        own = record.guidance if record.guidance and record.guidance != transform_info(record.transform).guidance else None
        if own and (own in self.notes or self.limit is None or len(self.notes) < self.limit):
            places = self.notes.setdefault(own, [])
            if (own, key) not in self._current_notes:
                self._current_notes.add((own, key))
                self.note_counts[own] = self.note_counts.get(own, 0) + 1
                if self.limit is None or len(places) < self.limit:
                    places.append(f"{code(file)}: {_workload(record)}")


@dataclass
class _Run:
    files: dict[str, _FileStats] = field(default_factory=dict)
    breaking: dict[str, _Places] = field(default_factory=dict)  # transform -> where its may-break fixes are
    errors: dict[str, list[Record]] = field(default_factory=dict)  # transform -> first error findings
    error_counts: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, list[Record]] = field(default_factory=dict)
    warning_counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, summary, measure: bool) -> "_Run":
        """One pass over the records: counts, bounded examples, and (``measure``) each file's section size."""
        run = cls()
        skipped = {o.label for o in getattr(summary, "skipped", [])}
        for order, (file, records) in enumerate(_by_file(iter_records(summary))):
            if file in skipped:
                continue
            stats = _FileStats(file, order)
            for record in records:
                run._count(stats, record)
            if stats.fixes or stats.errors or stats.warnings or stats.skips:
                stats.size = _size(_file_section(stats, records)) if measure else 0
                run.files[file] = stats
        return run

    def _count(self, stats: _FileStats, record: Record) -> None:
        transform = transform_info(record.transform).id
        if record.type == CHANGE:
            stats.fixes += 1
            if may_break(record):
                stats.breaking += 1
                places = self.breaking.setdefault(transform, _Places(PLACES))
                places.add(stats.label, record)
                places.unsafe += is_unsafe_fix(record)
        elif record.type == FINDING:
            is_error = severity(record) == ERROR
            stats.errors += is_error
            stats.warnings += not is_error
            kept, counted = (self.errors, self.error_counts) if is_error else (self.warnings, self.warning_counts)
            counted[transform] = counted.get(transform, 0) + 1
            examples = kept.setdefault(transform, [])
            if len(examples) < PLACES:
                examples.append(record)
        elif record.type == SKIP:
            stats.skips += 1


def _by_file(records: Iterable[Record]) -> Iterator[tuple[str, list[Record]]]:
    """A run's records file by file (a file's records come together): one file's records held at a time."""
    file, batch = None, []
    for record in records:
        if batch and record.file != file:
            yield file, batch
            batch = []
        file = record.file
        batch.append(record)
    if batch:
        yield file, batch


def _workload(record: Record) -> str:
    kind, _, name = workload_label(record).partition(" ")
    return f"{text(kind)} {code(name)}"


# The head: summary, what to verify, what is not fixed ---------------------------


def _lead(counts: dict) -> str:
    files = len(counts["files_changed"])
    lead = (
        f"hardener made **{plural(counts['changes'], 'fix', 'fixes')}** to **{plural(counts['workloads_changed'], 'workload')}** "
        f"in **{plural(files, 'file')}** ({plural(counts['inputs'], 'file')} read)."
    )
    if counts["may_break"]:
        lead += f" **{counts['may_break']} may break** an application: see *What to verify before merging*."
    errors, warnings = counts["by_severity"][ERROR], counts["by_severity"][WARNING]
    if errors:
        lead += f" **{plural(errors, 'error')}** need a human: hardener could not fix {'it' if errors == 1 else 'them'}."
    extra = [plural(warnings, "warning")] if warnings else []
    extra += [plural(counts["skipped"], "skip")] if counts["skipped"] else []
    if extra:
        lead += f" Also {' and '.join(extra)}."
    return lead


def _checklist(run: _Run) -> list[str]:
    """One task per may-break transform (in run order), with the workloads it touched, file by file."""
    if not run.breaking:
        return []
    out = ["", "### What to verify before merging", ""]
    for transform_id in _in_run_order(run.breaking):
        places = run.breaking[transform_id]
        info = transform_info(transform_id)
        where = f"{plural(places.workload_count, 'workload')} in {plural(places.file_count, 'file')}"
        unsafe = f", {plural(places.unsafe, 'explicit value')} overridden" if places.unsafe else ""
        out.append(f"- [ ] **{text(info.title)}** (`{info.id}`, {where}{unsafe}): {text(_guidance_of(transform_id))}")
        out += [f"  - {code(file)}: {', '.join(workloads)}" for file, workloads in places.files.items()]
        if places.file_count > len(places.files):
            more = places.file_count - len(places.files)
            out.append(f"  - and {plural(more, 'more file')} (see *Changes by file*)")
        for note, where in places.notes.items():  # said for every workload above: no need to list them again
            every = places.note_counts[note] == places.workload_count
            out.append(f"  - Also: {text(note)}" + ("" if every else f" ({'; '.join(where)})"))
    return out


def _guidance_of(transform_id: str) -> str:
    return transform_info(transform_id).guidance or transform_info(transform_id).rationale


def _not_fixed(run: _Run) -> list[str]:
    """Errors (the profile is not met) by transform, with where they are; warnings folded away."""
    out: list[str] = []
    if run.errors:
        out += ["", "### Not fixed: errors that need a human", ""]
        for transform_id in _in_run_order(run.errors):
            out += _finding_item(transform_id, run.errors[transform_id], run.error_counts[transform_id], "error")
    if run.warnings:
        total = sum(run.warning_counts.values())
        out += ["", f"<details><summary>{plural(total, 'warning')} (advice: nothing is left unmet)</summary>", ""]
        for transform_id in _in_run_order(run.warnings):
            out += _finding_item(transform_id, run.warnings[transform_id], run.warning_counts[transform_id], "warning")
        out += ["", "</details>"]
    return out


def _finding_item(transform_id: str, examples: list[Record], count: int, word: str) -> list[str]:
    """One transform's findings: how many, the first one's message, and where (file by file)."""
    out = [f"- **`{transform_id}`** ({plural(count, word)}), for example: {text(examples[0].message)}"]
    by_file: dict[str, list[str]] = {}
    for record in sorted(examples, key=lambda r: (r.line or 0)):  # files keep their order (dicts do)
        by_file.setdefault(record.file, []).append(f"line {record.line} ({_workload(record)})")
    by_file = {file: by_file[file] for file in dict.fromkeys(r.file for r in examples)}
    out += [f"  - {code(file)}: {', '.join(places)}" for file, places in by_file.items()]
    if count > len(examples):
        out.append(f"  - and {count - len(examples)} more (see *Changes by file*)")
    return out


# Details: one collapsed section per file ---------------------------------------------


_DETAILS_HEAD = ["", "### Changes by file", ""]


def _write_details(summary, run: _Run, budget: int, room: int, full_report: str | None, out: IO[str]) -> bool:
    """Each file's section, riskiest first, while the budget lasts; then the files left out, by name.

    A section goes in whole or not at all (a table is never cut); one that
    does not fit is left out and the next, smaller one may still go in. The
    chosen sections (within the budget) are written in a second pass over
    the records. True: some files were left out.
    """
    if not run.files:
        return False
    chosen, left, used = [], [], 0
    for stats in sorted(run.files.values(), key=_FileStats.risk):
        if used + stats.size > budget:
            left.append(stats)
            continue
        used += stats.size
        chosen.append(stats.label)
    sections = {file: _file_section(run.files[file], records) for file, records in _by_file(iter_records(summary)) if file in chosen}
    lines = _DETAILS_HEAD + ["Riskiest first: files with changes that may break an application and with errors."]
    lines += [line for file in chosen for line in sections[file]]
    if left:
        where = f"the full report, {code(full_report)}," if full_report else "`--report json` (every change, finding and skip)"
        lines += ["", f"**{plural(len(left), 'more file')} {_LEFT_OUT}** (to keep this body readable); {where} has them all."]
        names = ", ".join(f"{code(stats.label)} ({stats.phrase()})" for stats in left)
        if len(names) + 100 <= room - used:
            lines += ["", "<details><summary>Files not detailed here</summary>", "", names, "", "</details>"]
    out.write("\n".join(lines) + "\n")
    return bool(left)


def _write_all_details(summary, run: _Run, out: IO[str]) -> bool:
    """The full report's details: every file's section, in the order the files were read."""
    if run.files:
        out.write("\n".join(_DETAILS_HEAD + ["Every file, in the order read."]) + "\n")
        for file, records in _by_file(iter_records(summary)):
            if file in run.files:
                out.write("\n".join(_file_section(run.files[file], records)) + "\n")
    return False


def _file_section(stats: _FileStats, records: list[Record]) -> list[str]:
    summary = f"<code>{html.escape(stats.label)}</code>: {stats.phrase()}"
    out = ["", f"<details><summary>{summary}</summary>", ""]
    rows = _rows(records)
    if rows:
        out += ["| line | workload | transform | containers | fields (in the pod spec) |", "| ---: | --- | --- | --- | --- |"]
        out += rows
    notes = _file_notes(records)
    if notes:
        out += ([""] if rows else []) + notes
    out += ["", "</details>"]
    return out


def _rows(records: list[Record]) -> list[str]:
    """One row per workload and transform: its containers and the fields it set, before → after."""
    groups: dict[tuple, list[Record]] = {}
    for record in records:
        if record.type == CHANGE:
            key = (record.document, record.kind, record.namespace, record.name, record.transform)
            groups.setdefault(key, []).append(record)
    rows = []
    for group in sorted(groups.values(), key=lambda g: (g[0].document or 0, min(r.line or 0 for r in g))):
        first = group[0]
        containers = [code(c) for c in dict.fromkeys(r.container for r in group if r.container)]
        where = ", ".join(containers + (["(pod)"] if any(r.container is None for r in group) else []))
        variants: dict[tuple, list[str]] = {}
        for record in group:
            key = (short_path(record), value_cell(record.before), value_cell(record.after))
            variants.setdefault(key, []).append(record.container or "pod")
        cells = []
        for (path, before, after), owners in variants.items():
            cell = f"{code(path) if path else '—'} {before} → {after}"
            if len(variants) > 1:
                cell += f" ({', '.join(text(o) for o in dict.fromkeys(owners))})"
            cells.append(cell)
        mark = "⚠️ " if any(may_break(r) for r in group) else ""
        unsafe = " (unsafe fix)" if any(is_unsafe_fix(r) for r in group) else ""
        start, end = min(r.line or 0 for r in group), max(r.end_line or r.line or 0 for r in group)
        line = f"{start}–{end}" if end > start and len(group) == 1 else f"{start}"
        rows.append(
            f"| {line} | {_workload(first)} | {mark}`{transform_info(first.transform).id}`{unsafe} | {where} | {'<br>'.join(cells)} |"
        )
    return rows


def _file_notes(records: list[Record]) -> list[str]:
    """Findings (errors first) and skips, each message once with the places it applies to."""
    groups: dict[tuple, list[str]] = {}
    for record in records:
        if record.type == FINDING:
            key = (severity(record) != ERROR, f"**{severity(record)}** `{transform_info(record.transform).id}`", record.message)
            groups.setdefault(key, []).append(f"line {record.line} ({_workload(record)})")
    out = [f"- {label}: {text(message)}: {', '.join(places)}" for (_, label, message), places in sorted(groups.items(), key=lambda g: g[0][0])]
    skips: dict[str, list[str]] = {}
    for record in records:
        if record.type == SKIP:
            transform = transform_info(record.transform).id
            where = _workload(record) if record.kind or record.name else "the file"
            skips.setdefault(record.message, []).append(where if transform == ENGINE_ID else f"`{transform}` in {where}")
    out += [f"- skipped: {text(message)}: {', '.join(dict.fromkeys(places))}" for message, places in skips.items()]
    return out


def short_path(record: Record) -> str:
    """The field's path relative to its container or pod spec: ``securityContext.runAsNonRoot``."""
    path = record.path
    for index in range(len(path) - 2, -1, -1):
        if path[index] in CONTAINER_LISTS and isinstance(path[index + 1], int):
            return _dotted(path[index + 2 :])
    if "template" in path:
        path = path[len(path) - path[::-1].index("template") :]
    if path[:1] == ("spec",):
        path = path[1:]
    return _dotted(path)


def _dotted(path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else ("." if out else "") + str(step)
    return out


# The tail: files left untouched, why each transform acts ------------------------------


def _untouched(summary) -> list[str]:
    """Whole files a bulk run skipped, grouped by reason (a repository has many)."""
    reasons: dict[str, list[str]] = {}
    for outcome in getattr(summary, "skipped", []):
        reasons.setdefault(outcome.skip.reason, []).append(outcome.label)
    if not reasons:
        return []
    total = sum(len(files) for files in reasons.values())
    out = ["", f"<details><summary>{plural(total, 'file')} left untouched</summary>", ""]
    for reason, files in reasons.items():
        out.append(f"- {text(reason)}: {', '.join(code(f) for f in files)}")
    return out + ["", "</details>"]


def _why(by_transform: dict) -> list[str]:
    """Why each transform acted, and the standards that ask for it: one row per transform."""
    if not by_transform:
        return []
    out = ["", "### Why these changes", "", "| transform | fixes | findings | why | references |", "| --- | ---: | --- | --- | --- |"]
    for transform_id in _in_run_order(by_transform):
        count = by_transform[transform_id]
        info = transform_info("" if transform_id == ENGINE_ID else transform_id)
        mark = "⚠️ " if info.safety == "may-break" else ""
        findings = str(count["findings"]) if count["findings"] else ""
        references = ", ".join(f"[{text(_short(ref))}]({ref.url})" for ref in info.references)
        out.append(f"| {mark}`{info.id}` | {count['changes']} | {findings} | {text(info.rationale)} | {references} |")
    return out + ["", "⚠️: may break an application; `hardener explain <transform>` tells more."]


def _short(reference) -> str:
    """``PSS baseline``, ``CIS v1.10.0 5.2.7``, ``Azure Policy``, ``NSA/CISA``: a reference in a table cell."""
    if reference.standard.startswith("CIS"):
        return f"CIS {reference.standard.rsplit(' ', 1)[-1]} {reference.id}"
    if reference.standard == "Pod Security Standards":
        return f"PSS {reference.id.split('/')[0]}"
    return reference.standard.split(" ")[0]


def _in_run_order(transform_ids) -> list[str]:
    """Transform ids as the profile runs them; the engine's own records ("" or ``hardener``) last."""
    from hardener.registry import default_registry

    registry = default_registry()
    engine = ("", ENGINE_ID)
    return sorted(transform_ids, key=lambda i: (i in engine, registry.order(i) if i not in engine else 0, i))
