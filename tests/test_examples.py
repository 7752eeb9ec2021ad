"""End-to-end: every file in examples/ hardened by the CLI, snapshotted as bytes.

The snapshots are the reviewed expected output. ``pytest --snapshot-update``
rewrites them; review the diff of ``tests/__snapshots__`` before committing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fidelity import fidelity_problems
from tests.snapshots import DiffBytesSnapshot, YamlBytesSnapshot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
INPUTS = sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml", ".json"))


def hardener(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], input=stdin, capture_output=True, cwd=EXAMPLES.parent)


# Examples that keep a value the author set explicitly (an unsafe fix hardener does not apply
# by default): the output is written, and the run fails on the error finding that says so.
KEEPS_AN_EXPLICIT_VALUE = {"helm-template-output.yaml": "readOnlyRootFilesystem to true in container report (it was explicitly false): not applied"}


def expected_exit(path) -> int:
    return 1 if path.name in KEEPS_AN_EXPLICIT_VALUE else 0


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_example_output(path, snapshot):
    result = hardener("fix", "-", stdin=path.read_bytes())
    assert result.returncode == expected_exit(path), result.stderr
    assert KEEPS_AN_EXPLICIT_VALUE.get(path.name, "").encode() in result.stderr
    assert result.stdout == snapshot(extension_class=YamlBytesSnapshot)


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_example_diff(path, snapshot):
    result = hardener("fix", "--diff", str(path.relative_to(EXAMPLES.parent)))
    assert result.returncode == expected_exit(path), result.stderr
    assert result.stdout == snapshot(extension_class=DiffBytesSnapshot)


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_example_fidelity(path):
    assert fidelity_problems(path.read_bytes(), name=path.name) == []
