"""Cutting a stream into documents: every byte kept, documents counted as a loader counts them."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from hardener.stream import split
from tests.conftest import corpus_params


@pytest.mark.parametrize(
    ("text", "documents"),
    [
        ("", 0),
        ("# only a comment\n", 0),
        ("a: 1\n", 1),
        ("---\na: 1\n", 1),
        ("# Source: x.yaml\n---\na: 1\n---\nb: 2\n", 2),
        ("---\n---\n", 2),
        ("a: 1\n...\n# trailing comment\n", 1),
        ("a: 1\n...\n---\nb: 2\n...\n", 2),
        ("%YAML 1.2\n---\na: 1\n", 1),
        ("--- |\n  text\n--- >\n  folded\n", 2),
        ("a: |\n  ---not a marker\n  ...nor this\n", 1),
        ("a: 1\r\n---\r\nb: 2", 2),
        ("---", 1),
    ],
)
def test_documents_are_counted_like_a_yaml_loader_and_bytes_are_kept(text, documents):
    chunks = split(text)
    assert "".join(chunk.text for chunk in chunks) == text
    assert [c.index for c in chunks if c.is_document] == list(range(documents))
    assert len(list(YAML(typ="safe", pure=True).compose_all(text))) == documents


def test_a_comment_before_the_separator_belongs_to_the_document_below():
    chunks = split("a: 1\n---\n# Source: chart/templates/b.yaml\nb: 2\n")
    assert [c.text for c in chunks] == ["a: 1\n", "---\n# Source: chart/templates/b.yaml\nb: 2\n"]
    helm = split("---\n# Source: a.yaml\na: 1\n---\n# Source: b.yaml\nb: 1\n")
    assert [c.first_line for c in helm] == [0, 3]


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_streams_split_exactly(path):
    text = path.read_bytes().decode("utf-8-sig")
    chunks = split(text)
    assert "".join(chunk.text for chunk in chunks) == text
    try:
        expected = len(list(YAML(typ="safe", pure=False).compose_all(text)))
    except YAMLError:
        pytest.skip("not valid YAML as a whole (an unrendered template)")
    assert sum(chunk.is_document for chunk in chunks) == expected


@pytest.mark.parametrize(
    ("text", "documents"),
    [
        ('{"a": 1}\n{"b": 2}\n', ['{"a": 1}\n', '{"b": 2}\n']),
        ('{"a": "}{"}\n\n{"b": [1,\n  2]}', ['{"a": "}{"}\n\n', '{"b": [1,\n  2]}']),
        ('{\n  "a": 1\n}\n{\n  "b": 2\n}\n', ['{\n  "a": 1\n}\n', '{\n  "b": 2\n}\n']),
        ("{a: 'x''}'} # }\n{b: 1}\n", ["{a: 'x''}'} # }\n", "{b: 1}\n"]),
        ("{a: [\n{b: 1}]}\n", ["{a: [\n{b: 1}]}\n"]),  # an inner { at the start of a line is not a new object
        ('{"a": 1}\n---\n{"b": 2}\n', ['{"a": 1}\n', '---\n{"b": 2}\n']),
    ],
)
def test_json_objects_one_after_another_are_one_document_each_as_kubectl_reads_them(text, documents):
    chunks = split(text)
    assert [c.text for c in chunks] == documents
    assert [c.index for c in chunks] == list(range(len(documents)))


def test_json_lines_are_hardened_object_by_object():
    from hardener.api import harden

    pod = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s"}, "spec": {"hostPID": true, "containers": [{"name": "c"}]}}\n'
    result = harden(pod % "a" + pod % "b")
    lines = result.output.splitlines()
    assert len(lines) == 2 and all('"runAsNonRoot": true' in line for line in lines)
    assert {r.document for r in result.records if r.path[-1:] == ("hostPID",)} == {0, 1}
