"""Scalars mean what they mean to Kubernetes: go-yaml v2's resolution, then JSON.

The expectations are written from go-yaml v2's resolve.go and decode.go and
sigs.k8s.io/yaml (what kubectl and the API server read YAML with), not from
hardener's code: a YAML 1.2 reader says "yes" where Kubernetes says true.
"""

from __future__ import annotations

import math

import pytest

from hardener.errors import InputError
from hardener.scalars import is_plain_string
from hardener.yamlnodes import compose, to_data


def _read(value_text: str):
    text = f"v: {value_text}\n"
    return to_data(compose(text), text=text).data["v"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(word, True) for word in "y Y yes Yes YES on On ON true True TRUE".split()],
        *[(word, False) for word in "n N no No NO off Off OFF false False FALSE".split()],
        *[(word, None) for word in ["~", "null", "Null", "NULL", ""]],
        ("yEs", "yEs"),  # only the three spellings of each word
        ("0755", 0o755),  # Go's ParseInt(s, 0, 64): a leading 0 is octal
        ("0o17", 15),
        ("0x1F", 31),
        ("-0x10", -16),
        ("0b101", 5),
        ("1_000", 1000),  # underscores are removed first
        ("+12", 12),
        ("08", 8),  # not octal, not an int: go-yaml's float pattern, an integral float
        ("18446744073709551615", 2**64 - 1),  # ParseUint after ParseInt
        ("0.0", 0),  # JSON marshals an integral float as an integer
        ("0e0", 0),
        ("-0.0", 0),
        ("1e3", 1000),  # a float to go-yaml (YAML 1.1 needs a dot)
        ("1.5", 1.5),
        (".5", 0.5),
        ("1:20", "1:20"),  # no sexagesimal numbers in go-yaml
        ("2001-12-14", "2001-12-14"),  # a timestamp stays text in an untyped value
        ("1e400", "1e400"),  # out of range: ParseFloat fails, a string
        ("0x", "0x"),
        ("_1", "_1"),
        ("'yes'", "yes"),  # quoted: always a string
        ('"0"', "0"),
        ("|-\n  yes", "yes"),  # a block scalar is a string
        ("!!str yes", "yes"),
        ("!!bool yes", True),
        ("!!float 0", 0),  # a float 0.0, marshalled as 0
        ("!!float 1.5", 1.5),
        ("!!int '0755'", 0o755),  # an explicit tag applies to quoted text too
        ("!!binary UG9k", "Pod"),
        ("!custom 12", "12"),
    ],
)
def test_plain_and_tagged_scalars_read_as_kubernetes_reads_them(text, expected):
    value = _read(text)
    assert value == expected and type(value) is type(expected), (text, value)


def test_special_floats():
    assert math.isnan(_read(".nan")) and _read(".Inf") == math.inf and _read("-.inf") == -math.inf


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!int 1.5", "cannot decode !!float `1.5` as a !!int"),
        ("!!bool 1", "cannot decode !!int `1` as a !!bool"),
        ("!!binary 'not base64!'", "!!binary value contains invalid base64 data"),
    ],
)
def test_a_tag_that_does_not_fit_is_an_input_error_at_its_line(text, message):
    document = f"a: 1\nv: {text}\n"
    with pytest.raises(InputError) as error:
        to_data(compose(document), text=document, file="x.yaml")
    assert str(error.value) == f"x.yaml:2:4: {message}; Kubernetes cannot read this value"


@pytest.mark.parametrize("text", ["nginx", "RuntimeDefault", "a/b.c-d_e", "_x", "/tmp"])
def test_plain_strings(text):
    assert is_plain_string(text)


@pytest.mark.parametrize(
    "text",
    ["yes", "on", "NO", "n", "Y", "off", "null", "~", "true", "1:20", "0755", "1e3", "1_000", ".5", "", "a b", "a: b", "-x", "#x", "*x"],
)
def test_strings_every_reader_would_misread_are_not_plain(text):
    assert not is_plain_string(text)
