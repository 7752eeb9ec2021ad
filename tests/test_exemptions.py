"""Exemptions as a user sees them: what is left alone, the reason reported, stale exemptions warned about."""

from __future__ import annotations

import textwrap

import pytest

from hardener.api import harden
from hardener.errors import ProfileError
from hardener.profile import load_profile

POD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: {namespace}
  labels: {{app: agent}}
  annotations: {annotations}
spec:
  template:
    metadata:
      labels: {{tier: node}}
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: agent
        securityContext:
          privileged: true
      - name: web
        image: nginx
"""


def pod(namespace="apps", annotations="{}"):
    return POD.format(namespace=namespace, annotations=annotations)


def profile_file(tmp_path, body: str) -> str:
    path = tmp_path / "profile.yaml"
    path.write_text(textwrap.dedent(body))
    return str(path)


def messages(result, type_=None):
    return [r.message for r in result.records if type_ is None or r.type == type_]


def test_azure_default_namespaces_are_excluded_with_a_reason():
    text = pod(namespace="kube-system")
    result = harden(text, "azure-baseline")
    assert result.output == text
    assert "Not hardened: namespace kube-system is excluded by the profile" in messages(result, "skip")


def test_other_namespaces_are_hardened_by_the_same_profile():
    assert harden(pod(namespace="apps"), "azure-baseline").changed


def test_label_selector_on_the_pod_template_limited_to_one_transform(tmp_path):
    profile = profile_file(tmp_path, """\
        extends: baseline
        exemptions:
          selectors:
          - matchExpressions: [{key: tier, operator: In, values: [node]}]
            transforms: [no-host-namespaces]
            reason: node agents use the host network
    """)
    result = harden(pod(), load_profile(profile).with_unsafe_fixes(True))
    assert "hostNetwork: true" in result.output
    assert "privileged: false" in result.output
    assert any("node agents use the host network" in m for m in messages(result, "skip"))


def test_skip_annotation_with_reason(tmp_path):
    text = pod(annotations='{hardener.dev/skip: "no-privileged,no-host-namespaces", hardener.dev/skip-reason: "CNI agent"}')
    result = harden(text, "baseline")
    assert result.output == text
    skips = messages(result, "skip")
    assert "Not applied: annotation hardener.dev/skip: no-privileged: CNI agent" in skips


def test_skip_all_annotation_that_exempts_nothing_is_warned_about():
    text = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {hardener.dev/skip: all}
spec:
  containers:
  - name: web
    image: nginx
"""
    result = harden(text, "baseline")
    assert result.output == text
    assert any("exempts nothing" in m for m in messages(result, "finding"))


def test_unknown_transform_in_annotation_is_warned_about():
    result = harden(pod(annotations='{hardener.dev/skip: "no-privilegd"}'), load_profile("baseline").with_unsafe_fixes(True))
    assert "Exemption: hardener.dev/skip names unknown transform 'no-privilegd'; it exempts nothing" in messages(result, "finding")
    assert "privileged: false" in result.output


ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: agent
  namespace: {namespace}
  annotations: {annotations}
"""


@pytest.mark.parametrize(
    ("namespace", "annotations", "skip"),
    [
        ("kube-system", "{}", "Not applied: namespace kube-system is excluded by the profile"),
        ("apps", "{hardener.dev/skip: automount-service-account-token, hardener.dev/skip-reason: calls the API}",
         "Not applied: annotation hardener.dev/skip: automount-service-account-token: calls the API"),
    ],
)
def test_exemptions_cover_service_account_objects_too(tmp_path, namespace, annotations, skip):
    profile = profile_file(tmp_path, """\
        extends: restricted-service-accounts
        exemptions:
          namespaces: [kube-system]
    """)
    text = ACCOUNT.format(namespace=namespace, annotations=annotations)
    result = harden(text, profile)
    assert result.output == text
    assert messages(result) == [skip]
    assert harden(ACCOUNT.format(namespace="apps", annotations="{}"), profile).changed


def test_an_exempt_object_no_transform_would_touch_is_not_reported(tmp_path):
    profile = profile_file(tmp_path, """\
        extends: restricted
        exemptions:
          namespaces: [kube-system]
    """)
    result = harden(ACCOUNT.format(namespace="kube-system", annotations="{}"), profile)
    assert not result.changed and result.records == []


def test_an_exempt_dedicated_service_account_is_checked_without_claiming_a_name():
    """The exemption check runs the transform on a copy: it needs the stream index, and must not use it up."""
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {hardener.dev/skip: dedicated-service-account}
spec:
  template:
    spec:
      containers:
      - name: web
        image: web:1
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: web
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: web
            image: web:1
"""
    result = harden(text, "restricted-service-accounts")
    assert "Not applied: annotation hardener.dev/skip: dedicated-service-account (no hardener.dev/skip-reason given)" in messages(result, "skip")
    assert "Set serviceAccountName to web" in messages(result, "change")  # the CronJob gets the name the skipped Deployment did not take


def test_per_container_annotation_skips_edits_inside_that_container_only():
    text = pod(annotations='{hardener.dev/skip.agent: "no-privileged,drop-all-capabilities"}').replace("  namespace: apps\n", "")
    result = harden(text, "restricted")
    assert "privileged: true" in result.output
    assert "Not applied in container agent: annotation hardener.dev/skip.agent: no-privileged (no hardener.dev/skip-reason given)" in messages(result, "skip")
    web = [r for r in result.changes if r.container == "web"]
    assert any("readOnlyRootFilesystem" in r.message for r in web)
    assert not [m for m in messages(result, "finding") if "exempts nothing" in m]


def test_per_container_exemption_that_exempts_nothing_is_warned_about():
    text = pod(annotations='{hardener.dev/skip.web: "no-privileged"}')
    result = harden(text, "baseline")
    assert "Exemption of no-privileged in container web exempts nothing: it would not change or report anything there" in messages(result, "finding")


@pytest.mark.parametrize(
    "body, error",
    [
        ("exemptions: {namespaces: kube-system}", "exemptions: namespaces: expected a list of namespace names"),
        ("exemptions: {selectors: [{}]}", "exemptions: selectors[0]: an empty selector would exempt everything"),
        ("exemptions: {selectors: [{matchExpressions: [{key: a, operator: Is}]}]}", "matchExpressions[0]: operator: expected one of In, NotIn, Exists, DoesNotExist, got 'Is'"),
        ("exemptions: {selectors: [{matchLabels: {a: b}, transforms: [nope]}]}", "selectors[0]: transforms: unknown transform 'nope'"),
        ("exemptions: {namespace: [a]}", "exemptions: unknown key namespace"),
    ],
)
def test_exemption_errors_name_the_file_and_key(tmp_path, body, error):
    path = profile_file(tmp_path, "extends: baseline\n" + body + "\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(path) in str(info.value) and error in str(info.value)
