"""gomem.analysis: pure functions over a Timeline — peaks, the leak test, explain.

``explain(timeline) -> Explanation`` (``.verdict``, ``.text``, ``.peak``, ``.levers``,
``.to_dict()``). No I/O here (tests/test_layering.py checks).
"""

from .explain import VERDICTS, Explanation, Lever, breakdown, explain, infer_gogc, peak_figures
from .series import gc_series, main_process, mem_series, processes, rss_series
from .trend import Trend, live_trend

__all__ = ["VERDICTS", "Explanation", "Lever", "Trend", "breakdown", "explain", "gc_series", "infer_gogc",
           "live_trend", "main_process", "mem_series", "peak_figures", "processes", "rss_series"]
