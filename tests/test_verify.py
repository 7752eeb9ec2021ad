"""The verification's equality is strict about types and blind to key order.

A patched mapping may hold a new key in another place than the intended
data; that is the same document. ``1`` for ``true`` or ``1.0`` for ``1`` is
not, wherever it hides.
"""

from __future__ import annotations

import pytest

from hardener.api import harden
from hardener.verify import strictly_equal

NAN = float("nan")


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ({"x": 1, "y": [True, None]}, {"y": [True, None], "x": 1}, True),
        ({"x": 1, "y": "a"}, {"y": "a", "x": True}, False),
        ({"x": 1, "y": "a"}, {"y": "a", "x": 1.0}, False),
        ({"y": {"z": [1, 2]}, "x": 0}, {"x": False, "y": {"z": [1, 2]}}, False),
        ({1: "a", "b": 2}, {"b": 2, 1: "a"}, True),  # keys JSON cannot sort
        ({1: "a", "b": 2}, {"b": 2, True: "a"}, False),
        ({1: "a"}, {"1": "a"}, False),  # one JSON text, two mappings
        ({"v": NAN, "w": 1}, {"w": 1, "v": float("nan")}, True),
        ({"v": NAN}, {"v": 0.0}, False),
        ([{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}], False),
    ],
)
def test_strict_equality(a, b, equal):
    assert strictly_equal(a, b) is equal
    assert strictly_equal(b, a) is equal


def test_a_document_with_nan_is_hardened():
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {ratio: .nan}\n"
        "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n"
    )
    result = harden(text)
    assert result.changed
    assert "  labels: {ratio: .nan}\n" in result.output
