"""Colour for ``--diff``, on a terminal only.

The plain diff is the contract (pipes, files, CI logs, ``git apply``): it is
never coloured unless standard output is a TTY, and never when ``NO_COLOR``
is set (https://no-color.org) or ``TERM=dumb``. Colour only wraps each line
in ANSI codes; removing them gives back the plain diff byte for byte.
"""

from __future__ import annotations

import os
import re
from typing import Mapping

RESET = "\x1b[0m"
_LINE = re.compile(r"[^\n]*\n|[^\n]+")  # only \n ends a diff line; a lone \r or U+2028 is content
_STYLES = (  # first match wins: file headers before the +/- lines they look like
    ("+++", "\x1b[1m"),
    ("---", "\x1b[1m"),
    ("@@", "\x1b[36m"),
    ("+", "\x1b[32m"),
    ("-", "\x1b[31m"),
    ("\\", "\x1b[2m"),
)
_NOTES = (  # the explained diff's lines (hardener.diff): errors red, what may break yellow, reasons dim
    (re.compile(r"#  \^ (line \d+: )?\S+ error: "), "\x1b[1;31m"),
    (re.compile(r"#  \^ (line \d+: )?\S+ (warning|\S+ \(may break\)|unsafe fix)"), "\x1b[1;33m"),
    (re.compile(r"#      (may break|unsafe fix): "), "\x1b[33m"),
    (re.compile(r"#  \^ "), "\x1b[1;34m"),
    (re.compile(r"#"), "\x1b[2m"),
)


def should_color(stream: object, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only a terminal, and only when the user did not opt out."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream: object) -> bool:
    """A person is reading ``stream`` (not a pipe or a file)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def colorize(diff: str) -> str:
    """Wrap each line of a unified diff in its colour, leaving its line ending outside."""
    out = []
    for line in _LINE.findall(diff):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        if body.startswith("#"):
            style = next(code for pattern, code in _NOTES if pattern.match(body))
        else:
            style = next((code for prefix, code in _STYLES if body.startswith(prefix)), "")
        out.append(f"{style}{body}{RESET}{ending}" if style else line)
    return "".join(out)
