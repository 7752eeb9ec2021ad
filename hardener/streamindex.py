"""What a transform may need to know about the whole stream, not one document.

A dedicated service account must reuse a ServiceAccount that the stream
already defines (wherever it stands, before or after the workload) and must
never give two workloads the same generated name. The index is built only
when an enabled transform asks for it, so ordinary runs pay nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hardener.errors import InputError
from hardener.stream import Chunk
from hardener.workloads import api_group, locate_objects, mentions_kind
from hardener.yamlnodes import compose, to_data

Key = tuple[str | None, str]  # (namespace, name); None is "whatever namespace it is applied to"


@dataclass
class StreamIndex:
    service_accounts: set[Key] = field(default_factory=set)
    """ServiceAccounts the input defines."""
    claimed: dict[Key, str] = field(default_factory=dict)
    """Generated account names, and the workload each was made for."""

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


def index_stream(chunks: list[Chunk], file: str) -> StreamIndex:
    """Collect the ServiceAccounts defined anywhere in the stream."""
    documents = []
    for chunk in chunks:
        if not chunk.is_document or not mentions_kind(chunk.text, frozenset({"ServiceAccount"})):
            continue
        try:
            documents.append(to_data(compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line)).data)
        except InputError:
            continue  # the main pass reports it, or passes a template through
    return index_objects(documents)


def index_objects(documents: list) -> StreamIndex:
    """The index of documents already read as data (the items of a ResourceList, say)."""
    index = StreamIndex()
    for document in documents:
        for _path, obj in locate_objects(document):
            metadata = obj.get("metadata")
            if obj.get("kind") == "ServiceAccount" and api_group(str(obj.get("apiVersion", ""))) == "" and isinstance(metadata, dict):
                name, namespace = metadata.get("name"), metadata.get("namespace")
                if isinstance(name, str):
                    index.service_accounts.add((namespace if isinstance(namespace, str) else None, name))
    return index
