"""The self-contained HTML report: one file holding the chart library (uPlot, inlined), gomem's
chart code, the data as inline JSON, the ``explain`` verdicts and a summary table. Nothing is
fetched when it is viewed. Pure: returns a str."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any, Mapping, Sequence

from ..timeline import Timeline, json_default
from ..units import format_size
from .data import payload as make_payload

ASSETS = ("uPlot.iife.min.js", "uPlot.min.css", "charts.js", "report.css", "uPlot.LICENSE")


def asset(name: str) -> str:
    """The text of one of the report's assets (package data in gomem/report/assets)."""
    if name not in ASSETS:
        raise KeyError(name)
    return resources.files("gomem.report").joinpath("assets", name).read_text(encoding="utf-8")


def script_json(obj: Any) -> str:
    """JSON safe to put inside a <script> element (no "</script>", no "<!--")."""
    text = json.dumps(obj, default=json_default, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _lever_text(lever: Any) -> str:
    """One lever of explain (gomem.analysis.Lever.to_dict()) as a line of text."""
    if isinstance(lever, Mapping):
        what = lever.get("setting") or lever.get("name") or ""
        out = str(what)
        if lever.get("peak_bytes") is not None:
            out += f" → peak {format_size(lever['peak_bytes'])}"
            ch = lever.get("peak_change_bytes")
            if ch is not None:
                out += f" ({'−' if ch < 0 else '+'}{format_size(abs(ch))})"
        if lever.get("gc_cpu_fraction") is not None:
            out += f", GC CPU {100 * float(lever['gc_cpu_fraction']):.2f} %"
        if lever.get("note"):
            out += f": {lever['note']}"
        return out
    return str(lever)


def _part_name(key: str) -> str:
    return key.removesuffix("_bytes").replace("_", " ")


def panel_html(run: Mapping[str, Any], *, show_label: bool = True, show_all: bool = True) -> str:
    """The side panel of one run: the verdict of ``explain``, the peak and its breakdown, the
    summary table and notes."""
    out = [f'<section class="run" data-label="{_e(run.get("label"))}">']
    if show_label:
        out.append(f"<h2>{_e(run.get('label'))}</h2>")
    ex = run.get("explain")
    if ex:
        verdict = ex.get("verdict") or "?"
        paras = [t for t in str(ex.get("text") or "").strip().split("\n")]
        out.append(f'<div class="verdict verdict-{_e(verdict)}"><span class="tag">{_e(verdict)}</span>'
                   f'<p>{_e(paras[0] if paras else "")}</p>')
        if len(paras) > 1:
            out.append(f'<details{" open" if show_all else ""}><summary>the whole explanation</summary>'
                       f'<p>{_e(chr(10).join(paras[1:]))}</p></details>')
        levers = ex.get("levers") or []
        if levers:
            out.append("<h3>Levers</h3><ul>" + "".join(f"<li>{_e(_lever_text(lv))}</li>" for lv in levers) + "</ul>")
        out.append("</div>")
    pk = run.get("peak")
    if pk:
        out.append(f'<p class="peak">Peak {_e(pk["what"])}: <b>{_e(format_size(pk["bytes"]))}</b>'
                   f' at {float(pk["t_s"]):.2f} s</p>')
        bd = pk.get("breakdown") or {}
        if bd:
            out.append('<table class="breakdown"><caption>At the peak (explain)</caption>')
            for k, v in bd.items():
                out.append(f"<tr><th>{_e(_part_name(k))}</th><td>{_e(format_size(v))}</td></tr>")
                if k == "non_heap_bytes":
                    for k2, v2 in (pk.get("non_heap_parts") or {}).items():
                        out.append(f'<tr class="sub"><th>of which {_e(_part_name(k2))}</th><td>{_e(format_size(v2))}</td></tr>')
            out.append("</table>")
    rows = run.get("summary") or []
    if rows:
        out.append('<table class="summary"><caption>Summary</caption>')
        out.extend(f"<tr><th>{_e(a)}</th><td>{_e(b)}</td></tr>" for a, b in rows)
        out.append("</table>")
    notes = run.get("notes") or []
    if notes:
        out.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:;{csp_extra}">
<title>{title}</title>
<style>{uplot_css}</style>
<style>{report_css}</style>
</head>
<body>
<header><h1>{title}</h1><p class="sub">{subtitle}</p>{header_extra}</header>
<main class="layout">
<div id="charts" class="charts"></div>
<aside id="panel" class="panel">{panel}</aside>
</main>
<footer>Made by gomem. Drag on a chart to zoom in on a time range, double-click to zoom out; click a legend entry to hide or show a line. Ticks along the bottom mark GC cycles.</footer>
<script id="gomem-data" type="application/json">{data}</script>
<script>/* uPlot 1.6.32, vendored unchanged. Its licence:
{uplot_license}*/
{uplot_js}</script>
<script>{charts_js}</script>
<script>
window.gomem = {{data: JSON.parse(document.getElementById("gomem-data").textContent)}};
window.gomem.view = GomemCharts.create(document.getElementById("charts"), window.gomem.data);
{script_extra}
</script>
</body>
</html>
"""


def page(data: Mapping[str, Any], *, subtitle: str = "", header_extra: str = "", script_extra: str = "",
         csp_extra: str = "") -> str:
    """The HTML page for a payload (the report; the dashboard adds its live script)."""
    runs = data.get("runs") or []
    panel = "\n".join(panel_html(r, show_all=len(runs) == 1) for r in runs) or "<p>No data.</p>"
    return PAGE.format(
        title=_e(data.get("title") or "gomem report"),
        subtitle=subtitle,
        header_extra=header_extra,
        panel=panel,
        data=script_json(data),
        uplot_css=asset("uPlot.min.css"),
        report_css=asset("report.css"),
        uplot_js=asset("uPlot.iife.min.js"),
        uplot_license=asset("uPlot.LICENSE").replace("*/", "* /"),
        charts_js=asset("charts.js"),
        script_extra=script_extra,
        csp_extra=csp_extra,
    )


def render_html(runs: Sequence[tuple[Timeline, str]], *, title: str | None = None, explain: bool = True) -> str:
    """One self-contained HTML report of ``runs`` ((timeline, label) pairs), overlaid."""
    data = make_payload(runs, title=title, explain=explain)
    sources = ", ".join(_e(r["label"]) for r in data["runs"])
    return page(data, subtitle=f"{len(data['runs'])} run(s): {sources}")
