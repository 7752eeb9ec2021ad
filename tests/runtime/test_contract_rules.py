"""The contract's reading of a report, on its own: which records explain which breakage.

No runtime needed: verdicts and reports are written out here, except for one real report that
shows the premise of "guidance of its own" (a record without one renders its transform's text).
"""

from __future__ import annotations

import pytest

from hardener.registry import default_registry
from tests.runtime.contract import applications, explanations, harden, has_own_guidance
from tests.runtime.verdict import Verdict

GENERIC = default_registry().get("run-as-non-root").guidance
REFUSED = Verdict(
    "refused", "Deployment", "web", "runs-as-root", "container has runAsNonRoot and image will run as root"
)


def record(
    transform="run-as-non-root", type="change", kind="Deployment", name="web", safety="may-break", guidance=GENERIC
):
    return {"type": type, "transform": transform, "kind": kind, "name": name, "safety": safety, "guidance": guidance}


def report(*records) -> dict:
    return {
        "changes": [r for r in records if r["type"] == "change"],
        "findings": [r for r in records if r["type"] == "finding"],
    }


def test_a_change_with_generic_guidance_warns_but_does_not_explain():
    assert explanations(REFUSED, report(record())) == ((), (record(),))


def test_a_change_with_guidance_of_its_own_explains():
    own = record(guidance="image nginx:1.25 runs as root: set runAsUser: 101 and mount an emptyDir at /var/cache/nginx")
    assert explanations(REFUSED, report(own)) == ((own,), (own,))


def test_a_finding_explains():
    finding = record(type="finding", safety=None, guidance=None)
    assert explanations(REFUSED, report(finding)) == ((finding,), (finding,))


@pytest.mark.parametrize(
    "unrelated",
    [
        record(name="api", type="finding"),  # another workload
        record(kind="StatefulSet", type="finding"),
        record(transform="read-only-root-filesystem", type="finding"),  # cannot cause a root refusal
    ],
)
def test_records_about_something_else_do_not_explain(unrelated):
    assert explanations(REFUSED, report(unrelated)) == ((), ())


def test_causes_map_to_the_transforms_that_cause_them():
    read_only = Verdict("crashed", "Deployment", "web", "read-only-filesystem")
    denied = Verdict("crashed", "Deployment", "web", "bind-permission-denied")
    other = Verdict("crashed", "Deployment", "web", "other")
    rorf = record(transform="read-only-root-filesystem", type="finding")
    drop = record(transform="drop-all-capabilities", type="finding")
    assert explanations(read_only, report(rorf, drop))[0] == (rorf,)
    assert explanations(denied, report(rorf, drop))[0] == (drop,)
    assert explanations(other, report(rorf, drop)) == ((), ())  # an unexplained cause is never explained


def test_a_started_workload_needs_no_explanation():
    assert explanations(Verdict("started", "Deployment", "web"), report(record(type="finding"))) == ((), ())


def test_a_record_without_guidance_of_its_own_renders_its_transforms_guidance():
    """The premise of has_own_guidance: the JSON report renders the generic text unchanged."""
    _, real = harden(applications()["nginx"], "restricted")
    generic = [
        r for r in real["changes"] if r["transform"] in ("no-privilege-escalation", "automount-service-account-token")
    ]
    assert generic, "expected changes from transforms that know nothing about images"
    for change in generic:
        assert change["guidance"] == default_registry().get(change["transform"]).guidance
        assert not has_own_guidance(change)
