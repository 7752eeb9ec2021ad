"""What a transform may need to know about the whole stream, not one document.

Some decisions depend on other documents: a pod's service-account token is
evidence-bound (a RoleBinding elsewhere in the stream grants its account
rights, so the workload calls the API), and a dedicated service account must
reuse a ServiceAccount the stream already defines (wherever it stands,
before or after the workload) and never give two workloads the same
generated name. The index holds those few facts, collected once per stream
from the only documents that carry them (ServiceAccounts and
(Cluster)RoleBindings), and is built only when an enabled transform asks
for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable

from hardener.errors import InputError
from hardener.stream import Chunk
from hardener.workloads import api_group, locate_objects, mentions_kind
from hardener.yamlnodes import compose, to_data

Key = tuple[str | None, str]  # (namespace, name); None is "whatever namespace it is applied to"

INDEXED_KINDS = frozenset({"ServiceAccount", "RoleBinding", "ClusterRoleBinding"})
"""The kinds whose documents the index reads; every other document is skipped unread."""

_RBAC_GROUP = "rbac.authorization.k8s.io"
_SERVICE_ACCOUNT_USER = "system:serviceaccount:"


@dataclass(frozen=True)
class Binding:
    """A (Cluster)RoleBinding that grants a role to a service account."""

    kind: str
    name: str
    role: str
    """``ClusterRole cluster-admin``, ``Role leader-election``."""

    def __str__(self) -> str:
        return f"{self.kind} {self.name} ({self.role})"


@dataclass
class StreamIndex:
    service_accounts: dict[Key, Any] = field(default_factory=dict)
    """ServiceAccounts the input defines, with their ``automountServiceAccountToken`` (None when unset)."""
    bindings: dict[Key, list[Binding]] = field(default_factory=dict)
    """Service accounts named as a subject of a (Cluster)RoleBinding, and those bindings."""
    claimed: dict[Key, str] = field(default_factory=dict)
    """Generated account names, and the workload each was made for."""

    def bindings_of(self, namespace: str | None, account: str) -> list[Binding]:
        """The bindings that grant ``account`` a role.

        A side with no namespace is applied to one chosen at install time
        (``helm template`` leaves most objects without one, and names the
        release namespace in binding subjects), so it matches any namespace:
        the evidence errs towards keeping what a workload may need.
        """
        found: list[Binding] = []
        for (bound_namespace, name), bindings in self.bindings.items():
            if name == account and (namespace is None or bound_namespace is None or namespace == bound_namespace):
                found.extend(b for b in bindings if b not in found)
        return found

    def automount_of(self, namespace: str | None, account: str) -> Any:
        """The ServiceAccount's own ``automountServiceAccountToken`` (None: unset, or no such object)."""
        if (namespace, account) in self.service_accounts:
            return self.service_accounts[(namespace, account)]
        matches = [value for (ns, name), value in self.service_accounts.items() if name == account and (namespace is None or ns is None)]
        return matches[0] if len(matches) == 1 else None

    def account_for(self, namespace: str | None, workload_name: str, workload_kind: str) -> tuple[str, bool]:
        """The account name a workload should use, and whether it already exists.

        An account named like the workload is reused when the stream has one.
        Otherwise the workload's name is claimed; a second workload of the same
        name (a Deployment and a CronJob both called ``web``) gets its kind as a
        suffix, then a number.
        """
        if (namespace, workload_name) in self.service_accounts:
            return workload_name, True
        candidates = [workload_name, f"{workload_name}-{workload_kind.lower()}"]
        candidates += [f"{workload_name}-{workload_kind.lower()}-{n}" for n in range(2, 1000)]
        for candidate in candidates:
            key = (namespace, candidate)
            if key not in self.claimed and key not in self.service_accounts:
                self.claimed[key] = f"{workload_kind}/{workload_name}"
                return candidate, False
        raise InputError(f"cannot find a free service-account name for {workload_kind} {workload_name}")

    def copy(self) -> "StreamIndex":
        """The same facts for another stream of the run; generated names stay that stream's own."""
        return StreamIndex(dict(self.service_accounts), {key: list(found) for key, found in self.bindings.items()})

    def add(self, document: Any) -> None:
        """Take the facts of one document (or the objects of a List) into the index."""
        for _path, obj in locate_objects(document):
            kind, group = obj.get("kind"), api_group(str(obj.get("apiVersion", "")))
            metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            name, namespace = metadata.get("name"), _namespace(metadata.get("namespace"))
            if not isinstance(name, str):
                continue
            if kind == "ServiceAccount" and group == "":
                self.service_accounts[(namespace, name)] = obj.get("automountServiceAccountToken")
            elif kind in ("RoleBinding", "ClusterRoleBinding") and group == _RBAC_GROUP:
                self._add_binding(obj, kind, name, namespace if kind == "RoleBinding" else None)

    def _add_binding(self, obj: dict, kind: str, name: str, namespace: str | None) -> None:
        role = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
        binding = Binding(kind, name, f"{role.get('kind', 'role')} {role.get('name', '?')}")
        for subject in obj.get("subjects") or ():
            key = _subject_account(subject, namespace) if isinstance(subject, dict) else None
            if key is not None and binding not in self.bindings.setdefault(key, []):
                self.bindings[key].append(binding)


def _namespace(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _subject_account(subject: dict, binding_namespace: str | None) -> Key | None:
    """The service account a subject names: ``kind: ServiceAccount``, or its user name
    ``system:serviceaccount:NAMESPACE:NAME``. A RoleBinding's subject without a namespace
    is in the binding's namespace (the authorizer's rule)."""
    name = subject.get("name")
    if not isinstance(name, str):
        return None
    if subject.get("kind") == "ServiceAccount":
        return (_namespace(subject.get("namespace")) or binding_namespace, name)
    if subject.get("kind") == "User" and name.startswith(_SERVICE_ACCOUNT_USER):
        namespace, _, account = name[len(_SERVICE_ACCOUNT_USER):].partition(":")
        return (namespace or None, account) if account else None
    return None


_MAYBE = ("ServiceAccount", "Binding", "List", "*", "\\")
"""Substrings one of which any spelling of an indexed kind contains (an alias ``*k``, an escape, a List)."""


def wants_indexing(text: str) -> bool:
    """The cheap look that decides whether a document is read for the index at all.

    Every document of a stream passes here before hardening starts, so the
    kind regex runs only where a plain substring search says it may match.
    """
    return any(marker in text for marker in _MAYBE) and mentions_kind(text, INDEXED_KINDS)


def index_document(index: StreamIndex, chunk: Chunk, file: str) -> None:
    """Read one chunk into ``index`` if it can hold indexed facts; unreadable chunks are left to the main pass."""
    if not chunk.is_document or not wants_indexing(chunk.text):
        return
    try:
        index.add(to_data(compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line)).data)
    except InputError:
        pass  # the main pass reports it, or passes a template through


def index_stream(chunks: Iterable[Chunk], file: str) -> StreamIndex:
    """The index of every chunk of a stream."""
    index = StreamIndex()
    for chunk in chunks:
        index_document(index, chunk, file)
    return index


@dataclass
class RunEvidence:
    """What the files of one directory prove for each other, for every directory of a run.

    ``kubectl apply -f DIR`` applies a directory's files together, and a
    directory usually keeps its RoleBinding in one file and its Deployment in
    another (kube-prometheus, most hand-written repositories); judged file by
    file, the Deployment would lose a token its binding proves it uses. The
    scope is the directory, not the run: a repository holds unrelated
    applications, and a binding without a namespace (helm's output) would
    otherwise match every workload of that account's name anywhere.
    """

    by_directory: dict[str, StreamIndex] = field(default_factory=dict)

    def for_file(self, name: str) -> StreamIndex | None:
        """The evidence of ``name``'s directory, its own documents included (so it need not be read for it again), or None."""
        return self.by_directory.get(os.path.dirname(os.path.abspath(name)))


def index_files(names: Iterable[str]) -> RunEvidence:
    """The evidence of every directory that holds two or more of ``names``.

    A file that cannot be read is left to the main pass, which reports it.
    """
    from hardener.stream import split
    from hardener.textio import decode

    directories: dict[str, list[str]] = {}
    for name in names:
        directories.setdefault(os.path.dirname(os.path.abspath(name)), []).append(name)
    evidence = RunEvidence()
    for directory, files in directories.items():
        if len(files) < 2:
            continue  # a lone file indexes itself as it is hardened
        index = evidence.by_directory[directory] = StreamIndex()
        for name in files:
            try:
                with open(name, "rb") as handle:
                    text, _ = decode(handle.read(), name)
            except (OSError, InputError):
                continue
            if wants_indexing(text):
                for chunk in split(text):
                    index_document(index, chunk, name)
    return evidence


def index_objects(documents: list) -> StreamIndex:
    """The index of documents already read as data (the items of a ResourceList, say)."""
    index = StreamIndex()
    for document in documents:
        index.add(document)
    return index
