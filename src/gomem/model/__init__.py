"""gomem.model: the Go runtime's memory manager, simulated (pure: no I/O).

    from gomem.model import RuntimeConfig, simulate, SimResult
    res = simulate(main, RuntimeConfig(go="1.27", gogc=100, gomaxprocs=2, godebug="gctrace=1"))
    res.timeline, res.stdout, res.stderr, res.summary

Versions 1.15..1.27 (profiles 1.15, 1.19, 1.21, 1.27; others map to the nearest, see
``profiles.profile_for``).
"""

from .api import Go, MemStats, RuntimeConfig, SimResult, parse_godebug, simulate
from .profiles import PROFILES, Profile, profile_for
from .runtime import AllocSpec, Handle, Runtime, fmt_ns_as_ms

__all__ = ["RuntimeConfig", "SimResult", "simulate", "Go", "MemStats", "Profile", "PROFILES", "profile_for",
           "Runtime", "AllocSpec", "Handle", "parse_godebug", "fmt_ns_as_ms"]
