"""Shared fixtures. Real Go toolchains come from the project's setup (scripts/setup.sh --full);
a test that needs one fails, never skips, when it is missing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gomem import toolchains

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _go(minor: str) -> Path:
    p = toolchains.find_go(minor)
    if p is None:
        pytest.fail(f"Go {minor} is not installed: run scripts/setup.sh --full (CI does)")
    return p


@pytest.fixture(scope="session")
def go127() -> Path:
    return _go("1.27")


@pytest.fixture(scope="session")
def go121() -> Path:
    return _go("1.21")


@pytest.fixture(scope="session")
def go119() -> Path:
    return _go("1.19")


@pytest.fixture(scope="session")
def build_go(tmp_path_factory):
    """build_go(source, minor="1.27") -> path of the binary; ``source`` is the text of a
    main.go. Binaries are cached per session by content and version."""
    cache: dict[tuple[str, str], Path] = {}

    def build(source: str, minor: str = "1.27") -> Path:
        key = (hashlib.sha256(source.encode()).hexdigest()[:16], minor)
        if key not in cache:
            d = tmp_path_factory.mktemp(f"gobuild-{key[0]}-{minor}")
            (d / "go.mod").write_text("module prog\n\ngo 1.19\n")
            (d / "main.go").write_text(source)
            cache[key] = toolchains.build(_go(minor), d, d / "prog")
        return cache[key]

    return build


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The brief's shared/ folder (reference texts and the real-run corpus)."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the project expects the shared/ folder beside the checkout")
    return SHARED
