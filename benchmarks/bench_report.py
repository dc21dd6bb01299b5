#!/usr/bin/env python3
"""How fast reports and the dashboard are on long recordings.

    .venv/bin/python benchmarks/bench_report.py [--hours H] [--no-browser]

A made-up recording of H hours (default 1): RSS at 50 Hz, MemStats at 1 Hz, a GC every 2 s.
Prints one table: building the chart payload, the HTML report (and its size), the PNG, the
dashboard's page and verdict refresh, and (with chromium) the time until the report's charts
are drawn in headless chromium."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gomem.report import payload, render_html, render_png
from gomem.timeline import Table, Timeline
from gomem.units import MiB
from gomem.web import Recording, serve


def recording(hours: float) -> Timeline:
    dur = hours * 3600
    rng = np.random.default_rng(7)
    t_rss = np.arange(0, dur, 0.02)
    t_ms = np.arange(0, dur, 1.0)
    t_gc = np.arange(0.5, dur, 2.0)
    live = 200 * MiB + (np.sin(t_gc / 600) * 50 * MiB).astype(np.int64)
    gc = {"t_s": t_gc, "num": np.arange(1, len(t_gc) + 1), "heap_start_bytes": 2 * live, "heap_end_bytes": 2 * live,
          "heap_live_bytes": live, "heap_goal_bytes": 2 * live, "gc_cpu_percent": np.full(len(t_gc), 3.0),
          "clock_mark_ms": np.full(len(t_gc), 4.0), "process": np.zeros(len(t_gc), dtype=np.int64)}
    ms = {"t_s": t_ms, "heap_sys_bytes": np.full(len(t_ms), 520 * MiB),
          "heap_released_bytes": rng.integers(0, 50 * MiB, len(t_ms)),
          "heap_alloc_bytes": rng.integers(200 * MiB, 500 * MiB, len(t_ms)),
          "gc_cpu_fraction": np.full(len(t_ms), 0.03), "process": np.zeros(len(t_ms), dtype=np.int64)}
    rss = {"t_s": t_rss, "rss_bytes": 480 * MiB + rng.integers(0, 40 * MiB, len(t_rss)),
           "process": np.zeros(len(t_rss), dtype=np.int64)}
    tables = {k: Table(k, {n: np.asarray(c) for n, c in cols.items()}) for k, cols in
              (("gc", gc), ("memstats", ms), ("rss", rss))}
    return Timeline(tables, {"source": "bench", "go_version": "1.27", "settings": {"gogc": 100}})


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args()
    tl = recording(a.hours)
    n = {k: len(tl[k]) for k in ("gc", "memstats", "rss")}
    rows = []
    _, dt = timed(lambda: payload([(tl, "bench")], explain=False))
    rows.append(("chart payload (no explain)", f"{dt:.2f} s", ""))
    _, dt = timed(lambda: payload([(tl, "bench")], explain=True))
    rows.append(("chart payload + explain", f"{dt:.2f} s", ""))
    html, dt = timed(lambda: render_html([(tl, "bench")]))
    rows.append(("HTML report", f"{dt:.2f} s", f"{len(html) / 2**20:.1f} MiB"))
    png, dt = timed(lambda: render_png([(tl, "bench")]))
    rows.append(("PNG", f"{dt:.2f} s", f"{len(png) / 2**10:.0f} KiB"))

    rec = Recording(tl.meta)
    rec.add(tl.records(), done=True)
    srv = serve(rec, label="bench")
    try:
        import urllib.request

        body, dt = timed(lambda: urllib.request.urlopen(srv.url, timeout=120).read())
        rows.append(("dashboard page (whole history inline)", f"{dt:.2f} s", f"{len(body) / 2**20:.1f} MiB"))
        _, dt = timed(srv.dashboard.update_panel)
        rows.append(("dashboard verdict/summary refresh", f"{dt:.2f} s", ""))
    finally:
        srv.close()

    if not a.no_browser and Path("/usr/bin/chromium").exists():
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory() as d, sync_playwright() as p:
            f = Path(d) / "r.html"
            f.write_text(html)
            b = p.chromium.launch(executable_path="/usr/bin/chromium",
                                  args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                        "--disable-component-update", "--disable-sync"])
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f.as_uri())
            page.wait_for_function("() => window.gomem && window.gomem.view && window.gomem.view.charts.memory",
                                   timeout=120_000)
            dt = time.perf_counter() - t0
            pts = page.evaluate("window.gomem.view.charts.memory.data[0].length")
            rows.append(("chromium: report open until charts drawn", f"{dt:.2f} s", f"{pts} x-values"))
            # the dashboard's page holds the whole history; every update redraws it
            rec = Recording(tl.meta)
            rec.add(tl.records(), done=True)
            srv = serve(rec, label="bench")
            try:
                t0 = time.perf_counter()
                page.goto(srv.url)
                page.wait_for_function("() => window.gomem && window.gomem.view && window.gomem.view.charts.memory",
                                       timeout=120_000)
                dt = time.perf_counter() - t0
                pts = page.evaluate("window.gomem.view.charts.memory.data[0].length")
                rows.append(("chromium: dashboard open until charts drawn", f"{dt:.2f} s", f"{pts} x-values"))
                ms = page.evaluate("() => { const t0 = performance.now(); window.gomem.view.refresh(); "
                                   "return performance.now() - t0; }")
                rows.append(("chromium: dashboard redraw after new samples", f"{ms / 1000:.2f} s", "whole history"))
            finally:
                srv.close()
            b.close()

    print(f"recording: {a.hours:g} h; rows: gc {n['gc']}, memstats {n['memstats']}, rss {n['rss']} "
          f"(the report draws at most 20000 per kind, min/max per bucket; the dashboard keeps all)")
    w = max(len(r[0]) for r in rows)
    print(f"{'what':{w}s}  {'time':>8s}  size")
    for name, t, size in rows:
        print(f"{name:{w}s}  {t:>8s}  {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
