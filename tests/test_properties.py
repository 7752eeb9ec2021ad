"""Property tests: manifests written in many styles keep their bytes and end up hardened.

Hypothesis draws a workload (kind, containers, security settings in every
state) and a way of writing it (indent 2 or 4, both sequence styles, flow or
block securityContext, plain/single/double quotes, comments everywhere,
anchors and aliases, CRLF, BOM, no final newline, several documents with
``---``/``...``, JSON). For every draw:

* fidelity holds (tests/fidelity.py): the output parses, only security fields
  change, every input line survives unless edited, a second run changes nothing;
* the PSA restricted checks the core transforms own are cleared
  (allowPrivilegeEscalation, runAsNonRoot, capabilities_restricted), except
  where a finding says why not.

Profiles: ``HYPOTHESIS_PROFILE=ci`` (the default, a few hundred examples) and
``HYPOTHESIS_PROFILE=deep`` (thousands, for a run on demand).
"""

from __future__ import annotations

import codecs
import json
import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardener.api import harden_bytes
from hardener.stream import split
from hardener.yamlnodes import compose, to_data
from tests.fidelity import fidelity_problems
from tests.psa import check_pod, pod_specs

# The suite's profile is derandomized: the same examples on every run, so a red CI is a real
# regression, never the luck of the draw. `deep` explores at random, on demand.
settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("deep", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
OWNED_CHECKS = {"allowPrivilegeEscalation", "runAsNonRoot", "capabilities_restricted"}

TRISTATE = st.sampled_from([None, True, False])


@st.composite
def container(draw, index: int) -> dict:
    c: dict = {"name": f"c{index}"}
    if draw(st.booleans()):
        c["env"] = [{"name": "MODE", "value": draw(st.sampled_from(["prod", "a b", "yes", "1"]))}]
    c["image"] = draw(st.sampled_from(["nginx:1.27", "registry.example/app@sha256:abc", "busybox"]))
    sc: dict = {}
    for key in ("allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot"):
        value = draw(TRISTATE)
        if value is not None:
            sc[key] = value
    drop = draw(st.sampled_from([None, [], ["NET_RAW"], ["ALL"]]))
    if drop is not None:
        sc["capabilities"] = {"drop": drop}
    if sc or draw(st.booleans()):
        c["securityContext"] = sc
    if draw(st.booleans()):
        c["ports"] = [{"containerPort": 8080, "name": "http"}]
    return c


@st.composite
def workload(draw, index: int) -> dict:
    containers = [draw(container(i)) for i in range(draw(st.integers(1, 3)))]
    spec: dict = {}
    if draw(st.booleans()):
        spec["initContainers"] = [draw(container(9))]
    spec["containers"] = containers
    pod_sc = draw(st.sampled_from([None, {}, {"runAsNonRoot": False}, {"runAsNonRoot": True}, {"fsGroup": 2000}]))
    if pod_sc is not None:
        spec["securityContext"] = pod_sc
    kind = draw(st.sampled_from(["Pod", "Deployment", "Job", "CronJob", "StatefulSet"]))
    meta = {"name": f"w{index}", "labels": {"app": "web"}}
    template = {"metadata": {"labels": {"app": "web"}}, "spec": spec}
    api, body = {
        "Pod": ("v1", {"metadata": meta, "spec": spec}),
        "Deployment": ("apps/v1", {"metadata": meta, "spec": {"replicas": 2, "template": template}}),
        "StatefulSet": ("apps/v1", {"metadata": meta, "spec": {"serviceName": "s", "template": template}}),
        "Job": ("batch/v1", {"metadata": meta, "spec": {"template": template}}),
        "CronJob": ("batch/v1", {"metadata": meta, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}),
    }[kind]
    return {"apiVersion": api, "kind": kind, **body}


class Writer:
    """Writes plain data as block YAML in one drawn style."""

    def __init__(self, indent: int, offset: int, quote: str, flow_sc: bool, anchors: bool, rng: random.Random) -> None:
        self.indent, self.offset, self.quote, self.flow_sc, self.anchors, self.rng = indent, offset, quote, flow_sc, anchors, rng
        self.anchored = False

    def scalar(self, value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        plain_ok = value not in ("yes", "1", "a b") and ":" not in value and "*" not in value
        if self.quote == "single" or (not plain_ok and self.quote == "plain"):
            return "'" + value.replace("'", "''") + "'"
        if self.quote == "double":
            return json.dumps(value)
        return value

    def flow(self, value) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {self.flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v) for v in value) + "]"
        return self.scalar(value)

    def mapping(self, data: dict, column: int, first_prefix: str | None = None) -> list[str]:
        lines = []
        for number, (key, value) in enumerate(data.items()):
            pad = first_prefix if (number == 0 and first_prefix is not None) else " " * column
            if isinstance(value, dict) and (not value or (key == "securityContext" and self.flow_sc)):
                lines.append(f"{pad}{key}: {self.flow(value)}")
            elif isinstance(value, dict):
                lines.append(f"{pad}{key}:")
                lines += self.mapping(value, column + self.indent)
            elif isinstance(value, list) and not value:
                lines.append(f"{pad}{key}: []")
            elif isinstance(value, list):
                lines.append(f"{pad}{key}:")
                lines += self.sequence(value, column + self.offset)
            elif key == "image" and self.anchors and not self.anchored:
                self.anchored = True
                lines.append(f"{pad}{key}: &img {self.scalar(value)}")
            elif key == "value" and self.anchors and self.anchored:
                lines.append(f"{pad}{key}: *img")
            else:
                lines.append(f"{pad}{key}: {self.scalar(value)}")
        return lines

    def sequence(self, items: list, column: int) -> list[str]:
        lines = []
        for item in items:
            if isinstance(item, dict) and item:
                lines += self.mapping(item, column + 2, first_prefix=" " * column + "- ")
            else:
                lines.append(" " * column + "- " + self.flow(item))
        return lines

    def comments(self, lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            if self.rng.random() < 0.15:
                out.append(" " * (len(line) - len(line.lstrip(" -"))) + "# a comment")
            if self.rng.random() < 0.15 and not line.rstrip().endswith(":"):
                line += "  # trailing"
            out.append(line)
        return out


@st.composite
def manifest(draw) -> tuple[bytes, list[dict]]:
    docs = [draw(workload(i)) for i in range(draw(st.integers(1, 3)))]
    as_json = draw(st.booleans()) if len(docs) == 1 else False
    rng = random.Random(draw(st.integers(0, 2**16)))
    if as_json:
        text = json.dumps(docs[0], indent=draw(st.sampled_from([None, 2, 4])))
    else:
        indent = draw(st.sampled_from([2, 4]))
        writer = Writer(
            indent,
            draw(st.sampled_from([0, indent])),
            draw(st.sampled_from(["plain", "single", "double"])),
            draw(st.booleans()),
            draw(st.booleans()),
            rng,
        )
        parts = []
        with_config_map = draw(st.booleans())
        for number, doc in enumerate(docs):
            writer.anchored = False
            lines = writer.mapping(doc, 0)
            if draw(st.booleans()):
                lines = writer.comments(lines)
            header = "---\n" if number or with_config_map or draw(st.booleans()) else ""
            footer = "...\n" if draw(st.booleans()) else ""
            parts.append(header + "\n".join(lines) + "\n" + footer)
        if with_config_map:
            parts.insert(rng.randrange(len(parts) + 1), "---\n# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n")
        text = "".join(parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = codecs.BOM_UTF8 + data
    return data, docs


@settings(settings.get_profile(PROFILE))
@given(manifest())
def test_generated_manifests_keep_fidelity_and_get_hardened(drawn):
    data, docs = drawn
    assert fidelity_problems(data) == []
    result = harden_bytes(data)
    refused = {r.document for r in result.findings}
    hardened = 0
    for chunk in split(result.output):
        if not chunk.is_document:
            continue
        parsed = to_data(compose(chunk.text)).data  # the output parses
        if chunk.index in refused:
            continue
        for metadata, spec in pod_specs(parsed):
            hardened += 1
            failing = {v.check for v in check_pod(metadata, spec)} & OWNED_CHECKS
            assert failing == set(), (chunk.index, failing)
    assert hardened + len(refused) >= len(docs)
