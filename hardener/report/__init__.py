"""Renderers of change records: one module per format, one entry point.

``render(fmt, summary, out)`` is what the CLI calls; each format module
exposes ``render(summary, out, **options)`` and writes its report to the
text stream ``out`` piece by piece, so a report never has to exist whole in
memory (a run over a large repository makes hundreds of thousands of
records). Renderers reach records only through
``records.iter_records(summary)``, which may read them back from a spool on
disk and may be called more than once. Modules are imported only when asked
for, so a plain ``hardener fix`` never pays for them.
"""

from __future__ import annotations

import importlib
import io
from typing import IO

FORMATS = ("text", "json", "markdown", "sarif")
SUFFIXES = {".txt": "text", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".sarif": "sarif"}


def format_for_file(path: str) -> str | None:
    """The format a report file's name asks for (``results.sarif`` -> sarif), or None."""
    import os

    return SUFFIXES.get(os.path.splitext(path)[1].lower())


def render(fmt: str, summary, out: IO[str], *, explain: bool = False, full_report: str | None = None, full: bool = False):
    """Write the report of a run summary (``hardener.runner.RunSummary``) in ``fmt`` to ``out``.

    ``explain`` adds each record's rationale and guidance to the text report.
    A Markdown pull-request body keeps to GitHub's limit and a reading budget;
    when it leaves files out it says so, points to ``full_report`` and
    returns True; ``full`` renders the full report (every file, no budget).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"hardener.report.{fmt}")
    options = {"text": {"explain": explain}, "markdown": {"full_report": full_report, "full": full}}.get(fmt, {})
    return module.render(summary, out, **options)


def render_text(fmt: str, summary, **options) -> str:
    """The whole report as one string: for tests and small runs, never for the CLI."""
    out = io.StringIO()
    render(fmt, summary, out, **options)
    return out.getvalue()


def full_report_path(fmt: str, report_file: str) -> str | None:
    """Where a Markdown body's full report goes when the body leaves files out: ``body.md`` -> ``body.full.md``."""
    import os

    if fmt != "markdown":
        return None
    stem, suffix = os.path.splitext(report_file)
    return f"{stem}.full{suffix or '.md'}"
