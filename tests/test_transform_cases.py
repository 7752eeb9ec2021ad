"""Every case of every tests/transforms/<id>.yml file, and one case file per transform."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardener.registry import default_registry
from hardener.testing import load_cases, run_case

CASE_DIR = Path(__file__).parent / "transforms"
CASES = [case for path in sorted(CASE_DIR.glob("*.yml")) for case in load_cases(path)]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case):
    run_case(case)


def test_every_transform_has_a_case_file_with_both_kinds_of_case():
    for transform_id in default_registry().ids():
        cases = [case for case in CASES if case.transform == transform_id]
        assert cases, f"tests/transforms/{transform_id}.yml is missing"
        if default_registry().get(transform_id).reports_only:
            assert any(case.records for case in cases), f"{transform_id}: no case that expects a finding"
        else:
            assert any(case.output is not None for case in cases), f"{transform_id}: no case that changes something"
        assert any(case.output is None for case in cases), f"{transform_id}: no case that leaves the input unchanged"
