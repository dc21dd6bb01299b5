"""Must show: a real Go program under `gomem run --dashboard` (and `gomem dashboard --run`),
its page open in headless chromium, and new points arriving while the program runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gomem.web.recording import Recording, RunDirTail

from test_report_browser import browser, counts_by_metric  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.realgo]

GOMEM = [sys.executable, "-m", "gomem.cli.main"]

# ~100 MiB live, grown 2 MiB every 100 ms for ~5 s, with garbage in between (touched, so RSS grows)
PROGRAM = r"""
package main

import (
	"fmt"
	"time"
)

var keep [][]byte

func main() {
	for i := 0; i < 50; i++ {
		b := make([]byte, 2<<20)
		for x := 0; x < len(b); x += 4096 {
			b[x] = 1
		}
		keep = append(keep, b)
		for j := 0; j < 16; j++ {
			g := make([]byte, 256<<10)
			g[0] = byte(j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Println("done", len(keep))
}
"""


class Gomem:
    """gomem in a subprocess; its stderr read in a thread (for the dashboard's URL)."""

    def __init__(self, args: list[str], cwd: Path):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.p = subprocess.Popen(GOMEM + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.err: list[str] = []
        self.url: str | None = None
        self.got_url = threading.Event()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self) -> None:
        for raw in self.p.stderr:
            line = raw.decode(errors="replace")
            self.err.append(line)
            m = re.search(r"dashboard at (http://\S+/)", line)
            if m and not self.url:
                self.url = m.group(1)
                self.got_url.set()

    def wait_url(self, timeout_s: float = 20) -> str:
        if not self.got_url.wait(timeout_s):
            self.p.kill()
            pytest.fail("no dashboard URL on stderr:\n" + "".join(self.err))
        return self.url

    def finish(self, timeout_s: float = 30) -> int:
        try:
            return self.p.wait(timeout_s)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            self.p.stdout.close()
            self.t.join(5)
            self.p.stderr.close()


def watch_points(page, running) -> list[int]:
    """RSS + GC points on the memory chart, sampled every 0.4 s while ``running()``."""
    seen = []
    while running() and len(seen) < 40:
        c = counts_by_metric(page)["memory"]
        seen.append(c.get((0, "rss"), 0) + c.get((0, "heap_live"), 0))
        page.wait_for_timeout(400)
    return seen


def final_counts(run_dir: Path) -> dict[str, int]:
    rec = Recording()
    RunDirTail(run_dir, rec).poll()
    return rec.counts()


def test_gomem_run_dashboard_shows_points_arriving(browser, build_go, tmp_path):  # noqa: F811
    prog = build_go(PROGRAM)
    out = tmp_path / "run"
    g = Gomem(["run", "--dashboard", "--quiet-gc", "--hz", "20", "--out", str(out), "--", str(prog)], tmp_path)
    url = g.wait_url()
    assert url.startswith("http://127.0.0.1:")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("() => window.gomem && window.gomem.view && window.gomem.updates > 0", timeout=10_000)
    assert page.locator("#live-status").inner_text() == "live"
    seen = watch_points(page, lambda: g.p.poll() is None)
    rc = g.finish()
    assert rc == 0, "".join(g.err)
    # when gomem run stops its dashboard, the open page gets the rest of the run and its end
    page.wait_for_function("() => window.gomem.ended === true", timeout=5_000)
    assert page.locator("#live-status").inner_text() == "run ended"
    page.screenshot(path=str(tmp_path / "live.png"), full_page=True)
    updates = page.evaluate("window.gomem.updates")
    c = counts_by_metric(page)["memory"]
    page.close()
    assert errors == []
    # the chart grew while the program ran: several distinct, increasing counts
    assert len(seen) >= 4, seen
    assert seen == sorted(seen) and len(set(seen)) >= 3, seen
    assert updates >= 3
    fc = final_counts(out)
    assert c[(0, "rss")] == fc["rss"] and c[(0, "heap_live")] == fc["gc"]


def test_gomem_dashboard_run_keeps_the_whole_run(browser, build_go, tmp_path):  # noqa: F811
    prog = build_go(PROGRAM)
    out = tmp_path / "run"
    g = Gomem(["dashboard", "--run", "--quiet-gc", "--gogc", "50", "--hz", "20", "--out", str(out), "--linger", "1", "--", str(prog)], tmp_path)
    url = g.wait_url()
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(url)
    page.wait_for_function("() => window.gomem && window.gomem.view && window.gomem.updates > 0", timeout=10_000)
    seen = watch_points(page, lambda: g.p.poll() is None and not page.evaluate("window.gomem.ended"))
    page.wait_for_function("() => window.gomem.ended === true", timeout=15_000)
    assert page.locator("#live-status").inner_text() == "run ended"
    c = counts_by_metric(page)["memory"]
    panel = page.locator("#panel").inner_text()
    page.screenshot(path=str(tmp_path / "ended.png"), full_page=True)
    page.close()
    assert g.finish() == 0, "".join(g.err)
    assert len(set(seen)) >= 3, seen
    # the page holds every sample of the run, not a window of it
    fc = final_counts(out)
    assert c[(0, "rss")] == fc["rss"] and fc["rss"] > 60
    assert c[(0, "heap_live")] == fc["gc"] and fc["gc"] >= 5
    assert "Summary" in panel and "peak RSS" in panel
    assert f"GC cycles\t{fc['gc']}" in panel  # the verdict and summary of the whole run
    assert "GOGC=50" in panel  # the settings it ran with
