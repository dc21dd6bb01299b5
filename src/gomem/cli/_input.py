"""Reading a RUN argument (shared by explain, whatif, tune, verify): a gctrace log, anything
``gomem.traces.read`` reads (MemStats text, run directories, corpus directories), or a saved
Timeline (.npz)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..timeline import Timeline
from ..traces import read


def load_run(path: str) -> Timeline:
    p = Path(path)
    if path != "-" and not p.exists():
        raise InputError("no such file or directory: expected a gctrace log, a MemStats dump, a `gomem run` "
                         "directory or a saved Timeline (.npz)", path=path)
    tl = read([path])
    if not len(tl):
        raise InputError("nothing gomem can read: expected GODEBUG=gctrace=1 lines, MemStats, or a run directory",
                         path=path)
    return tl
