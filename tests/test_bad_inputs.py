"""Bad and hostile inputs: each is a clear error or a correct result.

Every case goes through the real command-line path in-process (``runner.run``
on a file) and through ``harden_bytes``. An error names the file, the
document and the line, exits 2 and prints nothing on stdout; a result keeps
every untouched byte. Nothing here may raise, hang or execute a tag.
"""

from __future__ import annotations

import codecs
import io

import pytest

from hardener.api import harden_bytes
from hardener.errors import InputError
from hardener.profile import load_profile
from hardener.runner import EXIT_GATE_FAILED, EXIT_INPUT_ERROR, EXIT_OK, WriteBack, run
from hardener.yamlnodes import MAX_DEPTH, compose, to_data

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n"
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n"
    "      containers:\n      - name: web\n        image: registry.example.com/web:1\n"
)
EVERY_CHANGE = 8
"""What a bare pod gets from the default profile: the five settings, seccomp, a writable /tmp mount and its volume."""


def _bomb(levels: int) -> str:
    """A Pod whose annotations hold a billion-laughs alias tree of 10**levels leaves."""
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: lol", "  annotations:", "    a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for i in range(1, levels):
        name, prev = chr(97 + i), chr(96 + i)
        lines.append(f"    {name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\nspec:\n  containers:\n  - name: c\n    image: x\n"


# name -> (input, expected message fragment, expected line)
ERRORS = {
    "bad indentation": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n   bad: 1\nspec: {}\n", "invalid YAML", 5),
    "unclosed double quote": ('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "p\nspec: {}\n', "invalid YAML", 6),
    "unclosed single quote": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: 'p\n", "invalid YAML", 5),
    "tab indentation": ("apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n", "invalid YAML", 4),
    "stray ]": ("apiVersion: v1\nkind: Pod\nspec: ]\n", "invalid YAML", 3),
    "stray }": ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}}\n", "invalid YAML", 3),
    "control character": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\x07b\n", "control characters", 4),
    "duplicate key": (POD + "spec:\n  hostNetwork: true\n", "duplicate key 'spec' (first at line 5)", 9),
    "duplicate key deep inside": (POD + "    image: y\n", "duplicate key 'image' (first at line 8)", 9),
    "recursive alias": ("apiVersion: v1\nkind: Pod\nmetadata: &a\n  x: *a\n", "recursive alias", 3),  # the anchor that is re-entered
    "merge key kubectl reads otherwise": (
        POD + "  hostPID: false\n  <<: {hostPID: true}\n",
        "ambiguous merge key: 'hostPID' is set here and again by the merge key (<<) at line 10; Kubernetes (go-yaml v2) takes the merged value",
        9,
    ),
    "a tag kubectl cannot decode": (POD + "    securityContext: {runAsUser: !!int 0.5}\n", "cannot decode !!float `0.5` as a !!int", 9),
    "billion laughs": (_bomb(10), "alias bomb", None),
    "100,000 levels of [": ("apiVersion: v1\nkind: Pod\nx: " + "[" * 100_000 + "]" * 100_000 + "\n", "nesting deeper", 3),
    "100,000 unclosed [": ("apiVersion: v1\nkind: Pod\nx: " + "[" * 100_000 + "\n", "nesting deeper", 3),
    "100,000 levels of {": ("apiVersion: v1\nkind: Pod\nx: " + "{a: " * 100_000 + "}" * 100_000 + "\n", "nesting deeper", 3),
    "deep block nesting": (
        "apiVersion: v1\nkind: Pod\nx:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 10)) + "  v\n",
        "nesting deeper",
        None,
    ),
    "bare CR line breaks": (POD.replace("\n", "\r"), "bare CR", 1),
    "byte-order mark mid-stream": ("a: 1\n---\n\ufeff" + POD, "byte-order mark in the middle", None),
    "second document broken": ("a: 1\n---\n" + POD + "---\n" + POD.replace("name: c", "name: [c"), "invalid YAML", None),
}


def _run_file(tmp_path, data: bytes, mode: WriteBack = WriteBack.STDOUT) -> tuple[int, bytes, str]:
    path = tmp_path / "in.yaml"
    path.write_bytes(data)
    out, err = io.BytesIO(), io.StringIO()
    code = run([str(path)], load_profile("restricted"), mode, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_yaml_is_a_clear_error(tmp_path, name):
    text, fragment, line = ERRORS[name]
    data = text.encode("utf-8")
    code, out, err = _run_file(tmp_path, data)
    assert code == EXIT_INPUT_ERROR
    assert out == b""
    assert fragment in err
    assert f"{tmp_path / 'in.yaml'}:" in err and "(document " in err
    assert "Traceback" not in err
    if line is not None:
        assert f"in.yaml:{line}:" in err or f"in.yaml:{line} " in err
    assert (tmp_path / "in.yaml").read_bytes() == data


def test_error_names_the_failing_document(tmp_path):
    code, _, err = _run_file(tmp_path, ERRORS["second document broken"][0].encode())
    assert code == EXIT_INPUT_ERROR and "(document 2)" in err and "in.yaml:19:" in err


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n", "cannot decode as UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (POD.encode() + b"\x00\x01\x02", "binary data"),
        (codecs.BOM_UTF16_LE + "kind: Pod\x00\n".encode("utf-16-le"), "binary data"),
        (codecs.BOM_UTF16_LE + POD.encode("utf-16-le")[:-1], "cannot decode as UTF-16-LE"),
    ],
    ids=["latin-1 byte", "png", "nul after text", "utf-16 nul char", "odd utf-16"],
)
def test_undecodable_and_binary_input_is_a_clear_error(tmp_path, data, fragment):
    code, out, err = _run_file(tmp_path, data)
    assert (code, out) == (EXIT_INPUT_ERROR, b"")
    assert fragment in err and "in.yaml:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "codec, bom",
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-16-le", b""),
        ("utf-32-be", b""),
    ],
)
def test_utf16_and_utf32_round_trip_keeping_encoding_and_bom(codec, bom):
    text = POD.replace("\n", "\r\n")
    result = harden_bytes(bom + text.encode(codec))
    assert result.output_bytes.startswith(bom)
    out = result.output_bytes[len(bom):].decode(codec)
    assert out == result.output and out.startswith(text[: text.index("  - name")])
    assert "runAsNonRoot: true\r\n" in out and "\n" not in out.replace("\r\n", "")
    assert harden_bytes(result.output_bytes).output_bytes == result.output_bytes


# Pass-through: byte-identical, exit 0.
PASS_THROUGH = {
    "empty file": b"",
    "only a newline": b"\n",
    "comment only": b"# nothing here\n# kind: Pod\n",
    "separators only": b"---\n---\n...\n",
    "unrendered template": b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  {{- range .Values.c }}\n  - name: {{ . }}\n  {{- end }}\n",
    "non-workload with broken YAML": b"apiVersion: v1\nkind: ConfigMap\ndata: {a: [\n",
    "crd with kind properties": b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  x:\n    kind:\n      type: string\n",
}


@pytest.mark.parametrize("name", list(PASS_THROUGH))
def test_pass_through_is_byte_identical(tmp_path, name):
    data = PASS_THROUGH[name]
    code, out, err = _run_file(tmp_path, data)
    assert (code, out) == (EXIT_OK, data), err


def test_unrendered_template_is_reported_as_skipped():
    result = harden_bytes(PASS_THROUGH["unrendered template"])
    assert [r.type for r in result.records] == ["skip"] and "unrendered template" in result.records[0].message


# Hostile but valid: a correct result, fast.


def test_small_alias_tree_in_a_pod_is_hardened_without_expanding():
    result = harden_bytes(_bomb(5).encode())  # 100,000 leaves: under the bound
    assert len(result.changes) == EVERY_CHANGE
    assert "a: &a [x,x,x,x,x,x,x,x,x,x]\n" in result.output and "e: &e [*d,*d" in result.output


def test_billion_laughs_pod_is_refused_not_expanded():
    with pytest.raises(InputError, match="alias bomb") as error:
        harden_bytes(_bomb(10).encode(), file="lol.yaml")
    assert error.value.file == "lol.yaml" and error.value.document == 0 and error.value.line is not None


def test_multi_megabyte_scalar_survives():
    big = "x" * 5_000_000
    data = (POD + f"    env:\n    - name: BIG\n      value: {big}\n").encode()
    result = harden_bytes(data)
    assert len(result.changes) == EVERY_CHANGE and result.output.count(big) == 1
    assert result.output.startswith(POD)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/apply:subprocess.call [['touch', '{marker}']]",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!Custom {{a: b}}",
    ],
)
def test_language_tags_are_never_constructed(tmp_path, tag):
    marker = tmp_path / "executed"
    text = POD + "    args:\n    - " + tag.format(marker=marker) + "\n"
    result = harden_bytes(text.encode())
    assert not marker.exists()
    assert len(result.changes) == EVERY_CHANGE and tag.format(marker=marker) in result.output
    # The data view reads the tag as the text it is.
    data = to_data(compose(text)).data
    assert not marker.exists() and isinstance(data["spec"]["containers"][0]["args"][0], (str, list, dict))


@pytest.mark.parametrize(
    "spelling",
    [
        "kind: !!str Pod",
        "kind: &k Pod",
        "kind:\n  Pod",
        '"kind": "Pod"',
        "kind: 'Pod'",
        "kind: # the kind\n  Pod",
        "kind: |-\n  Pod",
        "kind: >-\n  Pod",
        '"k\\x69nd": Pod',
        '"kind": "\\x50od"',
        "kind: !!binary UG9k",
        "!!binary a2luZA==: Pod",
        "x: &k kind\n*k : Pod",
    ],
)
def test_every_spelling_of_a_workload_kind_is_hardened(spelling):
    """Each spelling is a Pod to kubectl; a pod on the host's network written so must not pass unparsed."""
    plain = harden_bytes((POD + "  hostNetwork: true\n").encode())
    result = harden_bytes((POD.replace("kind: Pod", spelling) + "  hostNetwork: true\n").encode())
    assert [(r.type, r.path, r.message) for r in result.records] == [(r.type, r.path, r.message) for r in plain.records]
    assert any(r.path[-1:] == ("hostNetwork",) and r.severity == "error" for r in result.findings)


def test_complex_and_non_string_keys_do_not_break_the_pod():
    text = POD + "  ? [a, [b, {c: d}]]\n  : 1\n  1: one\n  true: yes\n"
    result = harden_bytes(text.encode())
    assert len(result.changes) == EVERY_CHANGE
    assert result.output.endswith(
        "  ? [a, [b, {c: d}]]\n  : 1\n  1: one\n  true: yes\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n"
        "  volumes:\n  - {name: tmp, emptyDir: {}}\n  automountServiceAccountToken: false\n"
    )


def test_explicit_keys_leave_the_document_untouched_with_a_finding():
    text = POD + "    securityContext:\n      ? \n      : x\n"
    result = harden_bytes(text.encode())
    assert result.output == text
    assert any("explicit '?' key" in r.message for r in result.findings)


def test_items_provided_by_a_merge_key_are_hardened_where_they_are_written():
    text = "apiVersion: v1\nkind: List\n<<: {items: [{apiVersion: v1, kind: Pod, spec: {containers: [{name: c}]}}]}\n"
    result = harden_bytes(text.encode())
    assert result.output == (
        "apiVersion: v1\nkind: List\n<<: {items: [{apiVersion: v1, kind: Pod, spec: {containers: [{name: c, securityContext: "
        "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}, volumeMounts: "
        "[{name: tmp, mountPath: /tmp}]}], securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, "
        "volumes: [{name: tmp, emptyDir: {}}], automountServiceAccountToken: false}}]}\n"
    )


# Wrong shapes: untouched where unreadable, a finding says why, the rest still hardened.
SHAPES = {
    "containers is a string": ("apiVersion: v1\nkind: Pod\nspec:\n  containers: x\n", "spec.containers is a string"),
    "null container": ("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - null\n  - name: c\n", "spec.containers[0] is null"),
    "number in initContainers": ("apiVersion: v1\nkind: Pod\nspec:\n  initContainers: [5]\n", "spec.initContainers[0] is a number"),
    "securityContext is a string": (POD + '    securityContext: "yes"\n', "securityContext is not a mapping"),
    "securityContext is a boolean": (POD + "    securityContext: yes\n", "securityContext is not a mapping"),
    "pod securityContext is a list": (POD + "  securityContext: []\n", "securityContext is not a mapping"),
    "capabilities is a string": (POD + "    securityContext:\n      capabilities: x\n", "capabilities is not a mapping"),
    "drop is a string": (POD + "    securityContext:\n      capabilities:\n        drop: ALL\n", "not a list"),
    "spec is null": ("apiVersion: v1\nkind: Pod\nspec: null\n", "pod spec at spec is missing"),
    "spec is a list": ("apiVersion: v1\nkind: Pod\nspec: [a]\n", "pod spec at spec is a list"),
    "template is a string": ("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template: x\n", "pod spec at spec.template.spec is missing"),
    "document is a list": ("- apiVersion: v1\n  kind: Pod\n", "The document is a list"),
    "document is a string": ("kind: Pod is what this says\n", None),
    "List with junk items": (
        "apiVersion: v1\nkind: List\nitems:\n- 5\n- null\n- [kind: Pod]\n",
        "items[0] is a number",
    ),
    "List items is a mapping": ("apiVersion: v1\nkind: List\nitems: {kind: Pod}\n", "items is a mapping"),
    "metadata is a list, name a number": ("apiVersion: v1\nkind: Pod\nmetadata: []\nspec:\n  containers:\n  - name: 5\n", None),
    "name is a list": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a]\nspec:\n  containers:\n  - name: [c]\n", None),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_wrong_shapes_are_reported_and_the_rest_is_hardened(tmp_path, name):
    text, fragment = SHAPES[name]
    stream = text + "---\n" + DEPLOY
    code, out, err = _run_file(tmp_path, stream.encode())
    result = harden_bytes(stream.encode())
    # a shape hardener cannot read is an error finding: the output is written, and the run fails closed;
    # a missing pod spec runs nothing, and is a warning
    unreadable = fragment is not None and "is missing" not in fragment
    assert code == (EXIT_GATE_FAILED if unreadable else EXIT_OK), err
    first, second = result.output.split("---\n", 1)
    assert len([r for r in result.changes if r.document == 1]) == EVERY_CHANGE  # the Deployment after it is hardened
    assert second.startswith(DEPLOY)
    assert out == result.output_bytes
    if fragment is not None:
        assert any(fragment in r.message and r.is_error == unreadable for r in result.findings if r.document == 0), result.records
        assert (fragment in err) == unreadable  # an error is named on stderr, with its line
    for record in result.records:
        if record.document == 0 and record.type == "change":
            assert text.split("\n")[0] in first  # hardened where safe, the rest of its lines kept
    for line in text.splitlines():
        assert line in first.splitlines()  # no input line lost


# Found by the fuzzer (fuzz/fuzz_harden.py): each once failed closed with exit 123.


def test_an_empty_value_inside_a_flow_mapping_gets_its_value_in_a_rewrite_of_the_collection():
    data = b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n "spec": {"containers": [{"name": "a",\n   "securityContext"}]}}\n'
    result = harden_bytes(data)
    assert result.output_bytes == (
        b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n "spec": {"containers": [{"name": "a",\n   "securityContext": '
        b'{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}, "volumeMounts": '
        b'[{"name": "tmp", "mountPath": "/tmp"}]}], "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}, '
        b'"volumes": [{"name": "tmp", "emptyDir": {}}], "automountServiceAccountToken": false}}\n'
    )
    assert harden_bytes(result.output_bytes).output_bytes == result.output_bytes


def test_a_helm_empty_mapping_with_a_comment_glued_to_it_is_hardened_in_flow_style():
    data = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      securityContext:\n        {}#\n      image: x\n"
    result = harden_bytes(data)
    assert b"        {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}#\n" in result.output_bytes
    assert harden_bytes(result.output_bytes).output_bytes == result.output_bytes
