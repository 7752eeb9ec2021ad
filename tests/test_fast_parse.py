"""The fast paths of parsing mean exactly what ruamel and the reference data builder mean.

hardener composes with a cached tag resolver and reads data with a
recursive builder (issue 7). Both are speed-ups only: these tests hold them
to ruamel's own C compose (node for node: structure, marks and styles; tags
differ only where Kubernetes' YAML 1.1 rules differ from ruamel's YAML 1.2,
see tests/test_scalars.py) and to the stack-based builder, value for value,
on tricky documents and on the whole corpus.
"""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from hardener import scalars
from hardener.errors import InputError
from hardener.stream import split
from hardener.verify import strictly_equal
from hardener.yamlnodes import _Builder, _Where, compose, to_data
from tests.conftest import corpus_files

TRICKY = {
    "scalars": "a: 1\nb: yes\nc: '1'\nd: 0o17\ne: 1.5e3\nf: ~\ng: .inf\nh: 2024-01-01\ni: !!str 3\nj: 0x1F\nk: -0\nl: \"true\"\n",
    "anchors": "base: &b {x: 1, y: [1, 2]}\none: *b\ntwo: {<<: *b, y: 3}\n",
    "merge-list": "a: &a {p: 1}\nb: &b {q: 2, p: 9}\nc:\n  <<: [*a, *b]\n  r: 3\n",
    "quoted-merge-key": "'<<': {x: 1}\nb: 2\n",
    "scalar-alias": "a: &s hello\nb: *s\nc: [*s, *s]\n",
    "complex-key": "? [a, b]\n: 1\n? {k: v}\n: 2\n",
    "nested-anchor": "spec: &s\n  containers: &c\n    - name: a\n  more: *c\nother: *s\n",
    "yaml-1.1": "y: on\nk: 0755\nNO: 0.0\nq: !!float 0\nr: !!binary UG9k\ns: 1:20\n",
}


def _shared_paths(data, shared: set[int]) -> set[tuple]:
    """The paths (from the root, first reach) of the objects marked shared."""
    found, stack, seen = set(), [((), data)], set()
    while stack:
        path, item = stack.pop()
        if not isinstance(item, (dict, list)) or (id(item), path) in seen:
            continue
        seen.add((id(item), path))
        if id(item) in shared:
            found.add(path)
        children = item.items() if isinstance(item, dict) else enumerate(item)
        stack.extend((path + (repr(k),), v) for k, v in children)
    return found


def _assert_same_view(root, text: str) -> None:
    fast = to_data(root, text=text)
    reference = _Builder(_Where(text), True)
    expected = reference.build(root)
    assert strictly_equal(fast.data, expected)
    assert _shared_paths(fast.data, fast.shared) == _shared_paths(expected, reference.shared)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_data_view_matches_the_reference_builder(name):
    _assert_same_view(compose(TRICKY[name]), TRICKY[name])


def test_recursive_alias_is_refused_by_both_builders():
    # ruamel composes a self-reference; reading it as data must stop, with the line.
    text = "a: &x\n  b: *x\n"
    try:
        root = compose(text)
    except InputError:
        pytest.skip("this ruamel refuses recursive aliases while composing")
    with pytest.raises(InputError, match="recursive alias"):
        to_data(root)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: {c: 1, c: 2}\na: 3\n", "duplicate key 'c' (first at line 2)"),
        ("x: &a {k: 1}\ny: {<<: *a, z: 1, z: 2}\n", "duplicate key 'z'"),
        ("? [1, 2]\n: a\n? [1, 2]\n: b\n", "duplicate key"),
        ("a: &a {x: 1}\nb:\n  <<: *a\n  <<: {y: 2}\n", "duplicate key '<<' (first at line 3)"),
        ("a:\n  <<: notamap\n  b: 1\n", "a merge key (<<) takes a mapping or a list of mappings"),
        ("a:\n  hostPID: false\n  <<: {hostPID: true}\n", "ambiguous merge key: 'hostPID' is set here and again by the merge key (<<) at line 3"),
        ("i: !!int 1.5\n", "cannot decode !!float `1.5` as a !!int"),
    ],
)
def test_both_builders_refuse_the_same_input(text, message):
    root = compose(text)
    with pytest.raises(InputError) as reference:
        _Builder(_Where(text), True).build(root)
    with pytest.raises(InputError) as fast:
        to_data(root, text=text)
    assert message in str(fast.value)
    assert str(fast.value) == str(reference.value)


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    with pytest.raises(InputError, match="aliases expand to more than"):
        to_data(compose("\n".join(lines) + "\n"))


def test_deep_nesting_falls_back_to_the_stack_builder():
    # Deeper than the recursive builder goes, within what compose accepts (MAX_DEPTH).
    depth = 400
    text = "a: " + "[" * depth + "1" + "]" * depth + "\n"
    view = to_data(compose(text), text=text)
    value = view.data["a"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [1]
    _assert_same_view(compose(text), text)


def _node_signature(root, tags: bool = True):
    """Every node's class, tag (unless not asked for), value, marks and style, in document order."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append((type(node).__name__, node.tag if tags else None, node.start_mark.index, node.end_mark.index, getattr(node, "style", None)))
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, MappingNode):
            stack.extend(child for pair in reversed(node.value) for child in reversed(pair))
        else:
            out.append(node.value)
    return out


def _documents(text: str):
    return [c.text for c in split(text) if c.is_document]


def _assert_same_nodes(root, expected) -> None:
    """ruamel's nodes, tags aside; a tag may differ only on a plain scalar, and only as Kubernetes resolves it."""
    assert _node_signature(root, tags=False) == _node_signature(expected, tags=False)
    stack = [(root, expected)]
    while stack:
        ours, theirs = stack.pop()
        if isinstance(ours, ScalarNode):
            if ours.tag != theirs.tag:
                assert ours.style in (None, "") and ours.tag == scalars.plain_tag(ours.value), (ours.value, ours.tag)
        elif isinstance(ours, SequenceNode):
            stack.extend(zip(ours.value, theirs.value))
        elif isinstance(ours, MappingNode):
            stack.extend((a, b) for pair, other in zip(ours.value, theirs.value) for a, b in zip(pair, other))


@pytest.mark.parametrize("text", list(TRICKY.values()), ids=sorted(TRICKY, key=list(TRICKY).index))
def test_composer_gives_ruamels_nodes(text):
    _assert_same_nodes(compose(text), next(YAML(typ="safe", pure=False).compose_all(text)))


def test_composer_matches_ruamel_on_the_corpus():
    for path in corpus_files():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            continue
        for document in _documents(text):
            try:
                expected = list(YAML(typ="safe", pure=False).compose_all(document))
            except Exception:
                continue  # invalid YAML: the error path is tested elsewhere
            if len(expected) != 1:
                continue
            root = compose(document)
            _assert_same_nodes(root, expected[0])
            _assert_same_view(root, document)
