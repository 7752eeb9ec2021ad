"""Shared fixtures: the vendored public corpus, and how to find its files."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
"""Real manifests from public projects, vendored unchanged (see tests/corpus/README.md and NOTICE)."""
CORPUS_SKIP = {"SOURCES.tsv", "README.md", ".gitattributes", "NOTICE"}


def corpus_files() -> list[Path]:
    """Every corpus manifest (the licences and the sources list aside)."""
    files = sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.name not in CORPUS_SKIP and p.parent.name != "LICENSES"
    )
    assert files, f"{CORPUS} holds no manifest: the vendored corpus is part of the repository"
    return files


def corpus_params() -> list:
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in corpus_files()]
