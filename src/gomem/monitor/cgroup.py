"""The memory limit a process lives under, from its cgroups (v1 and v2), and the cgroup's
OOM-kill count.

Like Go's own container awareness would, we look at the cgroup the process is in
(``/proc/PID/cgroup``), find where that hierarchy is mounted (``/proc/PID/mountinfo``) and walk
from the process's cgroup up to the mount's root: the limit that applies is the smallest one
on the way (a parent's limit caps its children).

- cgroup v2: ``memory.max`` ("max" = none); OOM kills in ``memory.events`` (``oom_kill N``).
- cgroup v1: ``memory.limit_in_bytes`` (a huge number, e.g. 9223372036854771712, = none);
  OOM kills in ``memory.oom_control`` (``oom_kill N``, Linux 4.13+).

``root`` prefixes every absolute path (``/proc``, the mount points), so tests can lay out a
fake tree: ``CgroupInfo.of(pid, root=tmp)`` reads ``tmp/proc/PID/cgroup`` and so on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: v1 reports "no limit" as LONG_MAX rounded down to the page size; anything at or above
#: 2^62 is no limit in practice.
UNLIMITED_AT = 1 << 62


@dataclass
class CgroupDir:
    version: int  # 1 or 2
    path: Path  # the cgroup's directory (under root)
    mount: Path  # its hierarchy's mount point (under root): where the walk stops


@dataclass
class CgroupInfo:
    """Where a process's memory cgroup is, and what it says."""

    dirs: list[CgroupDir] = field(default_factory=list)
    root: Path = Path("/")

    # -- discovery --------------------------------------------------------------------------
    @classmethod
    def of(cls, pid: int | str = "self", root: str | os.PathLike = "/") -> "CgroupInfo":
        root = Path(root)
        proc = _under(root, f"/proc/{pid}")
        try:
            cg_lines = (proc / "cgroup").read_text().splitlines()
        except OSError:
            return cls([], root)
        mounts = _mounts(proc / "mountinfo")
        dirs: list[CgroupDir] = []
        for line in cg_lines:
            parts = line.split(":", 2)
            if len(parts) != 3:
                continue
            hier, controllers, cg_path = parts
            if hier == "0" and controllers == "":
                version = 2
            elif "memory" in controllers.split(","):
                version = 1
            else:
                continue
            for mount_point, mount_root in _candidates(mounts, version, root):
                d = _resolve(mount_point, mount_root, cg_path)
                if d is not None and d.is_dir():
                    dirs.append(CgroupDir(version, d, mount_point))
                    break
        return cls(dirs, root)

    # -- what it says -----------------------------------------------------------------------
    def memory_limit_bytes(self) -> int | None:
        """The smallest memory limit on the way from the process's cgroup to the root, or None."""
        best: int | None = None
        for d in self.dirs:
            name = "memory.max" if d.version == 2 else "memory.limit_in_bytes"
            for p in _walk_up(d.path, d.mount):
                v = _read_limit(p / name)
                if v is not None and (best is None or v < best):
                    best = v
        return best

    def oom_kills(self) -> int | None:
        """Total OOM kills the kernel counted in the process's cgroups (and their parents), or
        None when no counter is readable. Compare before and after a run."""
        total = None
        for d in self.dirs:
            name = "memory.events" if d.version == 2 else "memory.oom_control"
            for p in _walk_up(d.path, d.mount):
                v = _read_key(p / name, "oom_kill")
                if v is not None:
                    total = (total or 0) + v
        return total

    def to_dict(self) -> dict:
        return {"dirs": [{"version": d.version, "path": "/" + str(d.path.relative_to(self.root))} for d in self.dirs]}


def _under(root: Path, abs_path: str) -> Path:
    return root / abs_path.lstrip("/")


def _mounts(mountinfo: Path) -> list[tuple[str, str, str, str]]:
    """(fstype, mount_root, mount_point, super_options) of cgroup mounts in mountinfo."""
    out = []
    try:
        text = mountinfo.read_text()
    except OSError:
        return out
    for line in text.splitlines():
        # 35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        lf = left.split()
        rf = right.split()
        if len(lf) < 5 or len(rf) < 3:
            continue
        fstype = rf[0]
        if fstype in ("cgroup", "cgroup2"):
            out.append((fstype, _unescape(lf[3]), _unescape(lf[4]), rf[2]))
    return out


def _unescape(s: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal (\040 ...)
    return s.encode().decode("unicode_escape") if "\\" in s else s


def _candidates(mounts, version: int, root: Path):
    found = False
    for fstype, mount_root, mount_point, opts in mounts:
        if version == 2 and fstype == "cgroup2":
            found = True
            yield _under(root, mount_point), mount_root
        elif version == 1 and fstype == "cgroup" and "memory" in opts.split(","):
            found = True
            yield _under(root, mount_point), mount_root
    if not found:  # no readable mountinfo: the usual places
        base = _under(root, "/sys/fs/cgroup")
        if version == 2:
            yield base, "/"
            yield base / "unified", "/"
        else:
            yield base / "memory", "/"


def _resolve(mount_point: Path, mount_root: str, cg_path: str) -> Path | None:
    """The directory of cgroup ``cg_path`` in a hierarchy whose ``mount_root`` is mounted at
    ``mount_point`` (in a cgroup namespace or a bind mount the root is not "/")."""
    mount_root = mount_root.rstrip("/") or "/"
    if mount_root == "/":
        rel = cg_path.lstrip("/")
    elif cg_path == mount_root or cg_path.startswith(mount_root + "/"):
        rel = cg_path[len(mount_root):].lstrip("/")
    else:
        # "/../x" paths and other cgroups outside this mount: the mount itself is the best guess
        rel = ""
    return mount_point / rel if rel else mount_point


def _walk_up(path: Path, stop: Path):
    p = path
    while True:
        yield p
        if p == stop or p.parent == p or stop not in p.parents:
            return
        p = p.parent


def _read_limit(path: Path) -> int | None:
    try:
        s = path.read_text().strip()
    except OSError:
        return None
    if s in ("", "max"):
        return None
    try:
        v = int(s)
    except ValueError:
        return None
    return None if v >= UNLIMITED_AT else v


def _read_key(path: Path, key: str) -> int | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            try:
                return int(v)
            except ValueError:
                return None
    return None
