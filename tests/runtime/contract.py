"""hardener's runtime contract: its output starts, or its report says why it will not.

For every application and profile, ``hardener fix`` either produces a manifest that starts, or
its JSON report explains the breakage. The mechanical definition (agreed between issue 14, which
measures it, and issue 15, which makes hardener meet it): a breakage with cause C is *explained*
when the report holds, for the same workload (kind and name), a record of a transform that can
cause C (``CAUSED_BY``) that is

* a finding, or
* a change whose record-level guidance is set: its ``guidance`` differs from the transform's
  generic guidance, so hardener said something about *this* workload.

Anything else that fails to start is a *silent breakage*. The lenient reading (any may-break
record of a causal transform, generic guidance included) is kept as a figure, not a promise:
it says how often the generic warning happened to be right.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hardener.registry import default_registry
from tests.runtime.harness import PARALLEL, play
from tests.runtime.kubelet import NON_NUMERIC_USER, RUNS_AS_ROOT
from tests.runtime.verdict import BIND_PERMISSION_DENIED, PERMISSION_DENIED, READ_ONLY_FILESYSTEM, Verdict

APPS = Path(__file__).resolve().parent / "apps"
IMAGE_CACHE = Path(__file__).resolve().parent / "hardener-images.yaml"
"""The users of the images built here, as --resolve-images would cache them (no registry holds them)."""
PROFILES = ("restricted", "baseline")
"""hardener's default profile, and the Pod Security Standards level most clusters enforce."""

_USER = frozenset({"run-as-non-root", "run-as-non-zero-user"})
CAUSED_BY = {
    RUNS_AS_ROOT: _USER,
    NON_NUMERIC_USER: _USER,
    READ_ONLY_FILESYSTEM: frozenset({"read-only-root-filesystem"}),
    BIND_PERMISSION_DENIED: _USER | {"drop-all-capabilities"},
    PERMISSION_DENIED: _USER | {"drop-all-capabilities"},
}
"""The transforms whose edits can cause each breakage; a breakage of any other cause is never explained."""


@dataclass(frozen=True)
class Outcome:
    """One application hardened under one profile, and played."""

    app: str
    profile: str
    verdict: Verdict
    explained_by: tuple[dict, ...]
    """The report's records that explain the breakage (strictly); empty when it started."""
    warned_by: tuple[dict, ...]
    """The report's may-break records of a causal transform (the lenient reading)."""

    @property
    def started(self) -> bool:
        return self.verdict.started

    @property
    def explained(self) -> bool:
        return bool(self.explained_by)

    @property
    def silent(self) -> bool:
        return not self.started and not self.explained

    @property
    def explained_leniently(self) -> bool:
        return self.explained or bool(self.warned_by)

    def __str__(self) -> str:
        if self.started:
            return f"{self.app} under {self.profile}: started"
        if self.explained:
            reading = "explained"
        else:
            reading = "SILENT" + (" (a generic may-break warning only)" if self.warned_by else "")
        return f"{self.app} under {self.profile}: {reading}\n{self.verdict}"


def applications() -> dict[str, Path]:
    """Each application's name and its manifest, as its authors would write it (no securityContext)."""
    return {app.name: app / "manifest.yaml" for app in sorted(APPS.iterdir()) if (app / "manifest.yaml").is_file()}


def harden(manifest: Path, profile: str) -> tuple[str, dict]:
    """``hardener fix --no-config --image-cache IMAGE_CACHE --profile PROFILE --report json MANIFEST``: the output and the report.

    Exit 1 is accepted: ``fix`` fails its gate on error findings and still writes its output."""
    with tempfile.TemporaryDirectory(prefix="hardener-contract-") as workdir:
        report_file = Path(workdir) / "report.json"
        # --no-config: the contract measures the profile, not what a configuration file nearby sets
        # --image-cache: what the images' registries would say, as a repository commits it (IMAGE_CACHE)
        argv = [sys.executable, "-m", "hardener", "fix", "--no-config", "--image-cache", str(IMAGE_CACHE), "--profile", profile, "--report", "json"]
        done = subprocess.run(
            [*argv, "--report-file", str(report_file), str(manifest)], capture_output=True, text=True, check=False
        )
        if done.returncode not in (0, 1):
            raise AssertionError(f"hardener fix --profile {profile} {manifest} exited {done.returncode}: {done.stderr}")
        return done.stdout, json.loads(report_file.read_text())


def judge(app: str, manifest: Path, profile: str) -> Outcome:
    """Harden an application's manifest, play the output, and read the report against the verdict."""
    hardened, report = harden(manifest, profile)
    verdict = play(hardened)
    return Outcome(app, profile, verdict, *explanations(verdict, report))


def explanations(verdict: Verdict, report: dict) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    """The records that explain a breakage strictly, and those that warn of it (the lenient reading)."""
    if verdict.started:
        return (), ()
    causal = [
        r for r in records_of(report, verdict.kind, verdict.name) if r["transform"] in CAUSED_BY.get(verdict.cause, ())
    ]
    explained = tuple(record for record in causal if record["type"] == "finding" or has_own_guidance(record))
    warned = tuple(record for record in causal if record["type"] == "finding" or record.get("safety") == "may-break")
    return explained, warned


def judge_all(profiles: tuple[str, ...] = PROFILES) -> list[Outcome]:
    """Every application under every profile, several at once."""
    cases = [(app, manifest, profile) for profile in profiles for app, manifest in applications().items()]
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda case: judge(*case), cases))


def figures(outcomes: list[Outcome]) -> str:
    """The contract's figures, one line: what ran, what started, what broke explained or silently."""
    broken = [o for o in outcomes if not o.started]
    explained, lenient = sum(o.explained for o in broken), sum(o.explained_leniently for o in broken)
    apps, profiles = len({o.app for o in outcomes}), len({o.profile for o in outcomes})
    return (
        f"{apps} applications x {profiles} profiles = {len(outcomes)} runs; {len(outcomes) - len(broken)} started"
        f" after hardening; {len(broken)} broke: {explained} explained, {len(broken) - explained} silent"
        f" (lenient reading, any may-break record of a causal transform: {lenient} explained,"
        f" {len(broken) - lenient} silent)"
    )


def records_of(report: dict, kind: str, name: str) -> list[dict]:
    """The report's changes and findings about one workload."""
    return [r for r in (*report["changes"], *report["findings"]) if r.get("kind") == kind and r.get("name") == name]


def has_own_guidance(record: dict) -> bool:
    """Whether a record's guidance is its own, not its transform's generic text."""
    guidance = record.get("guidance")
    return bool(guidance) and guidance != default_registry().get(record["transform"]).guidance
