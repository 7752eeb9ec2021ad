"""A repository's configuration as a user meets it: found, honoured by every command, overridden, explained.

Each test builds a small repository in a temporary directory (with ``.git``,
so discovery stops there) and runs the real command line in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardener.cli import app

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
NO_ROOTFS = "ignore: [read-only-root-filesystem]\n"


def invoke(*args: str, stdin: str = "", env: dict | None = None):
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """An empty repository (a ``.git`` directory is all discovery looks for), as the working directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_hardener_yaml_in_the_working_directory_applies_to_a_filter(repo: Path):
    assert "readOnlyRootFilesystem: true" in invoke("fix", "-", stdin=POD).stdout
    write(repo / ".hardener.yaml", NO_ROOTFS)
    out = invoke("fix", "-", stdin=POD).stdout
    assert "readOnlyRootFilesystem" not in out and "allowPrivilegeEscalation: false" in out


def test_pyproject_tool_hardener_applies_and_a_pyproject_without_it_is_ignored(repo: Path):
    write(repo / "pyproject.toml", '[project]\nname = "x"\n\n[tool.hardener]\nignore = ["read-only-root-filesystem"]\n')
    assert "readOnlyRootFilesystem" not in invoke("fix", "-", stdin=POD).stdout
    sub = write(repo / "deploy" / "pyproject.toml", '[project]\nname = "y"\n').parent  # not a configuration
    write(sub / "pod.yaml", POD)
    assert "readOnlyRootFilesystem" not in invoke("fix", "deploy/pod.yaml").stdout


def test_hardener_yaml_wins_over_pyproject_in_the_same_directory(repo: Path):
    write(repo / "pyproject.toml", '[tool.hardener]\nignore = ["no-privilege-escalation"]\n')
    write(repo / ".hardener.yaml", NO_ROOTFS)
    out = invoke("fix", "-", stdin=POD).stdout
    assert "readOnlyRootFilesystem" not in out and "allowPrivilegeEscalation: false" in out


def test_each_file_uses_its_closest_configuration(repo: Path):
    write(repo / ".hardener.yaml", NO_ROOTFS)
    write(repo / "team" / ".hardener.yaml", "ignore: [no-privilege-escalation]\n")
    write(repo / "a.yaml", POD)
    write(repo / "team" / "b.yaml", POD)
    result = invoke("fix", "-w", "a.yaml", "team/b.yaml")
    assert result.exit_code == 0, result.stderr
    a, b = (repo / "a.yaml").read_text(), (repo / "team" / "b.yaml").read_text()
    assert "readOnlyRootFilesystem" not in a and "allowPrivilegeEscalation: false" in a
    assert "readOnlyRootFilesystem: true" in b and "allowPrivilegeEscalation" not in b, "the closest file applies whole"


def test_the_same_files_get_the_same_result_however_they_are_named(repo: Path, monkeypatch):
    """pre-commit names files from the root, a person runs in a subdirectory: same configuration."""
    write(repo / ".hardener.yaml", NO_ROOTFS)
    write(repo / "deploy" / "pod.yaml", POD)
    from_root = invoke("fix", "deploy/pod.yaml").stdout
    monkeypatch.chdir(repo / "deploy")
    assert invoke("fix", "pod.yaml").stdout == from_root
    assert "readOnlyRootFilesystem" not in from_root


def test_discovery_stops_at_the_repository_root(tmp_path: Path, monkeypatch):
    write(tmp_path / ".hardener.yaml", NO_ROOTFS)  # above the repository: not this repository's
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    assert "readOnlyRootFilesystem: true" in invoke("fix", "-", stdin=POD).stdout


def test_profile_by_shipped_name_by_path_relative_to_the_configuration_and_inline(repo: Path):
    write(repo / "policy" / "mine.yaml", "extends: restricted\ntransforms:\n  read-only-root-filesystem: false\n")
    write(repo / "deploy" / "pod.yaml", POD)
    write(repo / "deploy" / ".hardener.yaml", "profile: ../policy/mine.yaml\n")
    assert "readOnlyRootFilesystem" not in invoke("fix", "deploy/pod.yaml").stdout
    write(repo / "deploy" / ".hardener.yaml", "profile: baseline\n")
    assert "runAsNonRoot" not in invoke("fix", "deploy/pod.yaml").stdout
    inline = "profile:\n  extends: ../policy/mine.yaml\n  transforms:\n    no-privilege-escalation: false\n"
    write(repo / "deploy" / ".hardener.yaml", inline)
    out = invoke("fix", "deploy/pod.yaml").stdout
    assert "readOnlyRootFilesystem" not in out and "allowPrivilegeEscalation" not in out and "runAsNonRoot: true" in out


def test_command_line_overrides_the_configuration(repo: Path):
    write(repo / ".hardener.yaml", "profile: baseline\nignore: [read-only-root-filesystem]\n")
    assert "runAsNonRoot" not in invoke("fix", "-", stdin=POD).stdout
    out = invoke("fix", "--profile", "restricted", "-", stdin=POD).stdout
    assert "runAsNonRoot: true" in out and "readOnlyRootFilesystem" not in out, "--profile replaces only the profile"
    assert "readOnlyRootFilesystem: true" in invoke("fix", "--no-config", "-", stdin=POD).stdout
    other = write(repo / "elsewhere" / "strict.yaml", "profile: restricted\n")
    assert "readOnlyRootFilesystem: true" in invoke("fix", "--config", str(other), "-", stdin=POD).stdout


def test_select_and_ignore_for_one_run(repo: Path):
    out = invoke("fix", "--select", "run-as-non-root,no-privilege-escalation", "-", stdin=POD).stdout
    assert "runAsNonRoot: true" in out and "allowPrivilegeEscalation: false" in out
    assert "readOnlyRootFilesystem" not in out and "seccompProfile" not in out
    out = invoke("fix", "--ignore", "run-as-non-root", "--ignore", "drop-all-capabilities", "-", stdin=POD).stdout
    assert "runAsNonRoot" not in out and "capabilities" not in out and "readOnlyRootFilesystem: true" in out
    bad = invoke("fix", "--ignore", "run-as-rot", "-", stdin=POD)
    assert bad.exit_code == 2 and "--ignore: unknown transform 'run-as-rot'" in bad.stderr and bad.stdout == ""


def test_per_file_ignores_and_exclude_match_paths_relative_to_the_configuration(repo: Path):
    write(repo / ".hardener.yaml", "per-file-ignores:\n  legacy/*.yaml: [read-only-root-filesystem]\nexclude: [vendor]\n")
    for name in ("legacy/a.yaml", "apps/b.yaml", "vendor/c.yaml", "apps/vendor/d.yaml"):
        write(repo / name, POD)
    result = invoke("fix", "-w", ".")
    assert result.exit_code == 0, result.stderr
    assert "readOnlyRootFilesystem" not in (repo / "legacy/a.yaml").read_text()
    assert "readOnlyRootFilesystem: true" in (repo / "apps/b.yaml").read_text()
    assert (repo / "vendor/c.yaml").read_text() == POD and (repo / "apps/vendor/d.yaml").read_text() == POD
    assert "skipped 2: excluded by the configuration" in result.stderr


def test_an_excluded_file_named_on_the_command_line_is_skipped_and_a_filter_passes_it_through(repo: Path):
    write(repo / ".hardener.yaml", "exclude: ['generated/**']\n")
    write(repo / "generated" / "x" / "pod.yaml", POD)
    check = invoke("check", "--report", "text", "generated/x/pod.yaml")
    assert check.exit_code == 0
    assert "excluded by the configuration ('generated/**' at .hardener.yaml:1)" in check.stderr
    assert invoke("fix", "generated/x/pod.yaml").stdout == POD
    assert invoke("fix", "--stdin-filename", "generated/x/pod.yaml", "-", stdin=POD).stdout == POD


def test_stdin_filename_names_stdin_in_reports_and_selects_its_configuration(repo: Path):
    write(repo / ".hardener.yaml", "per-file-ignores:\n  'apps/**': [read-only-root-filesystem]\n")
    result = invoke("check", "--stdin-filename", "apps/web/pod.yaml", "-", stdin=POD)
    assert result.exit_code == 1
    assert "apps/web/pod.yaml:7:5: no-privilege-escalation fix: " in result.stdout and "<stdin>" not in result.stdout
    assert "read-only-root-filesystem" not in result.stdout
    assert "read-only-root-filesystem" in invoke("check", "-", stdin=POD).stdout


def test_report_settings_from_the_configuration_and_the_environment_wins(repo: Path):
    write(repo / ".hardener.yaml", "report: json\nreport-file: out/report.json\n")
    (repo / "out").mkdir()
    assert invoke("fix", "-", stdin=POD).exit_code == 0
    assert json.loads((repo / "out" / "report.json").read_text())["summary"]["changes"] == 9  # the five settings, seccomp, nginx's UID, its writable mounts and their volumes
    result = invoke("fix", "-", stdin=POD, env={"HARDENER_REPORT_FILE": str(repo / "helm.txt")})
    assert result.exit_code == 0
    assert (repo / "helm.txt").read_text().startswith("<stdin>:"), "the environment's file, in the format its name says"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("profile: restricted\nignroe: [x]\n", ".hardener.yaml:2: ignroe: unknown setting; allowed: profile, select"),
        ("profile: restricted\nignore: [read-only-rootfs]\n", ".hardener.yaml:2: ignore: unknown transform 'read-only-rootfs'"),
        ("fail-on: sometimes\n", ".hardener.yaml:1: fail-on: expected one of findings, changes, may-break, errors, never"),
        ("\n\nprofile: nope\n", ".hardener.yaml:3: profile: unknown profile 'nope'"),
        ("profile:\n  transforms:\n    no-such: false\n", ".hardener.yaml:1: profile: transforms: unknown transform 'no-such'"),
        ("per-file-ignores:\n  a/*: [ok]\n", ".hardener.yaml:2: per-file-ignores: unknown transform 'ok'"),
        ("profile: [a]\n", ".hardener.yaml:1: profile: a shipped profile name"),
        ("ignore: [a\n", ".hardener.yaml:2"),
        ("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\n", "a kustomize transformer configuration"),
    ],
)
def test_errors_name_file_line_and_key_and_nothing_is_written(repo: Path, text: str, message: str):
    write(repo / ".hardener.yaml", text)
    write(repo / "pod.yaml", POD)
    for args in (["fix", "-w", "pod.yaml"], ["check", "pod.yaml"], ["config"]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, result.stderr
    assert (repo / "pod.yaml").read_text() == POD


def test_pyproject_errors_name_the_line_too(repo: Path):
    write(repo / "pyproject.toml", '[project]\nname = "x"\n\n[tool.hardener]\nprofile = "restricted"\nselect = ["nope"]\n')
    result = invoke("check", "-", stdin=POD)
    assert result.exit_code == 2 and "pyproject.toml:6: select: unknown transform 'nope'" in result.stderr


def test_config_shows_what_is_in_force_and_where_each_value_comes_from(repo: Path):
    write(repo / ".hardener.yaml", "profile: restricted\nignore: [read-only-root-filesystem]\nper-file-ignores:\n  legacy/*: [run-as-non-root]\nfail-on: errors\n")
    out = invoke("config", "legacy/pod.yaml").stdout.splitlines()
    assert out[1] == "# configuration file: .hardener.yaml"
    assert 'profile: "restricted"  # .hardener.yaml:1' in out
    assert 'ignore: ["read-only-root-filesystem"]  # .hardener.yaml:2' in out
    assert 'per-file-ignores: {"legacy/*": ["run-as-non-root"]}  # .hardener.yaml:4' in out
    assert 'fail-on: "errors"  # .hardener.yaml:5' in out
    transforms = json.loads(next(line for line in out if line.startswith("transforms:")).split(":", 1)[1].split("  #")[0])
    assert "read-only-root-filesystem" not in transforms and "run-as-non-root" not in transforms and "no-privilege-escalation" in transforms
    cli = invoke("config", "--profile", "baseline", "--ignore", "no-privileged", "apps/x.yaml").stdout
    assert 'profile: "baseline"  # --profile' in cli and "# .hardener.yaml:2 and --ignore" in cli
    assert "no configuration file (--no-config)" in invoke("config", "--no-config").stdout


def test_verbose_says_which_configuration_and_profile_each_input_uses(repo: Path):
    write(repo / ".hardener.yaml", NO_ROOTFS)
    write(repo / "pod.yaml", POD)
    result = invoke("check", "-v", "pod.yaml")
    assert "pod.yaml: .hardener.yaml; profile restricted" in result.stderr
    assert "ignoring read-only-root-filesystem" in result.stderr


def test_per_file_profiles_reach_worker_processes(repo: Path):
    """Enough files for worker processes: each still gets its own configuration's profile."""
    write(repo / "loose" / ".hardener.yaml", NO_ROOTFS)
    for index in range(6):
        write(repo / "strict" / f"p{index}.yaml", POD)
        write(repo / "loose" / f"p{index}.yaml", POD)
    result = invoke("fix", "-w", "-j", "2", "strict", "loose")
    assert result.exit_code == 0, result.stderr
    for index in range(6):
        assert "readOnlyRootFilesystem: true" in (repo / "strict" / f"p{index}.yaml").read_text()
        assert "readOnlyRootFilesystem" not in (repo / "loose" / f"p{index}.yaml").read_text()


PRIVILEGED = POD.replace("    image: nginx\n", "    image: nginx\n    securityContext:\n      privileged: true\n")


def test_fail_on_from_the_configuration_sets_checks_gate_and_the_command_line_wins(repo: Path):
    write(repo / "pod.yaml", POD)
    assert invoke("check", "pod.yaml").exit_code == 1  # changes: check's default
    write(repo / ".hardener.yaml", "fail-on: errors\n")
    result = invoke("check", "pod.yaml")
    assert result.exit_code == 0 and " fix: " in result.stdout, "still printed, no longer failing"
    assert invoke("fix", "--check", "pod.yaml").exit_code == 0
    assert invoke("check", "--fail-on", "changes", "pod.yaml").exit_code == 1
    write(repo / ".hardener.yaml", "fail-on: never\n")
    write(repo / "agent.yaml", PRIVILEGED)
    assert invoke("check", "agent.yaml").exit_code == 0
    assert invoke("fix", "agent.yaml").exit_code == 1, "fix keeps its own gate: a workload still violates the profile"


def test_unsafe_fixes_from_the_configuration_and_the_command_line_wins(repo: Path):
    assert "privileged: true" in invoke("fix", "-", stdin=PRIVILEGED).stdout
    write(repo / ".hardener.yaml", "unsafe-fixes: [no-privileged]\n")
    result = invoke("fix", "-", stdin=PRIVILEGED)
    assert result.exit_code == 0 and "privileged: false" in result.stdout
    assert "privileged: true" in invoke("fix", "--no-unsafe-fixes", "-", stdin=PRIVILEGED).stdout
    assert 'unsafe-fixes: ["no-privileged"]  # .hardener.yaml:1' in invoke("config").stdout


def test_may_break_counts_changes_of_a_profile_only_one_file_uses(repo: Path):
    """The gate knows every transform's safety, not only those of the working directory's profile."""
    write(repo / ".hardener.yaml", "profile: baseline\n")  # baseline changes nothing in POD
    write(repo / "team" / ".hardener.yaml", "profile: restricted\n")  # restricted: may-break fills
    write(repo / "team" / "pod.yaml", POD)
    result = invoke("fix", "--fail-on", "may-break", "--diff", "team/pod.yaml")
    assert result.exit_code == 1, result.stderr
    assert "changes that may break the app" in result.stderr
