"""gomem: see, explain, predict and cut the peak memory of Go programs.

The public API (everything else is internal and may change)::

    from gomem import Timeline, parse_size
    from gomem.model import RuntimeConfig, simulate        # the Go runtime model
    from gomem.traces import read                          # any trace file -> Timeline
"""

from .errors import GomemError, InputError
from .timeline import Timeline, TimelineBuilder
from .units import GiB, KiB, MiB, format_size, parse_size

__version__ = "0.1.0"
__all__ = ["Timeline", "TimelineBuilder", "GomemError", "InputError", "parse_size", "format_size",
           "KiB", "MiB", "GiB", "__version__"]
