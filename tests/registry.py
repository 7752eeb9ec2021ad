"""A real container registry on the loopback interface, with Docker Hub-style token auth.

``--resolve-images`` must be tested against a registry, not a mock: the
registry is Debian's ``docker-registry`` (the CNCF distribution server),
configured for bearer tokens exactly as Docker Hub is (a 401 whose
``WWW-Authenticate: Bearer realm=...`` names a token service). The token
service is a few lines here: it hands anyone a JWT for what they ask,
signed by ``openssl`` with a throw-away key whose certificate the registry
trusts. Images are made with ``buildah`` (from scratch, only a config) in a
storage of their own (the machine's images are left alone) and pushed with
it, manifest lists included.

The tools come from Debian's archive (``docker-registry``, ``buildah``,
``openssl``), installed with apt-get as the runtime tests install podman.
Every entry point raises :class:`RegistryUnavailable` with a one-line reason
when they cannot be had here (no root, no apt-get), so tests skip with it.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from tests.runtime import podman

SERVICE, ISSUER = "hardener-test-registry", "hardener-test"
PACKAGES = ("docker-registry", "buildah", "openssl")


class RegistryUnavailable(RuntimeError):
    """The registry cannot run here; ``str(exc)`` says why."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Registry:
    """A registry and its token service, both on 127.0.0.1; ``host`` is what image names start with."""

    def __init__(self, workdir: Path) -> None:
        if os.geteuid() != 0:
            raise RegistryUnavailable("the registry tests need root: they install docker-registry and buildah, and buildah makes images")
        try:
            missing = [package for package in PACKAGES if not podman.installed(package)]
            if missing:
                podman.apt_install(missing)
        except podman.RuntimeUnavailable as exc:
            raise RegistryUnavailable(str(exc)) from None
        self.workdir = workdir
        self.tokens_issued = 0
        self._storage = ["--root", str(workdir / "buildah"), "--runroot", str(workdir / "buildah-run")]
        self._key, cert = workdir / "token.key", workdir / "token.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self._key, "-out", cert,
             "-days", "1", "-subj", "/CN=hardener-test-token"],
            check=True, capture_output=True,
        )  # fmt: skip
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
        self._x5c = base64.b64encode(der).decode()
        self._token_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._token_handler())
        threading.Thread(target=self._token_server.serve_forever, daemon=True).start()
        realm = f"http://127.0.0.1:{self._token_server.server_port}/token"
        self.host = f"127.0.0.1:{_free_port()}"
        config = workdir / "registry.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n"
            f"storage:\n  filesystem:\n    rootdirectory: {workdir / 'storage'}\n"
            f"http:\n  addr: {self.host}\n"
            f"auth:\n  token:\n    realm: {realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {cert}\n"
        )
        self._log = open(workdir / "registry.log", "wb")
        self._process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RegistryUnavailable(f"docker-registry exited: {(self.workdir / 'registry.log').read_text()[-300:]}")
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1)
            except urllib.error.HTTPError as error:
                if error.code == 401:
                    return
            except OSError:
                time.sleep(0.1)
        raise RegistryUnavailable("docker-registry did not answer within 20 s")

    def _token_handler(self):
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                body = json.dumps({"token": registry._sign(query.get("scope", []))}).encode()
                registry.tokens_issued += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def _sign(self, scopes: list[str]) -> str:
        """A JWT granting every scope asked for, signed RS256 with the trusted key (openssl does the RSA)."""
        access = []
        for scope in (s for item in scopes for s in item.split(" ")):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self._x5c]}
        claims = {"iss": ISSUER, "sub": "", "aud": SERVICE, "exp": now + 600, "nbf": now - 60, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}  # fmt: skip
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self._key)], input=signing_input.encode(), check=True, capture_output=True
        ).stdout
        return f"{signing_input}.{_b64url(signature)}"

    def push_image(self, name: str, user: str, *, arch: str = "amd64", format: str = "v2s2") -> str:
        """An image with only a config (``USER user``), pushed as ``HOST/name``; returns that reference."""
        local = self._build(user, arch)
        reference = f"{self.host}/{name}"
        self._buildah("push", "--tls-verify=false", "--format", format, local, f"docker://{reference}")
        return reference

    def push_index(self, name: str, users: dict[str, str]) -> str:
        """A multi-platform OCI index: one image per architecture, each with its own user."""
        index = f"localhost/hardener-oci-test/index-{uuid.uuid4().hex[:8]}"
        self._buildah("manifest", "create", index)
        for arch, user in users.items():
            self._buildah("manifest", "add", "--arch", arch, "--os", "linux", index, self._build(user, arch))
        reference = f"{self.host}/{name}"
        self._buildah("manifest", "push", "--all", "--tls-verify=false", "--format", "oci", index, f"docker://{reference}")
        return reference

    def _build(self, user: str, arch: str) -> str:
        local = f"localhost/hardener-oci-test/{uuid.uuid4().hex[:12]}:{arch}"
        container = self._buildah("from", "--arch", arch, "scratch").strip()
        self._buildah("config", "--user", user, "--os", "linux", "--arch", arch, "--cmd", "/app", container)
        self._buildah("commit", "--quiet", "--rm", container, local)
        return local

    def _buildah(self, *args: str) -> str:
        result = subprocess.run(["buildah", *self._storage, *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RegistryUnavailable(f"buildah {args[0]} failed: {result.stderr.strip()[-300:]}")
        return result.stdout

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._token_server.shutdown()
        self._log.close()

    def close(self) -> None:
        """Stop both servers and remove the images and their storage."""
        self.stop()
        subprocess.run(["buildah", *self._storage, "rmi", "--all", "--force"], capture_output=True, check=False)
        shutil.rmtree(self.workdir / "buildah", ignore_errors=True)
        shutil.rmtree(self.workdir / "buildah-run", ignore_errors=True)


def start(workdir: Path | None = None) -> Registry:
    return Registry(workdir or Path(tempfile.mkdtemp(prefix="hardener-registry-")))
