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


def should_color(stream: object, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only a terminal, and only when the user did not opt out."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
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
        style = next((code for prefix, code in _STYLES if body.startswith(prefix)), "")
        out.append(f"{style}{body}{RESET}{ending}" if style else line)
    return "".join(out)
