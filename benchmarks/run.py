"""Run every benchmark and print the figures: ``.venv/bin/python benchmarks/run.py [--quick]``.

Streams:

* ``deployments``: N unhardened Helm-style Deployments (``generate.py``);
* ``argo-cd``: the Argo CD install stream from the vendored ``tests/corpus``
  (mostly CRDs);
* ``hardened``: the ``deployments`` stream after one pass (nothing to do).

For each stream three commands run, each in a fresh process so that the
peak RSS (``wait4``, from a small probe process) is its own: ``hardener fix`` reading the stream on
stdin (what ``helm ... | hardener fix`` costs, start-up included); a
ruamel.yaml round-trip load + dump (``YAML()``: what a naive fixer costs);
and ruamel.yaml's C-accelerated compose (``YAML(typ="safe", pure=False)
.compose_all``: the parse floor). Each is run ``--repeat`` times and the
fastest run counts. Ratios use CPU time (user + system), which other load
on the machine disturbs far less than wall time; wall time is shown too.

Then memory: streams of ``--memory-mb`` MB (10 and 50) go through ``hardener
fix -``, once without a report and once per report format written to a file
(``--report FMT --report-file``: how Helm 4 users are told to run it), each
with its peak RSS. Last, throughput against size: the same Deployments at
``--scaling-mb`` (2 and 200 MB) on stdin, MB/s of CPU time for each, which
must not drop as the stream grows.

hardener is byte-compiled first, as ``pip install`` does for a regular
install: an editable install under ``PYTHONDONTWRITEBYTECODE`` would
otherwise compile every module from source on every run.

Not collected by pytest (``testpaths = ["tests"]``, ``norecursedirs``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ARGO_CD = REPO / "tests" / "corpus" / "kustomize-built" / "argoproj__argo-cd__manifests__install.yaml"
sys.path.insert(0, str(HERE))

from generate import deployments  # noqa: E402

ROUND_TRIP = """
import io, sys
from ruamel.yaml import YAML
yaml = YAML()
with open(sys.argv[1], encoding="utf-8") as handle:
    documents = list(yaml.load_all(handle.read()))
yaml.dump_all(documents, io.StringIO())
"""

C_COMPOSE = """
import sys
from ruamel.yaml import YAML
with open(sys.argv[1], encoding="utf-8") as handle:
    text = handle.read()
for _node in YAML(typ="safe", pure=False).compose_all(text):
    pass
"""


@dataclass
class Run:
    cpu: float
    wall: float
    peak_rss_mb: float


# Runs a command and prints its CPU time, wall time and peak RSS. It runs in a
# small process of its own: Linux carries the parent's RSS high-water mark
# over exec into the child's ru_maxrss, and this harness holds whole streams.
PROBE = """
import os, subprocess, sys, time
stdin = open(sys.argv[1], "rb") if sys.argv[1] else subprocess.DEVNULL
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
error = child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
sys.stderr.buffer.write(error)
print(os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss)
"""


def measure(argv: list[str], stdin_path: Path | None = None) -> Run:
    """Run ``argv`` once; its CPU time, wall time and peak RSS (its own, from wait4)."""
    probe = subprocess.run([sys.executable, "-c", PROBE, str(stdin_path or ""), *argv], capture_output=True, text=True)
    code, cpu, wall, max_rss_kb = probe.stdout.split()
    if probe.returncode != 0 or code != "0":
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(argv)}\n{probe.stderr}")
    return Run(float(cpu), float(wall), int(max_rss_kb) / 1024)


def best(argv: list[str], repeat: int, stdin_path: Path | None = None) -> Run:
    runs = [measure(argv, stdin_path) for _ in range(repeat)]
    return Run(min(r.cpu for r in runs), min(r.wall for r in runs), max(r.peak_rss_mb for r in runs))


def count_documents(path: Path) -> int:
    sys.path.insert(0, str(REPO))
    from hardener.stream import iter_chunks, lines_of

    return sum(chunk.is_document for chunk in iter_chunks(lines_of(path.read_text(encoding="utf-8"))))


def hardener_fix(path: Path, out: Path) -> None:
    with open(path, "rb") as source, open(out, "wb") as target:
        subprocess.run([sys.executable, "-m", "hardener", "fix"], stdin=source, stdout=target, check=True)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "ruamel.yaml": version("ruamel.yaml"),
        "ruamel.yaml.clib": version("ruamel.yaml.clib"),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def bench_stream(name: str, path: Path, repeat: int) -> list[str]:
    size_mb = path.stat().st_size / 1e6
    docs = count_documents(path)
    tools = {
        "hardener fix": ([sys.executable, "-m", "hardener", "fix"], path),
        "ruamel round-trip": ([sys.executable, "-c", ROUND_TRIP, str(path)], None),
        "ruamel C compose": ([sys.executable, "-c", C_COMPOSE, str(path)], None),
    }
    results = {}
    for tool, (argv, stdin_path) in tools.items():
        results[tool] = best(argv, repeat, stdin_path)
        run = results[tool]
        print(f"  {name:12} {tool:18} cpu {run.cpu:7.2f} s  wall {run.wall:7.2f} s  peak {run.peak_rss_mb:7.1f} MB", file=sys.stderr)
    ours = results["hardener fix"]
    rt, floor = results["ruamel round-trip"], results["ruamel C compose"]
    return [
        f"| {name} | {size_mb:.2f} MB, {docs} docs | {ours.cpu:.2f} s ({ours.wall:.2f} s) | {size_mb / ours.cpu:.2f} MB/s, {docs / ours.cpu:,.0f} docs/s "
        f"| {ours.peak_rss_mb:.0f} MB | {rt.cpu:.2f} s | {floor.cpu:.2f} s | **{rt.cpu / ours.cpu:.1f}x faster** | **{ours.cpu / floor.cpu:.2f}x** |"
    ]


def byte_compile_hardener() -> None:
    import compileall

    import hardener.transforms

    import hardener

    for package in (hardener, hardener.transforms):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def _sizes(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="hardener benchmarks (see benchmarks/README.md)")
    parser.add_argument("--quick", action="store_true", help="small streams, one run each: a smoke test of the harness")
    parser.add_argument("--deployments", type=int, default=None, help="Deployments in the generated stream (default 1000; quick 200)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per command, the fastest counts (default 3; quick 1)")
    parser.add_argument("--memory-mb", type=_sizes, default=None, help="sizes of the memory streams, MB (default 10,50; quick 2)")
    parser.add_argument("--scaling-mb", type=_sizes, default=None, help="sizes of the throughput streams, MB (default 2,200; quick 2,10)")
    args = parser.parse_args(argv)
    count = args.deployments or (200 if args.quick else 1000)
    repeat = args.repeat or (1 if args.quick else 3)
    memory_sizes = args.memory_mb or ([2.0] if args.quick else [10.0, 50.0])
    scaling_sizes = args.scaling_mb or ([2.0, 10.0] if args.quick else [2.0, 200.0])

    byte_compile_hardener()
    info = machine()
    print("## Machine\n")
    for key, value in info.items():
        print(f"- {key}: {value}")
    print()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hardener-bench-") as tmp:
        tmp_path = Path(tmp)
        generated = tmp_path / f"deployments-{count}.yaml"
        generated.write_text(deployments(count), encoding="utf-8")
        hardened = tmp_path / f"hardened-{count}.yaml"
        hardener_fix(generated, hardened)
        rows += bench_stream(f"{count} Deployments", generated, repeat)
        rows += bench_stream("Argo CD install", ARGO_CD, repeat)
        rows += bench_stream(f"{count} hardened", hardened, repeat)

        print("## Throughput (CPU time; wall time in brackets)\n")
        print("| stream | size | hardener fix | throughput | peak RSS | round-trip | C compose | vs round-trip | vs C compose |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        print("\n".join(rows))
        print()

        print("## Memory (peak RSS of `hardener fix -`, by report format)\n")
        print("| stream | report | peak RSS | CPU | report size |")
        print("| --- | --- | --- | --- | --- |")
        for size in memory_sizes:
            print("\n".join(memory_rows(tmp_path, size)), flush=True)
        print()
        print("## Throughput against stream size (CPU time)\n")
        print("| stream | hardener fix | throughput |")
        print("| --- | --- | --- |")
        for size in scaling_sizes:
            print(scaling_row(tmp_path, size), flush=True)


REPORT_FORMATS = ("json", "sarif", "markdown", "text")


def write_stream(path: Path, size_mb: float) -> int:
    """At least ``size_mb`` MB of generated Deployments in ``path``, written in pieces; their count."""
    per_doc = len(deployments(1).encode())
    count = int(size_mb * 1e6 / per_doc) + 1
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, count, 1000):
            handle.write(deployments(min(1000, count - start), start))
    return count


def memory_rows(tmp_path: Path, size_mb: float) -> list[str]:
    stream = tmp_path / f"memory-{size_mb:g}.yaml"
    count = write_stream(stream, size_mb)
    size = stream.stat().st_size / 1e6
    rows = []
    for fmt in (None, *REPORT_FORMATS):
        argv = [sys.executable, "-m", "hardener", "fix", "--exit-zero", "-"]
        report = tmp_path / f"report.{fmt}"
        if fmt:
            argv += ["--report", fmt, "--report-file", str(report)]
        run = measure(argv, stream)
        report_size = _size_text(report.stat().st_size) if fmt else "—"
        print(f"  memory {size:6.1f} MB {fmt or 'none':8} peak {run.peak_rss_mb:7.1f} MB cpu {run.cpu:7.1f} s", file=sys.stderr)
        rows.append(f"| {size:.1f} MB ({count:,} Deployments) | {fmt or 'none'} | **{run.peak_rss_mb:.0f} MB** | {run.cpu:.1f} s | {report_size} |")
        if fmt:
            report.unlink()
    stream.unlink()
    return rows


def _size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def scaling_row(tmp_path: Path, size_mb: float) -> str:
    stream = tmp_path / f"scaling-{size_mb:g}.yaml"
    count = write_stream(stream, size_mb)
    size = stream.stat().st_size / 1e6
    run = measure([sys.executable, "-m", "hardener", "fix", "--exit-zero", "-"], stream)
    print(f"  scaling {size:6.1f} MB cpu {run.cpu:7.1f} s ({size / run.cpu:.2f} MB/s), peak {run.peak_rss_mb:.0f} MB", file=sys.stderr)
    stream.unlink()
    return f"| {size:.1f} MB ({count:,} Deployments) | {run.cpu:.1f} s ({run.wall:.1f} s wall), peak {run.peak_rss_mb:.0f} MB | {size / run.cpu:.2f} MB/s |"


if __name__ == "__main__":
    main()
