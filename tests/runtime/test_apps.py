"""Every application starts as its authors wrote it, before hardening: a breakage measured after
hardening is hardener's doing, not the harness's or the image's."""

from __future__ import annotations

import pytest

from tests.runtime.contract import applications
from tests.runtime.harness import play_all
from tests.runtime.verdict import Verdict

APPS = applications()


@pytest.fixture(scope="module")
def verdicts(runtime) -> dict[str, Verdict]:
    return play_all(APPS)


def test_the_applications_are_the_ones_the_contract_needs():
    assert set(APPS) >= {"nginx", "python-web", "redis", "volume-permissions-job", "static-site"}


@pytest.mark.parametrize("app", APPS)
def test_starts_before_hardening(app, verdicts):
    assert verdicts[app].started, verdicts[app]


EXPECTED_LOGS = {
    "nginx": "start worker processes",
    "python-web": "listening on :8000",
    "redis": "Ready to accept connections",
    "volume-permissions-job": "drwxr-x---    2 1000     1000",
    "static-site": None,  # busybox httpd -f logs nothing until a request
}


@pytest.mark.parametrize("app", APPS)
def test_runs_the_application_not_a_shell(app, verdicts):
    expected = EXPECTED_LOGS[app]
    if expected is None:
        assert verdicts[app].logs == (), verdicts[app]
    else:
        assert any(expected in line for line in verdicts[app].logs), verdicts[app]
