"""``hardener config``: the settings in force for a path, and where each one comes from.

When a laptop, a pre-commit hook and CI disagree, this answers why: it
prints every setting as YAML (so it can be pasted into ``.hardener.yaml``),
each with a comment naming its source: a file and line, an option, an
environment variable, or the default.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from hardener.config import CONFIG_FILE, PYPROJECT, Resolver, Setting


def show(resolver: Resolver, path: str | None, environ: Mapping[str, str]) -> str:
    settings = resolver.settings_for(path)
    profile = resolver.profile_of(settings)
    where = path or "the working directory"
    if settings.config is not None:
        found = f"configuration file: {settings.config.path}"
    elif resolver.overrides.isolated:
        found = "no configuration file (--no-config)"
    else:
        found = f"no configuration file ({CONFIG_FILE} or [tool.hardener] in {PYPROJECT}) from here up to the repository root"
    rows: list[tuple[str, Any, str]] = [
        ("profile", settings.profile.value, settings.profile.source),
        ("transforms", list(profile.transform_ids), "the profile, narrowed by select, ignore and per-file-ignores"),
        ("select", settings.select.value, settings.select.source),
        ("ignore", settings.ignore.value, settings.ignore.source),
        ("per-file-ignores", {s.value[0]: list(s.value[1]) for s in settings.per_file_ignores}, _sources(settings.per_file_ignores, "none matches")),
        ("excluded", settings.excluded is not None, f"{settings.excluded.value!r} at {settings.excluded.source}" if settings.excluded else "no exclude pattern matches"),
        ("unsafe-fixes", settings.unsafe_fixes.value, settings.unsafe_fixes.source),
    ]
    fail_on = resolver.run_setting("fail-on", None)
    rows.append(("fail-on", fail_on.value or "changes", fail_on.source if fail_on.value else "default for check and fix --check (fix: errors)"))
    rows.append(_row(resolver.run_setting("output-format", "text"), "output-format"))
    report_file = environ.get("HARDENER_REPORT_FILE")
    report = environ.get("HARDENER_REPORT")
    if report or report_file:  # the environment replaces the file's report settings as a pair
        rows.append(("report", report, "environment HARDENER_REPORT" if report else "default (from the report file's suffix)"))
        rows.append(("report-file", report_file, "environment HARDENER_REPORT_FILE" if report_file else "default"))
    else:
        rows.append(_row(resolver.run_setting("report", None), "report"))
        rows.append(_row(resolver.run_setting("report-file", None), "report-file"))
    rows.append(_row(resolver.run_setting("chart-values", False), "chart-values"))
    lines = [f"# hardener settings for {where}", f"# {found}"]
    for key, value, source in rows:
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}  # {source}")
    return "\n".join(lines) + "\n"


def _row(setting: Setting, key: str) -> tuple[str, Any, str]:
    return key, setting.value, setting.source


def _sources(settings: tuple[Setting, ...], none: str) -> str:
    return ", ".join(s.source for s in settings) or none
