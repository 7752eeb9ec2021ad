"""Files: one bad file never stops the others, and a failed file keeps every byte."""

from __future__ import annotations

import io
import os
import stat

from hardener.profile import load_profile
from hardener.runner import EXIT_INPUT_ERROR, EXIT_OK, WriteBack, run

GOOD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers:\n  - name: c\n"
BROKEN = "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n"


def _run(paths, mode=WriteBack.WRITE):
    out, err = io.BytesIO(), io.StringIO()
    code = run([str(p) for p in paths], load_profile("restricted"), mode, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_one_bad_file_never_stops_the_others(tmp_path):
    first, broken, readonly, last = (tmp_path / n for n in ("a.yaml", "broken.yaml", "readonly.yaml", "z.yaml"))
    missing = tmp_path / "missing.yaml"
    for path, text in ((first, GOOD), (broken, BROKEN), (readonly, GOOD), (last, GOOD)):
        path.write_text(text)
    readonly.chmod(0o444)
    code, out, err = _run([first, broken, missing, readonly, last])
    assert code == EXIT_INPUT_ERROR and out == b""
    assert "runAsNonRoot: true" in first.read_text() and "runAsNonRoot: true" in last.read_text()
    assert broken.read_text() == BROKEN and readonly.read_text() == GOOD and not missing.exists()
    assert f"error: {broken}:5" in err and "(document 0): invalid YAML" in err
    assert f"error: {missing}: no such file" in err
    assert f"error: {readonly}: permission denied (file is read-only); not written" in err
    assert f"hardened {first}" in err and f"hardened {last}" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "broken.yaml", "readonly.yaml", "z.yaml"]  # no temp files


def test_a_filter_emits_nothing_when_any_input_fails(tmp_path):
    good, broken = tmp_path / "good.yaml", tmp_path / "broken.yaml"
    good.write_text(GOOD)
    broken.write_text(BROKEN)
    code, out, err = _run([good, broken], WriteBack.STDOUT)
    assert (code, out) == (EXIT_INPUT_ERROR, b"") and str(broken) in err


def test_in_place_write_keeps_the_mode(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(GOOD)
    path.chmod(0o640)
    assert _run([path])[0] == EXIT_OK
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and "runAsNonRoot: true" in path.read_text()


def test_a_symlink_named_for_writing_is_refused_and_read_through_otherwise(tmp_path):
    """-w never writes through a link (it may lead out of the tree); printing, diffing and checking read through it."""
    target = tmp_path / "real.yaml"
    target.write_text(GOOD)
    link = tmp_path / "link.yaml"
    link.symlink_to(target.name)
    code, _, err = _run([link])
    assert code == EXIT_INPUT_ERROR
    assert f"error: {link}: is a symbolic link; -w does not write through links" in err
    assert link.is_symlink() and os.readlink(link) == "real.yaml" and target.read_text() == GOOD
    code, out, _ = _run([link], WriteBack.STDOUT)
    assert code == EXIT_OK and b"runAsNonRoot: true" in out


def test_an_unchanged_file_is_not_rewritten(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\n")
    path.chmod(0o444)  # a rewrite would be refused: the run must not even try
    code, _, err = _run([path])
    assert code == EXIT_OK and err == ""


# Inputs are sacred: a report never replaces an input, a file edited meanwhile is not overwritten,
# hard links and modes survive, and a report appears whole or not at all.


def _run_report(paths, mode, report_file, report="text", stdin=None):
    out, err = io.BytesIO(), io.StringIO()
    code = run([str(p) for p in paths], load_profile("restricted"), mode, report=report, report_file=str(report_file), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_report_file_that_is_an_input_is_refused_before_anything_is_written(tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text(GOOD)
    for mode in (WriteBack.CHECK, WriteBack.WRITE, WriteBack.STDOUT):
        code, out, err = _run_report([pod], mode, pod)
        assert (code, out) == (EXIT_INPUT_ERROR, b""), err
        assert f"error: --report-file {pod}: is the same file as the input {pod}; a report must not replace an input" in err
        assert pod.read_text() == GOOD  # neither the report nor the hardened manifest


def test_a_report_file_linked_to_an_input_is_refused(tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text(GOOD)
    hard, soft = tmp_path / "hard.txt", tmp_path / "soft.txt"
    os.link(pod, hard)
    soft.symlink_to(pod.name)
    for report_file in (hard, soft):
        code, _, err = _run_report([pod], WriteBack.WRITE, report_file)
        assert code == EXIT_INPUT_ERROR and "is the same file as the input" in err
        assert pod.read_text() == GOOD and hard.read_text() == GOOD


def test_a_report_file_that_is_standard_input_is_refused(tmp_path, monkeypatch):
    pod = tmp_path / "pod.yaml"
    pod.write_text(GOOD)
    with open(pod, "rb") as handle:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(handle))
        code, out, err = _run_report(["-"], WriteBack.STDOUT, pod)
    assert (code, out) == (EXIT_INPUT_ERROR, b"") and "is the same file as the input <stdin>" in err
    assert pod.read_text() == GOOD


def test_a_manifest_named_report_inside_a_rewritten_directory_is_refused(tmp_path):
    repo = tmp_path / "deploy"
    repo.mkdir()
    (repo / "pod.yaml").write_text(GOOD)
    code, _, err = _run_report([repo], WriteBack.WRITE, repo / "report.json", "json")
    assert code == EXIT_INPUT_ERROR and "the next run would read it as an input" in err
    assert (repo / "pod.yaml").read_text() == GOOD and not (repo / "report.json").exists()
    code, _, err = _run_report([repo], WriteBack.WRITE, repo / "pr.md", "markdown")  # not a manifest: fine
    assert code == EXIT_OK, err
    assert "runAsNonRoot: true" in (repo / "pod.yaml").read_text() and (repo / "pr.md").read_text().startswith("## hardener")


def test_a_report_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    pod, report = tmp_path / "pod.yaml", tmp_path / "report.txt"
    pod.write_text(GOOD)
    report.write_text("the previous report\n")
    report.chmod(0o640)

    def fails_halfway(summary, out, **options):
        out.write("half a report")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("hardener.report.text.render", fails_halfway)
    code, _, err = _run_report([pod], WriteBack.CHECK, report)
    assert code == 2 and "error: " in err and "No space left on device" in err
    assert report.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pod.yaml", "report.txt"]  # no temporary file
    monkeypatch.undo()
    assert _run_report([pod], WriteBack.CHECK, report)[0] == 1
    assert "run-as-non-root" in report.read_text() and stat.S_IMODE(report.stat().st_mode) == 0o640


def test_a_file_edited_while_the_run_was_busy_is_not_overwritten(tmp_path, monkeypatch):
    """Someone saves a.yaml after hardener read it: their edit wins, the file is named, the others are written."""
    import hardener.bulk

    first, last = tmp_path / "a.yaml", tmp_path / "z.yaml"
    first.write_text(GOOD)
    last.write_text(GOOD)
    edited = GOOD.replace("name: good", "name: edited-meanwhile")
    harden_one = hardener.bulk.harden_one

    def then_someone_edits(item, *args):
        outcome = harden_one(item, *args)
        if item.name == str(first):
            first.write_text(edited)
        return outcome

    monkeypatch.setattr(hardener.bulk, "harden_one", then_someone_edits)
    code, _, err = _run([first, last])
    assert code == EXIT_INPUT_ERROR
    assert f"error: {first}: changed since hardener read it; not written (run hardener again)" in err
    assert first.read_text() == edited and "runAsNonRoot: true" in last.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "z.yaml"]


def test_a_file_with_several_hard_links_is_rewritten_in_place(tmp_path):
    path, other = tmp_path / "web.yaml", tmp_path / "also-web.yaml"
    path.write_text(GOOD)
    path.chmod(0o604)
    os.link(path, other)
    inode = path.stat().st_ino
    code, _, err = _run([path])
    assert code == EXIT_OK, err
    assert path.stat().st_ino == inode and other.stat().st_ino == inode and path.stat().st_nlink == 2
    assert "runAsNonRoot: true" in other.read_text() and other.read_text() == path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o604
    assert sorted(p.name for p in tmp_path.iterdir()) == ["also-web.yaml", "web.yaml"]


def test_undecodable_file_names_reach_every_report(tmp_path):
    name = os.fsdecode(b"d\xff.yaml")
    (tmp_path / name).write_text(GOOD)
    report = tmp_path / "r.json"
    code, _, err = _run_report([tmp_path / name], WriteBack.WRITE, report, "json")
    assert code == EXIT_OK, err
    import json

    files = {record["file"] for record in json.loads(report.read_text())["changes"]}
    assert files == {str(tmp_path / name)}  # the JSON escape \udcff gives back the file's own bytes
    assert "runAsNonRoot: true" in (tmp_path / name).read_text()
    for fmt in ("sarif", "markdown", "text"):
        code, _, err = _run_report([tmp_path / name], WriteBack.CHECK, tmp_path / f"r.{fmt}", fmt)
        assert code == EXIT_OK and "Traceback" not in err


def test_a_run_stopped_by_a_bad_profile_does_not_write_its_error_report_over_an_input(tmp_path):
    """The error report a Helm 4 user reads must not land on the manifest (found by tests/test_cli_errors.py)."""
    import subprocess
    import sys

    pod = tmp_path / "pod.yaml"
    pod.write_text(GOOD)
    result = subprocess.run(
        [sys.executable, "-m", "hardener", "fix", "pod.yaml", "--profile", "missing.yaml", "--report-file", "pod.yaml", "--report", "text"],
        cwd=tmp_path,
        capture_output=True,
    )
    assert result.returncode == EXIT_INPUT_ERROR and b"missing.yaml: cannot read profile" in result.stderr
    assert pod.read_text() == GOOD
