"""Running the real hosts (helm 3, helm 4, kpt, kubectl) with this checkout's hardener on PATH.

A test skips only when a host binary cannot be had here (tests/hosts.py says
why); everything else that goes wrong fails. The hosts find ``hardener``
through PATH: the bin directory of the Python running the tests (the venv
the project is installed in), never a machine path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests import hosts
from tests.psa import check_pod, pod_specs

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
VENV_BIN = Path(sys.executable).parent

# The checks the five core settings satisfy; seccomp and runAsUser are other transforms' job.
REQUIRED_CHECKS = frozenset({"allowPrivilegeEscalation", "runAsNonRoot", "capabilities_restricted"})
# Lines hardener may rewrite: a scalar it sets, or an empty `{}` that becomes the block it stood for.
EDITABLE_LINE = re.compile(
    r"^\s*(-\s+)?(allowPrivilegeEscalation|runAsNonRoot|readOnlyRootFilesystem|automountServiceAccountToken|"
    r"securityContext|capabilities|drop):"
)


def host(get) -> Path:
    """A host binary, or a skip that says why it cannot be had."""
    try:
        return get()
    except hosts.HostUnavailable as exc:
        pytest.skip(f"host binary unavailable: {exc}")


@pytest.fixture(scope="session")
def hardener_path() -> str:
    """PATH with the venv's bin directory first, so hosts run this checkout's hardener."""
    if not (VENV_BIN / "hardener").exists():
        pytest.fail(f"no hardener script next to {sys.executable}; install the project: pip install -e '.[test]'")
    return f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture
def host_env(tmp_path: Path, hardener_path: str) -> dict:
    """An environment for one test: hardener on PATH, and Helm's homes inside tmp_path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HELM_", "HARDENER_", "KUSTOMIZE_"))}
    env["PATH"] = hardener_path
    for name in ("CACHE", "CONFIG", "DATA"):
        env[f"HELM_{name}_HOME"] = str(tmp_path / "helm-home" / name.lower())
    return env


def helm_for(major: int, tmp_path: Path) -> Path:
    """A directory holding a ``helm`` (the pinned ``major``) to put first on PATH."""
    binary = host(lambda: hosts.helm_binary(major))
    bin_dir = tmp_path / f"helm{major}-bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "helm"
    if not link.exists():
        link.symlink_to(binary)
    return bin_dir


def run(cmd: list[str], env: dict, cwd: Path | None = None, stdin: bytes | None = None) -> str:
    """Run a host command; fail with its output when it fails."""
    proc = subprocess.run(cmd, env=env, cwd=cwd, input=stdin, capture_output=True)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n--- stdout\n{proc.stdout.decode(errors='replace')}"
            f"\n--- stderr\n{proc.stderr.decode(errors='replace')}"
        )
    return proc.stdout.decode("utf-8")


def documents(text: str) -> list:
    return [doc for doc in YAML(typ="safe", pure=True).load_all(text) if doc is not None]


HOOK = "helm.sh/hook"


def is_hook(doc: dict) -> bool:
    return HOOK in ((doc.get("metadata") or {}).get("annotations") or {})


def non_hook_text(text: str) -> str:
    """The documents Helm 3 post-renders (it leaves hooks alone), re-dumped for the PSA check."""
    from io import StringIO

    from ruamel.yaml import YAML

    out = StringIO()
    YAML(typ="safe", pure=True).dump_all([d for d in documents(text) if not is_hook(d)], out)
    return out.getvalue()


def unhardened_pods(text: str) -> tuple[int, list[str]]:
    """How many pods the stream holds, and every failed required PSA check among them."""
    pods, problems = 0, []
    for doc in documents(text):
        for metadata, spec in pod_specs(doc):
            pods += 1
            name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
            problems += [f"{name}: {v.message}" for v in check_pod(metadata, spec, "restricted") if v.check in REQUIRED_CHECKS]
    return pods, problems


def lost_lines(before: str, after: str) -> list[str]:
    """Lines of ``before`` missing from ``after`` (in order) that hardener had no business editing."""
    import difflib

    old, new = before.splitlines(), after.splitlines()
    lost = []
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            lost += [line for line in old[i1:i2] if not EDITABLE_LINE.match(line)]
    return lost


def comments(text: str) -> list[str]:
    """Every comment's words (hosts such as kpt may re-space what is before the ``#``)."""
    return sorted(line[line.index("#"):].strip() for line in text.splitlines() if "#" in line)


def copy_example(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target, symlinks=True)
    return target


def helm4_plugins(tmp_path: Path) -> Path:
    """A plugins directory holding the example Helm 4 plugin, for HELM_PLUGINS."""
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "helm-plugin", plugins / "hardener")
    return plugins
