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

After issue 15 (hardener acts on what it knows about images and mounts a writable /tmp and the
paths known images write), with the image cache the contract passes (``IMAGE_CACHE``: the users
of the images built here, as ``--resolve-images`` records them): 10 runs; 8 started (python-web
and redis under restricted now start); 2 broke, both explained: nginx under restricted runs as
its workers' UID 101 and cannot bind port 80 (run-as-non-root's record says so, with its source),
and the volume-permissions job's chown needs root (a finding says so, and no runAsNonRoot is
set). 0 silent. Without the cache redis's user (a name) is unknown to hardener, so it gets
runAsNonRoot with the generic guidance and is refused: 7 started, 1 silent.
"""

from __future__ import annotations

import pytest

from tests.runtime.contract import PROFILES, applications


def cases() -> list:
    return [pytest.param(app, profile, id=f"{app}-{profile}") for profile in PROFILES for app in applications()]


@pytest.mark.parametrize(("app", "profile"), cases())
def test_hardened_output_starts_or_the_report_explains_why(app, profile, contract_outcomes):
    outcome = contract_outcomes[app, profile]
    assert not outcome.silent, f"silent breakage: {outcome}"


@pytest.mark.parametrize(("app", "profile"), [(app, profile) for profile in PROFILES for app in applications()])
def test_every_breakage_is_at_least_warned_of(app, profile, contract_outcomes):
    """The lenient reading holds today: a may-break record of the causal transform, if only generic."""
    outcome = contract_outcomes[app, profile]
    assert outcome.started or outcome.explained_leniently, f"no record even warns of it: {outcome}"
