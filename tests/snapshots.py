"""A syrupy extension that stores snapshots as raw bytes.

Text-mode snapshots are read back with universal newlines and would hide a
lost CRLF or BOM; this one compares bytes exactly. The file extension is set
per snapshot kind so outputs and diffs can be read in a file viewer.
"""

from __future__ import annotations

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class YamlBytesSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.BINARY
    file_extension = "yaml"


class DiffBytesSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.BINARY
    file_extension = "diff"
