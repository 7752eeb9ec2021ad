"""Run a profile's transforms over one pod (or object), honouring its exemptions.

Every skip is recorded with its reason. An exemption is checked against
what it exempts: the skipped transform is run on a throw-away copy of the
document, and when it would have changed or reported nothing there, a
finding says the exemption exempts nothing (kubeaudit's redundant override).
"""

from __future__ import annotations

import copy

from hardener.context import PodContext
from hardener.exemptions import Decision
from hardener.model import CHANGE, FINDING, WARNING, Record


def _call(method, context: PodContext) -> None:
    method(context)


def run_pod(context: PodContext, transforms, decision: Decision, run=_call) -> None:
    """Apply ``transforms`` to ``context`` except what ``decision`` exempts.

    ``run(method, context)`` calls a transform's ``apply`` (the engine's turns a crash into
    an error that names the place).
    """
    for warning in decision.warnings:
        context.transform_id = ""
        context.finding(f"Exemption: {warning}", severity=WARNING)
    if decision.everything is not None:
        context.transform_id = ""
        context.skip(f"Not hardened: {decision.everything}")
        if not any(_would_act(context, t, run=run) for t in transforms):
            context.finding(f"Exemption ({decision.everything}) exempts nothing: no transform would change or report anything here", severity=WARNING)
        return
    for transform in transforms:
        context.transform_id = transform.id
        if transform.linux_only and context.is_windows:
            context.skip(f"Not applied: {transform.id} sets a field Kubernetes forbids on Windows pods")
            continue
        reason = decision.transforms.get(transform.id)
        if reason is not None:
            context.skip(f"Not applied: {reason}")
            if not _would_act(context, transform, run=run):
                context.finding(f"Exemption of {transform.id} exempts nothing: it would not change or report anything here", severity=WARNING)
            continue
        context.exempt_containers = decision.container_skips(transform.id)
        for name in context.exempt_containers:
            if not _would_act(context, transform, container=name, run=run):
                context.finding(f"Exemption of {transform.id} in container {name} exempts nothing: it would not change or report anything there", severity=WARNING)
        run(transform.apply, context)
        context.exempt_containers = {}


def run_object(context: PodContext, transforms, decision: Decision, run=_call) -> None:
    """Apply object-level ``transforms`` (``apply_object``) to one object, except what ``decision`` exempts.

    An exempt object is reported only where a transform would have acted
    on it: object transforms mostly act only when a profile asks them to
    (``service_accounts: true``), and a skip for every ServiceAccount in an
    excluded namespace would otherwise be noise.
    """
    for warning in decision.warnings:
        context.transform_id = ""
        context.finding(f"Exemption: {warning}", severity=WARNING)
    for transform in transforms:
        context.transform_id = transform.id
        reason = decision.everything or decision.transforms.get(transform.id)
        if reason is None:
            run(transform.apply_object, context)
        elif _would_act(context, transform, run=run, method="apply_object"):
            context.skip(f"Not applied: {reason}")


def _would_act(context: PodContext, transform, container: str | None = None, run=_call, method: str = "apply") -> bool:
    """Would ``transform`` change or report something (in ``container``) if it were not exempt?"""
    # The stream index goes along (evidence decides what a transform would do), copied: a scratch
    # run must not claim a generated account name.
    scratch = PodContext(context.location, copy.deepcopy(context.document), set(), context.record_base, copy.deepcopy(context.stream), images=context.images)
    scratch.transform_id = transform.id
    if transform.linux_only and scratch.is_windows:
        return False
    run(getattr(transform, method), scratch)
    relevant: list[Record] = [r for r in scratch.records if r.type in (CHANGE, FINDING)]
    if container is not None:
        relevant = [r for r in relevant if r.container == container]
    return bool(relevant)
