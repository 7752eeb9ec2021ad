"""The security field names come from the official kubernetes client; importing it is paid only when needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hardener import schema

kubernetes = pytest.importorskip("kubernetes")


@pytest.mark.parametrize("model", sorted(schema.CACHE))
def test_cached_fields_and_types_are_the_client_models(model):
    client = schema.client_fields(model)
    for name, kind in schema.CACHE[model].items():
        assert client.get(name) == kind, f"{model}.{name}"


@pytest.mark.parametrize("model, cached", [("V1PodSpec", schema.POD_SPEC_FIELDS), ("V1Container", schema.CONTAINER_FIELDS)])
def test_cached_names_are_fields_of_the_client_models(model, cached):
    client = set(schema.client_fields(model)) | (set(schema.client_fields("V1EphemeralContainer")) if model == "V1Container" else set())
    assert cached <= client


def _imports_kubernetes(text: str) -> bool:
    code = (
        "import sys\nfrom hardener.api import harden\n"
        f"harden({text!r})\n"
        "print('kubernetes' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return proc.stdout.strip() == "True"


POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    securityContext: {%s: true}\n"


def test_fix_on_a_small_file_does_not_import_the_client():
    assert not _imports_kubernetes(POD % "runAsNonRoot")


def test_an_unknown_security_key_is_checked_against_the_client():
    assert _imports_kubernetes(POD % "runAsNonroot")


def test_check_edit_rejects_what_kubernetes_would():
    assert schema.check_edit(("securityContext", "runAsNonRoot"), True) is None
    assert schema.check_edit(("containers", 0, "securityContext", "runAsUser"), "1000") == (
        "containers[0].securityContext.runAsUser: expected int, got '1000'"
    )
    assert "did you mean runAsNonRoot?" in schema.check_edit(("securityContext", "runAsNonroot"), True)
