"""Fail closed: a patched document that does not mean what its edits meant is never emitted.

The faulty transforms here are real transform classes, registered through
``hardener.registry.Registry`` (API tests) or through the
``hardener.transforms`` entry-point group of a plugin found on PYTHONPATH
(the CLI test), so the run takes the real path: transform, patch, verify.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

from hardener.api import harden
from hardener.errors import InternalError
from hardener.profile import Profile, load_profile
from hardener.registry import Registry
from hardener.runner import EXIT_INTERNAL_ERROR, WriteBack, run

FAULTY_SOURCE = '''
from hardener.transform import Transform
from hardener.model import Reference


class SneakyEdit(Transform):
    """A buggy transform: it changes the pod's data behind the context's back.

    ## What it changes
    Sets runAsNonRoot through the context, and also flips hostNetwork directly.

    ## Why
    To prove that verification catches an edit the patcher never saw.

    ## Example
    ```yaml
    a: 1
    ```
    ```yaml
    a: 1
    ```

    ## Fix safety
    Never use it.
    """

    id = "sneaky-edit"
    title = "Test only: an edit that bypasses the context"
    rationale = "Tests fail-closed verification."
    references = (Reference("test", "0", "test", "https://example.invalid"),)

    def apply(self, pod):
        pod.set(("securityContext", "runAsNonRoot"), True, "Set runAsNonRoot")
        if "hostNetwork" in pod.spec:
            pod.spec["hostNetwork"] = "sneaky"  # the bug: no Edit records this (restricted itself turns hostNetwork off)


class Crashes(SneakyEdit):
    """A buggy transform that raises.

    ## What it changes
    Nothing.

    ## Why
    To prove that a transform's exception is an internal error, not a traceback.

    ## Example
    ```yaml
    a: 1
    ```
    ```yaml
    a: 1
    ```

    ## Fix safety
    Never use it.
    """

    id = "crashes"

    def apply(self, pod):
        raise KeyError("boom")
'''

namespace: dict = {}
exec(compile(FAULTY_SOURCE, "faulty_transforms", "exec"), namespace)  # the same source the plugin test installs
SneakyEdit, Crashes = namespace["SneakyEdit"], namespace["Crashes"]

GOOD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers:\n  - name: c\n"
BAD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n"


def _profile(*classes) -> Profile:
    registry = Registry(classes)
    return Profile("test", "", "test", tuple(registry.get(cls.id)() for cls in classes))


def test_verification_mismatch_raises_and_names_the_document():
    with pytest.raises(InternalError) as error:
        harden(GOOD + "---\n" + BAD, _profile(SneakyEdit), file="deploy.yaml")
    message = str(error.value)
    assert "deploy.yaml: document 1" in message and "nothing was written" in message and "hostNetwork" in message


def test_a_document_the_faulty_transform_cannot_spoil_is_fine():
    result = harden(GOOD, _profile(SneakyEdit))  # no hostNetwork to flip: intended equals written
    assert "runAsNonRoot: true" in result.output


@pytest.mark.parametrize("mode", [WriteBack.STDOUT, WriteBack.WRITE, WriteBack.CHECK, WriteBack.DIFF])
def test_run_emits_nothing_and_writes_nothing_on_mismatch(tmp_path, mode):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GOOD)
    second.write_text(BAD)
    out, err = io.BytesIO(), io.StringIO()
    code = run([str(first), str(second)], _profile(SneakyEdit), mode, stdout=out, stderr=err)
    assert code == EXIT_INTERNAL_ERROR
    assert out.getvalue() == b""
    assert f"{second}: document 0" in err.getvalue()
    assert (first.read_text(), second.read_text()) == (GOOD, BAD)


def test_a_crashing_transform_is_an_internal_error_naming_it(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(GOOD)
    out, err = io.BytesIO(), io.StringIO()
    code = run([str(path)], _profile(Crashes), WriteBack.WRITE, stdout=out, stderr=err)
    assert code == EXIT_INTERNAL_ERROR and out.getvalue() == b""
    assert "transform crashes failed (KeyError: 'boom')" in err.getvalue() and f"{path}:1: document 0" in err.getvalue()
    assert path.read_text() == GOOD


def _install_plugin(root) -> None:
    """A plugin distribution on PYTHONPATH: its module and a dist-info with the entry point."""
    (root / "faulty_transforms.py").write_text(FAULTY_SOURCE)
    info = root / "faulty_transforms-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: faulty-transforms\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[hardener.transforms]\nsneaky-edit = faulty_transforms:SneakyEdit\ncrashes = faulty_transforms:Crashes\n"
    )


@pytest.mark.parametrize("transform, fragment", [("sneaky-edit", "does not mean what the edits meant"), ("crashes", "transform crashes failed")])
def test_cli_fails_closed_with_a_plugin_transform(tmp_path, transform, fragment):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    _install_plugin(plugin)
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"extends: restricted\ntransforms:\n  {transform}: true\n")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GOOD)
    second.write_text(BAD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin), os.environ.get("PYTHONPATH", "")])}
    for args in (["-w", str(first), str(second)], [str(first), str(second)]):
        proc = subprocess.run(
            [sys.executable, "-m", "hardener.cli", "fix", "--profile", str(profile), *args],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == EXIT_INTERNAL_ERROR, proc.stderr
        assert proc.stdout == b""
        stderr = proc.stderr.decode()
        assert fragment in stderr and "Traceback" not in stderr and "document 0" in stderr
        assert (first.read_text(), second.read_text()) == (GOOD, BAD)


def test_the_plugin_loads_for_real(tmp_path):
    """Guard for the test above: the profile really enables the plugin (a good run changes files)."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    _install_plugin(plugin)
    code = textwrap.dedent(
        """
        from hardener.profile import load_profile
        print(load_profile("restricted").transform_ids)
        from hardener.registry import default_registry
        print(default_registry().get("sneaky-edit").__module__)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(plugin)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "faulty_transforms"
    assert load_profile("restricted").transform_ids  # the shipped profile is unaffected in-process
