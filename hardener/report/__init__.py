"""Renderers of change records: one module per format, one entry point.

``render(fmt, summary)`` is what the CLI calls; each format module exposes
``render(summary) -> str``. Modules are imported only when asked for, so a
plain ``hardener fix`` never pays for them.
"""

from __future__ import annotations

import importlib

FORMATS = ("text", "json", "markdown", "sarif")


def render(fmt: str, summary) -> str:
    """Render a run summary (``hardener.runner.RunSummary``) in ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"hardener.report.{fmt}")
    return module.render(summary)
