"""Fuzz target: any bytes in, a clear error or a stream that keeps its promises out.

Run on demand (see fuzz/README.md); atheris is not a test dependency.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from hardener.api import harden_bytes
    from hardener.errors import InputError


def test_one_input(data: bytes) -> None:
    try:
        result = harden_bytes(data, file="fuzz")
    except InputError as error:
        assert error.file == "fuzz", error  # a clear error names the input
        return
    if not result.changed:
        assert result.output_bytes == data  # nothing to change: byte-identical
        return
    again = harden_bytes(result.output_bytes, file="fuzz")
    assert again.output_bytes == result.output_bytes, "a second run changed the output"


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
