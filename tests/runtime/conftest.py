"""The runtime suite: podman set up and every image built once per session, or every test skipped.

Tests that need a container runtime ask for the ``runtime`` fixture and are marked ``runtime``
(``pytest -m "not runtime"`` leaves them out). The first session on a fresh machine installs
podman from Debian's archive and builds the images; later sessions reuse both. Where podman cannot
be had they skip, unless ``HARDENER_REQUIRE_RUNTIME=1`` (as CI sets it) makes that a failure.
"""

from __future__ import annotations

import os

import pytest

from tests.runtime import contract, images, podman

OUTCOMES = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def runtime() -> None:
    """podman ready and every image built; a one-line skip where podman cannot be had."""
    try:
        podman.ensure_ready()
    except podman.RuntimeUnavailable as exc:
        if os.environ.get("HARDENER_REQUIRE_RUNTIME") == "1":  # CI: the contract must run, not skip
            pytest.fail(f"HARDENER_REQUIRE_RUNTIME=1, but {exc}")
        pytest.skip(str(exc))
    images.ensure_all()


@pytest.fixture(scope="session")
def contract_outcomes(runtime, pytestconfig) -> dict[tuple[str, str], contract.Outcome]:
    """Every application hardened under every profile and played, once per session (concurrently)."""
    outcomes = contract.judge_all()
    pytestconfig.stash[OUTCOMES] = outcomes
    return {(o.app, o.profile): o for o in outcomes}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "runtime" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.runtime)


def pytest_terminal_summary(terminalreporter, config) -> None:
    outcomes = config.stash.get(OUTCOMES, None)
    if outcomes:
        terminalreporter.write_sep("-", "runtime contract")
        terminalreporter.write_line(contract.figures(outcomes))
        for outcome in outcomes:
            if not outcome.started:
                terminalreporter.write_line(str(outcome).splitlines()[0])
