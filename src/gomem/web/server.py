"""The live dashboard: a small HTTP server (stdlib ``http.server`` in a background thread)
that serves one page, its data, a Server-Sent-Events stream of new samples and the recording
as a download. Nothing else: every other path is a 404, there is no directory listing and no
path reaches the file system.

``serve(run_dir, host="127.0.0.1", port=0, live=True) -> DashboardServer`` (``.url``,
``.close()``); ``gomem run --dashboard`` and ``gomem dashboard`` use it.

Routes: ``/`` the page (the whole history so far inline, then live updates), ``/data.json``
the current payload, ``/events`` the SSE stream (``data`` events with new samples, ``panel``
with a new verdict/summary, ``end`` when the run has ended), ``/download/timeline.npz`` the
recording as a Timeline, ``/download/run.zip`` the run directory (when there is one).
"""

from __future__ import annotations

import http.server
import io
import ipaddress
import json
import os
import socket
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qs, urlsplit

from ..errors import InputError, UsageError
from ..report.data import KIND_NAMES, kind_columns, payload as make_payload
from ..report.html import page, panel_html
from ..timeline import Timeline, json_default
from .recording import Poller, Recording, RunDirTail, is_run_dir

#: how often the verdict and summary are recomputed while data arrive (at least)
PANEL_INTERVAL_S = 1.0
#: SSE keep-alive comment when nothing happens
KEEPALIVE_S = 10.0

LIVE_JS = r"""
(function () {
  var g = window.gomem, view = g.view, status = document.getElementById("live-status");
  g.updates = 0; g.ended = false;
  // redraw at most every max(250 ms, 5x the last redraw): long histories stay cheap
  var pending = false, last = 0, cost = 0;
  function redraw() {
    pending = false; last = performance.now();
    view.refresh(); cost = performance.now() - last;
  }
  function schedule() {
    if (pending) return;
    pending = true;
    var wait = Math.max(0, last + Math.max(250, 5 * cost) - performance.now());
    setTimeout(function () { requestAnimationFrame(redraw); }, wait);
  }
  function setStatus(cls, text) { status.className = "live " + cls; status.textContent = text; }
  if (!window.EventSource) { setStatus("", "static (no EventSource)"); return; }
  if (g.data.done) { setStatus("ended", "recorded"); return; }
  var es = new EventSource("events?c=" + encodeURIComponent(g.data.cursor));
  es.onopen = function () { setStatus("on", "live"); };
  es.onerror = function () { if (!g.ended) setStatus("", "reconnecting…"); };
  es.addEventListener("data", function (e) {
    var m = JSON.parse(e.data);
    view.append(m.run, m);
    g.updates++; g.lastCursor = e.lastEventId;
    schedule();
  });
  es.addEventListener("panel", function (e) {
    var m = JSON.parse(e.data);
    view.append(m.run, m);
    document.getElementById("panel").innerHTML = m.html;
    schedule();
  });
  es.addEventListener("end", function (e) {
    var m = {}; try { m = JSON.parse(e.data); } catch (err) {}
    g.ended = true; g.endReason = m.reason || "ended";
    setStatus("ended", g.endReason === "closed" ? "dashboard stopped" : "run ended"); es.close(); schedule();
  });
})();
"""


def _cursor_text(counts: Mapping[str, int]) -> str:
    return ".".join(str(int(counts.get(k, 0))) for k in KIND_NAMES)


def _parse_cursor(text: str | None) -> dict[str, int] | None:
    if not text:
        return None
    parts = text.split(".")
    if len(parts) != len(KIND_NAMES) or not all(p.isdigit() for p in parts):
        return None
    return {k: int(p) for k, p in zip(KIND_NAMES, parts)}


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Dashboard:
    """The state behind the server: a recording, its label, the panel (verdict and summary)
    recomputed in the background while data arrive."""

    def __init__(self, recording: Recording, label: str, run_dir: Path | None, poller: Poller | None):
        self.rec = recording
        self.label = label
        self.run_dir = run_dir
        self.poller = poller
        self.stop_event = threading.Event()
        self.panel: dict[str, Any] | None = None
        self.panel_version = 0
        self.panel_lock = threading.Lock()
        self._panel_data_version = -1
        self.compute_lock = threading.Lock()
        self.closing = False  # the server is about to stop: streams finish with what there is
        self.analyzer = threading.Thread(target=self._analyze_loop, name="gomem-dashboard-panel", daemon=True)

    def start(self) -> None:
        if self.poller:
            self.poller.start()
        self.analyzer.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.poller:
            self.poller.stop()
        with self.rec.cond:
            self.rec.cond.notify_all()

    def payload(self, explain: bool = True) -> dict[str, Any]:
        counts = self.rec.counts()
        tl = self._timeline_upto(counts)
        data = make_payload([(tl, self.label)], title=f"gomem dashboard: {self.label}", explain=explain,
                            max_points=None)
        problems = self.rec.problems
        if data["runs"] and problems:
            shown = problems[-5:]
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            data["runs"][0]["notes"] = list(data["runs"][0]["notes"]) + shown[:-1] + [shown[-1] + more]
        data["cursor"] = _cursor_text(counts)
        data["done"] = self.rec.done
        return data

    def _timeline_upto(self, counts: Mapping[str, int]) -> Timeline:
        with self.rec.cond:
            recs = [r for k in KIND_NAMES for r in self.rec.records[k][: counts.get(k, 0)]] + list(self.rec.other)
            meta = dict(self.rec.meta)
        return Timeline.from_records(recs, meta)

    def update_panel(self) -> None:
        """Recompute the verdict and summary from everything recorded so far."""
        with self.compute_lock:
            version = self.rec.version
            try:
                data = self.payload(explain=True)
            except Exception as e:  # a half-written run explain cannot read yet: try later
                self.rec.problems.append(f"explain: {type(e).__name__}: {e}")
                data = None
            if data is not None and data["runs"]:
                run = data["runs"][0]
                panel = {k: run.get(k) for k in ("limits", "peak", "explain", "summary", "meta", "notes")}
                panel["run"] = 0
                panel["html"] = "\n".join(panel_html(r) for r in data["runs"])
                with self.panel_lock:
                    self.panel = panel
                    self.panel_version += 1
            self._panel_data_version = version
        with self.rec.cond:
            self.rec.cond.notify_all()

    def _analyze_loop(self) -> None:
        version = -1
        while not self.stop_event.is_set():
            version = self.rec.wait(version, 1.0)
            if self.stop_event.is_set():
                return
            if version == self._panel_data_version:
                if self.rec.done:
                    return
                continue
            t0 = time.monotonic()
            self.update_panel()
            spent = time.monotonic() - t0
            self.stop_event.wait(max(PANEL_INTERVAL_S, 5 * spent))

    def timeline_npz(self) -> bytes:
        tl = self.rec.timeline()
        with tempfile.TemporaryDirectory(prefix="gomem-dash-") as d:
            p = tl.save(Path(d) / "timeline.npz")
            return p.read_bytes()

    def run_zip(self) -> bytes | None:
        if self.run_dir is None:
            return None
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for p in sorted(self.run_dir.iterdir()):
                if p.is_file() and not p.is_symlink() and not p.name.startswith("."):
                    z.write(p, arcname=f"{self.run_dir.name}/{p.name}")
        return buf.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "_HTTPServer"
    protocol_version = "HTTP/1.1"
    server_version = "gomem-dashboard"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints the URL
        pass

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, code: int, body: bytes, ctype: str, extra: Mapping[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _host_ok(self) -> bool:
        """When bound to loopback, only loopback names may be asked for (no DNS rebinding)."""
        if not self.server.loopback_only:
            return True
        host = self.headers.get("Host", "")
        name = urlsplit("//" + host).hostname or ""
        return _is_loopback(name)

    # -- methods ----------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self._send(405, b"method not allowed\n", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def do_GET(self) -> None:
        if not self._host_ok():
            self._send(403, b"forbidden host\n", "text/plain; charset=utf-8")
            return
        url = urlsplit(self.path)
        route = url.path
        dash = self.server.dashboard
        try:
            if route == "/":
                self._send(200, self.server.page().encode("utf-8"), "text/html; charset=utf-8")
            elif route == "/data.json":
                body = json.dumps(dash.payload(), default=json_default, allow_nan=False).encode()
                self._send(200, body, "application/json")
            elif route == "/events":
                self._events(url.query)
            elif route == "/download/timeline.npz":
                name = f"{dash.label.replace('/', '_') or 'run'}.timeline.npz"
                self._send(200, dash.timeline_npz(), "application/octet-stream",
                           {"Content-Disposition": f'attachment; filename="{name}"'})
            elif route == "/download/run.zip":
                body = dash.run_zip()
                if body is None:
                    return self._not_found()
                name = f"{dash.run_dir.name if dash.run_dir else 'run'}.zip"
                self._send(200, body, "application/zip", {"Content-Disposition": f'attachment; filename="{name}"'})
            else:
                self._not_found()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _events(self, query: str) -> None:
        # a reconnecting EventSource says where it stopped; a new one, where its page starts
        cursor = _parse_cursor(self.headers.get("Last-Event-ID"))
        if cursor is None:
            c = parse_qs(query).get("c", [""])[0]
            cursor = _parse_cursor(c) or {k: 0 for k in KIND_NAMES}
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with self.server.streams_lock:
            self.server.streams += 1
        try:
            self._stream(cursor)
        finally:
            with self.server.streams_lock:
                self.server.streams -= 1

    def _stream(self, cursor: dict[str, int]) -> None:
        dash = self.server.dashboard
        stop = self.server.stop_event
        version = -1
        panel_sent = 0
        last_write = time.monotonic()
        w = self.wfile
        w.write(b"retry: 1000\n\n")
        w.flush()
        while not stop.is_set():
            version = dash.rec.wait(version, 1.0)
            if stop.is_set():
                break
            new = dash.rec.since(cursor)
            if any(new.values()):
                msg: dict[str, Any] = {"run": 0}
                for k, recs in new.items():
                    if recs:
                        msg[k] = kind_columns(k, records=recs)
                        cursor[k] += len(recs)
                w.write(f"event: data\nid: {_cursor_text(cursor)}\ndata: ".encode())
                w.write(json.dumps(msg, default=json_default, allow_nan=False).encode())
                w.write(b"\n\n")
                w.flush()
                last_write = time.monotonic()
            # decided before the panel is read, so the last panel goes out before the end
            final = (dash.rec.done or dash.closing) and not any(dash.rec.since(cursor).values()) \
                and dash._panel_data_version == dash.rec.version
            with dash.panel_lock:
                panel, pv = dash.panel, dash.panel_version
            if panel is not None and pv != panel_sent:
                panel_sent = pv
                w.write(b"event: panel\ndata: " + json.dumps(panel, default=json_default, allow_nan=False).encode() + b"\n\n")
                w.flush()
                last_write = time.monotonic()
            if final:
                reason = "ended" if dash.rec.done else "closed"
                w.write(f"event: end\ndata: {json.dumps({'reason': reason})}\n\n".encode())
                w.flush()
                break
            if time.monotonic() - last_write > KEEPALIVE_S:
                w.write(b": keep-alive\n\n")
                w.flush()
                last_write = time.monotonic()


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], dashboard: Dashboard, loopback_only: bool):
        self.dashboard = dashboard
        self.loopback_only = loopback_only
        self.stop_event = threading.Event()
        self.streams = 0
        self.streams_lock = threading.Lock()
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, _Handler)

    def page(self) -> str:
        dash = self.dashboard
        if dash.rec.done and dash._panel_data_version != dash.rec.version:
            dash.update_panel()  # a finished recording: the page gets no updates, so the verdict now
        data = dash.payload(explain=False)
        with dash.panel_lock:
            if dash.panel and data["runs"]:
                for k in ("explain", "peak", "notes"):
                    data["runs"][0][k] = dash.panel.get(k)
        downloads = '<a href="download/timeline.npz" download>recording (.npz Timeline)</a>'
        if dash.run_dir is not None:
            downloads += ' <a href="download/run.zip" download>run directory (.zip)</a>'
        header = (f'<p><span id="live-status" class="live">connecting…</span>'
                  f'<span class="downloads">Download: {downloads}</span></p>')
        return page(data, subtitle=f"{dash.label}", header_extra=header,
                    script_extra=LIVE_JS, csp_extra=" connect-src 'self';")


class DashboardServer:
    """A running dashboard: ``.url``, ``.close()``; ``.recording`` is what it shows."""

    def __init__(self, httpd: _HTTPServer, dashboard: Dashboard):
        self.httpd = httpd
        self.dashboard = dashboard
        self.recording = dashboard.rec
        host, port = httpd.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        self.host, self.port = host, port
        self.url = f"http://{shown}:{port}/"
        self.thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="gomem-dashboard-http", daemon=True)
        self._closed = False

    def start(self) -> "DashboardServer":
        self.dashboard.start()
        self.thread.start()
        return self

    def close(self, grace_s: float = 2.0) -> None:
        """Stop serving. Open pages first get what is left (a last read of the run directory,
        the final verdict) and an ``end`` event, for up to ``grace_s`` seconds."""
        if self._closed:
            return
        self._closed = True
        dash = self.dashboard
        if dash.poller is not None:
            dash.poller.stop()
            try:
                dash.poller.poll()
            except Exception:  # closing anyway: the pages keep what they have
                pass
        if self.httpd.streams:
            if dash._panel_data_version != dash.rec.version:
                dash.update_panel()
            dash.closing = True
            with dash.rec.cond:
                dash.rec.cond.notify_all()
            deadline = time.monotonic() + grace_s
            while self.httpd.streams and time.monotonic() < deadline:
                time.sleep(0.05)
        self.httpd.stop_event.set()
        self.dashboard.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "DashboardServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _static_recording(source: str | Path) -> tuple[Recording, str]:
    """A recording read once: a saved Timeline (.npz), or anything gomem.traces.read reads."""
    p = Path(source)
    if str(source).endswith(".npz") and p.is_file():
        try:
            tl = Timeline.load(p)
        except (ValueError, OSError) as e:
            raise InputError(f"not a gomem Timeline: {e}", path=str(p)) from e
    else:
        try:
            from ..traces import read  # type: ignore[attr-defined]
        except ImportError as e:
            raise InputError(f"cannot read this yet (no trace reader: {e})", path=str(p)) from e
        tl = read([str(p)])
    rec = Recording(tl.meta)
    rec.add(tl.records(), done=True)
    return rec, p.name or str(p)


def serve(run_dir: str | os.PathLike | Timeline | Recording, host: str = "127.0.0.1", port: int = 0,
          live: bool = True, label: str | None = None) -> DashboardServer:
    """Serve the dashboard of ``run_dir`` in a background thread; returns the running server
    (``.url``, ``.close()``).

    ``run_dir`` is a run directory (followed while ``gomem run`` writes it when ``live``), or a
    trace file / corpus directory / saved Timeline (read once), or a Timeline or a
    :class:`Recording` the caller fills. Binds ``host`` (127.0.0.1 by default; the CLI warns for
    anything else) and ``port`` (0: any free port)."""
    run_path: Path | None = None
    poller: Poller | None = None
    if isinstance(run_dir, Recording):
        rec, name = run_dir, label or "recording"
    elif isinstance(run_dir, Timeline):
        rec = Recording(run_dir.meta)
        rec.add(run_dir.records(), done=True)
        name = label or str(run_dir.meta.get("source") or "timeline")
    else:
        p = Path(run_dir)
        if is_run_dir(p) or (live and p.is_dir() and not any(p.iterdir())):
            run_path = p.resolve()
            rec = Recording({"source": str(run_path)})
            tail = RunDirTail(run_path, rec)
            if live:
                poller = Poller(tail.poll, rec)
            else:
                tail.poll()
                rec.add([], done=True)
            name = label or p.name
        elif p.exists():
            rec, name = _static_recording(p)
            name = label or name
        else:
            raise InputError("no such run directory or trace file", path=str(p))
    if not _is_loopback(host):
        sys.stderr.write(f"gomem: warning: the dashboard listens on {host}, not only on this machine: anyone who "
                         "can reach that address can see this run's data and download it\n")
        sys.stderr.flush()
    try:
        httpd = _HTTPServer((host, int(port)), Dashboard(rec, name, run_path, poller), _is_loopback(host))
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    return DashboardServer(httpd, httpd.dashboard).start()
