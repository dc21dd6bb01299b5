"""gomem.report: pictures of Timelines. Renderers are pure: they return ``str``/``bytes`` and
the CLI writes the files.

- :func:`payload` — what the charts show (per run: series, peak, summary, explain), JSON-able
- :func:`render_html` — one self-contained HTML file (uPlot inlined, data inline)
- :func:`render_png` / :func:`render_svg` — matplotlib (Agg) pictures
"""

from .data import payload, run_payload
from .html import render_html
from .plot import render_png, render_svg

__all__ = ["payload", "run_payload", "render_html", "render_png", "render_svg"]
