"""The HTML report in a real browser: Debian's chromium, headless, driven by Playwright (no
browser download). The charts must exist, hold every recorded point and draw them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

from gomem.report import render_html

from test_report import SEED_RUN, read_corpus, small_timeline

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --full (it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_report(browser, path: Path):
    """Open a report file; returns (page, requests made, page errors)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("() => window.gomem && window.gomem.view && window.gomem.view.charts.memory")
    return page, requests, errors


def counts_by_metric(page) -> dict[str, dict[tuple[int, str], int]]:
    counts = page.evaluate("window.gomem.view.counts()")
    return {chart: {(s["run"], s["metric"]): s["points"] for s in series} for chart, series in counts.items()}


def series_values(page, chart: str, run: int, metric: str) -> list[float]:
    return page.evaluate(
        """([chart, run, metric]) => {
            const u = window.gomem.view.charts[chart];
            const i = u.series.findIndex(s => s.gomem && s.gomem.run === run && s.gomem.metric === metric);
            return u.data[i].filter(v => v != null);
        }""", [chart, run, metric])


def colour_pixels(png: Path, rgb: tuple[int, int, int], tol: int = 40) -> int:
    img = mpimg.imread(str(png))[..., :3]
    target = np.array(rgb) / 255.0
    return int((np.abs(img - target).max(axis=-1) < tol / 255.0).sum())


def test_report_charts_hold_every_recorded_point(browser, tmp_path):
    tl = small_timeline()
    report = tmp_path / "small.html"
    report.write_text(render_html([(tl, "small")], explain=False))
    page, requests, errors = open_report(browser, report)
    shot = tmp_path / "small.png"
    page.screenshot(path=str(shot), full_page=True)
    assert errors == []
    assert requests == [report.as_uri()]  # nothing fetched but the file itself
    assert page.locator("#chart-memory canvas").count() == 1
    assert page.locator("#chart-gccpu canvas").count() == 1
    c = counts_by_metric(page)
    n_gc, n_ms = len(tl["gc"]), len(tl["memstats"])
    n_rss = int(np.isfinite(tl["rss"]["t_s"]).sum())
    mem = c["memory"]
    assert mem[(0, "heap_live")] == n_gc and mem[(0, "heap_goal")] == n_gc and mem[(0, "gc")] == n_gc
    assert mem[(0, "heap")] == 2 * n_gc  # the sawtooth: at GC start and marked
    for m in ("heap_alloc", "heap_sys", "held", "released"):
        assert mem[(0, m)] == n_ms
    assert mem[(0, "rss")] == n_rss
    assert mem[(0, "memory_limit")] == 2 and mem[(0, "container_limit")] == 2
    assert c["gccpu"] == {(0, "gc_cpu_percent"): n_gc, (0, "gc_cpu_fraction"): n_ms}
    # the values themselves, in order
    rss = tl["rss"]
    timed = np.isfinite(rss["t_s"])
    assert series_values(page, "memory", 0, "rss") == rss["rss_bytes"][timed].tolist()
    assert series_values(page, "memory", 0, "heap_live") == tl["gc"]["heap_live_bytes"].tolist()
    # hovering shows the values under the cursor in the legend, in bytes
    box = page.locator("#chart-memory .u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    values = page.locator("#chart-memory .u-legend .u-value").all_inner_texts()
    assert any(v.endswith(" MiB") for v in values) and any(v.endswith(" s") for v in values)
    # and they are drawn: the screenshot has RSS-red and HeapSys-orange lines
    assert colour_pixels(shot, (0xD6, 0x27, 0x28)) > 300
    assert colour_pixels(shot, (0xFF, 0x7F, 0x0E)) > 300
    page.close()


def test_report_overlays_runs_and_zooms(browser, tmp_path):
    a, b = small_timeline(), small_timeline(limit=None)
    report = tmp_path / "two.html"
    report.write_text(render_html([(a, "before"), (b, "after")], explain=False))
    page, _, errors = open_report(browser, report)
    assert errors == []
    mem = counts_by_metric(page)["memory"]
    assert mem[(0, "rss")] == mem[(1, "rss")] == 200
    assert (0, "memory_limit") in mem and (1, "memory_limit") not in mem
    labels = page.evaluate("window.gomem.view.charts.memory.series.map(s => s.label)")
    assert "before · RSS" in labels and "after · RSS" in labels
    # drag across the memory chart: the time axis zooms in
    box = page.locator("#chart-memory .u-over").bounding_box()
    before = page.evaluate("[window.gomem.view.charts.memory.scales.x.min, window.gomem.view.charts.memory.scales.x.max]")
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    after = page.evaluate("[window.gomem.view.charts.memory.scales.x.min, window.gomem.view.charts.memory.scales.x.max]")
    assert before[0] < after[0] < after[1] < before[1]
    # the GC CPU chart follows the zoom
    cpu = page.evaluate("[window.gomem.view.charts.gccpu.scales.x.min, window.gomem.view.charts.gccpu.scales.x.max]")
    assert cpu == pytest.approx(after, rel=1e-6)
    page.close()


def test_seed_report_in_the_browser(browser, tmp_path):
    tl = read_corpus(SEED_RUN)
    report = tmp_path / "seed.html"
    report.write_text(render_html([(tl, "go1.27/seed/base")]))
    page, requests, errors = open_report(browser, report)
    shot = tmp_path / "seed.png"
    page.screenshot(path=str(shot), full_page=True)
    assert errors == [] and requests == [report.as_uri()]
    mem = counts_by_metric(page)["memory"]
    assert mem[(0, "rss")] == len(tl["rss"])
    assert mem[(0, "heap_sys")] == len(tl["memstats"])
    assert mem[(0, "heap_live")] == len(tl["gc"])
    assert max(series_values(page, "memory", 0, "heap_goal")) == 4 << 30
    panel = page.locator("#panel").inner_text()
    assert "4.00 GiB" in panel and "max live heap (marked)\t2.00 GiB" in panel
    page.close()
