"""Never pass an insecure workload, however it is written.

Hypothesis draws insecure pods (privileged, root, host namespaces, host
ports, added capabilities) and writes them in the legal YAML shapes that
trip a text patcher: flow collections over several lines, minified and
pretty JSON, merge keys (inline and shared), anchors shared by containers
(with the same and with different edits), whole containers aliased across
the pods of a List, comment lines between keys, YAML 1.1 spellings
(``yes``, ``on``, ``0.0``, ``!!float 0``), anchored or tagged empty flow
mappings followed by a comment, keep-chomping block scalars. For every draw,
judged by the independent checker in tests/psa.py:

* every output document parses, and a second run changes nothing;
* a document that still violates the restricted level has an error finding
  (it was not silently passed): by default the explicit insecure values are
  reported, not changed (unsafe fixes);
* with unsafe fixes, a violation is left only where the patcher could not
  place an edit, and then its error finding says so and names the line.

The shapes the issue names are also written out one by one (``SHAPES``): bytes
in, bytes out, clean for psa.py with unsafe fixes, error findings without.

``HYPOTHESIS_PROFILE=ci`` (the suite's, derandomized) or ``deep``.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardener.api import harden
from hardener.model import ERROR, FINDING
from hardener.profile import load_profile_from_mapping
from hardener.stream import split
from hardener.yamlnodes import compose, to_data
from tests.psa import check_pod, pod_specs

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FALLBACK = "Not hardened:"
STATS: Counter[str] = Counter()

TRUE_WORDS = ["true", "yes", "on", "y", "Yes", "ON", "True", "!!bool yes"]
IMAGE = "registry.example/app"  # no facts in the image table
ZERO_WORDS = ["0", "0.0", "0e0", "!!float 0", "0x0", "00", "-0"]
INSECURE = {
    "privileged": True,
    "runAsUser": 0,
    "allowPrivilegeEscalation": True,
    "runAsNonRoot": False,
    "readOnlyRootFilesystem": False,
    "capabilities": {"add": ["NET_ADMIN"], "drop": ["NET_RAW"]},
    "seccompProfile": {"type": "Unconfined"},
}


@st.composite
def security_context(draw) -> dict:
    keys = draw(st.lists(st.sampled_from(sorted(INSECURE)), unique=True, max_size=4))
    return {key: json.loads(json.dumps(INSECURE[key])) for key in keys}


@st.composite
def pod(draw, name: str) -> dict:
    shared = draw(security_context())
    containers = []
    for index in range(draw(st.integers(1, 3))):
        container: dict = {"name": f"c{index}", "image": IMAGE}
        if draw(st.booleans()):
            first = draw(st.sampled_from(["hostPort", "containerPort"]))
            port = {first: 8080, ("containerPort" if first == "hostPort" else "hostPort"): 8080}
            container["ports"] = [port]
        relation = draw(st.sampled_from(["same", "more", "own"])) if index else "own"
        if relation == "same":
            container["securityContext"] = json.loads(json.dumps(shared))
        elif relation == "more":
            container["securityContext"] = {**json.loads(json.dumps(shared)), **draw(security_context())}
        else:
            container["securityContext"] = draw(security_context()) if index else shared
        if draw(st.integers(0, 4)) == 0:
            container["args"] = "keep\n\n"  # written as a keep-chomping block scalar
        containers.append(container)
    spec: dict = {"containers": containers}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if draw(st.booleans()):
            spec[field] = True
    if draw(st.booleans()):
        spec["securityContext"] = draw(st.sampled_from([{}, {"runAsUser": 0}, {"runAsNonRoot": False}]))
    metadata: dict = {"name": name}
    if draw(st.integers(0, 3)) == 0:
        # c1 gets other edits than c0 (an exemption that Pod Security Admission does not judge):
        # a securityContext the two share must be un-shared.
        metadata["annotations"] = {"hardener.dev/skip.c1": "read-only-root-filesystem"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


class Writer:
    """Writes plain data as YAML in shapes drawn at random: every choice is one a person or a tool makes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.step = rng.choice([2, 4])
        self.offset = rng.choice([0, self.step])  # `- x` under its key, or indented
        self.scalar_anchors: dict[bool, str] = {}
        self.anchors = 0
        self.written: dict[str, tuple[str, dict]] = {}  # json of a securityContext -> (anchor, value) already written
        self.alias_containers = False
        self.containers: dict[str, str] = {}  # json of a container -> its anchor

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def scalar(self, value) -> str:
        if isinstance(value, bool) and self.chance(0.15):  # one anchored boolean, aliased by other fields
            if value in self.scalar_anchors:
                return f"*{self.scalar_anchors[value]}"
            self.scalar_anchors[value] = anchor = f"b{self.next_anchor()}"
            return f"&{anchor} {'true' if value else 'false'}"
        if value is True:
            return self.rng.choice(TRUE_WORDS)
        if value is False:
            return self.rng.choice(["false", "no", "off", "n", "False"])
        if value == 0 and type(value) is int:
            return self.rng.choice(ZERO_WORDS)
        if isinstance(value, int):
            return str(value)
        return json.dumps(value) if self.chance(0.3) or not value.replace("-", "").replace(".", "").isalnum() else value

    def flow(self, value, column: int, multiline: bool) -> str:
        if isinstance(value, dict):
            entries = [f"{key}: {self.flow(item, column + 2, multiline)}" for key, item in value.items()]
        elif isinstance(value, list):
            entries = [self.flow(item, column + 2, multiline) for item in value]
        else:
            return self.scalar(value)
        open_, close = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if multiline and len(entries) > 1:
            joiner = ",\n" + " " * (column + 2)
            entries = [entries[0]] + [("# a note\n" + " " * (column + 2) if self.chance(0.2) else "") + e for e in entries[1:]]
            return open_ + joiner.join(entries) + close
        return open_ + ", ".join(entries) + close

    def mapping(self, data: dict, column: int, first_prefix: str | None = None) -> list[str]:
        lines = []
        for number, (key, value) in enumerate(data.items()):
            pad = first_prefix if number == 0 and first_prefix is not None else " " * column
            if number and self.chance(0.2):
                lines.append(" " * column + "# a comment about the next key")
            lines.extend(self.entry(key, value, column, pad))
        return lines

    def entry(self, key: str, value, column: int, pad: str) -> list[str]:
        if key == "args" and isinstance(value, str):
            return [f"{pad}args: |+", " " * (column + self.step) + value.rstrip("\n"), ""]
        if isinstance(value, dict) and not value:
            return [pad + key + ": " + self.rng.choice(["{}", "&e%d {} # anchored" % self.next_anchor(), "!!map {} # tagged"])]
        if isinstance(value, dict) and key == "securityContext":
            return self.security_context(value, column, pad)
        block_only = self.alias_containers and key in ("spec", "containers", "items")  # where containers are aliased
        if isinstance(value, dict):
            if self.chance(0.25) and not block_only:
                return [f"{pad}{key}: {self.flow(value, column, self.chance(0.5))}"]
            return [f"{pad}{key}:"] + self.mapping(value, column + self.step)
        if isinstance(value, list) and value:
            if self.chance(0.25) and not block_only:
                return [f"{pad}{key}: {self.flow(value, column, self.chance(0.5))}"]
            return [f"{pad}{key}:"] + self.sequence(value, column + self.offset)
        return [f"{pad}{key}: {self.scalar(value)}"]

    def next_anchor(self) -> int:
        self.anchors += 1
        return self.anchors

    def security_context(self, value: dict, column: int, pad: str) -> list[str]:
        """Shared by an alias, pulled in by a merge key, or written out; in flow or block style."""
        signature = json.dumps(value, sort_keys=True)
        for known, (anchor, base) in self.written.items():
            if known == signature and self.chance(0.7):
                return [f"{pad}securityContext: *{anchor}" + (" # shared" if self.chance(0.3) else "")]
            extra = {k: v for k, v in value.items() if k not in base}
            if base and all(value.get(k) == v for k, v in base.items()) and extra and self.chance(0.7):
                return [f"{pad}securityContext:", " " * (column + self.step) + f"<<: *{anchor}"] + self.mapping(extra, column + self.step)
        if value and self.chance(0.2):  # an inline merge source (or two), used once
            inner = dict(list(value.items())[: max(1, len(value) // 2)])
            rest = {k: v for k, v in value.items() if k not in inner}
            if len(inner) > 1 and self.chance(0.5):  # a list of sources: the first that has a key wins
                first, *others = inner.items()
                source = f"[{self.flow(dict([first]), 0, False)}, {self.flow(dict(others), 0, False)}]"
            else:
                source = self.flow(inner, column + self.step, False)
            body = [" " * (column + self.step) + f"<<: {source}"] + self.mapping(rest, column + self.step)
            return [f"{pad}securityContext:"] + body
        anchor = f"sc{self.next_anchor()}"
        self.written[signature] = (anchor, value)
        if self.chance(0.4):
            return [f"{pad}securityContext: &{anchor} {self.flow(value, column, self.chance(0.5))}"]
        return [f"{pad}securityContext: &{anchor}"] + self.mapping(value, column + self.step)

    def sequence(self, items: list, column: int) -> list[str]:
        lines = []
        for item in items:
            if self.alias_containers and isinstance(item, dict) and "image" in item:
                signature = json.dumps(item, sort_keys=True)
                if signature in self.containers:  # the same container in another pod of the List
                    lines.append(" " * column + f"- *{self.containers[signature]}")
                    continue
                self.containers[signature] = anchor = f"c{self.next_anchor()}"
                lines += [" " * column + f"- &{anchor}"] + self.mapping(item, column + 2)
            elif isinstance(item, dict) and item:
                lines += self.mapping(item, column + 2, first_prefix=" " * column + "- ")
            else:
                lines.append(" " * column + "- " + self.flow(item, column + 2, False))
        return lines


STREAM_SHAPES = ("block", "list-with-aliased-container", "flow-multiline", "flow", "json-lines", "json-pretty")


@st.composite
def insecure_stream(draw, shape: str) -> str:
    """An insecure stream written in ``shape`` (and every smaller choice drawn inside it)."""
    pods = [draw(pod(f"p{i}")) for i in range(draw(st.integers(1, 2)))]
    seed = draw(st.integers(0, 2**32))
    if shape == "json-lines":
        return "".join(json.dumps(p, separators=(",", ":")) + "\n" for p in pods)
    if shape == "json-pretty":
        return json.dumps(pods[0], indent=2) + "\n"
    documents = []
    for number, document in enumerate(pods):
        writer = Writer(random.Random(seed + number))  # anchors belong to one document
        if shape in ("flow", "flow-multiline"):
            metadata, spec = writer.flow(document["metadata"], 0, False), writer.flow(document["spec"], 0, shape == "flow-multiline")
            documents.append(f"apiVersion: v1\nkind: Pod\nmetadata: {metadata}\nspec: {spec}\n")
        elif shape == "list-with-aliased-container":
            second = draw(pod(f"q{number}"))
            second["spec"]["containers"][0] = json.loads(json.dumps(document["spec"]["containers"][0]))
            writer.alias_containers = True
            documents.append("\n".join(writer.mapping({"apiVersion": "v1", "kind": "List", "items": [document, second]}, 0)) + "\n")
        else:
            documents.append("\n".join(writer.mapping(document, 0)) + "\n")
    text = "---\n".join(documents)
    return text.replace("\n", "\r\n") if draw(st.integers(0, 4)) == 0 else text


def _profile(unsafe: bool):
    """restricted, without the one finding every pod gets (its own ServiceAccount): a finding then means something.

    Without the writable mounts too (``mount_writable_paths: false``), and the pods run an image
    the image table does not know (``IMAGE``): the subject here is the shape, not what an image needs.
    """
    raw = {
        "name": "restricted-without-service-accounts",
        "extends": "restricted",
        "transforms": {"dedicated-service-account": False, "read-only-root-filesystem": {"mount_writable_paths": False}},
    }
    return load_profile_from_mapping({**raw, "unsafe-fixes": unsafe}, "test")


def _error_findings(result, document: int) -> list:
    return [r for r in result.records if r.type == FINDING and r.document == document and r.severity == ERROR]


@pytest.mark.parametrize("shape", STREAM_SHAPES)
@settings(settings.get_profile(PROFILE))
@given(data=st.data())
def test_no_insecure_pod_passes_without_an_error_finding(shape, data):
    text = data.draw(insecure_stream(shape))
    for unsafe in (False, True):
        check_stream(text, shape, unsafe)


def check_stream(text: str, shape: str, unsafe: bool) -> None:
    """The property, for one drawn stream: explicit values reported (unsafe=False) or fixed (True)."""
    profile = _profile(unsafe)
    try:
        result = harden(text, profile, file="drawn.yaml")
    except Exception as error:  # an input error is a refusal with a line, which is fine; anything else is a bug
        from hardener.errors import InputError

        assert isinstance(error, InputError) and error.line, (text, error)
        STATS["refused as input"] += 1
        return
    STATS["streams"] += 1
    STATS[shape] += 1
    for chunk in split(result.output):
        if not chunk.is_document:
            continue
        data = to_data(compose(chunk.text)).data
        for metadata, spec in pod_specs(data):
            violations = check_pod(metadata, spec)
            if violations:
                errors = _error_findings(result, chunk.index)
                assert errors, (text, result.output, violations)
                if unsafe:  # every insecure value is fixable: only the patcher's fallback may leave one
                    assert any(r.message.startswith(FALLBACK) for r in errors), (text, result.output, violations, errors)
                STATS["documents left violating, with an error finding"] += 1
            else:
                STATS["pods hardened clean"] += 1
    STATS["documents needing the fallback"] += sum(1 for r in result.records if r.message.startswith(FALLBACK))
    again = harden(result.output, profile)
    assert again.output == result.output, "a second run changed the output"


# The shapes the issue names, each written out: bytes in, bytes out, clean for tests/psa.py.
SHAPES = {
    'multi-line flow': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [\n    {name: c, image: registry.example/app,  # the app\n     securityContext: {privileged: true, runAsUser: 0}}\n  ], hostNetwork: true}\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [\n    {name: c, image: registry.example/app,  # the app\n     securityContext: {privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}}\n  ], hostNetwork: false, securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, automountServiceAccountToken: false}\n',
    ),
    'inline merge source': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    securityContext: {<<: {privileged: true}}\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    securityContext: {<<: {privileged: false}, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n  automountServiceAccountToken: false\n',
    ),
    'alias shared by two containers': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: registry.example/app\n    securityContext: &sc\n      privileged: true\n  - name: b\n    image: registry.example/app\n    securityContext: *sc\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: registry.example/app\n    securityContext: &sc\n      privileged: false\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      capabilities:\n        drop:\n        - ALL\n  - name: b\n    image: registry.example/app\n    securityContext: *sc\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n  automountServiceAccountToken: false\n',
    ),
    'comment line between keys': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    ports:\n    - hostPort: 80\n      # the container port\n      containerPort: 80\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    ports:\n    -\n      # the container port\n      containerPort: 80\n    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      capabilities:\n        drop:\n        - ALL\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n  automountServiceAccountToken: false\n',
    ),
    'anchored empty flow mapping and a comment': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: !!map {} # tagged\n  containers:\n  - name: c\n    image: registry.example/app\n    securityContext: &x {} # anchored\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: !!map {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}} # tagged\n  containers:\n  - name: c\n    image: registry.example/app\n    securityContext: &x {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}} # anchored\n  automountServiceAccountToken: false\n',
    ),
    'keep-chomping block scalar': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    args: |+\n      keep\n\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    args: |+\n      keep\n\n    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      capabilities:\n        drop:\n        - ALL\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n  automountServiceAccountToken: false\n',
    ),
    'minified JSON, two edits in one mapping': (
        '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"registry.example/app","securityContext":{"privileged":true,"runAsUser":0}}]}}\n',
        '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"registry.example/app","securityContext":{"privileged":false, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}], "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}, "automountServiceAccountToken": false}}\n',
    ),
    'an anchored boolean aliased inside a rewritten flow mapping': (
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: registry.example/app, securityContext: {allowPrivilegeEscalation: &t true, runAsUser: 0}}], hostNetwork: *t}\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: registry.example/app, securityContext: {allowPrivilegeEscalation: &t false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}}], hostNetwork: *t, securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, automountServiceAccountToken: false}\n',
    ),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_shape_the_issue_names_is_hardened_clean_with_unsafe_fixes(name):
    text, expected = SHAPES[name]
    result = harden(text, _profile(True))
    assert result.output == expected
    for chunk in split(result.output):
        if chunk.is_document:
            for metadata, spec in pod_specs(to_data(compose(chunk.text)).data):
                assert check_pod(metadata, spec) == []
    assert harden(result.output, _profile(True)).output == result.output


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_shape_the_issue_names_fails_closed_without_unsafe_fixes(name):
    text, hardened = SHAPES[name]
    result = harden(text, _profile(False))
    assert not any(r.message.startswith(FALLBACK) for r in result.findings), "the shape itself is patched"
    withheld = [r for r in result.findings if r.severity == ERROR and r.unsafe_fix]
    assert withheld or result.output == hardened, "an explicit insecure value is an error finding, or there was none"


@pytest.mark.parametrize("unsafe", [False, True])
def test_yaml_1_1_booleans_are_read_as_kubectl_reads_them(unsafe):
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: on\n  containers:\n  - name: c\n    image: registry.example/app\n    securityContext:\n      privileged: yes\n"
    result = harden(text, _profile(unsafe))
    if unsafe:
        assert "  hostNetwork: false\n" in result.output and "      privileged: false\n" in result.output
        assert {(r.line, r.before, r.after) for r in result.changes if r.path[-1] in ("hostNetwork", "privileged")} == {(5, True, False), (10, True, False)}
    else:
        assert "  hostNetwork: on\n" in result.output and "      privileged: yes\n" in result.output
        withheld = {(r.line, r.path[-1]) for r in result.findings if r.severity == ERROR and r.unsafe_fix}
        assert withheld == {(5, "hostNetwork"), (10, "privileged")}


@pytest.mark.parametrize("zero", ["0.0", "0e0", "!!float 0", "00", "0x0", "-0"])
def test_every_spelling_of_uid_0_is_root(zero):
    text = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: registry.example/app\n    securityContext:\n      runAsUser: {zero}\n"
    withheld = [r for r in harden(text, _profile(False)).findings if r.unsafe_fix and r.path[-1] == "runAsUser"]
    assert [(r.line, r.before) for r in withheld] == [(9, 0)]
    hardened = harden(text, _profile(True)).output
    assert "runAsUser" not in hardened and "runAsNonRoot: true" in hardened
