"""PNG and SVG pictures of runs through matplotlib (the Agg and SVG canvases, no pyplot and no
display). The same series as the HTML report (gomem.report.data). Pure: returns bytes/str."""

from __future__ import annotations

import io
from typing import Any, Mapping, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ..timeline import Timeline
from ..units import GiB, KiB, MiB, format_size
from .data import METRICS, RUN_COLORS
from .data import payload as make_payload




#: the summary rows the picture keeps per run when several runs are overlaid
SHORT_SUMMARY = ("settings", "GC cycles", "peak RSS", "peak held (HeapSys − HeapReleased)", "peak heap at GC start",
                 "max live heap (marked)")


def _xy(xs: Sequence[Any], ys: Sequence[Any], div: float) -> tuple[list[float], list[float]]:
    px, py = [], []
    for x, y in zip(xs, ys):
        if x is not None and y is not None:
            px.append(x)
            py.append(y / div)
    return px, py


def _unit(runs: Sequence[Mapping[str, Any]]) -> tuple[float, str]:
    hi = 0.0
    for r in runs:
        for m in METRICS:
            cols = r.get(m["kind"]) or {}
            vals = [cols] if m["kind"] == "limits" else None
            if vals:
                v = cols.get(m["column"])
                if v is not None:
                    hi = max(hi, v)
                continue
            for v in cols.get(m["column"], []) or []:
                if v is not None and v > hi:
                    hi = v
    if hi >= 2 * GiB:
        return GiB, "GiB"
    if hi >= 2 * MiB:
        return MiB, "MiB"
    if hi >= 2 * KiB:
        return KiB, "KiB"
    return 1, "bytes"


def figure(data: Mapping[str, Any], *, width_in: float = 14, height_in: float = 8) -> Figure:
    """A matplotlib Figure of a report payload: memory over time above GC CPU, the legend,
    verdicts and summaries in a column on the right."""
    runs = data.get("runs") or []
    metrics = {m["id"]: m for m in METRICS}
    fig = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[3.2, 1], width_ratios=[3.0, 1])
    ax = fig.add_subplot(gs[0, 0])
    cpu_ax = fig.add_subplot(gs[1, 0], sharex=ax)
    side = fig.add_subplot(gs[:, 1])
    side.axis("off")
    div, unit = _unit(runs)
    many = len(runs) > 1
    tick = blended_transform_factory(ax.transData, ax.transAxes)
    y_hi = 0.0
    for ri, r in enumerate(runs):
        pre = f"{r['label']} · " if many else ""
        gc, ms, rss = r.get("gc") or {}, r.get("memstats") or {}, r.get("rss") or {}

        run_color = RUN_COLORS[ri % len(RUN_COLORS)]

        def style(mid: str) -> dict[str, Any] | None:
            """One run: the metric's colour; several: the run's colour, the metric's dash."""
            m = metrics[mid]
            if not many:
                dash = m.get("dash")
                return {"color": m["color"], "linewidth": m.get("width", 1.5),
                        "linestyle": (0, tuple(dash)) if dash else "-"}
            ov = m.get("overlay")
            if ov is None:
                return None
            dash = ov.get("dash")
            return {"color": run_color, "linewidth": ov.get("width", 1.5), "alpha": ov.get("alpha", 1.0),
                    "linestyle": (0, tuple(dash)) if dash else "-"}

        def line(mid: str, xs: Sequence[Any], ys: Sequence[Any], **kw: Any) -> None:
            nonlocal y_hi
            st = style(mid)
            px, py = _xy(xs, ys, div)
            if not px or st is None:
                return
            y_hi = max(y_hi, max(py))
            ax.plot(px, py, label=pre + metrics[mid]["label"], **{**st, **kw})

        gts, gte = gc.get("t_s") or [], gc.get("t_end_s") or []
        if gts:
            sx, sy = [], []
            for a, b, h0, h2 in zip(gts, gte, gc.get("heap_start_bytes", []), gc.get("heap_live_bytes", [])):
                sx += [a, b]
                sy += [h0, h2]
            line("heap", sx, sy)
            line("heap_live", gte, gc.get("heap_live_bytes", []), drawstyle="steps-post")
            line("heap_goal", gts, gc.get("heap_goal_bytes", []), drawstyle="steps-pre")
            px, py = _xy(gts, gc.get("heap_start_bytes", []), div)
            gc_color = run_color if many else metrics["gc"]["color"]
            ax.plot(px, py, "o", markersize=4, color=gc_color, label=pre + metrics["gc"]["label"])
            ax.vlines(gts, 0, 0.03, transform=tick, color=gc_color if many else "#777", linewidth=0.8)
            cx, cy = _xy(gts, gc.get("gc_cpu_percent", []), 1)
            if cx:
                cpu_ax.plot(cx, cy, linestyle="-", marker="o", markersize=3, color=gc_color,
                            label=pre + "GC CPU % since start (gctrace)")
        mts = ms.get("t_s") or []
        if mts:
            for mid, c in (("heap_alloc", "heap_alloc_bytes"), ("heap_sys", "heap_sys_bytes"),
                           ("held", "held_bytes"), ("released", "heap_released_bytes")):
                line(mid, mts, ms.get(c, []))
            frac = [None if v is None else v * 100 for v in ms.get("gc_cpu_fraction", [])]
            fx, fy = _xy(mts, frac, 1)
            if fx:
                cpu_ax.plot(fx, fy, linestyle="--" if many else "-", color=run_color if many else metrics["heap_alloc"]["color"],
                            label=pre + "GCCPUFraction × 100 (MemStats)")
        if rss.get("t_s"):
            line("rss", rss["t_s"], rss.get("rss_bytes", []))
        ev = r.get("event") or {}
        for t, name in zip(ev.get("t_s") or [], ev.get("name") or []):
            if t is not None and name not in (None, "start"):
                ax.axvline(t, color="#b44", linestyle=":", linewidth=1)
                ax.text(t, 0.06, f" {name}", transform=tick, color="#b44", fontsize=8, va="bottom")
        lim = r.get("limits") or {}
        for mid in ("memory_limit", "container_limit"):
            v = lim.get(f"{mid}_bytes")
            st = style(mid)
            if v is not None and st is not None:
                y_hi = max(y_hi, v / div)
                ax.axhline(v / div, label=f"{pre}{metrics[mid]['label']} {format_size(v)}", **st)
    # the peak, annotated with its breakdown, in a band kept free above the data
    n_text = 0
    for ri, r in enumerate(runs):
        pk = r.get("peak")
        if not pk:
            continue
        pre = f"{r['label']}: " if many else ""
        pc = RUN_COLORS[ri % len(RUN_COLORS)] if many else "#d62728"
        ax.plot([pk["t_s"]], [pk["bytes"] / div], "o", markersize=12, markerfacecolor="none",
                markeredgecolor=pc, markeredgewidth=2)
        text = f"{pre}peak {pk['what']} {format_size(pk['bytes'])} at {pk['t_s']:.2f} s"
        bd = pk.get("breakdown") or {}
        if bd and not many:
            text += "\n" + "\n".join(f"{k.removesuffix('_bytes').replace('_', ' ')}: {format_size(v)}"
                                       for k, v in bd.items())
            sub = pk.get("non_heap_parts") or {}
            if sub and "non_heap_bytes" in bd:
                text += " (" + ", ".join(f"{k.removesuffix('_bytes').replace('_', ' ')} {format_size(v)}"
                                         for k, v in sub.items()) + ")"
        n_text = max(n_text, text.count("\n") + 1)
        ax.annotate(text, (pk["t_s"], pk["bytes"] / div), xytext=(0.985, 0.985 - 0.07 * ri), textcoords="axes fraction",
                    ha="right", va="top", fontsize=8.5, color=pc if many else "#a11",
                    bbox={"boxstyle": "round", "fc": "white", "ec": pc, "alpha": 0.92},
                    arrowprops={"arrowstyle": "->", "color": pc, "lw": 1.2})
    band = 1.12 + (0.045 * n_text if not many else 0.075 * len(runs))
    ax.set_ylim(0, max(y_hi, 1e-9) * band)
    ax.set_ylabel(unit)
    ax.grid(True, alpha=0.3)
    ax.set_title(data.get("title") or "gomem report", loc="left", fontsize=12)
    cpu_ax.set_ylabel("GC CPU %")
    cpu_ax.set_xlabel("seconds since start")
    cpu_ax.set_ylim(bottom=0)
    cpu_ax.grid(True, alpha=0.3)
    if cpu_ax.lines:
        cpu_ax.legend(loc="upper right", fontsize=8)
    handles, labels = ax.get_legend_handles_labels()
    leg = side.legend(handles, labels, loc="upper left", fontsize=8, frameon=False, borderaxespad=0)
    # verdicts and summaries below the legend
    lines: list[str] = []
    for r in runs:
        ex = r.get("explain")
        lines.append(r["label"] if many else "")
        if ex:
            lines.append(f"verdict: {ex.get('verdict')}")
            if not many:
                lines.extend(_wrap((ex.get("text") or "").strip().split("\n")[0], 52))
        for a, b in r.get("summary") or []:
            if not many or a in SHORT_SUMMARY:
                lines.append(f"{a}: {b}")
        lines.append("")
    fig.canvas = FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    leg_box = leg.get_window_extent(renderer).transformed(side.transAxes.inverted())
    side.text(0, max(leg_box.y0 - 0.02, 0.3), "\n".join(lines).strip("\n"), va="top", ha="left", fontsize=8.5,
              transform=side.transAxes)
    return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    out: list[str] = []
    for para in str(text).splitlines() or [""]:
        out.extend(textwrap.wrap(para, width) or [""])
    return out


def _render(runs: Sequence[tuple[Timeline, str]], fmt: str, title: str | None, explain: bool) -> bytes:
    data = make_payload(runs, title=title, explain=explain)
    fig = figure(data)
    buf = io.BytesIO()
    canvas = FigureCanvasAgg(fig) if fmt == "png" else FigureCanvasSVG(fig)
    canvas.print_figure(buf, format=fmt, dpi=110 if fmt == "png" else 72)
    return buf.getvalue()


def render_png(runs: Sequence[tuple[Timeline, str]], *, title: str | None = None, explain: bool = True) -> bytes:
    """A PNG of ``runs`` ((timeline, label) pairs), overlaid."""
    return _render(runs, "png", title, explain)


def render_svg(runs: Sequence[tuple[Timeline, str]], *, title: str | None = None, explain: bool = True) -> str:
    """An SVG of ``runs`` ((timeline, label) pairs), overlaid."""
    return _render(runs, "svg", title, explain).decode("utf-8")
