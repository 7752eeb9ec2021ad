"""Bulk remediation of a working tree: ``hardener check DIR``, ``hardener fix -w DIR``.

Every test builds a real directory (and, where it matters, a real git
repository) in a temporary directory and runs the real command line in a
subprocess, so worker processes, atomic writes and exit codes are the ones a
user gets. Corpus manifests are copied into the temporary directory at test
time, never into the repository.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardener.cli import app
from hardener.profile import load_profile
from hardener.runner import WriteBack, harden_inputs
from tests.conftest import CORPUS, corpus_files

WORKLOAD = """\
# The API, hand-written.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: "example/api:1.0"   # pinned
"""

NOT_KUBERNETES = {
    "ci/.github/workflows/ci.yaml": "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
    "ci/docker-compose.yml": "services:\n  web:\n    image: nginx\n    # kind: Deployment is only a comment here\n",
    "ci/values.yaml": "replicaCount: 2\nimage:\n  repository: nginx\nsecurityContext: {}\n",
    "ci/package.json": '{"name": "site", "version": "1.0.0"}\n',
}
UNRENDERED = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n"
    "    spec:\n      containers:\n        {{- range .Values.containers }}\n        - name: {{ .name }}\n"
    "        {{- end }}\n"
)


def hardener(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command line, in its own process, stdout and stderr captured (pipes, not a TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "hardener.cli", *args], cwd=cwd, capture_output=True, check=False
    )


def filter_output(data: bytes) -> bytes:
    """What ``hardener fix -`` writes to stdout for ``data``."""
    result = CliRunner().invoke(app, ["fix", "-"], input=data)
    assert result.exit_code in (0, 1), result.output  # 1: written, but a workload still violates the profile
    return result.stdout_bytes


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (outside .git) by relative path, with its bytes."""
    files = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts[:1] or path.is_symlink() or not path.is_file():
            continue
        files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path




@pytest.fixture
def corpus_repo(tmp_path: Path) -> tuple[Path, set[str]]:
    """A git repository of every corpus file plus YAML hardener must leave alone.

    Returns the root and the relative paths of the corpus copies.
    """
    root = tmp_path / "repo"
    corpus = set()
    for source in corpus_files():
        # Each in a directory of its own, as in the repositories they come from: files of one
        # directory are evidence for each other (a binding in one keeps another's token).
        relative = f"deploy/{source.relative_to(CORPUS).parent.as_posix()}/{source.stem}/{source.name}"
        write(root, relative, source.read_bytes())  # plain, writable copies (the corpus is read-only)
        corpus.add(relative)
    for relative, text in NOT_KUBERNETES.items():
        write(root, relative, text)
    write(root, "chart/Chart.yaml", "apiVersion: v2\nname: api\nversion: 0.1.0\n")
    write(root, "chart/values.yaml", "securityContext: {}\n")
    write(root, "chart/templates/deployment.yaml", WORKLOAD)  # valid YAML, still a chart source
    write(root, "chart/templates/job.yaml", UNRENDERED)
    write(root, "templates-elsewhere/app.yaml", UNRENDERED)
    write(root, "build/generated.yaml", WORKLOAD)  # ignored below
    write(root, ".gitignore", "build/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "manifests")
    write(root, "services/api/untracked.yaml", WORKLOAD)  # not committed: git still lists it
    return root, corpus


def test_check_then_fix_then_check_on_a_git_repository(corpus_repo, tmp_path):
    root, corpus = corpus_repo
    before = snapshot(root)

    checked = hardener("check", str(root))
    assert checked.returncode == 1, checked.stderr.decode()
    assert snapshot(root) == before  # check writes nothing

    report = tmp_path / "pr.md"
    fixed = hardener("fix", "-w", str(root), "--report", "markdown", "--report-file", str(report))
    # written all the same, but the corpus keeps workloads only a human can fix (hostPath volumes...)
    assert fixed.returncode == 1, fixed.stderr.decode()
    assert "hardener: failed (--fail-on errors): " in fixed.stderr.decode().splitlines()[-1]
    after = snapshot(root)
    assert after.keys() == before.keys()

    walked_manifests = {r for r in corpus if r.endswith((".yaml", ".yml", ".json"))} | {"services/api/untracked.yaml"}
    expected_changed = set()
    for relative, data in before.items():
        if relative in walked_manifests:
            expected = filter_output(data)
            assert after[relative] == expected, f"{relative}: -w differs from `hardener fix -`"
            if expected != data:
                expected_changed.add(relative)
        else:
            assert after[relative] == data, f"{relative} is not a manifest hardener may touch"
    assert {r for r in before if after[r] != before[r]} == expected_changed
    assert "services/api/untracked.yaml" in expected_changed
    assert len(expected_changed) > 50

    body = report.read_text(encoding="utf-8")
    untouched = body.split(" left untouched</summary>\n", 1)[1].split("</details>", 1)[0].splitlines()

    def reason_of(file: str) -> str:
        return next(line for line in untouched if f"`{root}/{file}`" in line)

    assert reason_of("chart/templates/deployment.yaml").startswith("- a template of the Helm chart in chart")
    assert reason_of("chart/values.yaml").startswith("- the default values of the Helm chart in chart")
    assert reason_of("templates-elsewhere/app.yaml").startswith("- an unrendered template")
    assert reason_of("ci/docker-compose.yml").startswith("- not a Kubernetes manifest")
    assert len(body) <= 65_536, "a pull-request body GitHub accepts"
    # Every changed file is detailed in its own section, or named (or, past the limit, counted)
    # where the details did not fit.
    missing = [r for r in expected_changed if f"<summary><code>{root}/{r}</code>" not in body and f"`{root}/{r}` (" not in body]
    counted = re.search(r"^\*\*(\d+) more files? are not detailed here\*\*", body, flags=re.MULTILINE)
    assert len(missing) <= (int(counted.group(1)) if counted else 0)
    assert "build/generated.yaml" not in body  # ignored by .gitignore: not even scanned
    closing = fixed.stderr.decode()
    assert f"{len(expected_changed)} hardened" in closing
    assert "skipped 2: Helm chart template" in closing

    rechecked = hardener("check", str(root))
    # nothing would change any more; only what a human must decide fails the check
    assert rechecked.returncode == 1 and " 0 would change, " in rechecked.stderr.decode()
    assert hardener("check", "--fail-on", "never", str(root)).returncode == 0


def test_fix_keeps_file_mode(tmp_path):
    path = write(tmp_path / "d", "app.yaml", WORKLOAD)
    path.chmod(0o640)
    assert hardener("fix", "-w", str(tmp_path / "d")).returncode == 0
    assert path.read_bytes() != WORKLOAD.encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlinks_are_never_followed(tmp_path):
    outside = write(tmp_path / "elsewhere", "secret.yaml", WORKLOAD)
    write(tmp_path / "elsewhere", "more/app.yaml", WORKLOAD)
    root = tmp_path / "root"
    target = write(root, "real.yaml", WORKLOAD)
    (root / "escape.yaml").symlink_to(outside)
    (root / "escape-dir").symlink_to(tmp_path / "elsewhere" / "more", target_is_directory=True)
    (root / "alias.yaml").symlink_to("real.yaml")

    result = hardener("fix", "-w", str(root), "--report", "text")

    assert result.returncode == 0, result.stderr.decode()
    assert outside.read_bytes() == WORKLOAD.encode()
    assert (tmp_path / "elsewhere" / "more" / "app.yaml").read_bytes() == WORKLOAD.encode()
    assert target.read_bytes() == filter_output(WORKLOAD.encode())
    assert (root / "escape.yaml").is_symlink() and (root / "alias.yaml").is_symlink()
    err = result.stderr.decode()
    assert f"{root}/escape.yaml: hardener skip: Skipped the file: a symbolic link that points outside {root}" in err
    assert f"{root}/escape-dir: hardener skip: Skipped the file: a symbolic link that points outside" in err
    assert f"{root}/alias.yaml: hardener skip: Skipped the file: a symbolic link to real.yaml; not followed" in err


def test_read_only_file_is_named_and_left_alone_while_others_are_written(tmp_path):
    root = tmp_path / "d"
    locked = write(root, "a-locked.yaml", WORKLOAD)
    other = write(root, "b-open.yaml", WORKLOAD)
    locked.chmod(0o444)

    result = hardener("fix", "-w", str(root))

    assert result.returncode == 2
    err = result.stderr.decode()
    assert f"error: {locked}: permission denied (file is read-only); not written" in err
    assert f"failed, left untouched: {locked}" in err
    assert locked.read_bytes() == WORKLOAD.encode()
    assert other.read_bytes() == filter_output(WORKLOAD.encode())


def test_a_broken_manifest_fails_alone_with_file_and_line(tmp_path):
    root = tmp_path / "d"
    broken = write(root, "broken.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n")
    good = [write(root, f"good-{index}.yaml", WORKLOAD) for index in range(9)]  # enough for worker processes

    result = hardener("fix", "-w", "--jobs", "2", str(root))

    assert result.returncode == 2
    assert f"error: {broken}:5" in result.stderr.decode()
    assert broken.read_bytes() == b"apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n"
    assert all(path.read_bytes() == filter_output(WORKLOAD.encode()) for path in good)


def _many_services(root: Path, count: int) -> None:
    for index in range(count):
        write(root, f"svc-{index:02d}/deploy.yaml", WORKLOAD.replace("name: api", f"name: api-{index}"))
        write(root, f"svc-{index:02d}/config.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{index}\n")
    write(root, "values.yaml", "image: nginx\n")


def test_jobs_do_not_change_output_or_order(tmp_path):
    root = tmp_path / "d"
    _many_services(root, 12)
    runs = [hardener("fix", "--diff", "--jobs", jobs, "--report", "text", str(root)) for jobs in ("1", "2")]
    assert runs[0].returncode == runs[1].returncode == 0
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stderr == runs[1].stderr
    diffed = [line for line in runs[0].stdout.decode().splitlines() if line.startswith("+++ ")]
    assert diffed == sorted(diffed) and len(diffed) == 12


def test_a_pipe_gets_no_progress_bar(tmp_path):
    root = tmp_path / "d"
    _many_services(root, 15)  # 31 files: enough for a bar on a terminal
    result = hardener("check", str(root))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "\x1b" not in err and "\r" not in err
    assert err.splitlines()[-3:-1] == ["31 files scanned: 15 would change, 15 unchanged, 1 skipped, 0 errors", "  skipped 1: not Kubernetes YAML"]
    assert err.splitlines()[-1].startswith("hardener: failed (--fail-on changes): ")


def test_a_terminal_gets_a_progress_bar(tmp_path):
    pty = pytest.importorskip("pty")
    root = tmp_path / "d"
    _many_services(root, 15)
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "hardener.cli", "check", str(root)],
            stdout=subprocess.PIPE,
            stderr=follower,
            check=False,
        )
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 1
    assert b"hardening" in seen and b"31 files scanned" in seen


def test_outside_git_hidden_directories_are_skipped(tmp_path):
    root = tmp_path / "d"
    hidden = write(root, ".cache/app.yaml", WORKLOAD)
    shown = write(root, "app.yaml", WORKLOAD)
    assert hardener("fix", "-w", str(root)).returncode == 0
    assert hidden.read_bytes() == WORKLOAD.encode()
    assert shown.read_bytes() != WORKLOAD.encode()


def test_printing_a_directory_to_stdout_is_refused(tmp_path):
    write(tmp_path / "d", "app.yaml", WORKLOAD)
    result = hardener("fix", str(tmp_path / "d"))
    assert result.returncode == 2
    assert result.stdout == b""
    assert "a directory holds many files; rewrite them with -w" in result.stderr.decode()


def test_named_files_are_not_triaged(tmp_path):
    """A file the user names is taken as given, exactly as the filter takes it."""
    values = write(tmp_path, "values.yaml", "securityContext: {}\n")
    result = hardener("fix", "--report", "text", str(values))
    assert result.returncode == 0
    assert result.stdout == b"securityContext: {}\n"
    assert "Skipped the file" not in result.stderr.decode()


def test_a_file_named_twice_is_hardened_once(tmp_path):
    root = tmp_path / "d"
    path = write(root, "app.yaml", WORKLOAD)
    result = hardener("fix", "-w", str(root), str(path))
    assert result.returncode == 0
    assert result.stderr.decode().count("hardened ") == 1
    assert path.read_bytes() == filter_output(WORKLOAD.encode())


def test_a_subdirectory_of_a_repository_honours_its_gitignore(tmp_path):
    root = tmp_path / "repo"
    kept = write(root, "deploy/app.yaml", WORKLOAD)
    ignored = write(root, "deploy/generated/app.yaml", WORKLOAD)
    outside = write(root, "other/app.yaml", WORKLOAD)
    write(root, "deploy/.gitignore", "generated/\n")
    git(root, "init", "-q")

    result = hardener("fix", "-w", "deploy", cwd=root)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr.decode().startswith("hardened deploy/app.yaml (")
    assert kept.read_bytes() == filter_output(WORKLOAD.encode())
    assert ignored.read_bytes() == outside.read_bytes() == WORKLOAD.encode()


@pytest.mark.parametrize(
    ("write_back", "changed_keeps", "unchanged_keeps"),
    [
        ("check", set(), set()),
        ("write", {"output_bytes"}, set()),
        ("diff", {"input", "output"}, set()),
        ("stdout", {"output_bytes"}, {"output_bytes"}),
    ],
)
def test_a_bulk_run_keeps_only_what_its_write_back_writes(tmp_path, write_back, changed_keeps, unchanged_keeps):
    """Results wait for the whole run (nothing is written if one fails): they must not hold every text."""
    (tmp_path / "workload.yaml").write_text(WORKLOAD)
    (tmp_path / "hardened.yaml").write_bytes(filter_output(WORKLOAD.encode()))
    summary = harden_inputs([str(tmp_path / "workload.yaml"), str(tmp_path / "hardened.yaml")], load_profile("restricted"), write_back=WriteBack(write_back))
    changed, unchanged = (outcome.result for outcome in summary.outcomes)
    assert changed.changed and changed.changes and not unchanged.changed
    for result, keeps in ((changed, changed_keeps), (unchanged, unchanged_keeps)):
        held = {name for name in ("input", "output", "output_bytes") if getattr(result, name)}
        assert held == keeps, (write_back, result)
