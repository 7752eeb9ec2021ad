"""Every write is complete or reported: stdout, reports and -w on full disks, closed and non-blocking pipes.

These run the real command in a subprocess: what is at stake is what reaches
a file descriptor, and what the process says and exits with when the
environment refuses a write (exit 2, one line, never a traceback, never a
claim that nothing was written when something was).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hardener.api import harden_bytes
from tests.tmpfs import small_tmpfs

POD = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}\nspec:\n  containers:\n  - name: web\n    image: nginx\n"


def pods(count: int) -> bytes:
    return "".join(POD.format(i=i) for i in range(count)).encode()


def resource_list(count: int) -> bytes:
    """A KRM ResourceList of ``count`` Pods, as kpt sends it."""
    item = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-{i}\n  spec:\n    containers:\n    - name: web\n      image: nginx\n"
    return ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + "".join(item.format(i=i) for i in range(count))).encode()


def hardener(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener", *args], capture_output=True, **kwargs)


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text and "Exception ignored" not in text and "internal error" not in text, text
    assert text.count("\n") == 1, text
    return text


@pytest.fixture
def big(tmp_path) -> Path:
    path = tmp_path / "pods.yaml"
    path.write_bytes(pods(500))  # hardened, about twice a pipe's 64 KB
    return path


def test_stdout_on_a_non_blocking_pipe_gets_every_byte(big):
    """PYTHONUNBUFFERED=1 makes stdout a raw stream: a short write must be finished, EAGAIN waited out."""
    expected = harden_bytes(big.read_bytes()).output_bytes
    for command in (["fix", str(big)], ["krm"]):
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        stdin = subprocess.PIPE if command == ["krm"] else subprocess.DEVNULL
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen([sys.executable, "-m", "hardener", *command], stdin=stdin, stdout=write_end, stderr=subprocess.PIPE, env=env)
        os.close(write_end)
        if command == ["krm"]:
            process.stdin.write(resource_list(500))
            process.stdin.close()
        received = b""
        while block := os.read(read_end, 65536):
            received += block
            time.sleep(0.002)  # a slow reader: the pipe fills and the writer meets EAGAIN
        os.close(read_end)
        stderr = process.stderr.read()
        assert process.wait() == 0, stderr
        if command == ["krm"]:
            assert received.startswith(b"apiVersion: config.kubernetes.io/v1") and b"runAsNonRoot: true" in received
        else:
            assert received == expected


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [["fix", "{big}"], ["fix", "--diff", "{big}"], ["transforms"], ["explain", "run-as-non-root"], ["profiles"], ["profiles", "show", "restricted"]],
)
def test_a_full_device_on_stdout_is_one_line_and_exit_2(tmp_path, args):
    pod = tmp_path / "pod.yaml"
    pod.write_bytes(pods(1))
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "hardener", *(a.format(big=pod) for a in args)], stdout=full, stderr=subprocess.PIPE
        )
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "No space left on device" in line and line.startswith("error: ")


def test_a_closed_pipe_is_exit_2_and_says_the_output_is_incomplete(big):
    """``| head`` closes the pipe: that is not "would change" (1), and the output is not complete."""
    process = subprocess.Popen([sys.executable, "-m", "hardener", "fix", str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(100).startswith(b"---\napiVersion")
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait() == 2
    line = one_line(stderr)
    assert "Broken pipe" in line and "the output on standard output is incomplete" in line and "bytes written)" in line


def test_a_full_disk_during_write_back_says_what_was_written(tmp_path):
    """The first file fits, the second does not: exit 2, it is named, the first stays hardened, no temporary file."""
    with small_tmpfs(tmp_path / "disk", kilobytes=64) as disk:
        small, large = disk / "a.yaml", disk / "b.yaml"
        small.write_bytes(pods(1))
        large.write_bytes(pods(150))  # its hardened copy does not fit beside it
        before = large.read_bytes()
        result = hardener("fix", "-w", "--jobs", "1", str(small), str(large))
        assert result.returncode == 2, result.stderr
        err = result.stderr.decode()
        assert "Traceback" not in err and "internal error" not in err
        assert f"hardened {small}" in err
        assert f"error: {large}: cannot write: No space left on device; left as it was" in err
        assert b"runAsNonRoot: true" in small.read_bytes() and large.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["a.yaml", "b.yaml"]


def test_a_report_on_a_full_disk_leaves_the_previous_one(tmp_path, big):
    with small_tmpfs(tmp_path / "disk", kilobytes=64) as disk:  # the JSON report of 500 pods is far larger
        report = disk / "report.json"
        report.write_text('{"previous": true}\n')
        result = hardener("check", "--report-file", str(report), str(big))  # the suffix: a JSON report
        assert result.returncode == 2
        line = one_line(result.stderr.split(b"\n", 1)[1])  # after "would harden ..."
        assert f"error: {report}: cannot write the report: No space left on device" in line
        assert report.read_text() == '{"previous": true}\n'
        assert sorted(p.name for p in disk.iterdir()) == ["report.json"]


def test_a_profile_that_is_not_utf8_is_one_line(tmp_path, big):
    profile = tmp_path / "mine.yaml"
    profile.write_bytes(b"extends: restricted\n# caf\xe9\n")
    result = hardener("fix", "--profile", str(profile), str(big))
    assert result.returncode == 2 and result.stdout == b""
    assert one_line(result.stderr) == f"error: {profile}:2: cannot decode as UTF-8: byte 0xe9 at offset 25 (in a profile)\n"


@pytest.mark.parametrize("args", [["fix", "{pod}"], ["transforms"]])
def test_a_closed_stdout_is_one_line_and_exit_2_and_nothing_lands_in_another_file(tmp_path, args):
    """``>&-``: fd 1 stays refused, or the next file opened (the output spool) would receive stdout."""
    pod = tmp_path / "pod.yaml"
    pod.write_bytes(pods(1))
    result = subprocess.run(
        [sys.executable, "-m", "hardener", *(a.format(pod=pod) for a in args)],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 2
    assert "Bad file descriptor" in one_line(result.stderr)
    assert pod.read_bytes() == pods(1)
