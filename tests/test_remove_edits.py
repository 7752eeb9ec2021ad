"""The remove edit, seen as bytes: only the removed lines go, and edits that would overlap are refused."""

from __future__ import annotations

from hardener.api import harden
from hardener.profile import Profile, load_profile
from hardener.transform import Transform


class Scripted(Transform):
    """A transform made of a function, for exercising the context's edits.

    ## What it changes
    Whatever the test says.

    ## Why
    Tests.

    ## Example
    ```yaml
    a: 1
    ```
    ```yaml
    a: 1
    ```

    ## Fix safety
    Safe.
    """

    id = "scripted"
    title = "scripted"
    rationale = "tests"

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def apply(self, pod) -> None:
        self.fn(pod)


def run(text: str, *fns):
    # removals always take out what the author wrote: unsafe fixes, allowed here
    return harden(text, Profile("t", "", "<test>", tuple(Scripted(fn) for fn in fns)).with_unsafe_fixes(True))


def first(pod):
    return next(pod.containers())


def test_crlf_block_item_and_comments_survive():
    text = "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: a}\r\nspec:\r\n  containers:\r\n  - name: a\r\n    securityContext:\r\n      capabilities:\r\n        add:\r\n        # keep this comment\r\n        - NET_ADMIN\r\n        - CHOWN\r\n"
    result = run(text, lambda pod: pod.remove(("securityContext", "capabilities", "add", 0), "rm", first(pod)))
    assert result.output == text.replace("        - NET_ADMIN\r\n", "")
    assert [(r.line, r.end_line, r.before) for r in result.changes] == [(11, None, "NET_ADMIN")]


def test_removing_an_item_after_another_was_removed_uses_the_input_index():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: 1\n    - {containerPort: 2, hostPort: 2}\n"

    def fn(pod):
        pod.remove(("ports", 0), "rm first", first(pod))
        pod.remove(("ports", 0, "hostPort"), "rm hostPort of the former second", first(pod))

    result = run(text, fn)
    assert result.output.endswith("    ports:\n    - {containerPort: 2}\n")


def test_set_below_a_removed_key_inserts_it_anew():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n  - name: a\n"

    def fn(pod):
        pod.remove(("securityContext", "runAsUser"), "rm")
        pod.set(("securityContext", "runAsNonRoot"), True, "set")

    result = run(text, fn)
    assert result.output == "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n  securityContext:\n    runAsNonRoot: true\n"


SHARED = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: a\n      securityContext: &sc {runAsUser: 0, privileged: true}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers:\n    - name: b\n      securityContext: *sc # shared\n"


def test_the_same_removal_in_every_place_an_anchor_is_used_is_made_once_where_it_is_written():
    result = run(SHARED, lambda pod: pod.remove(("securityContext", "runAsUser"), "rm", first(pod)))
    assert result.output == SHARED.replace("&sc {runAsUser: 0, privileged: true}", "&sc {privileged: true}")
    assert [(r.line, r.message) for r in result.changes] == [(10, "rm"), (10, "rm")]


def test_a_removal_in_one_place_only_un_shares_the_other_first():
    def fn(pod):
        if pod.object_name == "a":
            pod.remove(("securityContext", "runAsUser"), "rm", first(pod))

    result = run(SHARED, fn)
    assert result.output == SHARED.replace("&sc {runAsUser: 0, privileged: true}", "&sc {privileged: true}").replace(
        "*sc # shared", "{runAsUser: 0, privileged: true} # shared"
    )
    assert run(result.output, fn).output == result.output


def test_removing_an_item_another_transform_appended_is_refused():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n"

    def fn(pod):
        pod.append(("securityContext", "capabilities", "drop"), "ALL", "add", first(pod))
        pod.remove(("securityContext", "capabilities", "drop", 0), "rm", first(pod))

    result = run(text, fn)
    assert "rm: not edited, it was added by another transform in this run" in [r.message for r in result.findings]
    assert "drop:\n        - ALL" in result.output


def test_removing_a_missing_field_changes_nothing():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n"
    result = run(text, lambda pod: pod.remove(("securityContext", "runAsUser"), "rm", first(pod)))
    assert result.output == text and result.records == []


def test_a_refused_edit_names_its_line_in_the_stream_not_in_the_document():
    # Removing a key a shared merge source provides cannot be written: the source serves other ports.
    refused = "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: b\n    ports:\n    - <<: &port {hostPort: 1, protocol: TCP}\n      containerPort: 1\n    - <<: *port\n      containerPort: 2\n"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n" + refused
    result = harden(text, load_profile("baseline").with_unsafe_fixes(True))
    assert result.output == text
    finding = next(r for r in result.findings if r.message.startswith("Not hardened"))
    assert finding.message == (
        "Not hardened: line 14: cannot remove hostPort: a merge key (<<) shared with other places provides it; "
        "the document is left as it was, without its 2 change(s)"
    )
    assert (finding.document, finding.line) == (1, 14)
    assert text.splitlines()[13] == "    - <<: *port"
