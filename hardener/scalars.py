"""Scalars as Kubernetes reads them, and text that every reader reads back as a string.

kubectl and the API server read YAML with sigs.k8s.io/yaml: go-yaml v2
resolves each scalar (YAML 1.1 rules, mostly), then the result becomes JSON.
So ``privileged: yes`` and ``hostNetwork: on`` are ``true`` to Kubernetes,
``0755`` is octal, and ``runAsUser: 0.0`` reaches the API server as the JSON
number ``0``. A YAML 1.2 reader (ruamel's default) says "yes" and 0.0
instead, and a hardener judging that view would leave a privileged container
privileged. This module is go-yaml v2's ``resolve`` (resolve.go), plus the
JSON step, for plain data:

* plain scalars: ``y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE`` are true, the
  ``n``/``no``/``off``/``false`` family false, ``""``/``~``/``null`` null;
  integers as Go's ``strconv.ParseInt(s, 0, 64)`` reads them after removing
  ``_`` (``0x``, ``0o``, ``0b``, and a leading ``0`` is octal), then
  ``ParseUint``; floats by go-yaml's own pattern; no sexagesimal (``1:20``
  is a string), and timestamps stay strings (go-yaml keeps them as text when
  decoding into an untyped value);
* explicit tags: ``!!str`` and quoted scalars are strings, ``!!bool yes`` is
  true, ``!!float 0`` is a float, ``!!binary`` is its decoded text, a tag
  that does not fit its text (``!!int 1.5``) is an error, as in kubectl;
  unknown tags leave the text;
* JSON: a float with an integral value (``0.0``, ``0e0``, ``!!float 0``)
  is marshalled as an integer (``0``), so it is that integer here.

``is_plain_string`` is the other direction: may a string be written without
quotes? Only when YAML 1.1, YAML 1.2 and go-yaml v2 all read it back as that
same string.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

TAG_PREFIX = "tag:yaml.org,2002:"
STR, BOOL, INT, FLOAT, NULL, MERGE, BINARY = (TAG_PREFIX + name for name in ("str", "bool", "int", "float", "null", "merge", "binary"))

_MAP: dict[str, tuple[str, Any]] = {}
for _tag, _value, _spellings in (
    (BOOL, True, "y Y yes Yes YES true True TRUE on On ON"),
    (BOOL, False, "n N no No NO false False FALSE off Off OFF"),
    (NULL, None, "~ null Null NULL"),
    (FLOAT, math.nan, ".nan .NaN .NAN"),
    (FLOAT, math.inf, ".inf .Inf .INF +.inf +.Inf +.INF"),
    (FLOAT, -math.inf, "-.inf -.Inf -.INF"),
    (MERGE, "<<", "<<"),
):
    for _spelling in _spellings.split():
        _MAP[_spelling] = (_tag, _value)
_MAP[""] = (NULL, None)

_GO_INT = re.compile(r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))\Z")
"""What ``strconv.ParseInt(s, 0, 64)`` accepts (underscores already removed)."""
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
"""go-yaml's ``yamlStyleFloat``."""
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")
"""What ``strconv.ParseFloat`` accepts of a scalar that starts with ``.``."""
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1


class ScalarError(ValueError):
    """A tagged scalar whose text does not fit its tag (``!!int 1.5``): kubectl refuses it too."""


def _go_int(text: str) -> int | None:
    """ParseInt, then ParseUint (which takes no sign), as go-yaml tries them; None when neither accepts ``text``."""
    match = _GO_INT.match(text)
    if match is None:
        return None
    sign, hexa, octal, binary, legacy_octal, decimal = match.groups()
    if hexa is not None:
        value = int(hexa, 16)
    elif octal is not None:
        value = int(octal, 8)
    elif binary is not None:
        value = int(binary, 2)
    elif legacy_octal is not None:
        value = int(legacy_octal or "0", 8)
    else:
        value = int(decimal)
    value = -value if sign == "-" else value
    if _INT64[0] <= value <= _INT64[1] or (not sign and value <= _UINT64_MAX):
        return value
    return None


def _go_float(text: str) -> float | None:
    """``strconv.ParseFloat`` on a text go-yaml lets through; None when it overflows (Go's ErrRange)."""
    value = float(text)
    return None if math.isinf(value) else value


def resolve(text: str) -> tuple[str, Any]:
    """The tag and value go-yaml v2 gives a plain scalar (JSON's integral floats not yet applied)."""
    known = _MAP.get(text)
    if known is not None:
        return known
    first = text[0]
    if first == ".":
        if _DOT_FLOAT.match(text):
            value = _go_float(text)
            if value is not None:
                return FLOAT, value
    elif first in "+-0123456789":
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return INT, number
        if _GO_FLOAT.match(plain):
            value = _go_float(plain)
            if value is not None:
                return FLOAT, value
    return STR, text


def plain_tag(text: str) -> str:
    """The tag of a plain scalar, as go-yaml v2 resolves it (timestamps are strings to Kubernetes)."""
    return resolve(text)[0]


def value(tag: str, text: str) -> Any:
    """The value Kubernetes sees for a scalar with ``tag`` (resolved or explicit) and ``text``.

    Raises ScalarError when an explicit core tag does not fit the text.
    """
    if tag == STR:
        return text
    if tag in (BOOL, INT, FLOAT, NULL):
        resolved, result = resolve(text)
        if resolved != tag:
            if tag == FLOAT and resolved == INT:
                result = float(result)
            else:
                raise ScalarError(f"cannot decode !!{resolved[len(TAG_PREFIX):]} `{text}` as a !!{tag[len(TAG_PREFIX):]}")
        return as_json(result)
    if tag == BINARY:
        try:
            return base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise ScalarError("!!binary value contains invalid base64 data") from None
    return text  # timestamps, merge keys read as values, unknown and local tags: the text


def as_json(result: Any) -> Any:
    """A float with an integral value is marshalled to JSON as an integer, and read back as one."""
    if type(result) is float and result.is_integer() and _INT64[0] <= result <= _INT64[1]:
        return int(result)
    return result


_PLAIN_SAFE = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*\Z")


def is_plain_string(text: str) -> bool:
    """May ``text`` be written as a plain scalar, read back as this string by YAML 1.1, 1.2 and go-yaml v2?

    Deliberately narrow: letters, digits and ``_./-``, starting with a letter,
    ``_`` or ``/``, and none of the words any of them reads as a boolean or
    null (go-yaml v2's words are YAML 1.1's, a superset of 1.2's). Everything
    else is quoted.
    """
    return bool(_PLAIN_SAFE.match(text)) and plain_tag(text) == STR
