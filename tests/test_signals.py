"""SIGTERM and SIGINT at several points of a bulk run: every input whole, nothing left behind, the truth told.

A real ``hardener fix -w --jobs 8`` over a few hundred files runs in its own
session; the signal goes to hardener alone (as a CI runner's timeout sends
it), while it hardens or while it writes back. Afterwards every file is
byte-identical or fully hardened, no temporary file is left, no process of
the session survives (a worker left behind would hold the caller's pipes
open: ``communicate`` would hang), and the exit code and the last line say
what happened.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hardener.api import harden_bytes

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/app:{i}
      - name: sidecar
        image: registry.example.com/sidecar:{i}
"""
FILES = 300


@pytest.fixture
def tree(tmp_path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A directory of manifests, with what each holds now and what it holds hardened."""
    root = tmp_path / "deploy"
    root.mkdir()
    before, after = {}, {}
    for i in range(FILES):
        data = "---\n".join(DEPLOYMENT.format(i=f"{i}-{k}") for k in range(3)).encode()
        name = f"app-{i:03}.yaml"
        (root / name).write_bytes(data)
        before[name] = data
        after[name] = harden_bytes(data, file=name).output_bytes
    return root, before, after


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (zombies aside)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def _as_a_terminal_starts_it() -> None:
    """SIGINT as a foreground job has it (a background job, like this test's runner may be, ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _catches(pid: int, signum: int) -> bool:
    """Whether ``pid`` has installed a handler for ``signum`` (before that, it is still starting up)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught >> (signum - 1) & 1)


def _interrupt(root: Path, signum: int, when: str) -> tuple[int, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hardener", "fix", "-w", "--jobs", "8", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_as_a_terminal_starts_it,
    )
    deadline = time.monotonic() + 120
    directory_mtime = root.stat().st_mtime_ns
    while time.monotonic() < deadline and process.poll() is None:
        if not _catches(process.pid, signum):
            pass  # still starting up
        elif when == "hardening" and len(_children(process.pid)) >= 2:
            break  # the workers are up and busy; nothing is written before every file is hardened
        if when == "write-back" and root.stat().st_mtime_ns != directory_mtime:
            break  # a temporary file or a rename: the write-back has begun
        time.sleep(0.001)
    assert process.poll() is None, "the run ended before the signal could be sent; make the tree bigger"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)  # hangs if any process still holds the pipes
    for _ in range(200):
        if not _session(process.pid):
            break
        time.sleep(0.01)
    assert not _session(process.pid), "worker processes outlived hardener"
    return process.returncode, stderr.decode()


pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to see worker processes")


@pytest.mark.parametrize(
    ("signum", "when"),
    [(signal.SIGTERM, "hardening"), (signal.SIGINT, "hardening"), (signal.SIGTERM, "write-back")],
    ids=["SIGTERM-hardening", "SIGINT-hardening", "SIGTERM-write-back"],
)
def test_a_signal_leaves_every_file_whole_and_nothing_behind(tree, signum, when):
    root, before, after = tree
    code, stderr = _interrupt(root, signum, when)
    assert code == 128 + signum, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    last = stderr.splitlines()[-1]
    assert last.startswith(f"hardener: interrupted by {signal.Signals(signum).name}; "), stderr
    hardened = []
    for name in sorted(before):
        data = (root / name).read_bytes()
        assert data in (before[name], after[name]), f"{name} is neither its old self nor hardened"
        if data == after[name]:
            hardened.append(name)
    assert sorted(p.name for p in root.iterdir()) == sorted(before), "a temporary file was left behind"
    if hardened:
        assert f"{len(hardened)} file(s) were hardened, {len(before) - len(hardened)} left as they were" in last
    else:
        assert last.endswith("; nothing was written")


def test_a_signal_to_a_filter_emits_nothing():
    process = subprocess.Popen(
        [sys.executable, "-m", "hardener", "fix", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdin.write(b"".join((b"---\n" + DEPLOYMENT.format(i=i).encode()) for i in range(50)))
    process.stdin.flush()  # the input has not ended: hardener is waiting for more
    deadline = time.monotonic() + 60
    while not _catches(process.pid, signal.SIGTERM) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143 and stdout == b""
    assert stderr.decode() == "hardener: interrupted by SIGTERM; nothing was written\n"
