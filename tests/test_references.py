"""References a reader can follow: every one complete, one CIS version with one numbering, specific Azure definitions."""

from __future__ import annotations

import re
from collections import defaultdict

from hardener.transforms.references import AZURE, AZURE_DEFINITIONS, CIS, CIS_ITEMS, CIS_VERSION

from hardener.docs import builtin_registry

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _references():
    registry = builtin_registry()
    for transform_id in registry.ids():
        for reference in registry.get(transform_id).references:
            yield transform_id, reference


def test_every_reference_names_a_standard_an_item_and_a_url():
    for transform_id, reference in _references():
        assert reference.standard and reference.id and reference.title, (transform_id, reference)
        assert reference.url.startswith("https://") and " " not in reference.url, (transform_id, reference)


def test_the_cis_benchmark_is_cited_in_one_version_and_one_numbering():
    """The same CIS id always names the same control: no old and new numbering mixed."""
    titles: dict[str, set[str]] = defaultdict(set)
    cited = [(t, r) for t, r in _references() if r.standard.startswith("CIS")]
    assert cited
    for transform_id, reference in cited:
        assert reference.standard == CIS and CIS.endswith(CIS_VERSION), (transform_id, reference)
        assert CIS_ITEMS[reference.id] == reference.title, (transform_id, reference)
        titles[reference.id].add(reference.title)
    assert all(len(names) == 1 for names in titles.values()), titles
    # v1.10.0 numbering: allowPrivilegeEscalation is 5.2.6 and root containers 5.2.7 (5.2.5/5.2.6 in v1.6)
    by_transform = defaultdict(set)
    for transform_id, reference in cited:
        by_transform[transform_id].add(reference.id)
    assert by_transform["no-privilege-escalation"] == {"5.2.6"}
    assert by_transform["run-as-non-root"] == by_transform["run-as-non-zero-user"] == {"5.2.7"}
    assert by_transform["no-host-namespaces"] == {"5.2.3", "5.2.4", "5.2.5"}


def test_azure_references_name_a_specific_built_in_definition():
    cited = [(t, r) for t, r in _references() if r.standard == AZURE]
    assert cited
    for transform_id, reference in cited:
        assert GUID.match(reference.id), (transform_id, reference)
        assert "policy-reference" not in reference.url, "the generic index names no definition"
        source = reference.url.rsplit("/", 1)[1].removesuffix(".json")
        assert AZURE_DEFINITIONS[source] == (reference.id, reference.title), (transform_id, reference)
    names = [name for name, _ in AZURE_DEFINITIONS.values()]
    assert len(names) == len(set(names))


def test_no_reference_is_about_something_else():
    """The default *namespace* policy is not about the default service account."""
    for transform_id, reference in _references():
        assert "default namespace" not in reference.title, (transform_id, reference)
