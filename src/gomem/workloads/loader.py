"""Loading workload files and running them, with errors that name the workload's line."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError, WorkloadError
from ..model import RuntimeConfig, SimResult, simulate


def load(path: str | Path) -> Callable[[Any], Any]:
    """Compile and execute a workload file; return its ``main``. Syntax errors and a missing
    ``main`` are InputErrors naming the file (and line)."""
    p = Path(path)
    try:
        src = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such workload file", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the workload: {e}", path=str(p)) from None
    try:
        code = compile(src, str(p), "exec")
    except SyntaxError as e:
        raise InputError(f"not valid Python: {e.msg}", path=str(p), line=e.lineno) from None
    ns: dict[str, Any] = {"__name__": "gomem_workload", "__file__": str(p)}
    try:
        exec(code, ns)
    except Exception as e:
        raise _workload_error(e, str(p)) from None
    main = ns.get("main")
    if not callable(main):
        raise InputError("a workload must define `def main(go):`", path=str(p))
    main.__gomem_path__ = str(p)  # type: ignore[attr-defined]
    return main


def _workload_error(e: BaseException, path: str) -> WorkloadError:
    """The innermost frame of the traceback that is in the workload file."""
    line = None
    for fr in traceback.extract_tb(e.__traceback__):
        if fr.filename == path:
            line = fr.lineno
    return WorkloadError(f"the workload failed: {type(e).__name__}: {e}", path=path, line=line)


def run_program(program: Callable[[Any], Any], cfg: RuntimeConfig | None = None, path: str | None = None,
                name: str | None = None) -> SimResult:
    """Simulate ``program``; if it raises, a WorkloadError naming ``path`` and the line."""
    path = path or getattr(program, "__gomem_path__", None)
    try:
        return simulate(program, cfg, name=name or (Path(path).name if path else getattr(program, "__name__", "workload")))
    except (WorkloadError, InputError):
        raise
    except ValueError as e:
        if path is None:
            raise
        raise _workload_error(e, path) from None
    except Exception as e:
        if path is None:
            raise
        raise _workload_error(e, path) from None


def run(path: str | Path, cfg: RuntimeConfig | None = None) -> SimResult:
    """Load and simulate a workload file."""
    return run_program(load(path), cfg, path=str(path))
