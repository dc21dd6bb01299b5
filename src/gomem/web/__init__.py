"""gomem.web: the live dashboard (stdlib http.server + Server-Sent Events).

``serve(run_dir, host="127.0.0.1", port=0, live=True) -> DashboardServer`` with ``.url`` and
``.close()``, serving in a background thread.
"""

from .recording import Recording, RunDirTail
from .server import DashboardServer, serve

__all__ = ["DashboardServer", "Recording", "RunDirTail", "serve"]
