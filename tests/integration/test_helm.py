"""Real Helm 3 and Helm 4 render charts through hardener as their post-renderer.

Two charts: the one ``helm create`` makes (so Helm's own idea of a chart, which
this project did not write), and ``examples/helm/shop`` (a pre-install hook, a
CronJob, an init container, NOTES.txt, comments).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.hostrun import (
    EXAMPLES,
    VENV_BIN,
    comments,
    documents,
    helm4_plugins,
    helm_for,
    is_hook,
    lost_lines,
    non_hook_text,
    run,
    unhardened_pods,
)


def sources(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("# Source:")]


@pytest.fixture(params=["helm-create", "shop"])
def chart(request, tmp_path: Path, host_env: dict) -> Path:
    """A chart directory: made by the real ``helm create``, or the shop example."""
    if request.param == "shop":
        return Path(shutil.copytree(EXAMPLES / "helm" / "shop", tmp_path / "shop"))
    bin_dir = helm_for(3, tmp_path)
    run([str(bin_dir / "helm"), "create", "demo"], host_env, cwd=tmp_path)
    return tmp_path / "demo"


def test_helm3_post_renderer_hardens_every_workload_and_keeps_sources(chart: Path, tmp_path: Path, host_env: dict):
    helm = str(helm_for(3, tmp_path) / "helm")
    plain = run([helm, "template", "rel", str(chart)], host_env)
    hardened = run([helm, "template", "rel", str(chart), "--post-renderer", str(VENV_BIN / "hardener"),
                    "--post-renderer-args", "fix"], host_env)
    assert sources(hardened) == sources(plain), "every `# Source:` line survives, in order"
    assert lost_lines(plain, hardened) == []
    pods, problems = unhardened_pods(non_hook_text(hardened))
    assert pods >= 1 and problems == []
    _, before = unhardened_pods(non_hook_text(plain))
    assert before, "the chart had something to fix"
    if chart.name == "shop":  # Helm 3 does not post-render hooks: the migrate Job is as rendered
        hook = next(d for d in documents(hardened) if is_hook(d))
        assert "securityContext" not in hook["spec"]["template"]["spec"]


def test_helm3_show_only_and_output_dir_still_work(chart: Path, tmp_path: Path, host_env: dict):
    helm = str(helm_for(3, tmp_path) / "helm")
    post = ["--post-renderer", "hardener", "--post-renderer-args", "fix"]  # found on PATH, as users write it
    template = "templates/deployment.yaml"
    shown = run([helm, "template", "rel", str(chart), "--show-only", template, *post], host_env)
    assert sorted(d["kind"] for d in documents(shown)) == ["Deployment"] + (["Service"] if chart.name == "shop" else [])
    assert unhardened_pods(shown) == (1, [])
    # With --output-dir, Helm 3 hands the post-renderer an empty stream: empty out, exit 0.
    run([helm, "template", "rel", str(chart), "--output-dir", str(tmp_path / "out"), *post], host_env)
    assert (tmp_path / "out" / chart.name / template).is_file()


def test_helm4_plugin_hardens_hooks_too_and_keeps_the_postrender_annotation(chart: Path, tmp_path: Path, host_env: dict):
    helm = str(helm_for(4, tmp_path) / "helm")
    report = tmp_path / "report.txt"
    env = {**host_env, "HELM_PLUGINS": str(helm4_plugins(tmp_path)), "HARDENER_REPORT_FILE": str(report)}
    plain = run([helm, "template", "rel", str(chart)], env)
    hardened = run([helm, "template", "rel", str(chart), "--post-renderer", "hardener"], env)
    # Helm 4 files each post-rendered document back under its template by the
    # postrenderer.helm.sh/postrender-filename annotation; had hardener dropped it,
    # the document would come back under another name.
    assert sorted(sources(hardened)) == sorted(sources(plain))
    assert "postrender-filename" not in hardened
    assert not Counter(comments(plain)) - Counter(comments(hardened)), "no comment lost"
    pods, problems = unhardened_pods(hardened)
    assert pods >= 2 and problems == [], "hooks (the test pod, the migrate Job) are hardened too"
    assert [d["kind"] for d in documents(hardened) if is_hook(d)], "the chart has hooks"
    text = report.read_text()
    assert ": run-as-non-root fix (may break): " in text and text.rstrip().endswith(" skips")


def test_helm4_plugin_failure_stops_the_render(tmp_path: Path, host_env: dict):
    helm = str(helm_for(4, tmp_path) / "helm")
    chart = Path(shutil.copytree(EXAMPLES / "helm" / "shop", tmp_path / "shop"))
    env = {**host_env, "HELM_PLUGINS": str(helm4_plugins(tmp_path))}
    import subprocess

    proc = subprocess.run([helm, "template", "rel", str(chart), "--post-renderer", "hardener",
                           "--post-renderer-args", "--profile=no-such-profile"], env=env, capture_output=True)
    assert proc.returncode != 0 and b"kind: Deployment" not in proc.stdout
