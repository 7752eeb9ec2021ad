"""``--resolve-images`` against a real registry (Debian's docker-registry, Docker Hub-style token auth).

The registry, its token service and the images (made and pushed with buildah,
a multi-platform index among them) are real; see tests/registry.py. What the
facts change in the output is tested with the transforms that use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hardener.images import parse_reference
from hardener.oci import RegistryError, resolve_user
from hardener.resolve import read_cache
from tests import registry as registry_module


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    try:
        server = registry_module.start(tmp_path_factory.mktemp("registry"))
    except registry_module.RegistryUnavailable as exc:
        pytest.skip(str(exc))
    try:
        server.images = {
            "numeric": server.push_image("team/numeric:1", "65532"),
            "root": server.push_image("team/root:1", "", format="oci"),
            "named": server.push_image("team/named:1", "redis"),
            "multi": server.push_index("team/multi:1", {"arm64": "1000", "amd64": "10001"}),
        }
    except registry_module.RegistryUnavailable as exc:
        server.close()
        pytest.skip(str(exc))
    yield server
    server.close()


def hardener(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener", *args], cwd=cwd, input=stdin, capture_output=True, check=False)


def deployment(name: str, image: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n"
        f"      containers:\n      - name: {name}\n        image: {image}\n"
    )


def test_the_client_reads_config_user_through_token_auth_and_picks_linux_amd64(registry):
    before = registry.tokens_issued
    users = {name: resolve_user(parse_reference(ref)).user for name, ref in registry.images.items()}
    assert users == {"numeric": "65532", "root": "", "named": "redis", "multi": "10001"}
    assert registry.tokens_issued > before  # every read went through the Bearer challenge


def test_a_missing_image_is_an_error_that_names_it(registry):
    with pytest.raises(RegistryError) as error:
        resolve_user(parse_reference(f"{registry.host}/team/absent:1"))
    assert f"{registry.host}/team/absent:1" in str(error.value) and "404" in str(error.value)


def test_standard_input_is_resolved_and_still_hardened(registry, tmp_path):
    stdin = deployment("web", registry.images["numeric"]).encode()
    result = hardener("fix", "--resolve-images", "--image-cache", "facts.yaml", "-", cwd=tmp_path, stdin=stdin)
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b"runAsNonRoot: true" in result.stdout
    assert [entry.user for entry in read_cache(str(tmp_path / "facts.yaml"))] == ["65532"]


def test_resolved_users_are_cached_and_later_runs_read_the_cache_offline(registry, tmp_path):
    """Last of the registry's tests: it stops the registry to prove the later runs never ask it."""
    manifest = tmp_path / "apps.yaml"
    manifest.write_text("---\n".join(deployment(name, ref) for name, ref in registry.images.items()))
    first = hardener("fix", "--resolve-images", "--report", "json", "apps.yaml", cwd=tmp_path)
    assert first.returncode == 1, first.stderr.decode()  # two images the kubelet would refuse as non-root
    cache = tmp_path / "hardener-images.yaml"
    users = {entry.image: entry.user for entry in read_cache(str(cache))}
    assert users == {str(parse_reference(ref)): user for ref, user in zip(
        registry.images.values(), ("65532", "", "redis", "10001"))}  # fmt: skip
    assert all(f"{registry.host}: manifest sha256:" in entry.source for entry in read_cache(str(cache)))
    assert b"wrote 4 image(s) to hardener-images.yaml" in first.stderr
    report = json.loads(first.stderr[first.stderr.index(b"{"):])
    verdicts = {r["name"]: (r["type"], r["safety"]) for r in report["changes"] + report["findings"] if r["transform"] == "run-as-non-root"}
    assert verdicts == {"numeric": ("change", "safe"), "multi": ("change", "safe"), "root": ("finding", "may-break"), "named": ("finding", "may-break")}

    written = cache.read_bytes()
    first = hardener("fix", "apps.yaml", cwd=tmp_path)
    registry.stop()  # from here on, any request would fail
    again = hardener("fix", "--resolve-images", "apps.yaml", cwd=tmp_path)  # everything is cached: no request
    offline = hardener("fix", "apps.yaml", cwd=tmp_path)
    assert again.stdout == offline.stdout == first.stdout
    assert b"resolved" not in again.stderr and cache.read_bytes() == written


def test_an_unreachable_registry_is_reported_and_the_image_stays_unknown(tmp_path):
    (tmp_path / "app.yaml").write_text(deployment("web", "127.0.0.1:9/team/app:1"))
    result = hardener("fix", "--resolve-images", "app.yaml", cwd=tmp_path)
    assert result.returncode in (0, 1)
    assert b"warning: --resolve-images: 127.0.0.1:9/team/app:1: cannot reach 127.0.0.1:9" in result.stderr
    assert not (tmp_path / "hardener-images.yaml").exists()
    assert result.stdout == hardener("fix", "app.yaml", cwd=tmp_path).stdout


def test_a_broken_cache_file_is_a_usage_error(tmp_path):
    (tmp_path / "hardener-images.yaml").write_text("images:\n  - {image: app, user: ''}\n")
    (tmp_path / "app.yaml").write_text(deployment("web", "app:1"))
    result = hardener("fix", "app.yaml", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == "error: hardener-images.yaml: images: entry 1: source: required, a string\n"
