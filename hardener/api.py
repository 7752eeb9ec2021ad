"""The one Python entry point: ``harden()``; the CLI and integrations call it."""

from __future__ import annotations

from dataclasses import dataclass, field

from hardener.engine import harden_text
from hardener.model import Record, RecordViews
from hardener.profile import DEFAULT_PROFILE, Profile, load_profile
from hardener.streamindex import StreamIndex
from hardener.textio import decode, encode


@dataclass
class Result(RecordViews):
    """What hardening one input produced."""

    input: str
    output: str
    records: list[Record] = field(default_factory=list)
    documents: int = 0
    changed_documents: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.output != self.input



def _profile(profile: str | Profile) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)


def harden(
    text: str,
    profile: str | Profile = DEFAULT_PROFILE,
    file: str = "<stdin>",
    stream: StreamIndex | None = None,
    evidence: StreamIndex | None = None,
) -> Result:
    """Harden a YAML stream given as text (``stream``, ``evidence``: see ``engine.harden_text``)."""
    hardened = harden_text(text, _profile(profile), file, stream, evidence)
    return Result(text, hardened.text, hardened.records, hardened.documents, hardened.changed_documents)


@dataclass
class BytesResult(Result):
    output_bytes: bytes = b""


def harden_bytes(
    data: bytes, profile: str | Profile = DEFAULT_PROFILE, file: str = "<stdin>", evidence: StreamIndex | None = None
) -> BytesResult:
    """Harden a YAML stream given as bytes; the output keeps the input's encoding and BOM."""
    text, encoding = decode(data, file)
    result = harden(text, profile, file, evidence=evidence)
    output = data if not result.changed else encode(result.output, encoding)
    return BytesResult(result.input, result.output, result.records, result.documents, result.changed_documents, output)
