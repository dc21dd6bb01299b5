"""The leak test: does the live heap (bytes marked by each GC) trend upward beyond noise?

A robust regression (Theil–Sen: the median of the pairwise slopes) of ``heap_live_bytes`` over
time, after a warm-up, with Kendall's tau as the evidence that the trend is real. The live heap
after a GC (gctrace's third number, ``heap2``: ``gcMarkTermination`` in runtime/mgc.go prints
``work.heap2 = heapMarked``) is the memory the program still references; GOGC and GOMEMLIMIT only
change what is allowed on top of it, so a growing live heap is the signature of a leak (or an
unbounded cache), and the one thing tuning cannot fix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..units import MiB

#: The live heap must grow by at least this fraction of its level over the window ...
MIN_GROWTH_FRACTION = 0.10
#: ... and by at least this many bytes (tiny heaps wobble by whole MiB in gctrace's rounding),
MIN_GROWTH_BYTES = 2 * MiB
#: ... with at least this one-sided confidence (Kendall's tau, normal approximation).
MIN_CONFIDENCE = 0.95
MIN_CYCLES = 5


@dataclass
class Trend:
    """The live-heap trend of one process."""

    n_cycles: int  # cycles used (after the warm-up)
    warmup_cycles: int
    t0_s: float
    t1_s: float
    start_live_bytes: float  # the fitted line at t0 and t1
    end_live_bytes: float
    rate_bytes_per_s: float
    rate_bytes_per_cycle: float
    noise_bytes: float  # 1.4826 × MAD of the residuals
    confidence: float  # one-sided, that the live heap grows
    is_leak: bool
    reason: str

    @property
    def growth_bytes(self) -> float:
        return self.end_live_bytes - self.start_live_bytes

    def to_dict(self) -> dict:
        d = asdict(self)
        d["growth_bytes"] = self.growth_bytes
        return d


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Median pairwise slope and the matching intercept (median of y − slope·x)."""
    n = len(x)
    if n < 2:
        return 0.0, float(y[0]) if n else 0.0
    i, j = np.triu_indices(n, k=1)
    dx = x[j] - x[i]
    ok = dx != 0
    if not ok.any():
        return 0.0, float(np.median(y))
    slope = float(np.median((y[j] - y[i])[ok] / dx[ok]))
    return slope, float(np.median(y - slope * x))


def kendall_confidence(x: np.ndarray, y: np.ndarray) -> float:
    """One-sided confidence that y increases with x: Φ(z) of Kendall's tau (no tie correction
    beyond dropping tied pairs from the numerator)."""
    n = len(x)
    if n < 3:
        return 0.5
    i, j = np.triu_indices(n, k=1)
    s = float(np.sum(np.sign(x[j] - x[i]) * np.sign(y[j] - y[i])))
    var = n * (n - 1) * (2 * n + 5) / 18.0
    if s == 0:
        return 0.5
    z = (s - math.copysign(1.0, s)) / math.sqrt(var)  # continuity correction
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def warmup_count(t_s: np.ndarray, live: np.ndarray) -> int:
    """Cycles to skip at the start: those in the first 20% of the run's time, and those before
    the live heap first reaches a quarter of its median level (the program building its state),
    keeping at least MIN_CYCLES cycles when there are that many."""
    n = len(live)
    if n == 0:
        return 0
    skip = 0
    if np.isfinite(t_s).all() and n > 1 and t_s[-1] > t_s[0]:
        cut = t_s[0] + 0.2 * (t_s[-1] - t_s[0])
        skip = int(np.searchsorted(t_s, cut, side="left"))
    level = float(np.median(live)) * 0.25
    reach = int(np.argmax(live >= level)) if (live >= level).any() else 0
    skip = max(skip, reach)
    return max(0, min(skip, n - MIN_CYCLES)) if n >= MIN_CYCLES else 0


def live_trend(t_s: np.ndarray, live: np.ndarray) -> Trend:
    """The trend of the live heap after GC (bytes) over the cycles' times (seconds).

    Cycles without a time are placed one second apart (a log without ``@#s``)."""
    live = np.asarray(live, dtype=float)
    t_s = np.asarray(t_s, dtype=float)
    ok = np.isfinite(live)
    live, t_s = live[ok], t_s[ok]
    if len(t_s) and not np.isfinite(t_s).all():
        t_s = np.arange(len(live), dtype=float)
    n_all = len(live)
    w = warmup_count(t_s, live)
    x, y = t_s[w:], live[w:]
    idx = np.arange(len(y), dtype=float)
    n = len(y)
    if n == 0:
        return Trend(0, w, math.nan, math.nan, math.nan, math.nan, 0.0, 0.0, 0.0, 0.5, False,
                     "no GC cycles: the live heap is unknown")
    slope, icept = theil_sen(x, y)
    slope_c, _ = theil_sen(idx, y)
    resid = y - (slope * x + icept)
    noise = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    conf = kendall_confidence(x, y)
    t0, t1 = float(x[0]), float(x[-1])
    start, end = slope * t0 + icept, slope * t1 + icept
    growth = end - start
    level = max(float(np.median(y)), 1.0)
    need = max(MIN_GROWTH_FRACTION * max(start, 0.0), MIN_GROWTH_BYTES, 3 * noise)
    if n < MIN_CYCLES:
        leak, reason = False, f"only {n} GC cycles after the warm-up (of {n_all}): too few to call a trend"
    elif growth >= need and conf >= MIN_CONFIDENCE:
        leak, reason = True, "the live heap grows beyond noise"
    elif growth > 0 and conf >= MIN_CONFIDENCE:
        leak, reason = False, "the live heap creeps up, but by less than 10% of its level"
    else:
        leak, reason = False, "the live heap does not grow"
    _ = level
    return Trend(n_cycles=n, warmup_cycles=w, t0_s=t0, t1_s=t1, start_live_bytes=start,
                 end_live_bytes=end, rate_bytes_per_s=slope, rate_bytes_per_cycle=slope_c,
                 noise_bytes=noise, confidence=conf, is_leak=leak, reason=reason)
