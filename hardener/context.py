"""What a transform sees: one pod spec, readable as data, editable by intent.

``PodContext.set`` and ``append`` record an ``Edit`` and apply it to the
working data at once, so the next transform sees the pod as it will be (the
no-privileged transform runs before no-privilege-escalation and the latter
sees ``privileged: false``). The working data after every transform is the
"intended" document that verification compares the patched text against.

Filling a field that is absent (or null) is a fix. Changing or removing a
value the author wrote is an *unsafe fix* (ruff's term): the author may have
meant it (a node agent's ``hostNetwork: true``, an ingress controller's
``readOnlyRootFilesystem: false``), so ``set`` and ``remove`` apply it only
for transforms the run allows (``--unsafe-fixes``, a profile's
``unsafe-fixes``); otherwise they record an error finding that says what the
fix would do. This is the one place the rule lives: transforms just ask.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any, Iterator

from hardener.images import ImageTable, shipped_table
from hardener.model import CHANGE, ERROR, FINDING, SKIP, Edit, Path, Record, format_path
from hardener.streamindex import StreamIndex
from hardener.workloads import CONTAINER_LISTS, ObjectLocation, PodLocation, lookup


@dataclass(frozen=True)
class Container:
    """A container of the pod: which list it is in, its index, its data."""

    list_name: str
    index: int
    data: dict

    @property
    def path(self) -> Path:
        return (self.list_name, self.index)

    @property
    def name(self) -> str:
        name = self.data.get("name")
        return name if isinstance(name, str) else f"{self.list_name}[{self.index}]"

    def get(self, *path: Any) -> Any:
        return lookup(self.data, path)


class PodContext:
    """One pod spec and the edits and records the transforms make to it."""

    def __init__(
        self,
        location: PodLocation | ObjectLocation,
        document: Any,
        shared: set[int],
        record_base: dict,
        stream: StreamIndex | None = None,
        json_style: bool = False,
        unsafe_fixes: frozenset[str] = frozenset(),
        *,
        images: ImageTable | None = None,
    ) -> None:
        self.location = location
        self.document = document
        self.shared = shared
        self.record_base = record_base
        self.stream = stream
        """Stream-wide facts, for transforms that declare ``needs_stream_index``."""
        self.json_style = json_style
        """The document is JSON: a new document cannot be added beside it."""
        self.unsafe_fixes = unsafe_fixes
        """Ids of the transforms whose unsafe fixes (overriding an explicit value) this run applies."""
        self.images = images if images is not None else shipped_table()
        """What the run knows about images (their users, the paths they write), see hardener.images."""
        self.transform_id = ""
        self.edits: list[Edit] = []
        self.records: list[Record] = []
        self.exempt_containers: dict[str, str] = {}
        """container name -> reason: the current transform must not edit these (see hardener.exemptions)."""
        self._origins: dict[int, list[int | None]] = {}
        """For each list an item was removed from: the input index of each current item (None: added by us)."""
        self._added: set[tuple[int, Any]] = set()
        """(id of a mapping, key) for every key a transform added in this run: not in the input text."""
        self.new_documents: list[dict] = []

    @property
    def object(self) -> dict:
        """The Kubernetes object that owns this pod spec (a Deployment, say)."""
        return self.location.object

    @property
    def object_name(self) -> str | None:
        return self.record_base.get("name")

    @property
    def object_namespace(self) -> str | None:
        return self.record_base.get("namespace")

    @functools.cached_property
    def spec(self) -> dict:
        """The pod spec mapping (edits change it in place; it is never replaced)."""
        self._own(self.location.pod_spec_path)
        return lookup(self.document, self.location.pod_spec_path)

    @property
    def metadata(self) -> dict:
        meta = lookup(self.document, self.location.pod_metadata_path or ())
        return meta if isinstance(meta, dict) else {}

    @property
    def is_windows(self) -> bool:
        return lookup(self.spec, ("os", "name")) == "windows"

    def get(self, *path: Any) -> Any:
        """The value at ``path`` inside the pod spec, None when absent."""
        return lookup(self.spec, path)

    def containers(self) -> Iterator[Container]:
        """Every container, init container and ephemeral container that is a mapping (and not exempt)."""
        for container in self._all_containers:
            reason = self.exempt_containers.get(container.name)
            if reason is None:
                yield container
            elif not any(r.type == SKIP and r.container == container.name and r.transform == self.transform_id for r in self.records):
                self.skip(f"Not applied in container {container.name}: {reason}", (), container)

    @functools.cached_property
    def _all_containers(self) -> list[Container]:
        """Found once per pod: transforms edit containers in place, never add or remove them."""
        found = []
        for list_name in CONTAINER_LISTS:
            items = self.spec.get(list_name)
            if isinstance(items, list):
                for index in range(len(items)):
                    self._own(self.location.pod_spec_path + (list_name, index))
                items = self.spec[list_name]
                found.extend(Container(list_name, index, item) for index, item in enumerate(items) if isinstance(item, dict))
        return found

    # Edits ----------------------------------------------------------------

    def set(self, path: Path, value: Any, message: str, container: Container | None = None, **explained: str | None) -> bool:
        """Give the field at ``path`` (inside the pod spec or ``container``) ``value``.

        ``safety`` and ``guidance`` (keywords) say something more specific
        about this record than the transform's own (an image's known user).
        """
        if not self._set(self._full_path(path, container), value, message, container):
            return False
        self._explain(self.records[-1], **explained)
        return True

    def set_metadata(self, path: Path, value: Any, message: str) -> bool:
        """Give the field at ``path`` inside the pod (template) metadata ``value`` (an annotation, say)."""
        if self.location.pod_metadata_path is None:
            return False
        return self._set(self.location.pod_metadata_path + tuple(path), value, message, None)

    def _set(self, full: Path, value: Any, message: str, container: Container | None) -> bool:
        parent = self._parent_for_edit(full, message, container)
        if parent is None:
            return False
        before = parent.get(full[-1])
        if before == value and type(before) is type(value):
            return False
        explicit = before is not None and (id(parent), full[-1]) not in self._added
        if explicit and not self._unsafe_allowed():
            return self._withhold(message, full, container, before, value)
        if full[-1] not in parent:
            self._added.add((id(parent), full[-1]))
        parent[full[-1]] = value
        return self._record_edit(Edit("set", self._input_path(full), value), message, before, value, container, unsafe=explicit)

    def append(self, path: Path, value: Any, message: str, container: Container | None = None, **explained: str | None) -> bool:
        """Add ``value`` to the list at ``path``, creating the list when it is missing (``guidance`` as for ``set``)."""
        if not self._append(path, value, message, container):
            return False
        self._explain(self.records[-1], **explained)
        return True

    def _append(self, path: Path, value: Any, message: str, container: Container | None) -> bool:
        full = self._full_path(path, container)
        self._own(full)
        parent = self._parent_for_edit(full, message, container)
        if parent is None:
            return False
        current = parent.get(full[-1])
        absent = current is None
        if absent:
            self._added.add((id(parent), full[-1]))
            current = parent[full[-1]] = []
        elif not isinstance(current, list):
            self.finding(f"{message}: not edited, the field is not a plain list", path, container)
            return False
        before = None if absent else list(current)  # an absent list is null in every report, never []
        edit = Edit("append", self._input_path(full), value)
        self._origins.setdefault(id(current), list(range(len(current)))).append(None)
        current.append(value)
        return self._record_edit(edit, message, before, list(current), container)

    def remove(self, path: Path, message: str, container: Container | None = None) -> bool:
        """Delete the mapping key or list item at ``path``; False when it is not there.

        A mapping or list that the removal leaves empty is removed from its
        parent too (up to the container or the pod spec): in block YAML an
        emptied ``add:`` would read back as null, not as ``[]``.
        """
        full = self._full_path(path, container)
        self._own(full[:-1])
        trail = self._trail(full)
        if trail is None:
            return False
        added = any((id(holder), step) in self._added for holder, step in zip(trail, full))
        added = added or any(
            isinstance(holder, list) and id(holder) in self._origins and self._origins[id(holder)][step] is None
            for holder, step in zip(trail, full)
        )
        if added:
            self._refuse(message, full, container, "it was added by another transform in this run")
            return False
        before = trail[-1][full[-1]]
        if not self._unsafe_allowed():  # whatever is removed, the author wrote it
            return self._withhold(message, full, container, before, None)
        stop = len(self._full_path((), container))
        target = len(full)
        while target - 1 > stop and len(trail[target - 1]) == 1:
            target -= 1
        edit = Edit("remove", self._input_path(full[:target]))
        holder, step = trail[target - 1], full[target - 1]
        if isinstance(holder, list):
            del self._origins.setdefault(id(holder), list(range(len(holder))))[step]
        del holder[step]
        return self._record_edit(edit, message, before, None, container, unsafe=True)

    @contextlib.contextmanager
    def one_change(self, message: str, after: Any = None, **explained: str | None) -> Iterator[None]:
        """Make the edits inside the block one change with one record (a volume and its mounts).

        The record carries the first edit (so its line is the first edit's)
        and ``after``; the edits stay separate for the patcher. A refused edit
        inside keeps its own finding, and the other records stay as they are.
        """
        start = len(self.records)
        yield
        made = self.records[start:]
        if not made or any(r.type != CHANGE for r in made):
            return
        del self.records[start:]
        self._record(CHANGE, message, made[0].path, None, after, None, made[0].edit)
        self.records[-1].container = made[0].container
        self._explain(self.records[-1], **explained)

    def add_document(self, data: dict, message: str) -> None:
        """Add a new object to the stream, right after this document."""
        self.new_documents.append(data)
        self._record(CHANGE, message, (), None, data, None)

    def finding(
        self, message: str, path: Path = (), container: Container | None = None, *, severity: str = ERROR, **explained: str | None
    ) -> None:
        """Report something the transform will not fix (and why), with the value it is about as ``before``.

        An ERROR (the default) leaves the profile unmet and fails the run's
        gate; a WARNING is advice (see ``hardener.model``). ``guidance``
        (keyword) says what to do about this one.
        """
        full = self._full_path(path, container)
        self._record(FINDING, message, full, _shown_value(lookup(self.document, full)), None, container, severity=severity)
        self._explain(self.records[-1], **explained)

    @staticmethod
    def _explain(record: Record, safety: str | None = None, guidance: str | None = None) -> None:
        record.safety = safety or record.safety
        record.guidance = guidance or record.guidance

    def skip(self, message: str, path: Path = (), container: Container | None = None) -> None:
        """Report that the transform was not applied here, with the reason."""
        self._record(SKIP, message, self._full_path(path, container), None, None, container)

    # Internals ------------------------------------------------------------

    def _full_path(self, path: Path, container: Container | None) -> Path:
        base = self.location.pod_spec_path + (container.path if container else ())
        return base + tuple(path)

    def _trail(self, full: Path) -> list[Any] | None:
        """The containers along ``full`` (document first, the holder of the last step last), or None if absent."""
        trail: list[Any] = []
        node: Any = self.document
        for step in full:
            trail.append(node)
            if isinstance(step, int):
                if not isinstance(node, list) or not 0 <= step < len(node):
                    return None
            elif not isinstance(node, dict) or step not in node:
                return None
            node = node[step]
        return trail

    def _input_path(self, full: Path) -> Path:
        """``full`` with every list index counted as in the input (items we removed still counted)."""
        if not self._origins:  # no list has changed yet: every index is the input's
            return tuple(full)
        node: Any = self.document
        steps = []
        for step in full:
            if isinstance(node, list) and id(node) in self._origins and isinstance(step, int) and 0 <= step < len(node):
                origin = self._origins[id(node)][step]
                steps.append(-1 if origin is None else origin)  # -1: an item we added; the patcher refuses it
            else:
                steps.append(step)
            node = lookup(node, (step,))
        return tuple(steps)

    def _parent_for_edit(self, full: Path, message: str, container: Container | None) -> dict | None:
        """Walk to the mapping that holds the last step, creating mappings on the way.

        Refuses (with a finding) when a step has the wrong shape. Data shared
        through YAML anchors or merge keys is made this pod's own first.
        """
        self._own(full[:-1])
        node: Any = self.document
        missing_from = len(full) - 1
        for depth, step in enumerate(full[:-1]):
            if isinstance(step, int) != isinstance(node, list):  # a key into a list, an index into a mapping
                where = format_path(full[:depth]) or "the document"
                return self._refuse(message, full, container, f"{where} is not a {'list' if isinstance(step, int) else 'mapping'}")
            child = node[step] if isinstance(step, int) else node.get(step)
            if child is None and isinstance(step, str):
                missing_from = depth
                break
            if not isinstance(child, (dict, list)):
                where = format_path(full[: depth + 1])
                return self._refuse(message, full, container, f"{where} is not a mapping")
            node = child
        if not isinstance(node, dict):
            return self._refuse(message, full, container, f"{format_path(full[:-1])} is not a mapping")
        for step in full[missing_from:-1]:  # only now, once the edit is known to be possible
            self._added.add((id(node), step))
            node[step] = {}
            node = node[step]
        return node

    def _own(self, path: Path) -> None:
        """Make every collection along ``path`` (the last one included) this pod's own.

        A collection reached through a YAML alias or a merge key is shared
        with other places; it is replaced here by a shallow copy, so that an
        edit to this pod is not an edit to every pod that shares it. The
        patcher does the same to the text (``hardener.sharing``).
        """
        if not self.shared:
            return
        node: Any = self.document
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, list) or not 0 <= step < len(node):
                    return
            elif not isinstance(node, dict) or step not in node:
                return
            child = node[step]
            if isinstance(child, (dict, list)) and id(child) in self.shared:
                child = node[step] = dict(child) if isinstance(child, dict) else list(child)
            node = child

    def _refuse(self, message: str, full: Path, container: Container | None, why: str) -> None:
        self._record(FINDING, f"{message}: not edited, {why}", full, None, None, container)
        return None

    def _unsafe_allowed(self) -> bool:
        return self.transform_id in self.unsafe_fixes

    def _withhold(self, message: str, full: Path, container: Container | None, before: Any, after: Any) -> bool:
        """An unsafe fix this run does not apply: an error finding that says what it would do."""
        self._record(
            FINDING,
            f"{message}: not applied: it overrides an explicit value (an unsafe fix); rerun with --unsafe-fixes or exempt it",
            self._input_path(full), before, after, container, unsafe=True,
        )
        return False

    def _record_edit(self, edit: Edit, message: str, before: Any, after: Any, container: Container | None, unsafe: bool = False) -> bool:
        self.edits.append(edit)
        self._record(CHANGE, message, edit.path, before, after, container, edit, unsafe=unsafe)
        return True

    def _record(
        self,
        type_: str,
        message: str,
        path: Path,
        before: Any,
        after: Any,
        container: Container | None,
        edit: Edit | None = None,
        *,
        severity: str | None = None,
        unsafe: bool = False,
    ) -> None:
        self.records.append(
            Record(
                type=type_,  # type: ignore[arg-type]
                transform=self.transform_id,
                message=message,
                path=path,
                before=before,
                after=after,
                container=container.name if container else None,
                severity=severity,
                unsafe_fix=unsafe,
                edit=edit,
                **self.record_base,
            )
        )


def _shown_value(value: Any) -> Any:
    """The value a finding is about, as its record's ``before``: a scalar or a flat list or mapping.

    A finding about ``automountServiceAccountToken: true`` shows ``true``; one
    about a ``hostPath`` volume shows ``{path: /var/run}``. A whole container or
    a nested volume is left out (None): the line points at it.
    """
    if isinstance(value, (list, dict)):
        items = value.values() if isinstance(value, dict) else value
        return value if all(not isinstance(item, (list, dict)) for item in items) else None
    return value
