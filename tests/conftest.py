"""Shared fixtures: where the public corpus is, and how to find its files."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_SKIP = {"SOURCES.tsv", "README.md", ".gitattributes"}


def corpus_files() -> list[Path]:
    """Every corpus manifest, or none when ../shared/corpus is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in CORPUS_SKIP)


def corpus_params() -> list:
    files = corpus_files()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/corpus is absent"), id="no-corpus")]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in files]
