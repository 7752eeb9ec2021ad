"""``hardener profiles`` and ``hardener profiles show NAME``: what each profile does, resolved.

``show`` prints the profile with ``extends:`` resolved and every parameter
at its effective value, and validates what the profile would inject into a
pod against the Kubernetes API models (``hardener.schema``): a profile that
sets ``run_as_user: "65532"`` is caught here, not in a cluster.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from ruamel.yaml import YAML

from hardener.images import shipped_table
from hardener.kinds import as_data as kinds_data
from hardener.profile import Profile, load_profile, shipped_profiles

# A pod that every transform has something to say about: what a profile injects into it is
# what it injects anywhere.
PROBE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: probe}
spec:
  template:
    metadata:
      annotations: {container.apparmor.security.beta.kubernetes.io/app: unconfined}
    spec:
      hostNetwork: true
      hostPID: true
      hostIPC: true
      securityContext:
        runAsUser: 0
        seccompProfile: {type: Unconfined}
        appArmorProfile: {type: Unconfined}
        seLinuxOptions: {type: spc_t, user: u}
      containers:
      - name: app
        image: app
        ports: [{containerPort: 80, hostPort: 80}]
        securityContext:
          privileged: true
          runAsUser: 0
          procMount: Unmasked
          allowPrivilegeEscalation: true
          seccompProfile: {type: Unconfined}
          appArmorProfile: {type: Unconfined}
          capabilities: {add: [SYS_ADMIN]}
      - name: plain
        image: app
"""


def list_profiles() -> str:
    """One line per shipped profile: its name and description."""
    names = shipped_profiles()
    width = max(map(len, names), default=0)
    return "".join(f"{name:{width}}  {load_profile(name).description}\n" for name in names)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def resolved_data(profile: Profile) -> dict:
    """The profile as data, ``extends:`` resolved and every parameter at its effective value."""
    data = {
        "name": profile.name,
        "description": profile.description,
        "unsafe-fixes": _unsafe_fixes(profile),
        "transforms": {t.id: _plain(dataclasses.asdict(t.params)) for t in profile.transforms},
        "exemptions": profile.exemptions.as_data(),
        "kinds": kinds_data(profile.kinds),
    }
    added = profile.images.entries[len(shipped_table().entries):]
    if added:  # the images the profile knows beyond the shipped table (hardener/images.yaml)
        data["images"] = [entry.to_entry() for entry in added]
    return data


def _unsafe_fixes(profile: Profile) -> bool | list[str]:
    """As a profile writes it: false, true (every transform it runs), or the ids."""
    if not profile.unsafe_fixes:
        return False
    return True if profile.unsafe_fixes >= set(profile.transform_ids) else sorted(profile.unsafe_fixes)


def show_profile(name: str) -> str:
    """The resolved profile as YAML."""
    profile = load_profile(name)
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    out = io.StringIO()
    out.write(f"# {profile.source}, extends resolved\n")
    yaml.dump(resolved_data(profile), out)
    return out.getvalue()


def injection_problems(profile: Profile) -> list[str]:
    """What the profile would write into a pod that the Kubernetes API models reject (imports the client)."""
    from hardener import schema
    from hardener.api import harden

    result = harden(PROBE, profile.with_unsafe_fixes(True), file="<probe>")  # every fix, unsafe ones included
    problems = []
    for record in result.changes:
        edit = record.edit
        if edit is None or edit.op == "remove":
            continue
        value = [edit.value] if edit.op == "append" else edit.value  # an append adds one item to a list
        model = "V1ObjectMeta" if edit.path[:3] == ("spec", "template", "metadata") else "V1PodSpec"
        problem = schema.check_edit(edit.path[3:], value, model)  # paths below spec.template.{spec,metadata}
        if problem:
            problems.append(f"{record.transform}: {problem}")
    return problems
