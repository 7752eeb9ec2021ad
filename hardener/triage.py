"""Is a file found in a directory a Kubernetes manifest at all? Decided from its text.

A repository holds much YAML that is not Kubernetes: CI workflows, Helm
values, docker-compose files, templates for other renderers. A walked file
is left untouched, with a reason in the report, when it is:

* an unrendered template: it holds ``{{`` or ``{%`` and a document is not
  valid YAML, so nothing in it can be edited safely;
* not Kubernetes YAML: the engine found nothing to do and no document has
  top-level ``apiVersion`` and ``kind`` keys; a JSON 6902 patch (a list of
  ``op``/``path`` operations) is named as the kustomize patch it is.

Everything else goes through the engine exactly as ``hardener fix -`` would
take it, so an in-place write gives the same bytes as the filter.
"""

from __future__ import annotations

import re

from hardener.errors import InputError
from hardener.stream import split
from hardener.walk import Skip
from hardener.yamlnodes import compose

_TEMPLATE_MARKERS = ("{{", "{%")
_BLOCK_API_VERSION = re.compile(r"^[\"']?apiVersion[\"']?[ \t]*:", re.MULTILINE)
_BLOCK_KIND = re.compile(r"^[\"']?kind[\"']?[ \t]*:", re.MULTILINE)
_FLOW_API_VERSION = re.compile(r"[\"']?\bapiVersion[\"']?\s*:")
_FLOW_KIND = re.compile(r"[\"']?\bkind[\"']?\s*:")
_LEADING_TRIVIA = re.compile(r"(?:\s|#[^\n]*|---|%[^\n]*)*")


def unrendered_template(text: str, file: str) -> Skip | None:
    """A Skip when ``text`` is a template that is not valid YAML; None otherwise."""
    if not any(marker in text for marker in _TEMPLATE_MARKERS):
        return None
    for chunk in split(text):
        if not chunk.is_document:
            continue
        try:
            compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line)
        except InputError as error:
            line = f" at line {error.line}" if error.line else ""
            return Skip(
                "unrendered template",
                f"an unrendered template (not valid YAML{line}); render it first and harden the output",
            )
    return None


def looks_like_kubernetes(text: str) -> bool:
    """Does any document have top-level ``apiVersion`` and ``kind`` keys? (a cheap look, no parse)

    Block documents must have both keys at column 0; a flow or JSON document
    (starting with ``{``) may have them anywhere.
    """
    for chunk in split(text):
        if not chunk.is_document:
            continue
        body = chunk.text.lstrip("\ufeff")
        body = body[_LEADING_TRIVIA.match(body).end():]
        if body.startswith("{"):
            if _FLOW_API_VERSION.search(body) and _FLOW_KIND.search(body):
                return True
        elif _BLOCK_API_VERSION.search(body) and _BLOCK_KIND.search(body):
            return True
    return False


def kustomize_patch(text: str, file: str) -> Skip | None:
    """A Skip when ``text`` is a JSON 6902 patch (kustomize's ``patchesJson6902``); None otherwise."""
    from hardener.kustomize import PATCH_REASON, is_json6902
    from hardener.yamlnodes import to_data

    for chunk in split(text):
        if not chunk.is_document:
            continue
        try:
            data = to_data(compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line)).data
        except InputError:
            return None
        if is_json6902(data):
            return Skip("kustomize patch", f"{PATCH_REASON} (a JSON 6902 patch)")
    return None


NOT_KUBERNETES = Skip(
    "not Kubernetes YAML",
    "not a Kubernetes manifest (no document has top-level apiVersion and kind)",
)
EMPTY = Skip("empty file", "an empty file (no YAML document)")
