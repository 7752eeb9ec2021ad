"""Renderers of change records: one module per format, one entry point.

``render(fmt, summary)`` is what the CLI calls; each format module exposes
``render(summary) -> str``. Modules are imported only when asked for, so a
plain ``hardener fix`` never pays for them.
"""

from __future__ import annotations

import importlib

FORMATS = ("text", "json", "markdown", "sarif")
SUFFIXES = {".txt": "text", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".sarif": "sarif"}


def format_for_file(path: str) -> str | None:
    """The format a report file's name asks for (``results.sarif`` -> sarif), or None."""
    import os

    return SUFFIXES.get(os.path.splitext(path)[1].lower())


def render(fmt: str, summary) -> str:
    """Render a run summary (``hardener.runner.RunSummary``) in ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"hardener.report.{fmt}")
    return module.render(summary)
