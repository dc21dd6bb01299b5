#!/usr/bin/env python3
"""Accuracy of `gomem whatif` against real Go runs.

For every workload × Go version of the corpora (the project's corpus/ and ../shared/corpus/),
take the base recording (GOGC=100), predict the other settings (gogc50, gogc200, limit,
offlimit; the limits are the recorded runs' own GOMEMLIMIT) and compare with the real runs:

- peak memory: the peak of Sys − HeapReleased (MemStats every 50 ms), what GOMEMLIMIT limits;
- NumGC.

Also the identity replay (base → base). Goals: peak within 10% for ≥ 90% of the cases, NumGC
within 25%, identity within 3%. Beside it, the plain formula: max live × (1 + GOGC/100), capped
at the limit (the limit itself under GOGC=off).

    .venv/bin/python benchmarks/bench_accuracy.py [--corpus DIR ...] [--go 1.27] [--workload seed]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from gomem.traces import read  # noqa: E402
from gomem.tuning.whatif import Settings, predict, prepare  # noqa: E402

MiB = 1 << 20
TARGETS = ("gogc50", "gogc200", "limit", "offlimit")

#: why the known misses miss (from reading the runs' gctrace side by side with the replays)
WHY = {
    "batch": "A sawtooth's peak depends on where the GC cycles fall against the build/drop phases, which moves "
             "from run to run (corpus/repeat: the base run recorded twice differs by -47% / +14% in peak and "
             "+44% / -45% in NumGC; two real GOGC=200 runs on Go 1.27 peaked at 991 and 1077 MiB; the project's "
             "1.21 base run marked 562 MiB live, two batches at once, where the others mark 314 — the only one of "
             "the 39 batch runs in corpus/ to do so, after the program had set the old batch to nil — so every "
             "prediction from it is 50-80% high). Through each build the cycles form a doubling ladder whose "
             "phase is set by where the first rung fell, and the model's build loop is slower than the Go 1.21 and "
             "1.27 runs' (512 B objects at ~1.1 vs ~1.9 GB/s; refitting the loop to them made the predictions "
             "worse, api.py _build_rate), so the replay's ladder can end a rung off. Under "
             "GOGC=50 or a limit the real runs collect between batches with nothing live (goal 2-4 MiB, a cycle "
             "every 3 MB of garbage: 56-71 cycles) where the base recording never saw that state: the replay "
             "drops the old batch before a late build spurt, but not always when the real run did.",
    "spike": "Through the spike the cycles form a doubling ladder (each marks everything, the next goal is twice "
             "that) whose last rung sets the peak; the shared corpus' spike builds 1.5 GiB of 1 MiB objects in "
             "~70 ms (20 GB/s, a third of it written), which the model's build loop does not reach, so the replay's "
             "ladder ends a rung lower (shared 1.21: real 1060->1195 MiB last rung, the replay 908->961) and its "
             "peak 17% low. (Making each chunk at once instead fixes the spike's identity to within 6%, but costs "
             "the growing heaps.) When the spike dies is invisible in the base recording if no GC ran after it: "
             "the replay lets it go halfway through the time after the last cycle (the real programs after "
             "0.5-1 s of it; analysis.unobserved_tail, whatif says so). Real GOGC=50 runs of it land on both sides "
             "of the prediction, and Go 1.19's PI-controlled trigger sits at one bound in some runs and swings "
             "between the two in others (the project's 1.19 seed runs under a limit swing; the shared corpus' 1.19 "
             "spike GOGC=50 run sat at the upper bound, 58 cycles, where the replay swings: 37).",
    "seed": "Go 1.19 grew HeapSys to 5 GiB for two live 1 GiB objects, and one Go 1.21 GOGC=50 run reached 4 GiB "
            "with a free 1 GiB region in the heap: the program's small allocations (its MemStats sampler) take "
            "their spans from the lowest free pages (first fit, mpagealloc.go), which can be the start of a freed "
            "1 GiB object, and the next 1 GiB object no longer fits there (seen with a 30-line Go 1.27 program: "
            "a goroutine allocating 4-8 KiB every 10 ms got spans at a freed object's base, and the next 1 GiB "
            "object went 24 KiB above it). The replay makes no such small allocations. Go 1.19 "
            "under a limit: its PI-controlled cons/mark swings from sign to sign after each cycle (a negative "
            "runway wraps around, mgcpacer.go commit), which keeps the trigger at its lower bound (768 MB) until "
            "the swing dies down; both real runs skipped one cycle then (1024 MB at 4.8 s), the replay's "
            "swing was still 3% above the threshold when it ended.",
    "goroutines": "NumGC is set by how long the phase after the goroutines exit lasts (a cycle every 20-40 ms "
                  "with 9 MiB live), and that moves between real runs (the same program: exit at 4.1 s with "
                  "GOGC=100, 3.4 s with GOGC=50; corpus/repeat: NumGC +27% / -33%; the stacks show the exit only "
                  "at the next cycle, which frees them, so the replay puts it halfway since the cycle before). Under GOGC=200 the real runs "
                  "start a cycle as the goroutines exit (their 241 MiB of stacks widen the runway, mgcpacer.go), "
                  "which the replay's first cycles, while the goroutines are still being started, can miss or "
                  "add. The peak is within 9%.",
    "globals": "64 MiB of scanned globals: the trigger sits far below the goal (a long runway), and the model's "
               "runway differs by a few percent of the heap. The real Go 1.21 GOGC=200 run's 4th cycle marked 95 "
               "MiB where its others mark 55-59 (its repeat in corpus/repeat: 52-58), which raised its goal and "
               "its peak 13% above the prediction. Non-heap memory too: the real runs' Sys - HeapSys "
               "is 2-3 MiB above the model's (10.7-18.9 MiB vs 7.7-16.9 MiB; the other workloads' within 1-2 "
               "MiB), which the model's runtime metadata does not account for.",
    "grow": "A growing live heap at GOGC=200: few cycles, and the last one's position sets the peak; the replay "
            "interpolates the live heap between the base run's cycles.",
    "steady": "Identity within 3-4%: non-heap memory (runtime metadata) differs by a few MiB.",
}


def measured(run_dir: Path) -> dict:
    s = json.loads((run_dir / "summary.json").read_text())
    peak = None
    ms = run_dir / "memstats.jsonl"
    if ms.exists():
        vals = []
        for line in ms.read_text().splitlines():
            if line.startswith("{"):
                m = json.loads(line)
                if "sys" in m and "heap_released" in m:
                    vals.append(m["sys"] - m["heap_released"])
        peak = max(vals) if vals else None
    settings = s.get("settings") or {}
    env = s.get("env") or {}
    gogc = settings.get("gogc", ...)
    if gogc is ...:
        g = env.get("GOGC")
        gogc = None if g == "off" else int(g) if g else 100
    lim = settings.get("memory_limit_bytes", ...)
    if lim is ...:
        lim = int(env["GOMEMLIMIT"]) if env.get("GOMEMLIMIT") else None
    return {"peak_memory_bytes": peak, "num_gc": s.get("num_gc"), "gogc": gogc, "memory_limit_bytes": lim,
            "gc_cpu_fraction": s.get("gc_cpu_fraction")}


def plain_formula(base_tl, base_meas: dict, gogc, lim) -> float:
    """The brief's baseline: max live × (1 + GOGC/100), capped at the limit (the limit under
    GOGC=off)."""
    from gomem.analysis import peak_figures

    live = peak_figures(base_tl)["max_live_bytes"]
    est = math.inf if gogc is None else live * (1 + gogc / 100)
    if lim is not None:
        est = min(est, lim)
    return est


def err(p, m) -> float:
    if p is None or m is None or not math.isfinite(p) or m == 0:
        return math.nan
    return (p - m) / m


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append",
                    help="corpus roots (default: corpus/, its heldout*/ and ../shared/corpus)")
    ap.add_argument("--go", action="append", help="only these Go versions (1.27 ...)")
    ap.add_argument("--workload", action="append", help="only these workloads")
    a = ap.parse_args()
    roots = [Path(p) for p in a.corpus] if a.corpus else \
        [REPO / "corpus", *sorted((REPO / "corpus").glob("heldout*")), REPO.parent / "shared" / "corpus"]
    con = Console(highlight=False, width=160)
    rows = []
    t0 = time.monotonic()
    for root in roots:
        if not root.is_dir():
            continue
        label = "project" if root.resolve() == (REPO / "corpus").resolve() else \
            root.name if root.name.startswith("heldout") else "shared"
        for gdir in sorted(root.glob("go1.*")):
            gv = gdir.name.removeprefix("go")
            if a.go and gv not in a.go:
                continue
            for wdir in sorted(p for p in gdir.iterdir() if p.is_dir()):
                if a.workload and wdir.name not in a.workload:
                    continue
                base = wdir / "base"
                if not (base / "summary.json").exists():
                    continue
                try:
                    tl = read([str(base)])
                    wl, ident, _ = prepare(tl)
                except Exception as e:  # report and go on: one bad recording must not hide the rest
                    con.print(f"[red]{label} go{gv} {wdir.name}: {type(e).__name__}: {e}[/red]")
                    continue
                bm = measured(base)
                rows.append({"corpus": label, "go": gv, "workload": wdir.name, "setting": "base (identity)",
                             "pred_peak": ident["peak_memory_bytes"], "real_peak": bm["peak_memory_bytes"],
                             "pred_gc": ident["num_gc"], "real_gc": bm["num_gc"],
                             "plain": plain_formula(tl, bm, 100, None), "identity": True})
                for target in TARGETS:
                    d = wdir / target
                    if not (d / "summary.json").exists():
                        continue
                    m = measured(d)
                    s = Settings(gogc=m["gogc"], memory_limit_bytes=m["memory_limit_bytes"])
                    try:
                        p = predict(tl, s, workload=wl, identity=ident)
                    except Exception as e:
                        con.print(f"[red]{label} go{gv} {wdir.name} {target}: {type(e).__name__}: {e}[/red]")
                        continue
                    rows.append({"corpus": label, "go": gv, "workload": wdir.name, "setting": target,
                                 "pred_peak": p.figures["peak_memory_bytes"], "real_peak": m["peak_memory_bytes"],
                                 "pred_gc": p.figures["num_gc"], "real_gc": m["num_gc"],
                                 "plain": plain_formula(tl, bm, m["gogc"], m["memory_limit_bytes"]),
                                 "pred_cpu": p.figures["gc_cpu_fraction"], "real_cpu": m["gc_cpu_fraction"],
                                 "raw_cpu": p.model["gc_cpu_fraction"],
                                 "cal_gc": p.figures["num_gc"] * bm["num_gc"] / ident["num_gc"] if ident["num_gc"] else math.nan,
                                 "cal": p.figures["peak_memory_bytes"] * bm["peak_memory_bytes"] / ident["peak_memory_bytes"],
                                 "faithful": p.fidelity["faithful"], "identity": False})
    t = Table(title="gomem whatif vs real Go runs (peak = max of Sys − HeapReleased)", show_edge=False)
    for c, j in (("corpus", "l"), ("go", "l"), ("workload", "l"), ("setting", "l"), ("real MiB", "r"),
                 ("pred MiB", "r"), ("err", "r"), ("plain MiB", "r"), ("plain err", "r"), ("real GCs", "r"),
                 ("pred GCs", "r"), ("GC err", "r")):
        t.add_column(c, justify={"l": "left", "r": "right"}[j])

    def f(x):
        return "-" if x is None or not math.isfinite(x) else f"{x / MiB:.0f}"

    def pc(x, lim):
        if not math.isfinite(x):
            return "-"
        s = f"{100 * x:+.1f}%"
        return s if abs(x) <= lim else f"[red]{s}[/red]"

    for r in rows:
        r["err"] = err(r["pred_peak"], r["real_peak"])
        r["plain_err"] = err(r["plain"], r["real_peak"])
        r["cal_err"] = err(r.get("cal", r["real_peak"]), r["real_peak"])
        r["cpu_err"] = err(r.get("pred_cpu"), r.get("real_cpu"))
        r["raw_cpu_err"] = err(r.get("raw_cpu"), r.get("real_cpu"))
        r["cal_gc_err"] = err(r.get("cal_gc", r["real_gc"]), r["real_gc"])
        r["gc_err"] = err(r["pred_gc"], r["real_gc"])
        lim = 0.03 if r["identity"] else 0.10
        t.add_row(r["corpus"], r["go"], r["workload"], r["setting"], f(r["real_peak"]), f(r["pred_peak"]),
                  pc(r["err"], lim), f(r["plain"]), pc(r["plain_err"], 0.10), str(r["real_gc"]),
                  f"{r['pred_gc']:.0f}" if r["pred_gc"] is not None and math.isfinite(r["pred_gc"]) else "-",
                  pc(r["gc_err"], 0.25))
    con.print(t)

    def share(sel, key, lim):
        v = [abs(r[key]) <= lim for r in sel if math.isfinite(r[key])]
        return (sum(v), len(v))

    groups = ["project"] + sorted({r["corpus"] for r in rows if r["corpus"].startswith("heldout")}) + ["shared", "all"]
    summary = Table(title="summary", show_edge=False)
    for c in ("cases", "goal", "gomem", "plain formula"):
        summary.add_column(c)
    for corp in groups:
        sel = [r for r in rows if corp == "all" or r["corpus"] == corp]
        if not sel:
            continue
        pred = [r for r in sel if not r["identity"]]
        ide = [r for r in sel if r["identity"]]
        for name, goal, key, lim, group in (("peak within 10%", "≥ 90%", "err", 0.10, pred),
                                            ("(calibrated on identity) peak within 10%", "", "cal_err", 0.10, pred),
                                            ("NumGC within 25%", "", "gc_err", 0.25, pred),
                                            ("(NumGC calibrated on identity) within 25%", "", "cal_gc_err", 0.25, pred),
                                            ("GC CPU fraction within 50% (where recorded)", "", "cpu_err", 0.5, pred),
                                            ("(the model's own GC CPU) within 50%", "", "raw_cpu_err", 0.5, pred),
                                            ("identity peak within 3%", "all", "err", 0.03, ide)):
            k, n = share(group, key, lim)
            if n == 0:
                continue
            pk, pn = share(group, "plain_err", lim) if key == "err" else (0, 0)
            summary.add_row(f"{corp}: {name}", goal, f"{k}/{n} = {100 * k / max(n, 1):.0f}%",
                            f"{pk}/{pn} = {100 * pk / max(pn, 1):.0f}%" if pn else "-")
    con.print(summary)
    # whatif says when its replay under the recorded settings is off the recording: are the
    # predictions it does not flag the better ones?
    pred_all = [r for r in rows if not r["identity"]]
    for flag, label in ((True, "not flagged (replay within 10% / 25% of the recording)"),
                        (False, "flagged by whatif as not reconstructed faithfully")):
        sel = [r for r in pred_all if r.get("faithful") is flag]
        if sel:
            k, n = share(sel, "err", 0.10)
            kg, ng = share(sel, "gc_err", 0.25)
            con.print(f"predictions {label}: peak within 10% {k}/{n} = {100 * k / max(n, 1):.0f}%, "
                      f"NumGC within 25% {kg}/{ng} = {100 * kg / max(ng, 1):.0f}%")
    # the shares above jump a case at a time across a threshold; the mean errors show the trend
    mt = Table(title="mean |error| (NumGC capped at 100%)", show_edge=False)
    for c in ("cases", "peak", "NumGC", "identity peak", "identity NumGC"):
        mt.add_column(c)

    def mean_abs(sel, key, cap=math.inf):
        v = [min(abs(r[key]), cap) for r in sel if math.isfinite(r[key])]
        return f"{100 * sum(v) / len(v):.1f}%" if v else "-"

    for corp in groups:
        sel = [r for r in rows if corp == "all" or r["corpus"] == corp]
        if sel:
            pred = [r for r in sel if not r["identity"]]
            ide = [r for r in sel if r["identity"]]
            mt.add_row(corp, mean_abs(pred, "err"), mean_abs(pred, "gc_err", 1.0), mean_abs(ide, "err"),
                       mean_abs(ide, "gc_err", 1.0))
    con.print(mt)
    # the floor under any prediction: the same program and settings, run twice
    rep_root = REPO / "corpus" / "repeat"
    reps = []
    if rep_root.is_dir():
        for d in sorted(rep_root.glob("go1.*/*/base")):
            first = REPO / "corpus" / d.relative_to(rep_root)
            if (d / "summary.json").exists() and (first / "summary.json").exists():
                a, b = measured(first), measured(d)
                reps.append((d.parts[-3], d.parts[-2], err(b["peak_memory_bytes"], a["peak_memory_bytes"]),
                             err(b["num_gc"], a["num_gc"])))
    if reps:
        rt = Table(title="run to run: the base run recorded twice (corpus/repeat)", show_edge=False)
        for c in ("go", "workload", "peak: 2nd vs 1st", "NumGC: 2nd vs 1st"):
            rt.add_column(c)
        for g, w, pe, ge in reps:
            rt.add_row(g.removeprefix("go"), w, f"{100 * pe:+.1f}%", f"{100 * ge:+.1f}%")
        con.print(rt)
        n = len(reps)
        con.print(f"two real runs: peak within 3% in {sum(abs(x[2]) <= 0.03 for x in reps)}/{n}, within 10% in "
                  f"{sum(abs(x[2]) <= 0.10 for x in reps)}/{n}; NumGC within 25% in "
                  f"{sum(abs(x[3]) <= 0.25 for x in reps)}/{n}")
    # the prediction cases whose real run was recorded twice (corpus/repeat holds every setting
    # for some versions): how far two real runs are apart, and the prediction from either
    by_key = {(r["go"], r["workload"], r["setting"]): r for r in rows if r["corpus"] == "project" and not r["identity"]}
    twice = []
    if rep_root.is_dir():
        for d in sorted(rep_root.glob("go1.*/*/*")):
            key = (d.parts[-3].removeprefix("go"), d.parts[-2], d.parts[-1])
            if key in by_key and (d / "summary.json").exists():
                twice.append((by_key[key], measured(d)))
    if twice:
        tt = Table(title="prediction cases recorded twice (corpus/repeat): the second real run beside the first",
                   show_edge=False)
        for c in ("go", "workload", "setting", "real MiB", "2nd MiB", "pred MiB", "real GCs", "2nd GCs", "pred GCs"):
            tt.add_column(c)
        for r, m2 in twice:
            tt.add_row(r["go"], r["workload"], r["setting"], f(r["real_peak"]), f(m2["peak_memory_bytes"]),
                       f(r["pred_peak"]), str(r["real_gc"]), str(m2["num_gc"]), f"{r['pred_gc']:.0f}")
        con.print(tt)
        n = len(twice)

        def within(a, b, lim):
            e = err(a, b)
            return math.isfinite(e) and abs(e) <= lim

        rr_p = sum(within(m2["peak_memory_bytes"], r["real_peak"], 0.10) for r, m2 in twice)
        rr_g = sum(within(m2["num_gc"], r["real_gc"], 0.25) for r, m2 in twice)
        pr_p = sum(within(r["pred_peak"], r["real_peak"], 0.10) for r, _ in twice)
        pr_g = sum(within(r["pred_gc"], r["real_gc"], 0.25) for r, _ in twice)
        either_g = sum(within(r["pred_gc"], r["real_gc"], 0.25) or within(r["pred_gc"], m2["num_gc"], 0.25)
                       for r, m2 in twice)
        steady = [(r, m2) for r, m2 in twice if within(m2["num_gc"], r["real_gc"], 0.25)]
        st_g = sum(within(r["pred_gc"], r["real_gc"], 0.25) for r, _ in steady)
        con.print(f"on these {n} cases: the 2nd real run is within 10% of the 1st's peak in {rr_p}/{n} and within 25% "
                  f"of its NumGC in {rr_g}/{n}; the prediction: peak {pr_p}/{n}, NumGC {pr_g}/{n} (within 25% of "
                  f"either real run: {either_g}/{n}; NumGC where the two real runs agree within 25%: "
                  f"{st_g}/{len(steady)})")
        # GC CPU: GCCPUFraction counts the wall time of the mark workers (mgc.go, mstats.go
        # cpuStats), so a worker the OS preempts during one mark (a 65 ms mark among 0.2-4 ms
        # ones) moves a run's figure several-fold
        cpu = [(r, m2) for r, m2 in twice if r.get("real_cpu") and m2.get("gc_cpu_fraction")]
        rr_c = sum(within(m2["gc_cpu_fraction"], r["real_cpu"], 0.5) for r, m2 in cpu)
        pr_c = sum(within(r["pred_cpu"], r["real_cpu"], 0.5) for r, _ in cpu)
        con.print(f"GC CPU fraction within 50% on those of them that report it: the 2nd real run {rr_c}/{len(cpu)}, "
                  f"the prediction {pr_c}/{len(cpu)}")
    # the same predictions made from the second recording of the base run (corpus/repeat), against
    # the same real runs: how much the choice of recording moves them
    second = []
    if rep_root.is_dir():
        for b in sorted(rep_root.glob("go1.*/*/base")):
            first = REPO / "corpus" / b.relative_to(rep_root)
            if not (b / "summary.json").exists() or not first.parent.is_dir():
                continue
            try:
                tl2 = read([str(b)])
                wl2, ident2, _ = prepare(tl2)
            except Exception as e:
                con.print(f"[red]repeat {b}: {type(e).__name__}: {e}[/red]")
                continue
            for target in TARGETS:
                d = first.parent / target
                if not (d / "summary.json").exists():
                    continue
                m = measured(d)
                p2 = predict(tl2, Settings(gogc=m["gogc"], memory_limit_bytes=m["memory_limit_bytes"]),
                             workload=wl2, identity=ident2)
                r1 = by_key.get((b.parts[-3].removeprefix("go"), b.parts[-2], target))
                second.append((b.parts[-3].removeprefix("go"), b.parts[-2], target,
                               err(p2.figures["peak_memory_bytes"], m["peak_memory_bytes"]),
                               err(p2.figures["num_gc"], m["num_gc"]), r1))
    if second:
        n = len(second)
        ok_p = sum(math.isfinite(x[3]) and abs(x[3]) <= 0.10 for x in second)
        ok_g = sum(math.isfinite(x[4]) and abs(x[4]) <= 0.25 for x in second)
        ok_p1 = sum(x[5] is not None and math.isfinite(x[5]["err"]) and abs(x[5]["err"]) <= 0.10 for x in second)
        ok_g1 = sum(x[5] is not None and math.isfinite(x[5]["gc_err"]) and abs(x[5]["gc_err"]) <= 0.25
                    for x in second)
        con.print(f"predicted from the second recording of the base run (corpus/repeat), the same {n} cases: peak "
                  f"within 10% in {ok_p}/{n} (from the first recording: {ok_p1}/{n}), NumGC within 25% in "
                  f"{ok_g}/{n} (first: {ok_g1}/{n})")
        off = [f"{g} {w} {t} {100 * pe:+.0f}%" for g, w, t, pe, _, _ in second if math.isfinite(pe) and abs(pe) > 0.10]
        if off:
            con.print("  peak off by more than 10% from the second recording: " + "; ".join(off))
    misses: dict[str, list[str]] = {}
    for r in rows:
        lim = 0.03 if r["identity"] else 0.10
        if math.isfinite(r["err"]) and abs(r["err"]) > lim:
            misses.setdefault(r["workload"], []).append(f"{r['corpus']} {r['go']} {r['setting']} {100 * r['err']:+.0f}%")
    if misses:
        con.print("\n[bold]Where it misses, and why[/bold] (peak off by more than 10%, identity by more than 3%)")
        for w, items in sorted(misses.items()):
            con.print(f"- [bold]{w}[/bold] ({len(items)}): {'; '.join(items)}")
            if w in WHY:
                con.print(f"  {WHY[w]}")
    con.print(f"{len(rows)} comparisons in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
