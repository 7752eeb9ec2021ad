"""The contract: under each profile, ``hardener fix`` output starts, or the report explains why not.

Each application (``tests/runtime/apps``) is hardened with ``hardener fix --profile P --report
json`` and the output played (``harness.play``). A run that does not start must be *explained*
by the report, as ``contract.py`` defines it: a finding, or a change with guidance of its own,
from a transform that causes the breakage, for that workload. A silent breakage fails its test.

Baseline, measured on main before issue 15 (hardener had no knowledge of images):
5 applications x 2 profiles (restricted, baseline) = 10 runs; 6 started after hardening (all 5
under baseline, static-site under restricted); 4 broke, all refused by the kubelet's runAsNonRoot
rules (nginx, python-web and volume-permissions-job: the image runs as root; redis: its image's
user is a name): 0 explained, 4 silent. Leniently (any may-break record of the causal transform,
here run-as-non-root's generic "check that the image runs as a non-root numeric user"): 4
explained, 0 silent.

The runs that broke silently in that baseline are expected failures, strictly: issue 15 teaches
hardener what these images need, and each marker must go once its run passes (a strict xfail
that passes fails the suite).
"""

from __future__ import annotations

import pytest

from tests.runtime.contract import PROFILES, applications

SILENT_IN_BASELINE = {
    ("nginx", "restricted"): "the image runs as root",
    ("python-web", "restricted"): "the image runs as root",
    ("redis", "restricted"): "the image's user is a name",
    ("volume-permissions-job", "restricted"): "the image runs as root, on purpose",
}


def cases() -> list:
    params = []
    for profile in PROFILES:
        for app in applications():
            marks = []
            if (app, profile) in SILENT_IN_BASELINE:
                reason = (
                    f"issue 15: refused by runAsNonRoot ({SILENT_IN_BASELINE[app, profile]}), generic guidance only"
                )
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            params.append(pytest.param(app, profile, marks=marks, id=f"{app}-{profile}"))
    return params


@pytest.mark.parametrize(("app", "profile"), cases())
def test_hardened_output_starts_or_the_report_explains_why(app, profile, contract_outcomes):
    outcome = contract_outcomes[app, profile]
    assert not outcome.silent, f"silent breakage: {outcome}"


@pytest.mark.parametrize(("app", "profile"), [(app, profile) for profile in PROFILES for app in applications()])
def test_every_breakage_is_at_least_warned_of(app, profile, contract_outcomes):
    """The lenient reading holds today: a may-break record of the causal transform, if only generic."""
    outcome = contract_outcomes[app, profile]
    assert outcome.started or outcome.explained_leniently, f"no record even warns of it: {outcome}"
