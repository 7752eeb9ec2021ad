"""Self-documentation: `hardener transforms`, `hardener explain`, docs/transforms.md, and the
documented examples, which are run. Everything iterates the registry, so a new transform is
covered the moment it is registered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hardener.api import harden
from hardener.docs import builtin_registry, transforms_markdown
from hardener.registry import default_registry
from hardener.testing import single_transform_profile
from hardener.transform import DOC_SECTIONS

REPO = Path(__file__).resolve().parent.parent
TRANSFORM_IDS = default_registry().ids()


def hardener(*args: str) -> subprocess.CompletedProcess:
    """The real command, in a separate process."""
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], capture_output=True, text=True)


def hardener_in_process(*args: str):
    """The same command line, run in this process (fast enough to run once per transform)."""
    from typer.testing import CliRunner

    from hardener.cli import app

    result = CliRunner().invoke(app, list(args))
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("transform_id", TRANSFORM_IDS)
def test_documented_example_is_what_hardener_writes(transform_id):
    """The before block, hardened by a profile of only this transform, is the after block, byte for byte."""
    cls = default_registry().get(transform_id)
    before, after = cls.example()
    profile = single_transform_profile(transform_id, cls.example_params, unsafe_fixes=cls.example_unsafe)
    if cls.example_unsafe:  # without --unsafe-fixes the explicit value stays, with an error finding that says so
        cautious = harden(before, single_transform_profile(transform_id, cls.example_params), file="example.yaml")
        assert cautious.output != after and any(r.unsafe_fix and r.is_error for r in cautious.findings), cautious.records
    result = harden(before, profile, file="example.yaml")
    assert result.output == after, f"{transform_id}: the Example's after block is not what hardener writes:\n{result.output}"
    if cls.reports_only:  # it never edits: its example shows what it reports
        assert result.findings and not result.changes, f"{transform_id}: the Example shows no finding"
    else:
        assert result.changes, f"{transform_id}: the Example shows no change"
    again = harden(after, profile, file="example.yaml")
    assert (again.output, again.changes) == (after, [])


def test_committed_transforms_doc_is_what_the_registry_generates():
    committed = (REPO / "docs" / "transforms.md").read_text(encoding="utf-8")
    assert committed == transforms_markdown(builtin_registry()), "docs/transforms.md drifted: run python -m hardener.docs"


def test_transforms_doc_describes_every_builtin_transform():
    text = transforms_markdown(builtin_registry())
    for transform_id in builtin_registry().ids():
        cls = builtin_registry().get(transform_id)
        assert f"| [`{cls.id}`](#{cls.id}) | {cls.title} |" in text
        assert f"\n## `{cls.id}`\n" in text
        before, after = cls.example()
        assert before in text and after in text


def test_docs_module_checks_and_regenerates_the_file(tmp_path):
    target = tmp_path / "transforms.md"
    check = [sys.executable, "-m", "hardener.docs", "--check", str(target)]
    missing = subprocess.run(check, capture_output=True, text=True)
    assert missing.returncode == 1 and "out of date" in missing.stderr
    assert subprocess.run([sys.executable, "-m", "hardener.docs", str(target)], capture_output=True).returncode == 0
    assert target.read_text(encoding="utf-8") == transforms_markdown(builtin_registry())
    assert subprocess.run(check, capture_output=True).returncode == 0
    target.write_text(target.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    assert subprocess.run(check, capture_output=True).returncode == 1


def test_transforms_command_lists_every_id_with_safety_and_title():
    result = hardener_in_process("transforms")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "FIX", "SAFETY", "TITLE"]
    assert len(lines) == 1 + len(TRANSFORM_IDS)
    for line, transform_id in zip(lines[1:], TRANSFORM_IDS):
        cls = default_registry().get(transform_id)
        safety = "may break" if cls.safety == "may-break" else "safe"
        assert line.split()[0] == transform_id
        assert f"  {safety}  " in line and line.endswith(cls.title)


@pytest.mark.parametrize("transform_id", TRANSFORM_IDS)
def test_explain_prints_what_why_example_safety_and_references(transform_id):
    cls = default_registry().get(transform_id)
    result = hardener_in_process("explain", transform_id)
    assert (result.returncode, result.stderr) == (0, "")
    text = result.stdout
    assert text.startswith(f"# `{transform_id}`\n")
    for section in DOC_SECTIONS:
        assert f"\n## {section}\n" in text
    for part in (cls.title, cls.rationale):
        assert part in text
    assert cls.doc_sections()["What it changes"] in text and cls.doc_sections()["Why"] in text
    before, after = cls.example()
    assert f"Before:\n\n```yaml\n{before}```" in text and f"```yaml\n{after}```" in text
    assert ("may break" if cls.safety == "may-break" else "safe") in text
    if cls.guidance:
        assert cls.guidance in text
    for ref in cls.references:
        assert f"[{ref.title}]({ref.url})" in text


def test_explain_lists_parameters_with_defaults_and_their_docstrings():
    text = hardener_in_process("explain", "automount-service-account-token").stdout
    assert "## Parameters\n\n- `service_accounts` (bool, default `false`): Also set" in text


def test_explain_unknown_id_exits_2_and_lists_known_ids():
    result = hardener("explain", "run-as-root")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: unknown transform 'run-as-root'; known: ")
    for transform_id in TRANSFORM_IDS:
        assert transform_id in result.stderr
