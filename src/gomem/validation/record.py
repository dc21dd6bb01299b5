"""Record real Go runs of the validation workloads (``gosrc/main.go``) into a corpus.

Layout (the same as ``../shared/corpus``, so ``gomem.traces.read`` serves both):
``<out>/go<minor>/<workload>/<setting>/`` with

- ``gctrace.log``    the program's stderr (``GODEBUG=gctrace=1``)
- ``memstats.jsonl`` a ``runtime.MemStats`` sample every 50 ms (bytes, ``t`` in seconds)
- ``rss.csv``        ``t,rss_bytes`` from ``/proc/<pid>/statm`` every ~5 ms (thinned: a row
  when RSS moved by >= 1 MiB or 100 ms passed, plus the peak sample)
- ``summary.json``   settings, measured peaks, NumGC, the exact command and environment

Runs go one at a time so they do not disturb each other. ``python -m gomem.validation.record
--help`` or ``gomem validate --record`` re-record.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .. import toolchains
from ..errors import ToolchainError, UsageError
from ..units import MiB, GiB

GOSRC = Path(__file__).resolve().parent / "gosrc"
#: GOMAXPROCS of every recorded run (the recording machine has 2 cores).
GOMAXPROCS = 2


@dataclass(frozen=True)
class Workload:
    name: str
    what: str
    #: GOMEMLIMIT of the ``limit`` and ``offlimit`` settings, below the run's base peak
    memory_limit_bytes: int
    args: tuple[str, ...] = ()
    settings: tuple[str, ...] = ("base", "gogc50", "gogc200", "limit", "offlimit")
    #: the model-side mirror in gomem.validation.workloads (defaults to ``name``)
    mirror: str = ""
    scale: float = 1.0
    time_scale: float = 1.0
    #: go build -tags (the big global array exists only in the ``globals`` build)
    tags: tuple[str, ...] = ()

    @property
    def program(self) -> str:
        return self.mirror or self.name

    def argv(self) -> list[str]:
        return ["-w", self.program, "-scale", f"{self.scale:g}", "-time", f"{self.time_scale:g}", *self.args]


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("seed", "the seed scaled: a = make(256 MiB) ten times, 0.5 s apart, old slice still reachable", 900 * MiB),
    Workload("seedfix", "the seed fixed: a = nil before a = make(256 MiB)", 400 * MiB),
    Workload("service", "steady service: 200 MiB live of 512 B objects, 400 MiB/s of 1 KiB garbage for 6 s", 350 * MiB),
    Workload("batch", "sawtooth: 4x (build 300 MiB of 512 B, 0.5 s at 100 MiB/s, drop, 1 s at 50 MiB/s)", 450 * MiB),
    Workload("spike", "30 MiB live, a 600 MiB spike of resident 1 MiB objects for 0.5 s, then 4 s nearly idle", 680 * MiB),
    Workload("goroutines", "20k goroutines with 16 KiB stacks for 3 s + 200 MiB/s of 1 KiB garbage, then 2 s without them", 450 * MiB),
    Workload("grow", "leak-like: live grows 60 MiB/s to 360 MiB over 6 s, with 200 MiB/s of 1 KiB garbage", 500 * MiB),
    Workload("freeos", "100 MiB live, 300 MiB/s of 1 KiB garbage, debug.FreeOSMemory() every second, 5 s", 200 * MiB),
    Workload("globals", "a 64 MiB pointer-holding global array + 50 MiB live + 300 MiB/s of 1 KiB garbage, 5 s", 130 * MiB,
             tags=("globals",)),
    # the seed's own program (1 GiB slices, 1 s apart): issue 5 replays it with GOMEMLIMIT=3GiB
    Workload("seed1g", "the seed's program: a = make(1 GiB) ten times, 1 s apart", 3 * GiB,
             settings=("base", "limit"), mirror="seed", scale=4.0, time_scale=2.0),
]}

#: Held-out variants: the same programs at 0.6 of every size (limits scaled alike), recorded
#: into ``corpus/heldout/`` after the model was tuned on the main corpus, so ``gomem validate
#: --corpus corpus/heldout`` is an out-of-sample check.
HELDOUT_SCALE = 0.6


def heldout_table(scale: float) -> dict[str, Workload]:
    """The workloads at ``scale`` of every size, their memory limits scaled alike."""
    return {n: Workload(n, f"{w.what} (sizes x{scale:g})", int(w.memory_limit_bytes * scale),
                        mirror=w.program, scale=scale, tags=w.tags)
            for n, w in WORKLOADS.items() if n != "seed1g"}


HELDOUT: dict[str, Workload] = heldout_table(HELDOUT_SCALE)

#: setting name -> environment (``LIMIT`` is replaced by the workload's memory limit)
SETTINGS: dict[str, dict[str, str]] = {
    "base": {"GOGC": "100"},
    "gogc50": {"GOGC": "50"},
    "gogc200": {"GOGC": "200"},
    "limit": {"GOGC": "100", "GOMEMLIMIT": "LIMIT"},
    "offlimit": {"GOGC": "off", "GOMEMLIMIT": "LIMIT"},
}


def setting_env(workload: Workload, setting: str) -> dict[str, str]:
    if setting not in SETTINGS:
        raise UsageError(f"unknown setting {setting!r}: expected one of {', '.join(SETTINGS)}")
    return {k: (str(workload.memory_limit_bytes) if v == "LIMIT" else v) for k, v in SETTINGS[setting].items()}


def settings_meta(env: dict[str, str]) -> dict:
    """The settings in the Timeline ``meta["settings"]`` form (DEVELOPERS.md)."""
    gogc = env.get("GOGC", "100")
    return {"gogc": None if gogc == "off" else int(gogc),
            "memory_limit_bytes": int(env["GOMEMLIMIT"]) if "GOMEMLIMIT" in env else None,
            "gomaxprocs": int(env.get("GOMAXPROCS", GOMAXPROCS)), "godebug": env.get("GODEBUG", "")}


def go_dir_name(minor: str) -> str:
    return "go" + minor.removeprefix("go")


def build_program(minor: str, bindir: Path, tags: Iterable[str] = ()) -> Path:
    """Build ``gosrc`` with Go ``minor`` (and ``-tags``); returns the binary."""
    go = toolchains.require_go(minor)
    tags = sorted(tags)
    out = Path(bindir) / ("-".join([f"validation-go{minor}", *tags]))
    if not tags:
        return toolchains.build(go, GOSRC, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([str(go), "build", "-tags", ",".join(tags), "-o", str(out), "."], cwd=GOSRC,
                       env=toolchains.go_env(go), capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolchainError(f"go build -tags {','.join(tags)} in {GOSRC} failed:\n{r.stderr}")
    return out


def go_full_version(minor: str) -> str:
    go = toolchains.require_go(minor)
    r = subprocess.run([str(go), "env", "GOVERSION"], capture_output=True, text=True, env=toolchains.go_env(go))
    return r.stdout.strip() or f"go{minor}"


def _minor_of(version: str) -> str:
    """``go1.27.3`` -> ``1.27`` (the Timeline's meta["go_version"] form)."""
    return ".".join(version.removeprefix("go").split(".")[:2])


def _statm_rss(pid: int, page: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * page
    except (OSError, ValueError, IndexError):
        return None


def _thin(samples: list[tuple[float, int]], min_step: int = MiB, max_gap_s: float = 0.1) -> list[tuple[float, int]]:
    """Keep a sample when RSS moved by >= min_step since the last kept one or max_gap_s passed;
    always keep the first, the last and the peak."""
    if not samples:
        return []
    peak = max(range(len(samples)), key=lambda i: samples[i][1])
    kept = [samples[0]]
    for i, (t, r) in enumerate(samples[1:], 1):
        lt, lr = kept[-1]
        if i == peak or i == len(samples) - 1 or abs(r - lr) >= min_step or t - lt >= max_gap_s:
            kept.append((t, r))
    return kept


def run_one(binary: Path, workload: Workload, setting: str, outdir: Path, *, go_version: str = "",
            extra_argv: Iterable[str] = (), interval_s: float = 0.005, timeout_s: float = 120.0) -> dict:
    """Run one workload under one setting and write its run directory. Returns the summary."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"))}
    env.update(GODEBUG="gctrace=1", GOMAXPROCS=str(GOMAXPROCS))
    env.update(setting_env(workload, setting))
    argv = [str(binary), *workload.argv(), *extra_argv]
    page = os.sysconf("SC_PAGE_SIZE")
    samples: list[tuple[float, int]] = []
    with open(outdir / "gctrace.log", "wb") as err, open(outdir / "memstats.jsonl", "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        status, ru = 0, None
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            now = time.monotonic() - t0
            if now > timeout_s:
                p.kill()
            r = _statm_rss(p.pid, page)
            if r:  # None: gone; 0: a zombie not yet reaped
                samples.append((now, r))
            time.sleep(interval_s)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
    kept = _thin(samples)
    with open(outdir / "rss.csv", "w") as f:
        f.write("t,rss_bytes\n")
        for t, r in kept:
            f.write(f"{t:.4f},{r}\n")
    ms = [json.loads(l) for l in (outdir / "memstats.jsonl").read_text().splitlines() if l.startswith("{")]
    last = ms[-1] if ms else {}
    summary = {
        "workload": workload.name, "program": workload.program, "what": workload.what,
        "setting": setting, "go_version": _minor_of(go_version), "go_full_version": go_version,
        "argv": [binary.name, *argv[1:]],
        "build_tags": list(workload.tags),
        "env": {k: env[k] for k in ("GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS") if k in env},
        "settings": settings_meta(env), "memory_limit_bytes": settings_meta(env)["memory_limit_bytes"],
        "exit": p.returncode, "wall_s": round(wall, 3),
        "peak_rss_sampled": max((r for _, r in samples), default=0),
        # ru_maxrss of the child (KiB): the kernel's exact high-water mark
        "peak_rss_hwm": (ru.ru_maxrss * 1024) if ru is not None else None,
        "peak_heap_sys": max((m["heap_sys"] for m in ms), default=0),
        "peak_heap_retained": max((m["heap_sys"] - m["heap_released"] for m in ms), default=0),
        "peak_heap_alloc": max((m["heap_alloc"] for m in ms), default=0),
        "peak_sys_retained": max((m["sys"] - m["heap_released"] for m in ms), default=0),
        "peak_stack_inuse": max((m["stack_inuse"] for m in ms), default=0),
        "final_heap_released": last.get("heap_released"),
        "final_rss_sampled": samples[-1][1] if samples else 0,
        "num_gc": last.get("num_gc"),
        "num_forced_gc": last.get("num_forced_gc"),
        "gc_cpu_fraction": last.get("gc_cpu_fraction"),
        "rss_samples": len(samples), "rss_rows_kept": len(kept),
    }
    (outdir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def record(out: Path, gos: Iterable[str], workloads: Iterable[str] | None = None,
           settings: Iterable[str] | None = None, *, bindir: Path | None = None,
           progress: Callable[[dict], None] | None = None, table: dict[str, Workload] | None = None) -> list[dict]:
    """Record every (Go, workload, setting) into ``out``; one run at a time. ``table`` is
    :data:`WORKLOADS` (default) or :data:`HELDOUT`."""
    import tempfile

    out = Path(out)
    table = WORKLOADS if table is None else table
    names = list(workloads) if workloads else [w for w in table if w != "seed1g"]
    for n in names:
        if n not in table:
            raise UsageError(f"unknown workload {n!r}: expected one of {', '.join(table)}")
    bindir = Path(bindir or tempfile.mkdtemp(prefix="gomem-validation-"))
    done = []
    for minor in gos:
        minor = minor.removeprefix("go")
        binaries: dict[tuple[str, ...], Path] = {}
        full = go_full_version(minor)
        for n in names:
            wl = table[n]
            if wl.tags not in binaries:
                binaries[wl.tags] = build_program(minor, bindir, wl.tags)
            binary = binaries[wl.tags]
            for s in (list(settings) if settings else list(wl.settings)):
                if s not in wl.settings:
                    continue
                sm = run_one(binary, wl, s, out / go_dir_name(minor) / n / s, go_version=full)
                done.append(sm)
                if progress:
                    progress(sm)
    return done


def write_index(corpus: Path) -> Path:
    """``corpus/INDEX.md``: one row per recorded run with its measured figures (MiB)."""
    corpus = Path(corpus)
    lines = ["# Index of the recorded runs", "",
             "Generated from each run's summary.json by `python -m gomem.validation.record --out corpus --index`.",
             "MiB; Retained = HeapSys-HeapReleased; RSS = the kernel's high-water mark.", "",
             "| go | workload | setting | GOGC | GOMEMLIMIT | peak HeapSys | peak Retained | peak RSS | NumGC | forced | final HeapReleased | wall s |",
             "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    order = {s: i for i, s in enumerate(SETTINGS)}
    paths = sorted(corpus.glob("go1.*/*/*/summary.json"),
                   key=lambda p: (p.parts[-4], p.parts[-3], order.get(p.parts[-2], 99)))
    for sp in paths:
        sm = json.loads(sp.read_text())
        env = sm.get("env", {})
        lim = env.get("GOMEMLIMIT")
        mib = lambda v: "-" if v is None else f"{v / MiB:.0f}"
        lines.append(f"| {sm.get('go_version', sp.parts[-4][2:])} | {sm['workload']} | {sm['setting']} | "
                     f"{env.get('GOGC', '100')} | {mib(int(lim)) + ' MiB' if lim else '-'} | "
                     f"{mib(sm['peak_heap_sys'])} | {mib(sm['peak_heap_retained'])} | "
                     f"{mib(sm.get('peak_rss_hwm') or sm.get('peak_rss_sampled'))} | {sm['num_gc']} | "
                     f"{sm.get('num_forced_gc', '-')} | {mib(sm.get('final_heap_released'))} | {sm['wall_s']:.1f} |")
    out = corpus / "INDEX.md"
    out.write_text("\n".join(lines) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m gomem.validation.record", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(toolchains.REPO_ROOT / "corpus"))
    ap.add_argument("--go", default="1.27,1.21,1.19")
    ap.add_argument("--workload", default="", help="comma-separated (default: all but seed1g)")
    ap.add_argument("--setting", default="", help="comma-separated (default: all five)")
    ap.add_argument("--heldout", action="store_true", help=f"record the held-out variants (sizes x{HELDOUT_SCALE:g})")
    ap.add_argument("--scale", type=float, help="with --heldout: this scale instead (corpus/heldout-x1.5: 1.5)")
    ap.add_argument("--index", action="store_true", help="only (re)write OUT/INDEX.md from the recorded summaries")
    a = ap.parse_args(argv)
    if a.index:
        print(write_index(Path(a.out)))
        return 0

    def show(sm: dict) -> None:
        print(f"{sm['go_full_version']:>10} {sm['workload']:>10} {sm['setting']:>8} exit={sm['exit']} "
              f"wall={sm['wall_s']:.1f}s heap_sys={sm['peak_heap_sys'] / MiB:.0f}MiB "
              f"retained={sm['peak_heap_retained'] / MiB:.0f}MiB rss={sm['peak_rss_hwm'] / MiB:.0f}MiB "
              f"num_gc={sm['num_gc']}", flush=True)

    record(Path(a.out), [g for g in a.go.split(",") if g], [w for w in a.workload.split(",") if w] or None,
           [s for s in a.setting.split(",") if s] or None, progress=show,
           table=(heldout_table(a.scale) if a.scale else HELDOUT) if a.heldout else None)
    write_index(Path(a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
