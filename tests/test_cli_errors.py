"""No traceback anywhere: a property test over the command line's error paths.

Hypothesis draws a command (fix, fix -w, --diff, --check, check), an input
(good, broken, not UTF-8, binary, empty, missing, a directory, a link), its
file name (plain, with spaces, not UTF-8), a profile (shipped, missing, not
UTF-8, invalid, a directory, unknown transforms), a report (none, a format,
a file that is the input, in a missing directory, a directory, a full
device) and where stdout goes (/dev/null or a full device). The command runs
in-process through ``cli.main`` with its descriptors redirected, and must
end the way the README says: exit 0, 1 or 2, no traceback and no internal
error, every error on a line of its own, and the input either as it was or
hardened by ``-w``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardener import cli

GOOD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n"
INPUTS = {
    "good": GOOD,
    "broken": b"apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n",
    "latin-1": GOOD.replace(b"name: p", b"name: caf\xe9"),
    "binary": b"\x00\x01\x02apiVersion",
    "empty": b"",
    "alias bomb": b"apiVersion: v1\nkind: Pod\nmetadata:\n  s: &s " + b"x" * 5000 + b"\n  l: [" + b",".join([b"*s"] * 4000) + b"]\n",
}
NAMES = ["pod.yaml", "my pod.yaml", os.fsdecode(b"caf\xe9.yaml"), os.fsdecode(b"\xff\xfe.json")]
PROFILES = {
    "shipped": None,
    "missing": "missing.yaml",
    "latin-1": b"extends: restricted\n# caf\xe9\n",
    "invalid": b"extends: [restricted\n",
    "unknown transform": b"transforms:\n  no-such-transform: true\n",
    "directory": "a-directory/",
}
MODES = [["fix"], ["fix", "-w"], ["fix", "--diff"], ["fix", "--check"], ["check"]]
REPORTS = ["none", "json", "sarif", "same as input", "missing directory", "a directory", "full device"]


def _main(argv: list[str], cwd: Path, stdout: str) -> tuple[int, str]:
    """Run ``hardener argv`` in-process with fd 1 on ``stdout`` and fd 2 captured; its exit code and stderr."""
    saved = os.dup(1), os.dup(2), os.getcwd(), sys.argv
    with tempfile.TemporaryFile() as err_file:
        out_fd = os.open(stdout, os.O_WRONLY)
        try:
            os.dup2(out_fd, 1)
            os.dup2(err_file.fileno(), 2)
            os.chdir(cwd)
            sys.argv = ["hardener", *argv]
            try:
                cli.main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (out_fd, saved[0], saved[1]):
                os.close(fd)
            os.chdir(saved[2])
            sys.argv = saved[3]
        err_file.seek(0)
        return code, err_file.read().decode("utf-8", "replace")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(MODES),
    content=st.sampled_from(sorted(INPUTS) + ["missing", "directory", "link"]),
    name=st.sampled_from(NAMES),
    profile=st.sampled_from(sorted(PROFILES)),
    report=st.sampled_from(REPORTS),
    stdout=st.sampled_from(["/dev/null", "/dev/full"]),
)
def test_every_error_path_ends_in_a_line_and_a_documented_exit_code(tmp_path_factory, mode, content, name, profile, report, stdout):
    if stdout == "/dev/full" and not os.path.exists("/dev/full"):
        stdout = "/dev/null"
    work = tmp_path_factory.mktemp("cli")
    (work / "a-directory").mkdir()
    path = work / name
    if content == "directory":
        path.mkdir()
    elif content == "link":
        (work / "target.yaml").write_bytes(GOOD)
        path.symlink_to("target.yaml")
    elif content != "missing":
        path.write_bytes(INPUTS[content])
    before = path.read_bytes() if path.is_file() else None
    argv = [*mode, f"./{name}"]
    if PROFILES[profile] is not None:
        profile_path = PROFILES[profile]
        if isinstance(profile_path, bytes):
            (work / "profile.yaml").write_bytes(profile_path)
            profile_path = "profile.yaml"
        argv += ["--profile", profile_path]
    report_file = {
        "same as input": f"./{name}",
        "missing directory": "no/such/dir/r.json",
        "a directory": "a-directory",
        "full device": "/dev/full",
    }.get(report)
    if report in ("json", "sarif"):
        argv += ["--report", report]
    elif report_file is not None:
        argv += ["--report", "text", "--report-file", report_file]

    code, err = _main(argv, work, stdout)

    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err, (argv, err)
    if code == 2:
        assert any(line.startswith(("error: ", "Error: ", "Usage: ")) for line in err.splitlines()), (argv, err)
    if before is not None:
        after = path.read_bytes()
        rewritten = code in (0, 2) and mode == ["fix", "-w"] and after != before
        assert after == before or (rewritten and content in ("good", "latin-1") and b"runAsNonRoot: true" in after), (argv, err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_the_harness_sees_a_full_device(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(GOOD)
    code, err = _main(["fix", "pod.yaml"], tmp_path, "/dev/full")
    assert code == 2 and err == "error: cannot write: No space left on device; nothing was written to standard output\n"
