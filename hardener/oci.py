"""Read an image's configured user from its registry (the OCI distribution API), standard library only.

Three requests per image, as ``docker pull`` makes them before any layer:
the manifest by tag (a multi-platform index or manifest list picks
linux/amd64, as a node of that platform would), the platform's manifest, and
the config blob it names, whose ``config.User`` is what the kubelet checks
for ``runAsNonRoot``. Registries that answer 401 with a ``Bearer`` challenge
(Docker Hub, GHCR, Quay, a registry with token auth) get an anonymous token
for ``pull`` from the realm the challenge names. Blob digests are verified.

Plain HTTP is used only for registries on the loopback interface
(``localhost:5000``), as Docker treats them; everything else is HTTPS.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from hardener.images import Reference

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_INDEX_TYPES = MANIFEST_TYPES[:2]
PLATFORM = ("linux", "amd64")
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_LIMIT = 4 << 20  # no manifest or config is this large; a bigger answer is not one


class RegistryError(Exception):
    """The registry did not give an answer hardener can use; the message says what happened."""


@dataclass(frozen=True)
class ResolvedImage:
    user: str
    digest: str
    """The digest of the platform manifest that was read."""


def resolve_user(reference: Reference, timeout: float = 20.0) -> ResolvedImage:
    """The ``config.User`` of ``reference`` for linux/amd64, and the manifest digest it came from."""
    client = _Client(reference, timeout)
    manifest, digest = client.manifest(reference.digest or reference.tag or "latest")
    if manifest.get("mediaType") in _INDEX_TYPES or "manifests" in manifest:
        digest = _pick_platform(manifest, reference)
        manifest, _ = client.manifest(digest)
    config = manifest.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("digest"), str):
        raise RegistryError(f"{reference}: the manifest names no config blob")
    blob = json.loads(client.blob(config["digest"]))
    user = (blob.get("config") or {}).get("User") or ""
    if not isinstance(user, str):
        raise RegistryError(f"{reference}: the image config's User is not a string")
    return ResolvedImage(user, digest)


def _pick_platform(index: dict, reference: Reference) -> str:
    for entry in index.get("manifests") or ():
        platform = entry.get("platform") or {}
        if (platform.get("os"), platform.get("architecture")) == PLATFORM and isinstance(entry.get("digest"), str):
            return entry["digest"]
    raise RegistryError(f"{reference}: no {'/'.join(PLATFORM)} image in its manifest list")


class _Client:
    def __init__(self, reference: Reference, timeout: float) -> None:
        self.reference = reference
        self.timeout = timeout
        host = "registry-1.docker.io" if reference.registry == "docker.io" else reference.registry
        scheme = "http" if host.rsplit(":", 1)[0] in _LOOPBACK or host.startswith("[::1]") else "https"
        self.base = f"{scheme}://{host}/v2/{reference.repository}"
        self.token: str | None = None
        self.opener = urllib.request.build_opener(_NoCredentialsAcrossHosts())

    def manifest(self, tag_or_digest: str) -> tuple[dict, str]:
        body, digest = self._get(f"{self.base}/manifests/{tag_or_digest}", ", ".join(MANIFEST_TYPES))
        if tag_or_digest.startswith("sha256:"):
            _verify(body, tag_or_digest, self.reference)
        try:
            return json.loads(body), digest or "sha256:" + hashlib.sha256(body).hexdigest()
        except ValueError:
            raise RegistryError(f"{self.reference}: the manifest is not JSON") from None

    def blob(self, digest: str) -> bytes:
        body, _ = self._get(f"{self.base}/blobs/{digest}", "*/*")
        _verify(body, digest, self.reference)
        return body

    def _get(self, url: str, accept: str) -> tuple[bytes, str | None]:
        for attempt in (1, 2):
            request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "hardener"})
            if self.token:
                request.add_header("Authorization", f"Bearer {self.token}")
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    return response.read(_LIMIT), response.headers.get("Docker-Content-Digest")
            except urllib.error.HTTPError as error:
                challenge = error.headers.get("WWW-Authenticate", "")
                if error.code == 401 and attempt == 1 and challenge.lower().startswith("bearer "):
                    self.token = self._token(challenge)
                    continue
                raise RegistryError(f"{self.reference}: {url} answered {error.code} {error.reason}") from None
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise RegistryError(f"{self.reference}: cannot reach {urllib.parse.urlsplit(url).netloc}: {reason}") from None
        raise RegistryError(f"{self.reference}: {url} refused the token it issued")

    def _token(self, challenge: str) -> str:
        """An anonymous pull token from the realm a ``Bearer`` challenge names."""
        params = dict(_CHALLENGE_PARAM.findall(challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise RegistryError(f"{self.reference}: the registry's Bearer challenge names no realm")
        params.setdefault("scope", f"repository:{self.reference.repository}:pull")
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(params)
        try:
            with self.opener.open(urllib.request.Request(url, headers={"User-Agent": "hardener"}), timeout=self.timeout) as response:
                answer = json.loads(response.read(_LIMIT))
        except urllib.error.HTTPError as error:
            raise RegistryError(f"{self.reference}: the token service answered {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise RegistryError(f"{self.reference}: no token from {urllib.parse.urlsplit(url).netloc}: {error}") from None
        token = answer.get("token") or answer.get("access_token")
        if not isinstance(token, str):
            raise RegistryError(f"{self.reference}: the token service's answer holds no token")
        return token


def _verify(body: bytes, digest: str, reference: Reference) -> None:
    algorithm, _, expected = digest.partition(":")
    if algorithm != "sha256":
        raise RegistryError(f"{reference}: unsupported digest {digest}")
    if hashlib.sha256(body).hexdigest() != expected:
        raise RegistryError(f"{reference}: the registry's content does not match its digest {digest}")


class _NoCredentialsAcrossHosts(urllib.request.HTTPRedirectHandler):
    """Blob downloads redirect to storage hosts (a CDN, S3): the registry's token stays behind."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new
