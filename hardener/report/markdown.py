"""Markdown report: a pull-request body a reviewer can act on.

Layout: a one-paragraph summary and a table per transform; a section per
file and, inside it, per workload, with a table of the changed fields and
the findings and skips; collapsible ``<details>`` with each transform's
rationale, references and what to check; and last a checklist of what to
verify before merging, built from the guidance of every transform whose fix
may break an application, naming the workloads it touched.

Everything that comes from the user's manifests (names, values, messages)
is escaped, so a resource name cannot inject Markdown or HTML into the body.
"""

from __future__ import annotations

import json
import re
from typing import IO

from hardener.model import CHANGE, FINDING, SKIP, Record
from hardener.report.records import (
    ENGINE_ID,
    iter_records,
    summary_dict,
    transform_info,
    workload_key,
    workload_label,
)

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


def render(summary, out: IO[str]) -> None:
    counts = summary_dict(summary)
    by_file: dict[str, list[Record]] = {}
    for record in iter_records(summary):
        by_file.setdefault(record.file, []).append(record)
    lines = ["## hardener: Kubernetes workloads hardened", "", _lead(counts)]
    if counts["by_transform"]:
        lines += ["", _transform_table(counts["by_transform"])]
    if counts["errors"]:
        lines += ["", "### Inputs that could not be read", ""]
        lines += [f"- {code(error['file'])}: {text(error['message'])}" for error in counts["errors"]]
    untouched = {o.label: o.skip.reason for o in getattr(summary, "skipped", [])}  # bulk runs: whole files skipped
    tail = []
    if untouched:
        tail += ["", "### Files left untouched", ""]
        tail += [f"- {code(file)}: {text(reason)}" for file, reason in untouched.items()]
    transform_ids = _in_run_order({r.transform for records in by_file.values() for r in records})
    if transform_ids:
        tail += ["", "### Why these changes", "", *_why(transform_ids)]
    checklist = _checklist(by_file)
    if checklist:
        tail += ["", "### What to verify before merging", "", *checklist]
    sections = [_file_section(file, records) for file, records in by_file.items() if file not in untouched]
    lines += _fit(sections, budget=BODY_LIMIT - _size(lines) - _size(tail))
    out.write("\n".join(lines + tail) + "\n")


BODY_LIMIT = 65_536
"""GitHub refuses a pull-request body longer than this many characters."""


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _fit(sections: list[list[str]], budget: int) -> list[str]:
    """As many per-file sections as fit in ``budget``, and every other file named at the end.

    The summary, the reasons and the checklist always stay: they are what a
    reviewer needs. Room is kept for the names of the files whose details do
    not fit, so the body still covers the whole run; only when even the names
    do not fit are the last ones counted instead.
    """
    names = [f"- {section[0].removeprefix('### ')}" for section in sections]
    header = ["", "### {} more files with changes", "",
              "Their details do not fit in a pull-request body; `--report json` lists every change.", ""]
    kept, used = 0, 0
    while kept < len(sections):
        rest = _size(header) + _size(names[kept + 1 :]) if kept + 1 < len(sections) else 0
        if used + _size(sections[kept]) + 1 + rest > budget:
            break
        used += _size(sections[kept]) + 1
        kept += 1
    out = [line for section in sections[:kept] for line in ("", *section)]
    if kept == len(sections):
        return out
    out += [line.format(len(sections) - kept) for line in header]
    for position, name in enumerate(names[kept:]):
        if _size(out) + len(name) + 1 + 40 > budget:
            return out + [f"- and {len(names) - kept - position} more"]
        out.append(name)
    return out


def _lead(counts: dict) -> str:
    files = len(counts["files_changed"])
    lead = (
        f"hardener made **{counts['changes']} change(s)** to **{counts['workloads_changed']} workload(s)** "
        f"in **{files} file(s)** (of {counts['inputs']} input(s) read)."
    )
    if counts["may_break"]:
        lead += f" {counts['may_break']} change(s) may break an application: see *What to verify before merging*."
    if counts["findings"]:
        lead += f" {counts['findings']} finding(s) need a human: hardener did not fix them."
    if counts["skipped"]:
        lead += f" {counts['skipped']} skipped (exempt or not applicable)."
    return lead


def _transform_table(by_transform: dict) -> str:
    rows = ["| transform | what it does | changes | findings | skipped | fix safety |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for transform_id in _in_run_order(by_transform):
        count = by_transform[transform_id]
        info = transform_info("" if transform_id == ENGINE_ID else transform_id)
        safety = "⚠️ may break" if info.safety == "may-break" else "safe"
        rows.append(
            f"| `{transform_id}` | {text(info.title)} | {count['changes']} | {count['findings']} | {count['skipped']} | {safety} |"
        )
    return "\n".join(rows)


def _file_section(file: str, records: list[Record]) -> list[str]:
    changes = sum(r.type == CHANGE for r in records)
    out = [f"### {code(file)}", "", f"{changes} change(s), {sum(r.type == FINDING for r in records)} finding(s)."]
    workloads: dict[tuple, list[Record]] = {}
    for record in records:
        workloads.setdefault(workload_key(record), []).append(record)
    for group in workloads.values():
        out += ["", *_workload_section(group)]
    return out


def _workload_section(records: list[Record]) -> list[str]:
    first = records[0]
    kind, _, name = workload_label(first).partition(" ")
    out = [f"#### {text(kind)} {code(name)} (document {first.document})"]
    changes = [r for r in records if r.type == CHANGE]
    if changes:
        out += ["", "| line | container | field | before | after | transform |", "| ---: | --- | --- | --- | --- | --- |"]
        for r in changes:
            container = code(r.container) if r.container else "(pod)"
            lines = f"{r.line}–{r.end_line}" if r.end_line else f"{r.line}"
            out.append(
                f"| {lines} | {container} | {code(r.path_text)} | {value_cell(r.before)} | {value_cell(r.after)} "
                f"| `{transform_info(r.transform).id}` |"
            )
    for label, kind_ in (("Findings (not fixed)", FINDING), ("Skipped", SKIP)):
        items = [r for r in records if r.type == kind_]
        if items:
            out += ["", f"{label}:", ""]
            out += [f"- line {r.line}, `{transform_info(r.transform).id}`: {text(r.message)}" for r in items]
    return out


def _why(transform_ids: list[str]) -> list[str]:
    """Why each transform acted, once per transform, folded away: rationale, references, what to check.

    Once per transform, not per workload: a chart with forty workloads must
    still fit in a pull-request body.
    """
    out = []
    for transform_id in transform_ids:
        info = transform_info(transform_id)
        safety = "may break the application" if info.safety == "may-break" else "safe"
        out += [f"<details><summary><b>{text(info.title)}</b> (<code>{info.id}</code>, {safety})</summary>", ""]
        out += [text(info.rationale), ""]
        if info.guidance:
            out += [f"- What to check: {text(info.guidance)}"]
        out += [f"- {text(ref.standard)}: [{text(ref.title)}]({ref.url})" for ref in info.references]
        if transform_id:
            out.append(f"- More: `hardener explain {info.id}`")
        out += ["", "</details>", ""]
    return out[:-1]


def _checklist(by_file: dict[str, list[Record]]) -> list[str]:
    """One task per may-break transform, naming every workload whose fix can break it."""
    where: dict[str, list[str]] = {}
    for file, records in by_file.items():
        for record in records:
            if record.type != CHANGE or transform_info(record.transform).safety != "may-break":
                continue
            label = f"{text(workload_label(record))} in {code(file)}"
            places = where.setdefault(record.transform, [])
            if label not in places:
                places.append(label)
    items = []
    for transform_id in _in_run_order(where):
        places = where[transform_id]
        info = transform_info(transform_id)
        items.append(f"- [ ] **{text(info.title)}** (`{info.id}`): {text(info.guidance)}")
        items += [f"  - {place}" for place in places[:CHECKLIST_PLACES]]
        if len(places) > CHECKLIST_PLACES:
            items.append(f"  - and {len(places) - CHECKLIST_PLACES} more workload(s)")
    return items


CHECKLIST_PLACES = 25
"""Workloads named per checklist item; a bulk run over a large repository counts the rest."""


def _in_run_order(transform_ids) -> list[str]:
    """Transform ids as the profile runs them; the engine's own records ("" or ``hardener``) last."""
    from hardener.registry import default_registry

    registry = default_registry()
    engine = ("", ENGINE_ID)
    return sorted(transform_ids, key=lambda i: (i in engine, registry.order(i) if i not in engine else 0, i))
