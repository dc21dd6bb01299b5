"""gomem.monitor: observe real programs (``gomem run``, ``gomem watch``) and record them,
without loss, into a run directory (DEVELOPERS.md, "run directories").

Modules (import them directly; this package imports nothing so ``gomem --help`` stays fast):

- ``runner``: ``run(RunConfig(cmd=[...], out_dir=..., hz=50, tree=False, gogc=None,
  memlimit=None, godebug=None, quiet_gc=False, stdout=None, stderr=None, env=None),
  on_start=callable(run_dir)) -> RunResult(summary, exit_status, out_dir)``;
  ``go_env`` / ``merge_godebug`` (the child's environment), ``StreamPump``, ``StderrLines``.
- ``watch``: ``watch(WatchConfig(target="PID"|"http://.../debug/vars"|"http://.../metrics",
  out_dir=..., hz=None, duration_s=None)) -> WatchResult(summary, out_dir)``.
- ``recorder``: ``Recorder`` — the one writer of a run directory (append-only, flushed).
- ``procfs``: ``ProcSampler`` — RSS/PSS/anon/VmHWM from /proc (configurable root).
- ``cgroup``: ``CgroupInfo.of(pid, root="/")`` — the memory limit that applies (v1, v2) and
  the OOM-kill count.
- ``loop``: ``SamplingLoop(hz, clock=..., sleep=...)`` — the fixed-rate loop.
- ``summary``: ``Tally`` (peaks and counts as records pass) and ``render`` (rich).
- ``goversion``: ``go_version_of(binary)`` from Go's build info.
"""
