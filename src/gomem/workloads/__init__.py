"""gomem.workloads: workload programs for the model.

A workload file is Python defining ``def main(go):`` against the Go-like API
(:class:`gomem.model.Go`). ``load(path)`` reads one; ``run(path, cfg)`` simulates it, turning a
workload's exception into a :class:`gomem.errors.WorkloadError` that names the file and line.
``gomem.workloads.library`` has ready-made programs (the corpus' seed/steady/batch/spike).
"""

from .loader import load, run, run_program

__all__ = ["load", "run", "run_program"]
