"""Wrong shapes: say why a part of a document was not hardened.

A manifest can be valid YAML and still not be a Kubernetes object of the
shape its kind promises (``containers: "x"``, a ``null`` container, a List
whose items are numbers, a document that is a sequence). The API server
would reject it; hardener leaves the part it cannot read untouched, hardens
what it safely can, and reports each such place as a finding, so nothing is
skipped in silence.

Only the shapes the transforms cannot report themselves are checked here:
a transform that meets a ``securityContext`` that is not a mapping already
says so when it refuses its edit.
"""

from __future__ import annotations

from typing import Any, Iterator

from ruamel.yaml.nodes import Node, SequenceNode

from hardener.model import Path, format_path
from hardener.workloads import CONTAINER_LISTS, is_list
from hardener.yamlnodes import mapping_get


def type_name(value: Any) -> str:
    """How YAML would call the value's type, for messages."""
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def document_problems(data: Any) -> Iterator[tuple[Path, str]]:
    """(path, message) for a parsed document that is not an object, and for List items that are not objects."""
    if data is None:
        return  # an empty document (comments only): nothing to say
    stack: list[tuple[Path, Any]] = [((), data)]
    while stack:
        path, obj = stack.pop()
        if not isinstance(obj, dict):
            what = "The document" if not path else format_path(path)
            yield path, f"{what} is {type_name(obj)}, not a Kubernetes object; nothing in it was hardened"
            continue
        if not is_list(obj.get("apiVersion"), obj.get("kind")):
            continue
        items = obj.get("items")
        if items is not None and not isinstance(items, list):
            yield path + ("items",), f"{format_path(path + ('items',))} is {type_name(items)}, not a list; nothing in it was hardened"
        elif isinstance(items, list):
            stack.extend(reversed([(path + ("items", i), item) for i, item in enumerate(items)]))


def pod_problems(spec: dict, spec_path: Path) -> Iterator[tuple[Path, str]]:
    """(path, message) for container lists and containers of the wrong shape in one pod spec."""
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        path = spec_path + (list_name,)
        if items is None:
            continue
        if not isinstance(items, list):
            yield path, f"{format_path(path)} is {type_name(items)}, not a list of containers; they were not hardened"
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                yield path + (index,), f"{format_path(path + (index,))} is {type_name(item)}, not a container; not hardened"


def node_at(root: Node | None, path: Path) -> Node | None:
    """The node at ``path``, or None when a step is not written in the text (merged, missing)."""
    node = root
    for step in path:
        if node is None:
            return None
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or not 0 <= step < len(node.value):
                return None
            node = node.value[step]
        else:
            pair = mapping_get(node, step)
            node = pair[1] if pair else None
    return node
