"""Prove that the patched text means exactly what the edits meant.

black's ``assert_equivalent`` for YAML: the patched document is parsed again
and its data must equal the intended data (the original with the edits
applied), types included (``1`` is not ``true``). A mismatch is our bug; it
is reported with a deepdiff of the two and nothing is emitted.
"""

from __future__ import annotations

from typing import Any

from hardener.errors import InputError, InternalError
from hardener.yamlnodes import compose, to_data


def strictly_equal(a: Any, b: Any) -> bool:
    """Equality that tells ``True`` from ``1`` and ``1`` from ``1.0``, without recursion."""
    stack = [(a, b)]
    seen: set[tuple[int, int]] = set()
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if (id(x), id(y)) in seen:
                continue
            seen.add((id(x), id(y)))
            if x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if (id(x), id(y)) in seen:
                continue
            seen.add((id(x), id(y)))
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif x != y:
            return False
    return True


def verify(patched: str, intended: Any, *, file: str, document: int | None) -> None:
    """Raise InternalError unless ``patched`` parses to ``intended``."""
    try:
        actual = to_data(compose(patched, file=file, document=document)).data
    except InputError as exc:
        raise InternalError(f"{file}: document {document}: the patched document does not parse ({exc.message}); nothing was written") from None
    if not strictly_equal(intended, actual):
        from deepdiff import DeepDiff  # only on the error path: it is slow to import

        try:
            diff = DeepDiff(intended, actual, view="text")
        except RecursionError:  # deep documents: DeepDiff recurses several frames per level
            diff = "(too deeply nested to show)"
        raise InternalError(
            f"{file}: document {document}: the patched document does not mean what the edits meant; "
            f"nothing was written. Difference (intended -> written): {diff}"
        )
