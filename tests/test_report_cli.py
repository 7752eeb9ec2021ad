"""Reports and diffs as a user meets them on the command line: where they go, exit codes,
colour only on a terminal, and no report code loaded when no report was asked for."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hardener.api import harden_bytes
from hardener.report import FORMATS
from tests.conftest import corpus_files
from tests.test_cli import HARDENED_POD, POD, hardener

ANSI = re.compile(rb"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("fmt", FORMATS)
def test_filter_mode_keeps_stdout_the_pure_yaml_stream_and_reports_on_stderr(fmt):
    result = hardener("fix", "--report", fmt, stdin=POD)
    assert (result.returncode, result.stdout) == (0, HARDENED_POD)
    report = result.stderr.decode()
    if fmt in ("json", "sarif"):
        json.loads(report)
    assert "automount" in report


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_supports_every_format_and_exits_1_when_something_would_change(fmt, tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    result = hardener("check", "--report", fmt, "--report-file", "report.out", "pod.yaml", cwd=tmp_path)
    expected = harden_bytes(POD, file="pod.yaml")
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()  # check's own diagnostics, one per change and finding
    assert len(lines) == len(expected.changes) + len(expected.findings) and all(line.startswith("pod.yaml:") for line in lines)
    # the report went to the file, not here
    assert result.stderr == b"would harden pod.yaml (8 changes)\nhardener: failed (--fail-on changes): 8 changes\n"
    report = (tmp_path / "report.out").read_text(encoding="utf-8")
    if fmt == "json":
        assert len(json.loads(report)["changes"]) == len(expected.changes) == 8
        assert len(json.loads(report)["findings"]) == len(expected.findings)
    elif fmt == "sarif":
        results = json.loads(report)["runs"][0]["results"]
        assert len(results) == len(expected.changes) + len(expected.findings)
        assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"pod.yaml"}
    elif fmt == "markdown":
        assert "\n<details><summary><code>pod.yaml</code>: 8 fixes (6 may break)" in report and "### What to verify before merging" in report
    else:
        assert report.count("pod.yaml:") == len(expected.records)
    assert (tmp_path / "pod.yaml").read_bytes() == POD


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_of_a_hardened_file_exits_0_and_still_reports(fmt, tmp_path):
    (tmp_path / "pod.yaml").write_bytes(HARDENED_POD)
    result = hardener("check", "--report", fmt, "pod.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert len(result.stdout.decode().splitlines()) == len(harden_bytes(HARDENED_POD).findings)  # advice, not failures
    if fmt == "json":
        assert json.loads(result.stderr)["summary"]["changes"] == 0
    elif fmt == "sarif":  # findings (what hardener cannot fix) remain results
        results = json.loads(result.stderr)["runs"][0]["results"]
        assert [r["properties"]["type"] for r in results] == ["finding"] * len(harden_bytes(HARDENED_POD).findings)


def test_stdin_records_name_stdin_and_sarif_uses_a_relative_uri():
    result = hardener("check", "--report", "sarif", stdin=POD)
    assert result.returncode == 1
    log = json.loads(result.stderr.split(b"\n", 1)[1] if result.stderr.startswith(b"would") else result.stderr)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"stdin"}


def test_sarif_uris_are_relative_to_the_repository_root_from_any_directory_in_it(tmp_path):
    """Code scanning resolves URIs against the repository root; a CI step may run in a subdirectory."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "web.yaml").write_bytes(POD)
    result = hardener("check", "--report", "sarif", "--report-file", "out.sarif", "web.yaml", cwd=deploy)
    assert result.returncode == 1
    log = json.loads((deploy / "out.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"deploy/web.yaml"}


REMOVAL = b"""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: registry.example.com/web:1
    securityContext:
      capabilities:
        add:
        - SYS_ADMIN
"""


def test_a_removal_of_several_lines_names_its_last_line_in_every_report():
    json_report = json.loads(hardener("fix", "--unsafe-fixes", "--report", "json", stdin=REMOVAL).stderr)
    removal = next(c for c in json_report["changes"] if c["transform"] == "restrict-capabilities")
    assert (removal["line"], removal["end_line"], removal["before"]) == (9, 12, "SYS_ADMIN")
    assert all(c["end_line"] is None for c in json_report["changes"] if c is not removal)
    markdown = hardener("fix", "--unsafe-fixes", "--report", "markdown", stdin=REMOVAL).stderr.decode()
    assert "| 9–12 | Pod `web` | ⚠️ `restrict-capabilities` (unsafe fix) | `web` | `securityContext` `SYS_ADMIN` → — |" in markdown
    sarif = json.loads(hardener("fix", "--unsafe-fixes", "--report", "sarif", stdin=REMOVAL).stderr)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert {"startLine": 9, "startColumn": 5, "endLine": 12} in regions


def test_report_file_suffix_picks_the_format(tmp_path):
    result = hardener("fix", "--report-file", str(tmp_path / "hardener.sarif"), stdin=POD)
    assert (result.returncode, result.stdout, result.stderr) == (0, HARDENED_POD, b"")
    assert json.loads((tmp_path / "hardener.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report", "html"], b"error: unknown report format 'html'; choose from text, json, markdown, sarif"),
        (["--report-file", "report.out"], b"give --report (text, json, markdown, sarif)"),
        (["--report", "json", "--report-file", "no/such/dir/r.json"], b"error: --report-file no/such/dir/r.json: no such directory"),
    ],
)
def test_bad_report_options_exit_2_before_anything_is_written(args, message, tmp_path):
    for command in (["check"], ["fix", "-w"]):
        (tmp_path / "pod.yaml").write_bytes(POD)
        result = hardener(*command, *args, "pod.yaml", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, b""), command
        assert message in result.stderr
        assert (tmp_path / "pod.yaml").read_bytes() == POD


def test_write_mode_with_a_markdown_report_for_a_pull_request(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    result = hardener("fix", "-w", "--report", "markdown", "--report-file", "body.md", "pod.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "pod.yaml").read_bytes() == HARDENED_POD
    body = (tmp_path / "body.md").read_text(encoding="utf-8")
    assert body.startswith("## hardener: Kubernetes workloads hardened\n")
    assert "| Pod `web` | ⚠️ `read-only-root-filesystem` | `web`, (pod) | `securityContext.readOnlyRootFilesystem` — → `true` (web)<br>`volumeMounts`" in body


def test_json_report_of_a_real_stream_on_stdin_leaves_stdout_identical_to_the_api():
    helm = [p for p in corpus_files() if p.parent.name == "helm-rendered"]
    path = max(helm, key=lambda p: len(harden_bytes(p.read_bytes()).changes))
    data = path.read_bytes()
    expected = harden_bytes(data)
    result = hardener("fix", "--report", "json", stdin=data)
    failed = any(r.is_error for r in expected.findings)  # a finding the fix cannot settle fails the gate
    assert (result.returncode, result.stdout) == (1 if failed else 0, expected.output_bytes)
    assert len(json.loads(result.stderr)["changes"]) == len(expected.changes) > 5


# --diff colour ------------------------------------------------------------


def _run_on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> bytes:
    """Run the CLI with stdout on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "hardener.cli", *args], stdout=follower, stderr=subprocess.PIPE, cwd=cwd, env=env
        )
    finally:
        os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal has no writer left
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.returncode == 0, process.stderr
    return b"".join(chunks)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    return {**env, **extra}


def test_diff_on_a_terminal_is_explained_and_coloured_and_is_the_plain_diff_without_both(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    plain = hardener("fix", "--diff", "pod.yaml", cwd=tmp_path).stdout
    assert b"#" not in plain  # piped: the plain diff, for patch
    coloured = _run_on_a_terminal(["fix", "--diff", "pod.yaml"], tmp_path, _env())
    assert b"\x1b[32m+      allowPrivilegeEscalation: false\x1b[0m" in coloured
    assert b"\x1b[36m@@ " in coloured and b"\x1b[1m--- a/pod.yaml\x1b[0m" in coloured
    assert b"\x1b[1;33m#  ^ read-only-root-filesystem fix (may break): " in coloured
    # the terminal turns \n into \r\n; without colour codes and explanation lines it is the plain diff
    lines = ANSI.sub(b"", coloured).replace(b"\r\n", b"\n").splitlines(keepends=True)
    assert b"".join(line for line in lines if not line.startswith(b"#")) == plain
    assert any(line.startswith(b"#      may break: ") for line in lines)
    no_explain = _run_on_a_terminal(["fix", "--diff", "--no-explain", "pod.yaml"], tmp_path, _env())
    assert ANSI.sub(b"", no_explain).replace(b"\r\n", b"\n") == plain


def test_explain_annotates_a_piped_diff_without_colour(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    result = subprocess.run(
        [sys.executable, "-m", "hardener.cli", "fix", "--diff", "--explain", "pod.yaml"], capture_output=True, cwd=tmp_path, env=_env()
    )
    assert result.returncode == 0 and b"\x1b" not in result.stdout
    assert result.stdout.startswith(b"# pod.yaml: 8 fixes (6 may break), 1 warning\n--- a/pod.yaml\n")
    assert b"\n#  ^ no-privilege-escalation fix: Set allowPrivilegeEscalation to false in container web (Pod web)\n" in result.stdout


def test_no_color_turns_colour_off_on_a_terminal(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    output = _run_on_a_terminal(["fix", "--diff", "pod.yaml"], tmp_path, _env(NO_COLOR="1"))
    assert b"\x1b[" not in output and b"+      allowPrivilegeEscalation: false" in output


def test_diff_in_a_pipe_is_never_coloured_and_keeps_crlf(tmp_path):
    crlf = POD.replace(b"\n", b"\r\n")
    (tmp_path / "pod.yaml").write_bytes(crlf)
    result = subprocess.run(
        [sys.executable, "-m", "hardener.cli", "fix", "--diff", "pod.yaml"], capture_output=True, cwd=tmp_path, env=_env()
    )
    assert result.returncode == 0 and b"\x1b" not in result.stdout
    assert b"+      allowPrivilegeEscalation: false\r\n" in result.stdout
    assert result.stdout.startswith(b"--- a/pod.yaml\n+++ b/pod.yaml\n@@ -6,3 +6,18 @@\n")


# Lazy imports --------------------------------------------------------------

_PROBE = """
import sys
from hardener import cli
sys.argv = ["hardener", *sys.argv[1:]]
try:
    cli.main()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith(("hardener.report", "hardener.docs", "hardener.colordiff")))
sys.stderr.write("LOADED " + " ".join(loaded) + "\\n")
"""


def _loaded_modules(*args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", _PROBE, *args], input=POD, capture_output=True)
    line = result.stderr.decode().rsplit("LOADED", 1)[1]
    return line.split()


def test_a_plain_fix_imports_no_report_code():
    assert _loaded_modules("fix") == []


def test_a_json_report_imports_only_the_json_renderer():
    assert _loaded_modules("fix", "--report", "json") == [
        "hardener.report", "hardener.report.json", "hardener.report.jsonout", "hardener.report.records"
    ]


STREAM = b"""\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      automountServiceAccountToken: true
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
          hostPort: 80
      volumes:
      - name: data
        hostPath:
          path: /var/lib/data
"""


def test_every_record_of_a_stream_points_at_its_own_field_with_the_value_written_there():
    report = json.loads(hardener("fix", "--report", "json", stdin=STREAM).stderr)
    by_transform = {r["transform"]: r for r in report["changes"] + report["findings"]}
    token = by_transform["automount-service-account-token"]
    assert (token["line"], token["column"], token["before"], token["end_line"]) == (13, 7, True, None)
    volume = by_transform["restricted-volume-types"]  # the volume's source, from its key to its last line
    assert (volume["line"], volume["column"], volume["end_line"], volume["before"]) == (22, 9, 23, {"path": "/var/lib/data"})
    port = by_transform["no-host-ports"]
    assert (port["line"], port["column"], port["before"]) == (19, 11, 80)
    account = by_transform["dedicated-service-account"]  # an absent serviceAccountName: the pod spec it belongs in
    assert (account["line"], account["before"]) == (12, None)
    drop = by_transform["drop-all-capabilities"]  # an absent list is null, never []
    assert drop["before"] is None and drop["after"] == ["ALL"]

    baseline = json.loads(hardener("fix", "--profile", "baseline", "--report", "json", stdin=STREAM).stderr)
    (host_path,) = [r for r in baseline["findings"] if r["transform"] == "no-host-path-volumes"]
    assert (host_path["line"], host_path["end_line"], host_path["before"]) == (22, 23, {"path": "/var/lib/data"})
    sarif = json.loads(hardener("fix", "--profile", "baseline", "--report", "sarif", stdin=STREAM).stderr)
    regions = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]}
    assert regions["no-host-path-volumes"] == {"startLine": 22, "startColumn": 9, "endLine": 23}


LINE_SEPARATORS = (
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n    note: "x\u2028y"\n'
    'spec:\n  containers:\n  - name: web\n    image: nginx\n    args: ["a\u2028b\u0085c\u2029d"]\n'
).encode("utf-8")


@pytest.mark.parametrize("tool", [["patch", "-p1", "-s"], ["git", "apply", "-p1"]])
def test_a_diff_of_a_file_with_unicode_line_separators_applies(tool, tmp_path):
    """U+2028, U+0085 and U+2029 are content, not line ends: a diff split there would not apply."""
    import shutil

    if not shutil.which(tool[0]):
        pytest.skip(f"{tool[0]} is not installed")
    (tmp_path / "pod.yaml").write_bytes(LINE_SEPARATORS)
    fixed = hardener("fix", "pod.yaml", cwd=tmp_path).stdout
    diff = hardener("fix", "--diff", "pod.yaml", cwd=tmp_path).stdout
    assert diff.startswith(b"--- a/pod.yaml\n+++ b/pod.yaml\n@@ -9,3 +9,23 @@\n   - name: web\n     image: nginx\n     args: [")
    applied = subprocess.run(tool, input=diff, cwd=tmp_path, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert (tmp_path / "pod.yaml").read_bytes() == fixed


def test_records_after_a_unicode_line_separator_name_the_line_an_editor_shows():
    """The YAML parser breaks lines at U+2028 and U+0085 too; reports count only \\n, as editors do."""
    report = json.loads(hardener("fix", "--report", "json", stdin=LINE_SEPARATORS).stderr)
    pod_level = [c for c in report["changes"] if c["container"] is None]
    assert pod_level and {(c["line"], c["column"]) for c in pod_level} == {(7, 1)}  # `spec:`
    containers = {(c["line"], c["column"]) for c in report["changes"] if c["container"] == "web"}
    assert containers == {(9, 5)}  # `- name: web`


def test_a_body_that_leaves_files_out_points_to_the_full_report_written_beside_it(tmp_path):
    handwritten = sorted(str(p) for p in corpus_files() if p.parent.name == "handwritten")
    result = hardener("check", "--exit-zero", "--report-file", str(tmp_path / "body.md"), *handwritten)
    assert result.returncode == 0, result.stderr
    body, full = (tmp_path / "body.md").read_text(encoding="utf-8"), (tmp_path / "body.full.md").read_text(encoding="utf-8")
    assert "not detailed here** (to keep this body readable); the full report, `body.full.md`, has them all." in body
    assert "not detailed here" not in full and full.count("<details><summary><code>") > body.count("<details><summary><code>")
    (tmp_path / "pod.yaml").write_bytes(POD)
    assert hardener("check", "--report-file", "small.md", "pod.yaml", cwd=tmp_path).returncode == 1
    assert (tmp_path / "small.md").exists() and not (tmp_path / "small.full.md").exists()


def test_the_readme_shows_a_real_explained_diff_on_its_first_screen():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:45])
    block = first_screen.split("```console\n$ ", 1)[1].split("\n```", 1)[0]
    command, *shown = block.split("\n")
    assert command == "hardener fix --diff --explain examples/deployment.yaml" and shown[-1] == "..."
    real = hardener(*command.split()[1:], cwd=Path(__file__).resolve().parent.parent).stdout.decode().split("\n")
    assert real[: len(shown) - 1] == shown[:-1], "the README shows the start of what the command prints"


FINDINGS_NEAR_CHANGES = b"""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx
  automountServiceAccountToken: true
  volumes:
  - name: data
    hostPath:
      path: /data
"""


def test_the_explained_diff_shows_each_finding_after_the_line_it_is_about(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(FINDINGS_NEAR_CHANGES)
    lines = hardener("fix", "--diff", "--explain", "pod.yaml", cwd=tmp_path).stdout.decode().splitlines()
    token = lines.index("   automountServiceAccountToken: true")
    assert lines[token + 1].startswith(  # an unsafe fix this run does not apply: an error at the value it would change
        "#  ^ automount-service-account-token error: Set automountServiceAccountToken to false on the pod (it was explicitly true)"
    )
    volume = lines.index("     hostPath:")
    assert lines[volume + 1].startswith("#  ^ restricted-volume-types error: Volume data uses hostPath")
    # a finding about a line no hunk shows comes last, with its line
    assert lines[-2].startswith("#  ^ line 5: dedicated-service-account ") and lines[-1].startswith("#      why: ")


FINDINGS_FAR_FROM_CHANGES = b"""\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  serviceAccountName: p
  containers:
  - name: c
    image: registry.example/c:1
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      seccompProfile: {type: RuntimeDefault}
      capabilities:
        add: [NET_ADMIN, SYS_ADMIN]
        drop: [ALL]
    env:
    - {name: A, value: "1"}
    - {name: B, value: "2"}
    - {name: C, value: "3"}
    - {name: D, value: "4"}
    volumeMounts:
    - {name: tmp, mountPath: /tmp}
  volumes:
  - {name: tmp, emptyDir: {}}
"""


def test_findings_no_hunk_shows_come_last_in_line_order(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(FINDINGS_FAR_FROM_CHANGES)
    lines = hardener("fix", "--diff", "--explain", "pod.yaml", cwd=tmp_path).stdout.decode().splitlines()
    placed = [line for line in lines if line.startswith("#  ^ line ")]
    assert [line.split(":")[0] for line in placed] == ["#  ^ line 16", "#  ^ line 16"]
    assert "NET_ADMIN" in placed[0] and "SYS_ADMIN" in placed[1], "by column on the same line"
    errors = hardener("fix", "pod.yaml", cwd=tmp_path).stderr.decode().splitlines()
    assert [line.split(" ")[0] for line in errors[:2]] == ["pod.yaml:16:15:", "pod.yaml:16:26:"], "the gate's lines too"
