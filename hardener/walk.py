"""Which files a run reads: the paths given, with directories walked the way a repository sees them.

A directory is walked recursively for ``.yaml``, ``.yml`` and ``.json`` files.
Inside a git work tree the walk is exactly what ``git ls-files --cached
--others --exclude-standard`` lists, so ``.gitignore`` (and ``.git/info/exclude``
and the global excludes file) is honoured and build output stays alone;
elsewhere hidden directories (``.git``, ``.terraform``, ...) are skipped.

Some files are found but must not be touched, and the report says why:

* a symbolic link is never followed: writing through it would replace the
  link with a regular file, and a link may lead out of the tree the user
  asked us to change. A link to a file inside the root is skipped because
  its target is walked (and hardened) on its own.
* Helm chart templates (a ``templates/`` directory next to a ``Chart.yaml``)
  are sources, not manifests: the rendered chart is what gets hardened.
* kustomize patches a kustomization lists (``hardener.kustomize``): a file
  named on the command line too, when the kustomization beside it lists it.

Content-based skips (unrendered templates, non-Kubernetes YAML) need the
bytes and are decided where the file is read (``hardener.triage``). The
order is sorted by path, so every run lists, writes and reports the same way.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from hardener.errors import InputError
from hardener.files import STDIN
from hardener.kustomize import KUSTOMIZATION_NAMES, PATCH_REASON, listed_patches, patches_beside

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Skip:
    """Why a file is left untouched: a short category for the summary, a sentence for the report."""

    category: str
    reason: str


@dataclass(frozen=True)
class Input:
    """One input of a run. ``walked`` inputs were found in a directory, not named by the user."""

    name: str
    walked: bool = False
    skip: Skip | None = None
    chart: str | None = None  # the chart directory, for a chart's values.yaml hardened by --chart-values
    profile: object = None
    """The profile of this input when its configuration differs from the run's (``hardener.config``)."""
    label: str | None = None
    """What reports call this input: ``--stdin-filename`` for standard input."""


def collect(paths: list[str], chart_values: bool = False) -> list[Input]:
    """The inputs of a run: each path given, directories expanded; stdin when there are none."""
    inputs: list[Input] = []
    for path in paths or [STDIN]:
        if path != STDIN and os.path.isdir(path):
            inputs.extend(walk(path, chart_values))
        elif path != STDIN and os.path.realpath(path) in (beside := patches_beside(path)):
            inputs.append(Input(path, skip=_patch_skip(beside[os.path.realpath(path)])))
        else:
            inputs.append(Input(path))
    return _once_each(inputs)


def _once_each(inputs: list[Input]) -> list[Input]:
    """Drop a file reached a second time (``fix -w deploy deploy/web.yaml``): it is hardened once."""
    seen: set[str] = set()
    unique = []
    for item in inputs:
        key = item.name if item.name == STDIN or item.skip is not None else os.path.realpath(item.name)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def walk(root: str, chart_values: bool = False) -> list[Input]:
    """Every manifest candidate under ``root``, sorted by path, with path-based skips decided.

    A chart's ``values.yaml`` is skipped, or with ``chart_values`` handed to
    ``hardener.chartvalues`` (opt-in: it changes the chart's defaults).
    """
    real_root = os.path.realpath(root)
    listed = _git_listing(root)
    relatives = sorted(set(listed if listed is not None else _plain_listing(root)))
    patches = {
        patch: relative
        for relative in relatives
        if os.path.basename(relative) in KUSTOMIZATION_NAMES
        for patch in listed_patches(os.path.join(root, relative))
    }
    inputs = []
    for relative in relatives:
        found = _candidate(root, real_root, relative, chart_values)
        if found is not None and found.skip is None and os.path.realpath(found.name) in patches:
            found = Input(found.name, walked=True, skip=_patch_skip(patches[os.path.realpath(found.name)]))
        if found is not None:
            inputs.append(found)
    return inputs


def _git_listing(root: str) -> list[str] | None:
    """Paths (relative to ``root``) git considers part of the work tree, or None outside one."""
    import subprocess  # only directory walks pay for it

    try:
        probe = subprocess.run(
            ["git", "-C", root, "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return None  # no git on this machine: walk like any directory
    if probe.returncode != 0 or probe.stdout.strip() != "true":
        message = probe.stderr.strip()
        if probe.returncode != 0 and "not a git repository" not in message:
            raise InputError(f"git cannot list this work tree: {message.splitlines()[-1] if message else 'failed'}", file=root)
        return None
    listing = subprocess.run(
        ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        message = listing.stderr.decode("utf-8", "replace").strip()
        raise InputError(f"git ls-files failed: {message or listing.returncode}", file=root)
    return [os.fsdecode(entry) for entry in listing.stdout.split(b"\0") if entry]


def _plain_listing(root: str) -> list[str]:
    """Paths under ``root`` outside git: hidden directories skipped, no link followed."""
    relatives = []
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        base = os.path.relpath(directory, root)
        kept = []
        for name in subdirectories:
            if name.startswith("."):
                continue
            if os.path.islink(os.path.join(directory, name)):
                files.append(name)  # reported as a link, never descended into
            else:
                kept.append(name)
        subdirectories[:] = kept
        relatives.extend(os.path.normpath(os.path.join(base, name)) for name in files)
    return relatives


def _candidate(root: str, real_root: str, relative: str, chart_values: bool) -> Input | None:
    name = os.path.join(root, relative) if root not in (".", "./") else relative
    has_suffix = relative.lower().endswith(SUFFIXES)
    if os.path.islink(name):
        if not has_suffix and not os.path.isdir(name):
            return None
        return Input(name, walked=True, skip=_link_skip(name, root, real_root))
    if not has_suffix or not os.path.isfile(name):
        return None  # deleted but still in the index, a submodule, a fifo, ...
    directory = os.path.dirname(os.path.realpath(name))
    if os.path.basename(name) == "values.yaml" and _has_chart_yaml(directory):
        if chart_values:
            return Input(name, walked=True, chart=os.path.dirname(name) or ".")
        return Input(
            name,
            walked=True,
            skip=Skip(
                "Helm chart values",
                f"the default values of the Helm chart in {_shown(directory, real_root)}, not a manifest "
                "(--chart-values hardens the securityContext values of a chart made with helm create)",
            ),
        )
    chart = _chart_of(os.path.realpath(name))
    if chart is not None:
        where = _shown(chart, real_root)
        return Input(
            name,
            walked=True,
            skip=Skip(
                "Helm chart template",
                f"a template of the Helm chart in {where}: chart sources are not manifests; harden the rendered "
                "chart instead (helm template ... | hardener fix -, or hardener as a Helm post-renderer)",
            ),
        )
    return Input(name, walked=True)


def _patch_skip(kustomization: str) -> Skip:
    return Skip("kustomize patch", f"{PATCH_REASON} (a patch {kustomization} lists)")


def _shown(directory: str, real_root: str) -> str:
    """A directory as the report names it: relative to the root, never this machine's absolute path."""
    if _inside(directory, real_root):
        return os.path.relpath(directory, real_root)
    return os.path.basename(directory)


def _link_skip(name: str, root: str, real_root: str) -> Skip:
    target = os.path.realpath(name)
    if not _inside(target, real_root):
        return Skip("symbolic link out of the root", f"a symbolic link that points outside {root}; not followed")
    return Skip(
        "symbolic link",
        f"a symbolic link to {os.path.relpath(target, real_root)}; not followed (its target is walked on its own)",
    )


def _inside(path: str, real_root: str) -> bool:
    return path == real_root or path.startswith(real_root.rstrip(os.sep) + os.sep)


def _chart_of(real_path: str) -> str | None:
    """The chart directory when the file sits under a ``templates/`` next to a ``Chart.yaml``."""
    path = Path(real_path)
    for directory in path.parents:
        if directory.name == "templates" and _has_chart_yaml(str(directory.parent)):
            return str(directory.parent)
    return None


@functools.lru_cache(maxsize=4096)
def _has_chart_yaml(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "Chart.yaml"))
