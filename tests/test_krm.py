"""``hardener krm`` as a KRM function and as kustomize's legacy exec transformer.

Run through the command line (in process, for speed), because the contract
is the host's: bytes on stdin, bytes on stdout, an exit code. The real hosts
run it in tests/integration/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hardener.cli import app

RESOURCE_LIST = """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# before the first item
- apiVersion: apps/v1  # keep me
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'deploy/web.yaml'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'deploy/web.yaml'
      internal.config.kubernetes.io/annotations-migration-resource-id: '0'
      config.k8s.io/id: '1'
  spec:
    template:
      spec:
        # the containers
        containers:
          - name: web   # main
            image: "nginx:1.27"
            securityContext: {readOnlyRootFilesystem: true}
# between items
- apiVersion: v1
  kind: Service
  metadata:
    name: web   # untouched
    annotations:
      config.k8s.io/id: '2'
  spec:
    ports: [ {port: 80} ]
"""


@dataclass
class Ran:
    returncode: int
    stdout: bytes
    stderr: bytes


def krm(stdin: str | bytes, *args: str) -> Ran:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    result = CliRunner().invoke(app, ["krm", *args], input=data)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout_bytes, result.stderr_bytes)


def load(text: bytes | str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


def with_config(config: str) -> str:
    return RESOURCE_LIST + "functionConfig:\n" + "".join("  " + line + "\n" for line in config.splitlines())


def test_items_are_hardened_in_place_and_every_other_byte_survives():
    proc = krm(RESOURCE_LIST)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    body, _, results = out.partition("results:\n")
    # Every input line is still there, in order; only new lines were added.
    lines = iter(body.splitlines())
    for line in RESOURCE_LIST.splitlines():
        if "readOnlyRootFilesystem: true}" in line:
            continue  # the one flow mapping that gained entries
        assert any(candidate == line for candidate in lines), f"lost or moved: {line!r}"
    assert "securityContext: {readOnlyRootFilesystem: true, runAsUser: 101, allowPrivilegeEscalation: false," in body
    data = load(out)
    web, service = data["items"]
    assert web["spec"]["template"]["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert web["metadata"]["annotations"]["config.k8s.io/id"] == "1"
    assert web["metadata"]["annotations"]["internal.config.kubernetes.io/annotations-migration-resource-id"] == "0"
    assert service == load(RESOURCE_LIST)["items"][1]


def test_results_have_severity_resource_ref_field_and_file():
    data = load(krm(RESOURCE_LIST).stdout)
    results = data["results"]
    assert results, "one result per change"
    transforms = {r["tags"]["hardener.dev/transform"] for r in results}
    assert {"run-as-non-root", "no-privilege-escalation", "drop-all-capabilities"} <= transforms
    for result in results:
        assert result["severity"] in ("info", "warning", "error")
        assert result["resourceRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"}
        assert result["file"] == {"path": "deploy/web.yaml", "index": 0}
        assert result["field"]["path"].startswith("spec.template.spec.")
    escalation = next(r for r in results if r["tags"]["hardener.dev/transform"] == "no-privilege-escalation")
    assert escalation["field"] == {
        "path": "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
        "proposedValue": False,
    }


EXPLICIT = RESOURCE_LIST.replace("{readOnlyRootFilesystem: true}", "{allowPrivilegeEscalation: true}")


def test_an_explicit_value_fails_the_function_with_an_error_result_and_is_kept():
    out = krm(EXPLICIT)
    assert out.returncode == 1  # the profile is not met: kpt stops the pipeline
    assert b"allowPrivilegeEscalation to false in container web (it was explicitly true): not applied" in out.stderr
    data = load(out.stdout)
    assert data["items"][0]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is True
    errors = [r for r in data["results"] if r["severity"] == "error"]
    assert [r["tags"]["hardener.dev/transform"] for r in errors] == ["no-privilege-escalation"]


def test_unsafe_fixes_in_the_function_config_override_the_explicit_value():
    config = "apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nmetadata: {name: h}\nspec:\n  unsafe-fixes: [no-privilege-escalation]\n"
    out = krm(EXPLICIT + "functionConfig:\n" + "".join("  " + line + "\n" for line in config.splitlines()))
    assert out.returncode == 0, out.stderr.decode()
    container = load(out.stdout)["items"][0]["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_a_second_run_changes_nothing_and_replaces_the_results():
    first = krm(RESOURCE_LIST).stdout.decode()
    second = krm(first)
    assert second.returncode == 0
    assert first.partition("results:\n")[0] == second.stdout.decode().partition("results:\n")[0]
    earlier = load(first)["results"]
    again = load(second.stdout).get("results") or []
    assert again == [r for r in earlier if r["tags"]["hardener.dev/record"] != "change"], "findings recur, changes do not"


def test_hardener_function_config_with_inline_transforms():
    out = krm(with_config("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nmetadata: {name: h}\n"
                          "spec:\n  profile: restricted\n  transforms:\n    drop-all-capabilities: false\n"))
    assert out.returncode == 0, out.stderr.decode()
    container = load(out.stdout)["items"][0]["spec"]["template"]["spec"]["containers"][0]
    assert "capabilities" not in container["securityContext"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_configmap_function_config_names_the_profile():
    out = krm(with_config("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h}\ndata:\n  profile: restricted\n"))
    assert out.returncode == 0, out.stderr.decode()
    assert load(out.stdout)["items"][0]["spec"]["template"]["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize(
    "config, message",
    [
        ("apiVersion: v1\nkind: ConfigMap\ndata:\n  profile: nope\n", "unknown profile 'nope'"),
        ("apiVersion: v1\nkind: ConfigMap\ndata:\n  level: high\n", "unknown key level"),
        ("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nspec:\n  profle: restricted\n", "unknown key profle"),
        ("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nspec:\n  transforms:\n    no-such: {}\n",
         "functionConfig: spec: transforms: unknown transform 'no-such'"),
        ("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nspec:\n  transforms:\n    no-host-ports: {max_port: '80'}\n",
         "functionConfig: spec: transforms: no-host-ports: max_port: expected int, got '80'"),
        ("apiVersion: example.com/v1\nkind: Other\n", "unsupported Other"),
    ],
)
def test_a_bad_function_config_is_an_error_result_and_a_failure(config, message):
    out = krm(with_config(config))
    assert out.returncode != 0
    assert message in out.stderr.decode()
    data = load(out.stdout)
    errors = [r for r in data["results"] if r["severity"] == "error"]
    assert len(errors) == 1 and message in errors[0]["message"]
    assert data["items"] == load(RESOURCE_LIST)["items"], "nothing changed on failure"


@pytest.mark.parametrize(
    "stdin, message",
    [
        ("apiVersion: v1\nkind: List\nitems: []\n", "not a ResourceList"),
        ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: 1}\n", "items must be a list"),
        ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [1]\n", "items[0] is a int"),
        ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- a: [\n", "invalid YAML"),
        ("", "not a ResourceList"),
        (b"\xff\xfe\x00", "cannot decode"),
    ],
)
def test_bad_input_is_an_error_result_and_a_failure(stdin, message):
    out = krm(stdin)
    assert out.returncode != 0
    assert message in out.stderr.decode()
    data = load(out.stdout)
    assert data["kind"] == "ResourceList"
    assert [r["severity"] for r in data["results"]] == ["error"]


def test_json_input_is_accepted():
    data = load(RESOURCE_LIST)
    out = krm(json.dumps(data))
    assert out.returncode == 0, out.stderr.decode()
    hardened = load(out.stdout)["items"][0]
    assert hardened["spec"]["template"]["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert hardened["metadata"]["annotations"] == data["items"][0]["metadata"]["annotations"]


def test_an_empty_list_stays_empty():
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
    out = krm(text)
    assert (out.returncode, out.stdout.decode()) == (0, text)


def test_legacy_exec_transformer_reads_its_config_file(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nmetadata:\n  name: h\n"
                      "spec:\n  transforms:\n    read-only-root-filesystem: false\n")
    stream = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p  # hi\nspec:\n  containers:\n  - name: c\n    image: i\n"
    out = krm(stream, "--plugin-config", str(config))
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode()
    assert text.startswith(stream[: stream.index("spec:")])
    assert "allowPrivilegeEscalation: false" in text and "readOnlyRootFilesystem" not in text
    config.write_text("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nspec: {profile: nope}\n")
    bad = krm(stream, "--plugin-config", str(config))
    assert bad.returncode == 2 and bad.stdout == b""
    assert str(config) in bad.stderr.decode() and "unknown profile 'nope'" in bad.stderr.decode()


def test_crlf_deep_indents_flow_items_and_lists_are_spliced_in_place():
    text = (
        "apiVersion: config.kubernetes.io/v1\r\nkind: ResourceList\r\nitems:\r\n"
        "    -   apiVersion: v1   # x\r\n        kind: Pod\r\n        metadata: {name: p}\r\n"
        "        spec:\r\n          containers:\r\n          - {name: c, image: i}\r\n"
        "    - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{name: c, image: i}]}}\r\n"
        "    - apiVersion: v1\r\n      kind: List\r\n      items:\r\n      - apiVersion: v1\r\n        kind: Pod\r\n"
        "        metadata: {name: r}\r\n        spec: {containers: [{name: c, image: i}]}\r\n"
    )
    out = krm(text)
    assert out.returncode == 0, out.stderr.decode()
    body = out.stdout.decode()
    assert "\n" not in body.replace("\r\n", ""), "CRLF throughout"
    assert body.startswith(text[: text.index("          - {name: c")])
    data = load(body)
    pods = [data["items"][0], data["items"][1], data["items"][2]["items"][0]]
    assert [p["spec"]["securityContext"] for p in pods] == [{"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}] * 3
    listed = [r for r in data["results"] if r["resourceRef"].get("name") == "r"]
    assert listed and listed[0]["resourceRef"] == {"apiVersion": "v1", "kind": "Pod", "name": "r"}


def test_a_json_list_re_emitted_as_yaml_keeps_every_string_a_string_for_kubectl():
    from ruamel.yaml import YAML

    data = load(RESOURCE_LIST)
    words = ["yes", "on", "NO", "1:20", "0755", "y", "2024-01-01", "1e3"]
    data["items"][0]["metadata"]["labels"] = {f"k{i}": word for i, word in enumerate(words)}
    out = krm(json.dumps(data))
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode()
    for word in words:
        assert f"'{word}'" in text
    yaml11 = YAML(typ="safe", pure=True)
    yaml11.version = (1, 1)  # how kubectl's go-yaml v2 reads booleans and numbers
    for reader in (yaml11, YAML(typ="safe", pure=True)):
        labels = reader.load(text)["items"][0]["metadata"]["labels"]
        assert list(labels.values()) == words


def test_an_item_that_aliases_another_is_hardened_once():
    text = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
        "- &pod\n  apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n    - name: c\n      image: nginx\n"
        "- *pod\n"
    )
    out = krm(text)
    assert out.returncode == 0, out.stderr.decode()
    result = out.stdout.decode()
    assert result.count("runAsNonRoot: true") == 1 and "\n- *pod\n" in result
    items = load(out.stdout)["items"]
    assert items[0] == items[1] and items[0]["spec"]["securityContext"]["runAsNonRoot"] is True
