"""Prove that the patched text means exactly what the edits meant.

black's ``assert_equivalent`` for YAML: the patched document is parsed again
and its data must equal the intended data (the original with the edits
applied), types included (``1`` is not ``true``). A mismatch is our bug; it
is reported with a deepdiff of the two and nothing is emitted.
"""

from __future__ import annotations

import marshal
import math
from typing import Any

from hardener.errors import InputError, InternalError
from hardener.yamlnodes import compose, to_data


def strictly_equal(a: Any, b: Any) -> bool:
    """Equality that tells ``True`` from ``1`` and ``1`` from ``1.0``, without recursion.

    Fast path, in C: the same marshal bytes (version 0: no references, no
    interning flags, a type code before every value) are the same data, key
    order included, which is how a patched document reads back, in a third of
    the time two reprs take. Anything else goes to the walk below, which
    ignores key order (a new key may sit elsewhere in the text than in the
    intended data), tells ``1`` from ``true`` in keys too, and lets ``.nan``
    equal ``.nan``.
    """
    try:
        if marshal.dumps(a, 0) == marshal.dumps(b, 0):
            return True
    except (ValueError, RecursionError):  # nested deeper than marshal goes
        pass
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
            y_keys = {k: k for k in y}  # y's own key objects: 1 and True find each other
            if any(type(k) is not type(y_keys[k]) for k in x):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if (id(x), id(y)) in seen:
                continue
            seen.add((id(x), id(y)))
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif x != y and not (isinstance(x, float) and math.isnan(x) and math.isnan(y)):
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
