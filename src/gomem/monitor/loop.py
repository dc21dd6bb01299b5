"""The sampling loop: call ``tick(t)`` at a fixed rate, with an injectable clock and sleep so
tests can drive it without waiting.

Ticks are scheduled at ``start + k/hz`` (no drift). When a tick runs late (a busy machine,
a slow read) the missed slots are skipped, never made up in a burst. The loop wakes at
least every ``max_sleep_s`` to call ``idle()`` (the recorder's flush) and check ``stop()``,
so a low ``hz`` does not delay flushing or stopping.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class LoopStats:
    ticks: int = 0
    skipped: int = 0  # slots missed because a tick ran late
    busy_s: float = 0.0  # time spent inside tick()


class SamplingLoop:
    def __init__(self, hz: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = time.sleep, max_sleep_s: float = 0.25):
        if not (hz > 0 and math.isfinite(hz)):
            raise ValueError(f"hz must be a positive number, not {hz!r}")
        self.hz = hz
        self.interval_s = 1.0 / hz
        self.clock = clock
        self.sleep = sleep
        self.max_sleep_s = max_sleep_s
        self.stats = LoopStats()

    def run(self, tick: Callable[[float], bool], *, stop: Callable[[], bool] = lambda: False,
            idle: Callable[[], None] = lambda: None, until: float | None = None,
            delay_first: bool = False, idle_every_s: float = 0.0) -> LoopStats:
        """Call ``tick(now)`` every interval until it returns False, ``stop()`` is true or the
        clock reaches ``until``. The first tick is immediate, or one interval away with
        ``delay_first`` (when the caller has just sampled). ``idle()`` runs at most every
        ``idle_every_s`` (0: after every tick and long sleep)."""
        start = self.clock() + (self.interval_s if delay_first else 0.0)
        next_idle = start
        k = 0
        while True:
            if stop():
                break
            now = self.clock()
            if until is not None and now >= until:
                break
            due = start + k * self.interval_s
            if now >= due:
                self.stats.ticks += 1
                keep = tick(now)
                after = self.clock()
                self.stats.busy_s += after - now
                if keep is False:
                    break
                # next slot strictly in the future
                k_next = max(k + 1, int((after - start) / self.interval_s) + 1)
                self.stats.skipped += k_next - (k + 1)
                k = k_next
                if after >= next_idle:
                    idle()
                    next_idle = after + idle_every_s
                continue
            wait = min(due - now, self.max_sleep_s)
            if until is not None:
                wait = min(wait, max(0.0, until - now))
            self.sleep(wait)
            t = self.clock()
            if due - t > 0 and t >= next_idle:
                idle()
                next_idle = t + idle_every_s
        return self.stats
