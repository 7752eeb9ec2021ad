"""What hosts rely on from ``hardener fix``/``check``, without the hosts themselves.

Helm 3 sends empty stdin with ``--output-dir``; Helm 4 hides a plugin's
stderr, so the report must reach a file through the environment; CI wants
``--exit-zero`` so a SARIF upload still runs. tests/integration/ runs the
real hosts.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hardener.cli import app

POD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n"


def invoke(args: list[str], stdin: bytes = b"", env: dict | None = None):
    return CliRunner().invoke(app, args, input=stdin, env=env)


def test_empty_stdin_gives_empty_output_and_exit_0():
    result = invoke(["fix"], b"")
    assert (result.exit_code, result.stdout_bytes, result.stderr_bytes) == (0, b"", b"")


def test_report_file_from_the_environment_keeps_stdout_only_manifests(tmp_path: Path):
    report = tmp_path / "report.txt"
    result = invoke(["fix"], POD, env={"HARDENER_REPORT_FILE": str(report)})
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(POD[: POD.index(b"  - name")]) and b"runAsNonRoot: true" in result.stdout_bytes
    assert result.stderr_bytes == b""
    text = report.read_text()
    assert ": run-as-non-root fix (may break): " in text and "(Pod p)" in text


def test_report_format_from_the_environment(tmp_path: Path):
    report = tmp_path / "report.txt"
    result = invoke(["fix"], POD, env={"HARDENER_REPORT_FILE": str(report), "HARDENER_REPORT": "nope"})
    assert result.exit_code == 2 and "unknown report format 'nope'" in result.stderr_bytes.decode()
    assert not report.exists()


def test_exit_zero_turns_would_change_into_success_but_not_errors(tmp_path: Path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_bytes(POD)
    assert invoke(["check", str(manifest)]).exit_code == 1
    assert invoke(["check", "--exit-zero", str(manifest)]).exit_code == 0
    assert invoke(["fix", "--check", "--exit-zero", str(manifest)]).exit_code == 0
    assert invoke(["check", "--exit-zero", str(tmp_path / "missing.yaml")]).exit_code == 2
    assert manifest.read_bytes() == POD


def test_helm4_postrender_annotation_and_helm3_source_lines_survive():
    stream = (
        b"---\n# Source: demo/templates/pod.yaml\n"
        + POD.replace(b"  name: p\n", b"  name: p\n  annotations:\n    postrenderer.helm.sh/postrender-filename: 'demo/templates/pod.yaml'\n")
    )
    result = invoke(["fix"], stream)
    assert result.exit_code == 0
    head = stream[: stream.index(b"spec:")]
    assert result.stdout_bytes.startswith(head) and b"runAsNonRoot: true" in result.stdout_bytes
