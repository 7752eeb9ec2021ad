"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per change and finding.

``hardener check --output-format github`` in a workflow step shows each
result inline in the pull request's diff, without code scanning (which needs
SARIF and a permission). A change hardener would make, and an error finding,
fails the gate: ``::error``; a warning finding is ``::warning``. Files are
named relative to the repository root, as the annotations need (the SARIF
report's rule); standard input gets no file.
"""

from __future__ import annotations

from hardener.model import FINDING, Record


def annotation(record: Record) -> str:
    """The workflow command for one record."""
    from hardener.report.records import transform_info
    from hardener.report.sarif import STDIN_URI, artifact_uri

    level = "warning" if record.type == FINDING and getattr(record, "severity", "error") == "warning" else "error"
    properties = {}
    uri = artifact_uri(record.file)
    if uri != STDIN_URI:
        from urllib.parse import unquote

        properties["file"] = unquote(uri)
        if record.line:
            properties["line"] = str(record.line)
            if record.end_line and record.end_line > record.line:
                properties["endLine"] = str(record.end_line)
    info = transform_info(record.transform)
    properties["title"] = f"hardener {info.id}"
    fields = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    source = getattr(record, "source", None)
    message = record.message + (f" (from {source})" if source else "")
    return f"::{level} {fields}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    """What GitHub's runner unescapes in a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """What GitHub's runner unescapes in a command's properties (``:`` and ``,`` separate them)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
