"""What a command-line user expects of any tool: --version, -q, completion, help, no silent waits, a valid stream.

And the gate: ``check`` prints each problem at its line and fails on it,
``--diff`` shows the diff and still fails, ``--output-format github``
annotates a pull request.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.test_cli import HARDENED_POD, POD, hardener

# Fully hardened, and still not safe: the node's container runtime socket.
DOCKER_SOCKET_POD = HARDENED_POD.replace(
    b"  - {name: tmp, emptyDir: {}}\n",
    b"  - {name: tmp, emptyDir: {}}\n  - name: docker\n    hostPath:\n      path: /var/run/docker.sock\n",
)


def on_a_terminal(*args: str, typed: bytes = b"") -> tuple[int, bytes]:
    """Run hardener with a pseudo-terminal as stdin, stdout and stderr, type ``typed``; its exit code and what it printed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec hardener on the terminal
        os.execv(sys.executable, [sys.executable, "-m", "hardener.cli", *args])
    if typed:
        os.write(fd, typed)
    output = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closed: the child is done
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def test_version():
    from hardener import __version__

    for flag in ("--version", "-V"):
        result = hardener(flag)
        assert (result.returncode, result.stdout) == (0, f"hardener {__version__}\n".encode())


def test_hardener_alone_on_a_terminal_prints_help_with_the_commands():
    code, output = on_a_terminal()
    assert code == 0
    text = output.decode()
    assert "Usage" in text and all(command in text for command in ("fix", "check", "krm", "config", "explain"))


def test_hardener_alone_in_a_pipe_says_which_command_to_run_in_one_line():
    """What Helm 3 runs when --post-renderer-args fix is missing: Helm shows our stderr."""
    result = hardener(stdin=POD)
    assert result.returncode == 2 and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "--post-renderer-args fix" in lines[0] and "hardener fix" in lines[0]


@pytest.mark.parametrize("command", ["fix", "check"])
def test_no_path_on_a_terminal_is_a_usage_error_not_a_silent_wait(command):
    code, output = on_a_terminal(command)
    assert code == 2
    assert f"hardener {command} needs input" in output.decode() and "|" in output.decode()


def test_a_dash_on_a_terminal_still_reads_what_is_typed():
    code, output = on_a_terminal("fix", "-", typed=POD + b"\x04")  # typed, then Ctrl-D
    assert code == 0 and b"runAsNonRoot: true" in output


def test_shell_completion_is_on_and_completes_commands_and_transform_ids():
    command = str(Path(sys.executable).parent / "hardener")  # completion is keyed to the installed command's name
    # typer detects the user's shell from the process's ancestors (none, under a detached runner):
    # its documented switch for tests makes the shell an argument instead
    no_detection = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([command, "--show-completion", "bash"], capture_output=True, env=no_detection)
    assert script.returncode == 0 and b"_HARDENER_COMPLETE=complete_bash" in script.stdout

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_HARDENER_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        return subprocess.run([command], env=env, capture_output=True, text=True).stdout.split()

    assert complete("hardener che") == ["check"]
    assert complete("hardener check --ignore read-only") == ["read-only-root-filesystem"]
    assert complete("hardener check --select no-privileged,no-privilege-") == ["no-privileged,no-privilege-escalation"]


def test_quiet_prints_only_errors(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    quiet = hardener("check", "-q", "pod.yaml", cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (1, b"", b"")
    write = hardener("fix", "-w", "--quiet", "pod.yaml", cwd=tmp_path)
    assert (write.returncode, write.stdout, write.stderr) == (0, b"", b"")
    missing = hardener("check", "-q", "missing.yaml", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr == b"error: missing.yaml: no such file\n"


def test_check_fails_on_a_hardened_pod_that_mounts_the_docker_socket_and_names_the_hostpath_line(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(DOCKER_SOCKET_POD)
    result = hardener("check", "pod.yaml", cwd=tmp_path)
    assert result.returncode == 1
    host_path_line = DOCKER_SOCKET_POD.decode().splitlines().index("    hostPath:") + 1
    assert f"pod.yaml:{host_path_line}:5: restricted-volume-types error: Volume docker uses hostPath".encode() in result.stdout


def test_check_diff_and_fix_check_diff_show_the_diff_and_still_fail(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    for args in (["check", "--diff"], ["fix", "--check", "--diff"]):
        result = hardener(*args, "pod.yaml", cwd=tmp_path)
        assert result.returncode == 1, args
        assert result.stdout.startswith(b"--- a/pod.yaml\n+++ b/pod.yaml\n@@ ") and b"+      allowPrivilegeEscalation: false\n" in result.stdout
        assert b" fix: " not in result.stdout and b"#" not in result.stdout, "stdout stays a patch: the diff shows the changes"
    assert (tmp_path / "pod.yaml").read_bytes() == POD
    (tmp_path / "pod.yaml").write_bytes(HARDENED_POD)
    assert hardener("check", "--diff", "pod.yaml", cwd=tmp_path).returncode == 0


def test_output_format_github_annotates_each_change_and_finding(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(DOCKER_SOCKET_POD.replace(b"      allowPrivilegeEscalation: false\n", b""))
    result = hardener("check", "--output-format", "github", "pod.yaml", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    assert "::error file=pod.yaml,line=9,title=hardener no-privilege-escalation::Set allowPrivilegeEscalation to false in container web" in lines
    assert any(line.startswith("::error file=pod.yaml,line=23,endLine=24,title=hardener restricted-volume-types::Volume docker uses hostPath") for line in lines)
    bad = hardener("check", "--output-format", "xml", "pod.yaml", cwd=tmp_path)
    assert bad.returncode == 2 and b"--output-format" in bad.stderr


def test_github_annotations_escape_what_would_end_them():
    from hardener.model import FINDING, Record
    from hardener.report.github import annotation

    record = Record(FINDING, "", "50% done:\nnext, line", file="a,b:c.yaml", line=3)
    assert annotation(record) == "::error file=a%2Cb%3Ac.yaml,line=3,title=hardener hardener::50%25 done:%0Anext, line"


def yaml_documents(data: bytes) -> list:
    return list(YAML(typ="safe", pure=True).load_all(data))


def test_several_files_to_stdout_stay_one_valid_stream(tmp_path):
    files = {
        "a.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a",  # no final newline
        "b.yaml": b"# leading comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
        "c.yaml": b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        "d.yaml": b"%YAML 1.2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n",
        "e.yaml": b"# only a comment\n",
        "f.yaml": b"\xef\xbb\xbf" + POD,  # a byte-order mark, valid only at the start of a stream
        "g.json": b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "g"}}',
        "h.yaml": b"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: h\r\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for jobs in ("1", "2"):
        result = hardener("fix", "-j", jobs, *files, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        documents = yaml_documents(result.stdout)
        assert [d["metadata"]["name"] for d in documents] == ["a", "b", "c", "d", "web", "g", "h"], "no document merged, none empty"
        assert documents[4]["spec"]["securityContext"]["runAsNonRoot"] is True
        from hardener.stream import split

        assert sum(chunk.is_document for chunk in split(result.stdout.decode("utf-8-sig"))) == 7
    one = hardener("fix", "a.yaml", cwd=tmp_path)
    assert one.stdout == files["a.yaml"], "one file is still its bytes, exactly"


def test_helm_source_comments_name_the_template_in_records():
    stream = b"---\n# Source: shop/templates/web.yaml\n" + POD + b"---\n# Source: shop/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n"
    result = hardener("check", "--report", "json", "-", stdin=stream)
    report = json.loads(result.stderr[result.stderr.index(b"{"):])
    assert {change["source"] for change in report["changes"]} == {"shop/templates/web.yaml"}
    assert b"(Pod web, from shop/templates/web.yaml)" in result.stdout
    plain = hardener("check", "--report", "json", "-", stdin=POD)
    assert {change["source"] for change in json.loads(plain.stderr[plain.stderr.index(b"{"):])["changes"]} == {None}


@pytest.mark.parametrize("suffix, expect", [(".json", '"errors"'), (".sarif", '"executionSuccessful": false'), (".md", "(document 0): invalid YAML"), (".txt", "error: <stdin>:5")])
def test_a_filter_error_also_reaches_the_report_file(tmp_path, suffix, expect):
    """Helm 4 hides a post-renderer's stderr: the report file is where its user looks."""
    report = tmp_path / f"report{suffix}"
    broken = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: 'web\n"
    result = subprocess.run([sys.executable, "-m", "hardener.cli", "fix"], input=broken, capture_output=True,
                            env={**os.environ, "HARDENER_REPORT_FILE": str(report)})
    assert result.returncode == 2 and result.stdout == b""
    text = report.read_text()
    assert expect in text and "invalid YAML" in text


def test_a_profile_error_before_the_run_also_reaches_the_report_file(tmp_path):
    report = tmp_path / "report.txt"
    result = subprocess.run([sys.executable, "-m", "hardener.cli", "fix", "--profile", "nope"], input=POD, capture_output=True,
                            env={**os.environ, "HARDENER_REPORT_FILE": str(report)})
    assert result.returncode == 2 and result.stdout == b""
    assert "unknown profile 'nope'" in report.read_text()
