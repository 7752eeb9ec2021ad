"""``hardener fix`` as a filter streams document by document, and still emits all or nothing."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys

import pytest

from hardener import streaming
from hardener.api import harden_bytes
from hardener.errors import InputError, InternalError
from hardener.profile import load_profile
from hardener.runner import EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, EXIT_OK, WriteBack, run
from hardener.streaming import harden_stream
from hardener.transform import Transform
from tests.conftest import corpus_params

POD = "---\n# Source: app/pod-{i}.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}\nspec:\n  containers:\n  - name: web\n    image: nginx\n"


def pods(count: int) -> bytes:
    return "".join(POD.format(i=i) for i in range(count)).encode()


class Trickle(io.RawIOBase):
    """A pipe that hands out a few bytes per read, like a slow ``helm template``."""

    def __init__(self, data: bytes, size: int = 3) -> None:
        self.data, self.size, self.position = data, size, 0

    def readable(self) -> bool:
        return True

    def read1(self, _n: int = -1) -> bytes:
        piece = self.data[self.position : self.position + self.size]
        self.position += len(piece)
        return piece

    read = read1


def streamed(data: bytes, size: int = 3) -> bytes:
    sink = io.BytesIO()
    harden_stream(Trickle(data, size), load_profile("restricted"), sink)
    return sink.getvalue()


@pytest.mark.parametrize("path", corpus_params())
def test_streaming_gives_the_same_bytes_as_harden_bytes(path):
    data = path.read_bytes()
    try:
        expected = harden_bytes(data, "restricted").output_bytes
    except InputError as error:
        with pytest.raises(InputError) as streamed_error:
            streamed(data, 4096)
        assert str(streamed_error.value) == str(error)
        return
    assert streamed(data, 4096) == expected


@pytest.mark.parametrize(
    "data",
    [
        pods(3),
        pods(2).replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + pods(2),
        "\ufeff".encode("utf-16-le") + pods(2).decode().encode("utf-16-le"),
        pods(1).replace(b"nginx", "nginx # caf\u00e9 \u2603 \U0001f600".encode()),
        pods(1).rstrip(b"\n"),
        b"",
        b"# only a comment",
    ],
    ids=["lf", "crlf", "utf8-bom", "utf16-bom", "multibyte", "no-final-newline", "empty", "comment"],
)
def test_tiny_reads_give_the_same_bytes(data):
    assert streamed(data, 1) == streamed(data, 5) == harden_bytes(data, "restricted").output_bytes


@pytest.mark.parametrize(
    "data",
    [pods(3) + b"x: \xff\n", pods(3) + "x: caf\u00e9".encode()[:-1] + b"\n", pods(2) + b"a: \x00\n", pods(2) + b"x: \xe9"],
    ids=["bad-byte", "cut-sequence", "nul", "cut-at-end"],
)
def test_undecodable_input_is_reported_as_harden_bytes_reports_it(data):
    with pytest.raises(InputError) as expected:
        harden_bytes(data, "restricted")
    for size in (1, 2, 7, 4096):
        with pytest.raises(InputError) as error:
            streamed(data, size)
        assert str(error.value) == str(expected.value)


def test_documents_are_hardened_before_the_input_ends(tmp_path):
    """Without a stream index (no transform needs the whole stream), each pod is done as it arrives."""
    profile = tmp_path / "no-index.yaml"
    profile.write_text("extends: restricted\ntransforms:\n  automount-service-account-token: false\n")
    data = pods(50)
    source = Trickle(data, 64)
    positions = []

    class Sink(io.BytesIO):
        def write(self, b):
            if b"securityContext" in b:
                positions.append(source.position)
            return super().write(b)

    harden_stream(source, load_profile(str(profile)), Sink())
    assert len(positions) == 50
    assert positions[0] < len(data) // 10  # the first pod was done while most of the stream was unread


BINDING = """---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: web-0-reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: ServiceAccount, name: default}
"""


def test_a_binding_after_the_pods_is_evidence_in_a_filter_too(monkeypatch):
    """The restricted profile indexes the stream first: the input is spooled (here to disk), then hardened."""
    monkeypatch.setattr(streaming, "SPOOL_IN_MEMORY", 1024)
    data = pods(200) + BINDING.encode()
    output = streamed(data, 4096)
    assert output == harden_bytes(data, "restricted").output_bytes
    assert b"automountServiceAccountToken" not in output
    assert output.count(b"runAsNonRoot: true") == 200
    without = streamed(pods(200), 4096)
    assert without.count(b"automountServiceAccountToken: false") == 200


def cli(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener", *args], input=stdin, capture_output=True)


def test_bad_last_document_emits_nothing_even_after_the_spool_went_to_disk(monkeypatch):
    monkeypatch.setattr(streaming, "SPOOL_IN_MEMORY", 1024)
    data = pods(200) + b"---\nkind: Pod\nspec: [unclosed\n"
    stdin, stdout, stderr = io.BytesIO(data), io.BytesIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin))
    code = run([], load_profile("restricted"), WriteBack.STDOUT, stdout=stdout, stderr=stderr)
    assert (code, stdout.getvalue()) == (EXIT_INPUT_ERROR, b"")
    assert "<stdin>:" in stderr.getvalue() and "(document 200)" in stderr.getvalue()


def test_bad_last_document_via_the_command_line_emits_nothing():
    result = cli("fix", stdin=pods(100) + b"---\nkind: Pod\nspec: [unclosed\n")
    assert (result.returncode, result.stdout) == (EXIT_INPUT_ERROR, b"")
    assert b"(document 100)" in result.stderr


class Explodes(Transform):
    """Raises an internal error on the pod named ``web-150``, after 150 pods were hardened."""

    id = "explodes"
    title = "Explode"
    rationale = "test"

    def apply(self, pod):
        if pod.document.get("metadata", {}).get("name") == "web-150":
            raise InternalError("boom")


def test_internal_error_late_in_the_stream_emits_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(streaming, "SPOOL_IN_MEMORY", 1024)
    restricted = load_profile("restricted")
    profile = dataclasses.replace(restricted, transforms=restricted.transforms + (Explodes(),))
    source = tmp_path / "pods.yaml"
    source.write_bytes(pods(200))
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run([str(source)], profile, WriteBack.STDOUT, stdout=stdout, stderr=stderr)
    assert (code, stdout.getvalue()) == (EXIT_INTERNAL_ERROR, b"")
    assert "boom" in stderr.getvalue()
    # the same profile without the failing pod streams everything
    source.write_bytes(pods(150))
    assert run([str(source)], profile, WriteBack.STDOUT, stdout=stdout, stderr=stderr) == EXIT_OK
    assert stdout.getvalue() == harden_bytes(pods(150), "restricted").output_bytes


def test_report_still_lists_every_change_when_streaming():
    result = cli("fix", "--report", "text", stdin=pods(3))
    assert result.returncode == 0
    assert result.stdout == harden_bytes(pods(3), "restricted").output_bytes
    assert result.stderr.count(b"web-2") >= 1 and b"web-0" in result.stderr
