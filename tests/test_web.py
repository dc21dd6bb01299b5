"""gomem.web: the dashboard server over a run directory that grows while it is served (written
by the monitor's own Recorder), its SSE stream, downloads, and what it refuses to serve."""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
import zipfile
from urllib.parse import urlsplit

import pytest

from gomem.cli.main import main
from gomem.monitor.recorder import Recorder
from gomem.timeline import Timeline
from gomem.units import MiB
from gomem.web import serve

from test_report import small_timeline


def request(url: str, path: str, method: str = "GET", headers: dict | None = None):
    u = urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, dict(r.getheaders()), body


def sse(url: str, path: str = "/events", *, headers: dict | None = None, until=None, timeout_s: float = 10.0):
    """Read server-sent events until ``until(events)`` is true or the stream ends."""
    u = urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout_s)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream"
    events, cur = [], {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = r.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line == "":
            if "event" in cur:
                events.append(cur)
                if until and until(events):
                    break
            cur = {}
        elif not line.startswith(":"):
            k, _, v = line.partition(": ")
            cur[k] = v
    c.close()
    return events


def write_part(rec: Recorder, tl: Timeline, t0: float, t1: float) -> int:
    n = 0
    for r in tl.records():
        if r.get("t_s") is not None and t0 <= r["t_s"] < t1:
            rec.record(r)
            n += 1
    rec.flush()
    return n


@pytest.fixture
def run_dir(tmp_path):
    d = tmp_path / "run"
    rec = Recorder(d, {"cmd": ["./prog"], "settings": {"gogc": 100, "memory_limit_bytes": 96 * MiB},
                       "container_limit_bytes": 128 * MiB, "go_version": "1.27"})
    yield d, rec
    rec.close()


def test_serves_a_growing_run_directory_live(run_dir):
    d, rec = run_dir
    tl = small_timeline()
    first = write_part(rec, tl, 0, 2.0)
    with serve(d, port=0) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        # the page holds what was there when it was asked for
        deadline = time.monotonic() + 5
        while True:
            status, headers, body = request(srv.url, "/data.json")
            data = json.loads(body)
            run = data["runs"][0]
            if len(run["rss"]["t_s"]) + len(run["gc"]["t_s"]) + len(run["memstats"]["t_s"]) == first \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert len(run["rss"]["t_s"]) == 80 and len(run["gc"]["t_s"]) == 4
        assert run["limits"] == {"memory_limit_bytes": 96 * MiB, "container_limit_bytes": 128 * MiB}
        assert data["done"] is False
        cursor = data["cursor"]
        # new samples arrive on the event stream, from the page's cursor on
        second = write_part(rec, tl, 2.0, 4.0)
        events = sse(srv.url, f"/events?c={cursor}",
                     until=lambda ev: sum(len(json.loads(e["data"]).get("rss", {}).get("t_s", []))
                                          for e in ev if e["event"] == "data") >= 80)
        data_events = [json.loads(e["data"]) for e in events if e["event"] == "data"]
        got = {k: sum(len(m.get(k, {}).get("t_s", [])) for m in data_events) for k in ("gc", "memstats", "rss")}
        assert got == {"gc": 4, "memstats": 20, "rss": 80}
        assert sum(got.values()) == second
        # the stream's ids are cursors: a reconnect resumes where it stopped (no duplicates)
        last_id = [e["id"] for e in events if e["event"] == "data"][-1]
        write_part(rec, tl, 4.0, 10.0)
        rec.record({"kind": "event", "t_s": 5.0, "name": "exit", "text": "exit status 0"})
        rec.close({"exit_code": 0})
        events = sse(srv.url, "/events", headers={"Last-Event-ID": last_id},
                     until=lambda ev: ev[-1]["event"] == "end")
        assert events[-1]["event"] == "end"
        data_events = [json.loads(e["data"]) for e in events if e["event"] == "data"]
        assert sum(len(m.get("rss", {}).get("t_s", [])) for m in data_events) == 40
        assert sum(len(m.get("event", {}).get("t_s", [])) for m in data_events) >= 1
        panels = [json.loads(e["data"]) for e in events if e["event"] == "panel"]
        assert panels and "Summary" in panels[-1]["html"] and panels[-1]["peak"]["bytes"] > 0
        # the whole history is kept and downloadable
        status, headers, body = request(srv.url, "/download/timeline.npz")
        assert status == 200 and "attachment" in headers["Content-Disposition"]
        p = d.parent / "dl.npz"
        p.write_bytes(body)
        got_tl = Timeline.load(p)
        assert len(got_tl["rss"]) == 200 and len(got_tl["gc"]) == 10 and len(got_tl["memstats"]) == 50
        status, headers, body = request(srv.url, "/download/run.zip")
        names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
        assert {"run/meta.json", "run/rss.csv", "run/gc.jsonl", "run/summary.json"} <= names


def test_serves_only_its_own_page_and_data(run_dir):
    d, rec = run_dir
    (d / "secret.txt").write_text("no")
    with serve(d) as srv:
        status, headers, body = request(srv.url, "/")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"EventSource" in body and b"connect-src 'self'" in body
        for path in ("/secret.txt", "/meta.json", "/../secret.txt", "/%2e%2e/secret.txt", "/download/",
                     "/download/../secret.txt", "/assets/", "/index.html", "//etc/passwd", "/events/x"):
            status, _, body = request(srv.url, path)
            assert status == 404, path
            assert b"no" != body
        status, headers, _ = request(srv.url, "/", method="POST")
        assert status == 405 and headers["Allow"] == "GET, HEAD"
        # bound to loopback: a page from another name (DNS rebinding) is refused
        status, _, _ = request(srv.url, "/data.json", headers={"Host": "evil.example:80"})
        assert status == 403
        status, _, _ = request(srv.url, "/data.json", headers={"Host": f"localhost:{srv.port}"})
        assert status == 200


def test_other_addresses_only_when_asked_and_with_a_warning(run_dir, capsys):
    d, _ = run_dir
    with serve(d) as srv:
        assert srv.host == "127.0.0.1"
    assert "warning" not in capsys.readouterr().err
    with serve(d, host="0.0.0.0") as srv:
        assert srv.host == "0.0.0.0"
        # reachable through the machine's own address, any Host accepted there
        status, _, _ = request(f"http://127.0.0.1:{srv.port}/", "/data.json")
        assert status == 200
    err = capsys.readouterr().err
    assert "warning" in err and "0.0.0.0" in err


def test_static_recordings_and_errors(tmp_path, capsys):
    p = tmp_path / "a.npz"
    small_timeline().save(p)
    with serve(p) as srv:
        data = json.loads(request(srv.url, "/data.json")[2])
        assert data["done"] is True and len(data["runs"][0]["rss"]["t_s"]) == 200
        events = sse(srv.url, f"/events?c={data['cursor']}", until=lambda ev: ev[-1]["event"] == "end", timeout_s=8)
        assert events[-1]["event"] == "end"
        assert request(srv.url, "/download/run.zip")[0] == 404  # no run directory behind it
    assert main(["dashboard", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main(["dashboard"]) == 2
    assert "expected one RUN" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert main(["dashboard", "--port", str(busy), "--linger", "0", str(p)]) == 2
        assert "cannot listen" in capsys.readouterr().err


def test_a_finished_recording_page_has_its_verdict(tmp_path):
    p = tmp_path / "a.npz"
    small_timeline().save(p)
    with serve(p) as srv:
        status, _, body = request(srv.url, "/")
        assert status == 200
        assert b"Summary" in body and b"GC cycles" in body and b'class="verdict' in body


def test_unreadable_lines_are_named_in_the_notes(run_dir):
    d, rec = run_dir
    write_part(rec, small_timeline(), 0, 1.0)
    with open(d / "gc.jsonl", "a") as f:
        f.write("{not json\n")
    write_part(rec, small_timeline(), 1.0, 2.0)
    with serve(d) as srv:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            notes = json.loads(request(srv.url, "/data.json")[2])["runs"][0]["notes"]
            if notes:
                break
            time.sleep(0.1)
        lines = (d / "gc.jsonl").read_text().splitlines()
        bad = lines.index("{not json") + 1
        assert f"gc.jsonl:{bad}: not a JSON record" in " ".join(notes)
