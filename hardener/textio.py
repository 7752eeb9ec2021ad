"""Bytes in, text out, and back again, exactly.

Manifests arrive with a UTF-8 BOM, CRLF line endings or no final newline. We
decode without translating newlines, remember the BOM and the encoding, and
encode the result the same way, so a file that needs no change comes back
byte-identical.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from hardener.errors import InputError

_BOMS = (
    # Longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Encoding:
    """How a file was encoded, so it can be written back the same way."""

    codec: str = "utf-8"
    bom: bytes = b""
    newline: str = "\n"


def decode(data: bytes, file: str = "<stdin>") -> tuple[str, Encoding]:
    """Decode ``data`` keeping every newline as it is.

    Raises InputError naming the line of the first undecodable byte, and for
    binary input (NUL bytes in a file without a UTF-16/32 BOM).
    """
    codec, bom = detect_codec(data)
    body = data[len(bom):]
    if codec == "utf-8" and b"\x00" in body:
        line = body[: body.index(b"\x00")].count(b"\n") + 1
        raise InputError("binary data (NUL byte), not a YAML text file", file=file, line=line)
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputError(
            f"cannot decode as {codec.upper()}: byte 0x{body[exc.start]:02x} at offset {exc.start + len(bom)}",
            file=file,
            line=line,
        ) from None
    if "\x00" in text:  # UTF-16/32 that decoded, but to NUL characters: binary all the same
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(f"binary data (NUL character after decoding as {codec.upper()}), not a YAML text file", file=file, line=line)
    return text, Encoding(codec=codec, bom=bom, newline=detect_newline(text))


def detect_codec(head: bytes) -> tuple[str, bytes]:
    """The codec and BOM of a stream, from its first bytes (all of them, or the first block)."""
    for candidate, name in _BOMS:
        if head.startswith(candidate):
            return name, candidate
    return _codec_without_bom(head), b""


def _codec_without_bom(data: bytes) -> str:
    """The YAML spec's encoding deduction: a stream starts with an ASCII character,
    so the NUL bytes around it tell UTF-16/32 and their byte order apart."""
    head = data[:4]
    if len(head) == 4 and head[:3] == b"\x00\x00\x00" and head[3]:
        return "utf-32-be"
    if len(head) == 4 and head[0] and head[1:] == b"\x00\x00\x00":
        return "utf-32-le"
    if len(head) >= 2 and head[0] == 0 and head[1]:
        return "utf-16-be"
    if len(head) >= 2 and head[0] and head[1] == 0:
        return "utf-16-le"
    return "utf-8"


def encode(text: str, encoding: Encoding) -> bytes:
    """Encode ``text`` the way the input was encoded (codec and BOM)."""
    return encoding.bom + text.encode(encoding.codec)


def detect_newline(text: str) -> str:
    """The newline the text uses: CRLF when its first line ends with one."""
    first = text.find("\n")
    if first > 0 and text[first - 1] == "\r":
        return "\r\n"
    return "\n"
