"""``GODEBUG=gctrace=1`` lines (and the other runtime lines on a Go program's stderr): a stateful
stream parser, :class:`GctraceParser`, plus the pure per-line function :func:`parse_gc_line`.

The line is printed by ``gcMarkTermination`` (runtime/mgc.go). Its formats:

=========  ============================================================================================
<1.5       ``gcN(P): a+b+c[+d] ms|us, H0 -> H1 MB ...`` (runtime/mgc0.c; no clock, no goal)
1.5-1.6    ``gc # @#s #%: #+#+#+#+# ms clock, #+#+#+#/#/#+# ms cpu, #->#-># MB, # MB goal, # P``
           (phases: sweep termination, scan, install write barrier, mark, mark termination;
           go1.5/go1.6 runtime/mgc.go gcMarkTermination, documented in runtime/extern.go)
1.7-1.17   ``gc # @#s #%: #+#+# ms clock, #+#/#/#+# ms cpu, #->#-># MB, # MB goal, # P``
1.18-1.25  ``... # MB goal, # MB stacks, # MB globals, # P``
1.26-1.27  ``gc # @#s #% (checking for goroutine leaks): ...`` (the tag only on leak-check cycles)
all 1.5+   an optional trailing `` (forced)`` (``work.userForced``: runtime.GC / FreeOSMemory)
=========  ============================================================================================

Sizes are ``work.heap0>>20`` etc. (go1.27 runtime/mgc.go gcMarkTermination): floored MiB printed
as "MB". They are stored as ``value << 20`` bytes. Times: ``@#s`` is
``(tSweepTerm-runtimeInitTime)`` in ms printed with three decimals (itoaDiv), phase times are
``fmtNSAsMS`` (two significant digits below 10 ms).

Real logs are messy: the runtime writes a line in several ``write`` calls, so another writer's
output can land inside it (the seed: ``gc env: gctrace=1, sys: ...`` then ``1 @0.024s 0%: ...``);
the parser keeps the dangling ``gc`` fragment for a few lines and glues it to a following line
that carries the rest. Several processes may share one stream (``go run`` traces the build tool
too): GC numbers going back (to 1) start a new process, ``process`` being its 0-based index.
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter
from typing import Any

from .scavtrace import parse_scav, parse_scvg

_F = r"(\d+(?:\.\d+)?)"  # fmtNSAsMS / itoaDiv output
GC_RE = re.compile(
    r"gc (\d+) @" + _F + r"s (\d+)%( \(checking for goroutine leaks\))?: "
    # clock: 3 phases (1.7+) or 5 (1.5-1.6)
    + _F + r"\+" + _F + r"\+" + _F + r"(?:\+" + _F + r"\+" + _F + r")? ms clock, "
    # cpu: a+b/c/d+e (1.7+) or a+b+c+d/e/f+g (1.5-1.6)
    + r"(?:" + _F + r"\+" + _F + r"/" + _F + r"/" + _F + r"\+" + _F
    + r"|" + _F + r"\+" + _F + r"\+" + _F + r"\+" + _F + r"/" + _F + r"/" + _F + r"\+" + _F + r") ms cpu, "
    r"(\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (?:(\d+) ?MB stacks, (\d+) ?MB globals, )?(\d+) P( \(forced\))?"
)
#: the common line of Go 1.18-1.27, matched first (anchored, specific: cheaper than GC_RE)
GC18_RE = re.compile(
    r"gc (\d+) @(\d+(?:\.\d+)?)s (\d+)%: (\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?) ms clock, "
    r"(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?) ms cpu, "
    r"(\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (\d+) MB stacks, (\d+) MB globals, (\d+) P( \(forced\))?\s*$"
)
#: pre-1.5: ``gc12(8): 0+0+0 ms, 1 -> 0 MB 16 -> 18 (19-1) objects, ...`` (runtime/mgc0.c)
OLD_GC_RE = re.compile(r"gc(\d+)\((\d+)\): [\d+]+ (?:ms|us), (\d+) -> (\d+) MB")
#: the end of a gctrace line, to look for the second half of a split one
TAIL_RE = re.compile(r"(\d+) P(?: \(forced\))?\s*$")
#: where a dangling gctrace fragment may start
FRAG_RE = re.compile(r"(?:^|(?<=[\s\t]))gc(?: |$)")
FATAL_RE = re.compile(r"^fatal error: (.*)$")
GOVERSION_RE = re.compile(r"(?<![A-Za-z0-9_])go(1\.\d+)(?:\.\d+|rc\d+|beta\d+)?\s+(?:linux|darwin|windows|freebsd|netbsd|openbsd|"
                          r"illumos|solaris|aix|plan9|dragonfly|js|wasip1|android|ios)/")

#: column order of gc records (the gc schema of gomem.timeline, in reading order)
GC_KEYS = ("kind", "num", "t_s", "process", "gc_cpu_percent",
           "clock_sweep_term_ms", "clock_mark_ms", "clock_mark_term_ms",
           "cpu_sweep_term_ms", "cpu_assist_ms", "cpu_background_ms", "cpu_idle_ms", "cpu_mark_term_ms",
           "heap_start_bytes", "heap_end_bytes", "heap_live_bytes", "heap_goal_bytes",
           "stacks_bytes", "globals_bytes", "procs", "forced", "seq")

#: how long (in lines) a dangling ``gc`` fragment waits for its second half
SPLIT_WINDOW = 8
_MAX_FRAG = 240


def _gc_record(m: re.Match, seq: int | None, process: int) -> tuple[dict[str, Any], str]:
    g = m.groups()
    rec: dict[str, Any] = {
        "kind": "gc", "num": int(g[0]), "t_s": float(g[1]), "process": process, "gc_cpu_percent": float(g[2]),
    }
    five = g[7] is not None
    if five:
        # go1.5/1.6: sweep termination, scan, install write barrier, mark, mark termination
        rec["clock_sweep_term_ms"] = float(g[4])
        rec["clock_mark_ms"] = float(g[7])
        rec["clock_mark_term_ms"] = float(g[8])
    else:
        rec["clock_sweep_term_ms"] = float(g[4])
        rec["clock_mark_ms"] = float(g[5])
        rec["clock_mark_term_ms"] = float(g[6])
    if g[9] is not None:  # a+b/c/d+e
        rec["cpu_sweep_term_ms"] = float(g[9])
        rec["cpu_assist_ms"] = float(g[10])
        rec["cpu_background_ms"] = float(g[11])
        rec["cpu_idle_ms"] = float(g[12])
        rec["cpu_mark_term_ms"] = float(g[13])
    else:  # a+b+c+d/e/f+g: sweep term, scan, install WB, assist, background, idle, mark term
        rec["cpu_sweep_term_ms"] = float(g[14])
        rec["cpu_assist_ms"] = float(g[17])
        rec["cpu_background_ms"] = float(g[18])
        rec["cpu_idle_ms"] = float(g[19])
        rec["cpu_mark_term_ms"] = float(g[20])
    rec["heap_start_bytes"] = int(g[21]) << 20
    rec["heap_end_bytes"] = int(g[22]) << 20
    rec["heap_live_bytes"] = int(g[23]) << 20
    rec["heap_goal_bytes"] = int(g[24]) << 20
    rec["stacks_bytes"] = int(g[25]) << 20 if g[25] is not None else None
    rec["globals_bytes"] = int(g[26]) << 20 if g[26] is not None else None
    rec["procs"] = int(g[27])
    rec["forced"] = g[28] is not None
    rec["seq"] = seq
    if five:
        rec["clock_scan_ms"] = float(g[5])
        rec["clock_install_wb_ms"] = float(g[6])
        if g[15] is not None:
            rec["cpu_scan_ms"] = float(g[15])
            rec["cpu_install_wb_ms"] = float(g[16])
        version = "1.5-1.6"
    elif g[25] is None:
        version = "1.7-1.17"
    elif g[3] is not None:
        version = "1.26+"
    else:
        version = "1.18+"
    if g[3] is not None:
        rec["goroutine_leak_check"] = True
    return rec, version


def _gc18_record(m: re.Match, seq: int | None, process: int) -> dict[str, Any]:
    (num, t, pct, c1, c2, c3, u1, u2, u3, u4, u5, h0, h1, h2, goal, stacks, globals_, procs, forced) = m.groups()
    return {
        "kind": "gc", "num": int(num), "t_s": float(t), "process": process, "gc_cpu_percent": float(pct),
        "clock_sweep_term_ms": float(c1), "clock_mark_ms": float(c2), "clock_mark_term_ms": float(c3),
        "cpu_sweep_term_ms": float(u1), "cpu_assist_ms": float(u2), "cpu_background_ms": float(u3),
        "cpu_idle_ms": float(u4), "cpu_mark_term_ms": float(u5),
        "heap_start_bytes": int(h0) << 20, "heap_end_bytes": int(h1) << 20, "heap_live_bytes": int(h2) << 20,
        "heap_goal_bytes": int(goal) << 20, "stacks_bytes": int(stacks) << 20, "globals_bytes": int(globals_) << 20,
        "procs": int(procs), "forced": forced is not None, "seq": seq,
    }


def parse_gc_line(text: str, seq: int | None = None, process: int = 0) -> dict[str, Any] | None:
    """The gc record of the first gctrace line (any Go version) found in ``text``, or None.
    Pure: no state, so no process numbering and no split-line recovery."""
    m = GC_RE.search(text)
    if m:
        return _gc_record(m, seq, process)[0]
    m = OLD_GC_RE.search(text)
    if m:
        return _old_gc_record(m, seq, process)
    return None


def _old_gc_record(m: re.Match, seq: int | None, process: int) -> dict[str, Any]:
    # runtime/mgc0.c (go1.2-1.4): heap0 = heap_alloc before, heap1 = heap_alloc after the cycle
    rec = dict.fromkeys(GC_KEYS)
    rec.update(kind="gc", num=int(m[1]), process=process, procs=int(m[2]), forced=False, seq=seq,
               heap_start_bytes=int(m[3]) << 20, heap_end_bytes=int(m[4]) << 20)
    return rec


class GctraceParser:
    """Stateful parser of a Go program's stderr, line by line.

    ``feed(line, lineno)`` returns the records the line completes: kind ``gc`` (gctrace),
    ``scav`` (scavtrace and old ``scvg`` lines) and ``event`` (``GC forced``, ``fatal error``,
    ``signal: killed``). ``finish()`` returns what is still pending at the end (nothing today:
    an unmatched fragment of a split line is not a record). After each ``feed``,
    ``understood`` says whether the line was recognised (a fragment of a split line counts as
    understood only once its other half arrives).

    Attributes worth reading: ``process`` (index of the current process run, -1 before the
    first GC), ``versions`` (set of Go version ranges the formats seen imply).
    """

    def __init__(self) -> None:
        self.process = -1
        self.last_num: int | None = None
        self.versions: set[str] = set()
        self.understood = False
        self.go_version: str | None = None
        self._frag: str | None = None  # dangling "gc ..." text of a split line
        self._frag_seq: int | None = None
        self._frag_age = 0
        self._pending_unknown: int | None = None

    # -- process numbering ----------------------------------------------------------------
    def _process_for(self, num: int) -> int:
        if self.last_num is None or num <= self.last_num:
            self.process += 1
        self.last_num = num
        return self.process

    @property
    def current_process(self) -> int:
        return max(self.process, 0)

    # -- feeding ------------------------------------------------------------------------
    def feed(self, line: str, lineno: int | None = None) -> list[dict[str, Any]]:
        text = line.rstrip("\r\n")
        out: list[dict[str, Any]] = []
        self.understood = False
        if text.startswith("gc "):
            m = GC18_RE.match(text)
            if m is not None:
                rec = _gc18_record(m, lineno, 0)
                num = rec["num"]
                if self.last_num is None or num <= self.last_num:
                    self.process += 1
                self.last_num = num
                rec["process"] = self.process
                self.versions.add("1.18+")
                self.understood = True
                self._age_frag()
                return [rec]
        if "gc" in text:
            for m in GC_RE.finditer(text):
                rec, version = _gc_record(m, lineno, 0)
                rec["process"] = self._process_for(rec["num"])
                self.versions.add(version)
                out.append(rec)
            if not out:
                m = OLD_GC_RE.search(text)
                if m:
                    num = int(m[1])
                    out.append(_old_gc_record(m, lineno, self._process_for(num)))
                    self.versions.add("<1.5")
        if not out and "sc" in text:
            found = parse_scav(text, lineno) or parse_scvg(text, lineno)
            if found:
                rec, version = found
                rec["process"] = self.current_process
                self.versions.add(version)
                out.append(rec)
        if out:
            self.understood = True
            self._age_frag()
            return out
        # the second half of a split line?
        if self._frag is not None and TAIL_RE.search(text):
            rec = self._join(text)
            if rec is not None:
                self.understood = True
                return [rec]
        self._age_frag()
        if "GC forced" in text and text.strip() == "GC forced":
            # runtime/proc.go forcegchelper: printed before a periodic (2 min) forced GC
            self.understood = True
            return [{"kind": "event", "t_s": None, "process": self.current_process, "seq": lineno,
                     "name": "periodic_gc", "value": None, "text": "GC forced"}]
        if text.startswith("fatal error: "):
            self.understood = True
            return [{"kind": "event", "t_s": None, "process": self.current_process, "seq": lineno,
                     "name": "fatal", "value": None, "text": text[len("fatal error: "):]}]
        if text.startswith("signal: ") and len(text) < 40:
            # go run / os/exec's report of the child's death (the seed: "signal: killed")
            self.understood = True
            return [{"kind": "event", "t_s": None, "process": self.current_process, "seq": lineno,
                     "name": "signal", "value": None, "text": text[len("signal: "):]}]
        if "go1." in text:
            m = GOVERSION_RE.search(text)
            if m:
                self.go_version = m[1]
                self.understood = True
        if "gc" in text:
            self._keep_frag(text, lineno)
        return out

    def finish(self) -> list[dict[str, Any]]:
        self._frag = None
        return []

    # -- split lines ------------------------------------------------------------------------
    def _keep_frag(self, text: str, lineno: int | None) -> None:
        last = None
        for m in FRAG_RE.finditer(text):
            last = m
        if last is None:
            return
        frag = text[last.start():]
        if len(frag) > _MAX_FRAG:
            frag = frag[:_MAX_FRAG]
        self._frag, self._frag_seq, self._frag_age = frag, lineno, 0

    def _age_frag(self) -> None:
        if self._frag is not None:
            self._frag_age += 1
            if self._frag_age > SPLIT_WINDOW:
                self._frag = None

    def _join(self, text: str) -> dict[str, Any] | None:
        frag = self._frag or ""
        bodies = [text] if text == text.lstrip() else [text, text.lstrip()]
        for body in bodies:
            for k in range(len(frag), 2, -1):
                m = GC_RE.match(frag[:k] + body)
                if m and m.end() >= k:
                    rec, version = _gc_record(m, self._frag_seq, 0)
                    rec["process"] = self._process_for(rec["num"])
                    self.versions.add(version)
                    self._frag = None
                    return rec
        return None


# -- fast path: whole chunks of uniform gctrace lines straight to JSON Lines ------------------
#
# A log of gctrace lines is read in chunks of bytes, cut into pieces of some 16 KiB (their
# token objects stay in the CPU cache). A piece is taken only when every line in it is a
# well-formed gctrace line of one format: deleting digits leaves each line's skeleton, which
# must be that of a Go 1.7-1.17 or 1.18+ line (with or without " (forced)", dots only in the
# times), every number slot must hold one number, and each column's numbers must be well
# formed. The skeleton is checked whole: the forced lines are found by their one "(" (a
# one-byte find is memchr), the expected text is built from the two line shapes and compared.
# Then one translate/split cuts out the numbers, each column becomes JSON text through a memo
# (``float`` repr for times, MiB << 20 for sizes: exactly what json.dumps writes of the line
# parser's record; t_s by replace passes), and the rows are assembled by repeating one row of
# constant pieces (list repetition), one slice assignment per column and one join. Anything
# else (another format, a split line, a leading zero, garbage) goes through GctraceParser line
# by line (gomem parse does that per run of lines), so the JSON is the same byte for byte
# (tests/test_traces_fastpath.py). Known gap, as before: a line with a digit inside a word of
# the text AND a number missing in the same line keeps its count of numbers and may be read
# with its numbers shifted. (The CSV and summary fast paths still write the numbers' text as
# printed, e.g. "0.10" where the line parser's CSV has 0.1.)
#
# Where the time goes (1M lines of benchmarks/bench_parse.py, CPU s, about 1.37 in all): memo
# lookups of 13 columns 0.43, rows (slices + join) 0.27, translate + split 0.30, t_s 0.11,
# skeleton 0.08 + tiling 0.04, GC numbers 0.03, the rest (calls, freeing) ~0.1. A lookup
# (~30 ns), a token (~14 ns) and a row piece (~10 ns) cost about what a replace pass over a
# column's joined text costs per token, and a pass over a whole piece (~7-12 us) costs ~300
# lookups: that bounds every trade below.
#
# Measured and dropped (same lines, CPU s): rows by ``map(template.__mod__, zip(*columns))``
# (0.52 vs 0.36 for slicing + join) or one ``bytes %`` of the piece (33 vs 24 us a piece); one
# memo per size column with its key in the texts (+0.1 in hash order; +0.09 even filled in
# blocks: four dicts miss the cache, one does not); one memo key for the heap triple (half the
# triples are new, in the benchmark and in the corpus's real Go 1.19-1.27 logs alike); pairs
# of phase times as one key (zip tuples: 1.14 vs 0.25 s for four pairs); phase times made
# canonical by replace passes, over the piece (strip "0+", "0/", "0 ms c" and put back ".0":
# 6+ passes of ~8 us vs ~25 us of lookups for all eight columns) or over each column's joined
# text (join + passes + split back: 0.21 s for 8M tokens vs 0.24 for their lookups, and the
# keys then cost a row piece each); t_s with its key in its joined text (0.061 vs 0.049 s: every
# pass reads the keys too), by a strip loop (0.144 vs 0.123) or with ``in`` guards before the
# replaces (0.128 vs 0.122); numbers cut by a translate that deletes the words (0.331 vs 0.332:
# a split costs its tokens, not its bytes) or into ``str`` (faster dict lookups, slower split:
# +0.05 net); numpy for the sizes (np.array + astype + shift + astype S + tolist: 28 us vs
# ~4 us a column of 110) or np.loadtxt for all numbers (0.68 vs 0.33); small memos (4096/8192
# entries: 2.03/1.83 s, the sizes miss); other piece sizes (12 KiB 1.42, 20 KiB 1.36-1.37,
# 24/32 KiB 1.46/1.48 vs 1.37 for 16); gc.disable() around the fast path (no difference). Every
# pass over the text costs about what the whole bare ``for line in f`` costs (0.08 s): count
# lines once.

_NUMCHARS = b"0123456789."
_SKELETON_DELETE = _NUMCHARS
_TO_SPACE = bytes(c if c in _NUMCHARS else 0x20 for c in range(256))
_SHAPE_18 = b"gc  @s %: ++ ms clock, +//+ ms cpu, ->-> MB,  MB goal,  MB stacks,  MB globals,  P"
_SHAPE_16 = b"gc  @s %: ++ ms clock, +//+ ms cpu, ->-> MB,  MB goal,  P"
_FORCED = b" (forced)"
_SHAPES = {
    _SHAPE_18: (18, False), _SHAPE_18 + _FORCED: (18, True),
    _SHAPE_16: (16, False), _SHAPE_16 + _FORCED: (16, True),
}
_DIGITS = b"0123456789"
#: digits 1-9 -> "1", "0" and "." kept, anything else -> " " (for leading-zero/dot checks)
_LEADING = bytes(c if c in b"0." else 0x31 if c in b"123456789" else 0x20 for c in range(256))
_DOTTED_HEAD = rb"gc  @\.?s %: \.?\+\.?\+\.? ms clock, \.?\+\.?/\.?/\.?\+\.? ms cpu, ->-> MB,  MB goal,  "
_SHAPE_RE = {
    18: re.compile(_DOTTED_HEAD + rb"MB stacks,  MB globals,  P( \(forced\))?"),
    16: re.compile(_DOTTED_HEAD + rb"P( \(forced\))?"),
}
_DOTTED: dict[bytes, tuple[int, bool] | None] = {}


def _dotted_shape(shape: bytes) -> tuple[int, bool] | None:
    """(numbers per line, forced) of a line shape with digits deleted and dots kept, if it is
    a gctrace line whose dots are all in float slots (t, clock and cpu times), at most one each."""
    got = _DOTTED.get(shape, False)
    if got is not False:
        return got  # type: ignore[return-value]
    found = None
    for nf, rx in _SHAPE_RE.items():
        m = rx.fullmatch(shape)
        if m:
            found = (nf, m.group(1) is not None)
            break
    if len(_DOTTED) < 4096:
        _DOTTED[shape] = found
    return found


def plain_gc_line(raw: bytes) -> bool:
    """Whether one line (bytes, no newline) has the shape of a modern gctrace line (Go 1.7-1.17
    or 1.18+) the fast path may take; the fast path still checks its numbers."""
    return raw.startswith(b"gc ") and _dotted_shape(raw.translate(None, _DIGITS)) is not None


_JSON_KEYS = [k for k in GC_KEYS if k != "kind"]


class _MiBBytes(dict):
    """"397" -> "416284672" (MiB to bytes, as JSON text), cached."""

    def __missing__(self, k: str) -> str:
        if "." in k:
            raise ValueError(k)
        v = str(int(k) << 20)
        if len(self) < 100_000:
            self[k] = v
        return v


_MIB = _MiBBytes()


class FastChunk:
    """The gctrace lines of one chunk as columns of text (see :func:`fast_chunk`)."""

    __slots__ = ("n", "nf", "col", "procs", "forced", "first_lineno")

    def __init__(self, n: int, nf: int, col: list[list[str]], procs: list[str], forced: list[str],
                 first_lineno: int):
        self.n, self.nf, self.col, self.procs, self.forced, self.first_lineno = n, nf, col, procs, forced, first_lineno

    # columns by meaning (text, as printed; heap sizes in MiB)
    @property
    def nums(self) -> list[str]:
        return self.col[0]

    @property
    def times(self) -> list[str]:
        return self.col[1]

    def heap_mib(self, i: int) -> list[str]:
        """heap0, heap1, heap2, goal, (stacks, globals): the i-th size column, in MiB."""
        return self.col[11 + i]


def fast_chunk(chunk: bytes, parser: GctraceParser, first_lineno: int) -> FastChunk | None:
    """A chunk of complete lines that are all gctrace lines of one modern format (Go 1.7-1.17
    or 1.18+), as text columns, with ``parser``'s process numbering advanced exactly as
    :meth:`GctraceParser.feed` would; None (and ``parser`` untouched) when it does not qualify."""
    if not chunk.endswith(b"\n") or not chunk.startswith(b"gc "):
        return None
    # line shapes: digits deleted, dots kept (a dot may only stand in a float's slot, once)
    skel = chunk.translate(None, _DIGITS).split(b"\n")
    skel.pop()
    n = len(skel)
    shapes = set(skel)
    info = [_dotted_shape(s) for s in shapes]
    if None in info or len({i[0] for i in info}) != 1:  # type: ignore[index]
        return None
    nf = info[0][0]  # type: ignore[index]
    nums = chunk.translate(_TO_SPACE).decode("ascii").split()
    if len(nums) != n * nf:
        return None
    # no number starts or ends with a dot, none has a leading zero (GC_RE would read "007" as 7;
    # the raw text would not be JSON): those go the slow way
    joined = " " + " ".join(nums) + " "
    if " ." in joined or ". " in joined:
        return None
    lz = joined.encode("ascii").translate(_LEADING)
    if b" 00" in lz or b" 01" in lz:
        return None
    col = [nums[i::nf] for i in range(nf)]
    # process numbering as GctraceParser._process_for: a GC number not above the last starts a run
    last = parser.last_num
    process = parser.process
    nums0 = col[0]
    if last is not None and nums0 == list(map(str, range(last + 1, last + 1 + n))):
        procs = [str(process)] * n  # the usual case: consecutive GC numbers
    else:
        procs = []
        p_txt = str(process)
        for num in map(int, nums0):
            if last is None or num <= last:
                process += 1
                p_txt = str(process)
            last = num
            procs.append(p_txt)
    parser.process = process
    parser.last_num = int(nums0[-1])
    parser.versions.add("1.18+" if nf == 18 else "1.7-1.17")
    forced_of = {s: "true" if _dotted_shape(s)[1] else "false" for s in shapes}  # type: ignore[index]
    return FastChunk(n, nf, col, procs, list(map(forced_of.__getitem__, skel)), first_lineno)


class _Reject(Exception):
    """A token the fast path leaves to the line parser (leading zero, misplaced dot, overflow)."""


_FLOAT_TOKEN = re.compile(rb"\d+(?:\.\d+)?")
_MEMO_MAX = 1 << 16
#: sizes are memoised in blocks of 2**_BLOCK_BITS neighbouring values (:meth:`_JsonField.fill`)
_BLOCK_BITS = 8


class _JsonField:
    """Token (bytes, as printed) -> ``,"key":value`` (JSON text of the record's value, exactly
    as ``json.dumps`` writes what the line parser makes of the token), memoised in a plain
    dict (``memo``): the values of a column repeat (phase times have two significant digits,
    sizes move slowly), and a column is looked up at once with ``operator.itemgetter``."""

    __slots__ = ("prefix", "kind", "memo", "suffix")

    def __init__(self, key: str, kind: str, suffix: bytes = b""):
        self.prefix = b',"' + key.encode() + b'":'
        self.suffix = suffix  # the constant text after the value, if always the same
        self.kind = kind
        self.memo: dict[bytes, bytes] = {}

    def text(self, tok: bytes) -> bytes:
        if self.kind in ("float", "pct"):  # float(g) in _gc18_record/_gc_record; json.dumps writes repr
            if _FLOAT_TOKEN.fullmatch(tok) is None or self.kind == "pct" and not tok.isdigit():
                raise _Reject
            f = float(tok)
            if f == float("inf"):
                raise _Reject  # the line parser's record would hold inf (written as null)
            text = repr(f)
        else:  # "mib": int(g) << 20; "int": int(g)
            if len(tok) > 1 and tok[:1] == b"0" or len(tok) > 300:
                raise _Reject
            text = str(int(tok) << 20 if self.kind == "mib" else int(tok))
        return self.prefix + text.encode() + self.suffix

    def __getitem__(self, tok: bytes) -> bytes:
        v = self.memo.get(tok)
        if v is None:
            v = self.text(tok)
            if len(self.memo) < _MEMO_MAX:
                self.memo[tok] = v
        return v

    def column(self, col: list[bytes]) -> tuple[bytes, ...] | list[bytes]:
        """The JSON texts of a column of tokens."""
        if len(col) < 2:
            return [self[t] for t in col]
        memo = self.memo
        try:
            return itemgetter(*col)(memo)
        except KeyError:
            keys = set(col)
            missing = keys.difference(memo)
            blocks = self.kind == "mib" and {int(t) >> _BLOCK_BITS for t in missing if t.isdigit() and len(t) <= 12}
            if len(memo) + len(missing) + (len(blocks) << _BLOCK_BITS if blocks else 0) > _MEMO_MAX:
                memo.clear()  # bounded memory: start over with this column's tokens
                missing = keys
            if blocks:
                for b in sorted(blocks):
                    self.fill(b << _BLOCK_BITS, 1 << _BLOCK_BITS)
                missing = keys.difference(memo)
            memo.update({t: self.text(t) for t in missing})
            return itemgetter(*col)(memo)

    def fill(self, lo: int, count: int) -> None:
        """Sizes ``lo`` .. ``lo + count - 1`` (MiB) into the memo, in order: a heap's sizes
        move within a range, so a block of neighbours costs one miss, and their texts lie
        side by side in memory (measured: 1M lines 1.40 vs 1.44-1.47 s CPU in hash order)."""
        keys = ((b"%d " * count) % tuple(range(lo, lo + count))).split()
        texts = ((b"%d " * count) % tuple(range(lo << 20, (lo + count) << 20, 1 << 20))).split()
        pre, suf = self.prefix, self.suffix
        self.memo.update(zip(keys, [pre + t + suf for t in texts] if pre or suf else texts))


#: the JSON fields after t_s and process, in the order of the numbers on the line (nf = 18)
_JSON_FIELDS = [_JsonField(k, "pct" if k == "gc_cpu_percent" else "float") for k in GC_KEYS[4:13]] + \
               [_JsonField(k, "mib") for k in GC_KEYS[13:19]] + [_JsonField("procs", "int")]
#: MiB -> bytes as JSON text, without a key: the heap sizes of a line are close to each other
_MIB_TEXT = _JsonField("", "mib")
_MIB_TEXT.prefix = b""
#: the last time (cpu_mark_term_ms) is always followed by heap_start_bytes: its memo's texts
#: end with that key (one piece less per line)
_JSON_FIELDS[8].suffix = _JSON_FIELDS[9].prefix
_SIZE_KEYS = {j: _JSON_FIELDS[j - 2].prefix for j in (12, 13, 14)}
assert GC_KEYS[12] == "cpu_mark_term_ms" and GC_KEYS[13] == "heap_start_bytes"
#: digits -> "d" (the shape of number texts)
_D = bytes(0x64 if 48 <= c <= 57 else c for c in range(256))
_SUB_CHUNK = 16 << 10  # cache-sized pieces: the token objects of one stay in cache


def sub_chunks(chunk: bytes, size: int = _SUB_CHUNK) -> list[bytes]:
    """``chunk`` (complete lines) cut at newlines into pieces of about ``size`` bytes."""
    out = []
    i, end = 0, len(chunk)
    while end - i > size:
        j = chunk.rfind(b"\n", i, i + size) + 1
        if j <= i:
            j = chunk.find(b"\n", i + size) + 1 or end
        out.append(chunk[i:j])
        i = j
    if i < end:
        out.append(chunk[i:])
    return out


def _json_t(ts: list[bytes], n: int) -> list[bytes]:
    """The t_s column (``@#s``, itoaDiv(ms, 3): ``12.340``) as JSON text (``12.34``), or _Reject.
    Its tokens (from :func:`_json_piece`) are digits with one dot at most."""
    tj = b"\n" + b"\n".join(ts) + b"\n"
    if b"\n0" in tj and tj.count(b"\n0") != tj.count(b"\n0."):
        raise _Reject  # a leading zero
    shape = tj.translate(_D)
    # (a token has one dot at most: the line's shape passed _dotted_shape)
    if shape.count(b"d.ddd\n") == n and b"\nddddddddddddd" not in shape:
        # the runtime's three decimals: trailing zeros go by replace passes (".d00" -> ".d",
        # ".dd0" -> ".dd", ".000" -> ".0" -> "." -> ".0")
        out = tj.replace(b"00\n", b"\n").replace(b"0\n", b"\n").replace(b".\n", b".0\n").split(b"\n")
        out.pop()
        del out[0]
        return out
    if b"\n." in tj or b".\n" in tj or b"\n0.0000" in tj or max(map(len, ts)) > 16 or shape.count(b".") != n:
        raise _Reject
    tj = b"\n".join(map(bytes.rstrip, ts, repeat(b"0"))) + b"\n"
    out = tj.replace(b".\n", b".0\n").split(b"\n")
    out.pop()
    return out


_TRUE_SEQ, _FALSE_SEQ = b',"forced":true,"seq":', b',"forced":false,"seq":'
#: '"process":N' -> the gc_cpu_percent field whose texts start with it (one piece less per line)
_PCT_FIELDS: dict[bytes, _JsonField] = {}


_FORCED_NL = _FORCED + b"\n"
#: first line's shape -> (plain shape, forced shape, numbers per line), or None: not a gctrace shape
_TILES: dict[bytes, tuple[bytes, bytes, int] | None] = {}


def _tiles(first: bytes) -> tuple[bytes, bytes, int] | None:
    got = _TILES.get(first, False)
    if got is not False:
        return got  # type: ignore[return-value]
    if first.endswith(_FORCED_NL):
        plain, forced = first[:-len(_FORCED_NL)] + b"\n", first
    else:
        plain, forced = first, first[:-1] + _FORCED_NL
    info = _dotted_shape(plain[:-1])
    found = None
    if info is not None and not info[1] and _dotted_shape(forced[:-1]) == (info[0], True):
        found = plain, forced, info[0]
    if len(_TILES) < 4096:
        _TILES[first] = found
    return found


def _tiled(skel_text: bytes) -> tuple[int, int, list[int]] | None:
    """(lines, numbers per line, indices of the forced lines) when every line of ``skel_text``
    (lines with digits deleted) is the first line's shape, with or without " (forced)", and
    that is a gctrace shape (:func:`_dotted_shape`); None otherwise (then look line by line).

    No count over the text: the forced lines are found (usually none), the expected text is
    built from the shapes and compared with ``skel_text`` whole."""
    tiles = _tiles(skel_text[:skel_text.find(b"\n") + 1])
    if tiles is None:
        return None
    plain, forced, nf = tiles
    lp = len(plain)
    if b"(" not in skel_text:  # (one byte: memchr)
        n, rest = divmod(len(skel_text), lp)
        if rest or skel_text != plain * n:
            return None
        return n, nf, []
    # the forced lines: each has one "(", at offset lp in its line (plain lines have none)
    extra = len(forced) - lp
    idx = []
    pos = skel_text.find(b"(")
    while pos >= 0:  # line index: the plain and forced lines before, from the offset
        idx.append((pos - lp - len(idx) * extra) // lp)
        pos = skel_text.find(b"(", pos + 1)
    n, rest = divmod(len(skel_text) - len(idx) * extra, lp)
    if rest or not idx or min(idx) < 0 or max(idx) >= n:
        return None
    rows = [plain] * n
    for i in idx:
        rows[i] = forced
    if b"".join(rows) != skel_text:
        return None
    return n, nf, idx


#: "000\n001\n...999\n": the last three digits of consecutive numbers
_LOW3 = b"".join(b"%03d\n" % i for i in range(1000))


def _count_text(a: int, n: int) -> bytes:
    """``b"a\na+1\n...a+n-1\n"``: below 1000 lines at a time, the thousands are prefixed to
    a slice of :data:`_LOW3` by one replace (formatting each number costs ten times more)."""
    if a < 1000 or n > 1000:
        return (b"%d\n" * n) % tuple(range(a, a + n))
    hi, lo = divmod(a, 1000)
    end = lo + n
    if end > 1000:
        return _count_text(a, 1000 - lo) + _count_text((hi + 1) * 1000, end - 1000)
    hp = b"%d" % hi
    return hp + _LOW3[lo * 4:end * 4].replace(b"\n", b"\n" + hp)[:-len(hp)]


def _json_piece(chunk: bytes, first_lineno: int, state: list) -> bytes:
    """JSON Lines of a piece of complete gctrace lines (one modern format), or _Reject.
    ``state`` = [process, last_num, versions, lines]: advanced as GctraceParser.feed would
    (``lines``: the count of lines taken so far).

    The piece qualifies when each line, digits deleted, has the shape of a gctrace line of
    the one format (dots only where a time has one: :func:`_dotted_shape`), and there are as
    many numbers as the shapes have places. The numbers themselves are checked by their
    column: t_s by :func:`_json_t`, the other times by their memo's regex, the percentage,
    sizes, P and the GC number as integers."""
    skel_text = chunk.translate(None, _DIGITS)
    tiled = _tiled(skel_text)
    if tiled is not None:  # one shape, with or without " (forced)": no split into lines
        n, nf, forced_idx = tiled
        skel = forced_of = None
    else:
        skel = skel_text.split(b"\n")
        skel.pop()
        n = len(skel)
        shapes = set(skel)
        info = set(map(_dotted_shape, shapes))
        if None in info:
            raise _Reject
        nfs = {i[0] for i in info}  # type: ignore[index]
        if len(nfs) != 1:
            raise _Reject
        nf = nfs.pop()
        forced_of = {s: s.endswith(_FORCED) for s in shapes}
    toks = chunk.translate(_TO_SPACE).split()
    if len(toks) != n * nf:
        raise _Reject
    nums = toks[0::nf]
    # t_s: canonical (the float's repr, as json.dumps writes it) once trailing zeros go, for
    # the texts checked here: a dot, no leading zero, <= 15 digits, not below 1e-4
    ts = _json_t(toks[1::nf], n)
    # process numbering: GctraceParser._process_for
    process, last = state[0], state[1]
    first_num = int(nums[0])
    if last is not None and first_num == last + 1 and b"\n".join(nums) + b"\n" == _count_text(first_num, n):
        procs = None  # consecutive: one process
        consecutive = True
        last = first_num + n - 1
    else:
        # num: written as printed, so no leading zero (GC numbers start at 1); consecutive
        # numbers matched their own formatting above, so they have none
        if min(nums)[:1] == b"0":
            raise _Reject
        consecutive = False
        procs = []
        for num in map(int, nums):
            if last is None or num <= last:
                process += 1
            last = num
            procs.append(b'"process":%d' % process)
        if procs.count(procs[0]) == n:
            procs = None
    procs_lit = b'"process":%d' % process
    # seq: the line numbers (often the GC numbers themselves: a log of nothing but gctrace)
    if consecutive and first_lineno == first_num:
        seq = nums
    else:
        seq = _count_text(first_lineno, n).split(b"\n")
        seq.pop()
    # the record, piece by piece: a column whose value is the same on every line is folded
    pieces: list = [b'{"kind":"gc","num":', nums, b',"t_s":', ts]
    fields = _JSON_FIELDS if nf == 18 else _JSON_FIELDS[:13] + _JSON_FIELDS[15:]
    if procs is None:  # one process: its key goes in the texts of the percentage's memo
        pct = _PCT_FIELDS.get(procs_lit)
        if pct is None and len(_PCT_FIELDS) < 64:
            pct = _PCT_FIELDS[procs_lit] = _JsonField("gc_cpu_percent", "pct")
            pct.prefix = b"," + procs_lit + pct.prefix
        if pct is None:
            pieces.append(b"," + procs_lit)
        else:
            fields = [pct, *fields[1:]]
    else:
        pieces.append(b",")
        pieces.append(procs)
    j0 = 2
    if n > 1:  # the usual case: every token in its memo (the first 15 columns: both formats)
        base = len(pieces)
        try:
            append = pieces.append
            for j in range(2, 11):  # percentage and the eight phase times
                append(itemgetter(*toks[j::nf])(fields[j - 2].memo))
            mib = _MIB_TEXT.memo  # the sizes share one memo (one dict in cache, not four)
            append(itemgetter(*toks[11::nf])(mib))  # (its key ends the cpu_mark_term_ms texts)
            for j in range(12, 15):
                append(_SIZE_KEYS[j])
                append(itemgetter(*toks[j::nf])(mib))
            j0 = 15
        except KeyError:
            del pieces[base:]
    for j, memo in enumerate(fields[j0 - 2:], j0):
        if j == nf - 1 and nf == 16:
            pieces.append(b',"stacks_bytes":null,"globals_bytes":null')
        col = toks[j::nf]
        if j >= 15 and col.count(col[0]) == n:  # stacks, globals, P: usually one value
            pieces.append(memo[col[0]])
            continue
        if memo.kind == "mib":  # the sizes share one memo (one dict in cache, not four)
            if j != 11:  # (heap_start_bytes: its key ends the cpu_mark_term_ms texts)
                pieces.append(memo.prefix)
            memo = _MIB_TEXT
        if n > 1:  # (:meth:`_JsonField.column`, its usual case inline)
            try:
                pieces.append(itemgetter(*col)(memo.memo))
                continue
            except KeyError:
                pass
        pieces.append(memo.column(col))
    tail = b""  # (the constant pieces before forced go in its texts)
    while type(pieces[-1]) is bytes:
        tail = pieces.pop() + tail
    true_txt, false_txt = tail + _TRUE_SEQ, tail + _FALSE_SEQ
    if forced_of is None:
        if not forced_idx:
            pieces.append(false_txt)
        elif len(forced_idx) == n:
            pieces.append(true_txt)
        else:
            forced_col = [false_txt] * n
            for i in forced_idx:
                forced_col[i] = true_txt
            pieces.append(forced_col)
    elif len(set(forced_of.values())) == 1:
        pieces.append(true_txt if forced_of[skel[0]] else false_txt)  # type: ignore[index]
    else:
        texts = {s: true_txt if f else false_txt for s, f in forced_of.items()}
        pieces.append(list(map(texts.__getitem__, skel)))  # type: ignore[arg-type]
    pieces.append(seq)
    pieces.append(b"}\n")
    state[0], state[1] = process, last
    state[2].add("1.18+" if nf == 18 else "1.7-1.17")
    state[3] += n
    return _join_rows(n, pieces)


def _join_rows(n: int, pieces: list) -> bytes:
    """``n`` rows of the pieces (bytes: the same on every row; lists: one per row), joined."""
    folded: list = []
    after_bytes = False
    for p in pieces:
        if type(p) is bytes:
            if after_bytes:
                folded[-1] += p
            else:
                folded.append(p)
                after_bytes = True
        else:
            folded.append(p)
            after_bytes = False
    if len(folded) > 2 and type(folded[0]) is bytes and type(folded[-1]) is bytes:
        # the usual case: a row is its start, cells, its end; the end of one row and the
        # start of the next are one piece. The rows' constant pieces come from repeating one
        # row (list repetition), then each column is put in place by one slice assignment.
        head, end = folded[0], folded[-1]
        row = [end + head, *folded[1:-1]]
        w = len(row)
        flat = row * n
        flat[0] = head
        for j in range(1, w):
            p = row[j]
            if type(p) is not bytes:
                flat[j::w] = p
        flat.append(end)
        return b"".join(flat)
    w = len(folded)
    flat: list = [b""] * (n * w)
    for j, p in enumerate(folded):
        flat[j::w] = [p] * n if type(p) is bytes else p
    return b"".join(flat)


def fast_json_chunk(chunk: bytes, parser: GctraceParser, first_lineno: int) -> bytes | None:
    """JSON Lines (``parse --json`` records of kind gc), byte for byte what ``json_line`` makes
    of the line parser's records, of a chunk of complete lines that are all gctrace lines of
    a modern format (Go 1.7-1.17 or 1.18+); None (and ``parser`` untouched) otherwise.

    Per chunk, not per line: the numbers are cut out in one ``translate``/``split``, each
    column is mapped through a memo of its JSON text (``,"key":value``), and the rows are
    assembled by list slicing and one ``join``."""
    got = fast_json_lines(chunk, parser, first_lineno)
    return None if got is None else b"".join(got[0])


def fast_json_pieces(chunk: bytes, parser: GctraceParser, first_lineno: int) -> list[bytes] | None:
    """:func:`fast_json_chunk` as consecutive pieces of its text (each some 16 KiB of input)."""
    got = fast_json_lines(chunk, parser, first_lineno)
    return None if got is None else got[0]


def fast_json_lines(chunk: bytes, parser: GctraceParser, first_lineno: int) -> tuple[list[bytes], int] | None:
    """:func:`fast_json_pieces` and the number of lines taken (counted on the way: a pass of
    ``count`` over the text costs as much as the bare ``for line in f`` the benchmark compares with)."""
    if not chunk.endswith(b"\n") or not chunk.startswith(b"gc "):
        return None
    state = [parser.process, parser.last_num, set(), 0]
    out = []
    try:
        for piece in sub_chunks(chunk):
            out.append(_json_piece(piece, first_lineno + state[3], state))
    except (_Reject, ValueError):
        return None
    parser.process, parser.last_num = state[0], state[1]
    parser.versions |= state[2]
    return out, state[3]


#: ``parse --csv`` columns of kind gc: "kind" and the gc schema (gomem/timeline.py SCHEMAS)
CSV_COLUMNS = ("kind", "t_s", "process", "seq", "num", "gc_cpu_percent",
               "clock_sweep_term_ms", "clock_mark_ms", "clock_mark_term_ms",
               "cpu_sweep_term_ms", "cpu_assist_ms", "cpu_background_ms", "cpu_idle_ms", "cpu_mark_term_ms",
               "heap_start_bytes", "heap_end_bytes", "heap_live_bytes", "heap_goal_bytes",
               "stacks_bytes", "globals_bytes", "procs", "forced")


def fast_csv_chunk(chunk: bytes, parser: GctraceParser, first_lineno: int) -> bytes | None:
    """CSV rows (columns :data:`CSV_COLUMNS`) of a chunk :func:`fast_chunk` takes; None otherwise."""
    fc = fast_chunk(chunk, parser, first_lineno)
    if fc is None:
        return None
    n, nf, col = fc.n, fc.nf, fc.col
    heap = [list(map(_MIB.__getitem__, col[i])) for i in range(11, nf - 1)]
    seq = list(map(str, range(first_lineno, first_lineno + n)))
    stacks, globals_ = (heap[4], heap[5]) if nf == 18 else ([""] * n, [""] * n)
    values = [col[1], fc.procs, seq, col[0], col[2], col[3], col[4], col[5], col[6], col[7], col[8], col[9],
              col[10], heap[0], heap[1], heap[2], heap[3], stacks, globals_, col[nf - 1], fc.forced]
    literals = ["gc,"] + [","] * (len(values) - 1) + ["\n"]
    return _interleave(n, literals, values).encode("ascii")


def _interleave(n: int, literals: list[str], values: list[list[str]]) -> str:
    """``n`` rows of ``literals[0] values[0][i] literals[1] values[1][i] ... literals[-1]``, built
    by list slicing and one join. A value that is the same on every row (process, stacks,
    globals, P, usually) is folded into the literals around it."""
    pieces: list[list[str] | str] = [literals[0]]
    for v, lit_after in zip(values, literals[1:]):
        if v.count(v[0]) == n:
            pieces[-1] = pieces[-1] + v[0] + lit_after  # type: ignore[operator]
        else:
            pieces.append(v)
            pieces.append(lit_after)
    w = len(pieces)
    flat: list[str] = [""] * (n * w)
    for j, piece in enumerate(pieces):
        flat[j::w] = [piece] * n if isinstance(piece, str) else piece
    return "".join(flat)


def _range(text: str) -> tuple[int, int] | None:
    t = text.strip()
    try:
        if t.startswith("<="):
            return 0, int(t[2:].split(".")[1])
        if t.startswith("<"):
            return 0, int(t[1:].split(".")[1]) - 1
        if t.endswith("+"):
            return int(t[:-1].split(".")[1]), 999
        if "-" in t:
            a, b = t.split("-")
            return int(a.split(".")[1]), int(b.split(".")[1])
        return int(t.split(".")[1]), int(t.split(".")[1])
    except (IndexError, ValueError):
        return None


def version_hint(ranges) -> str | None:
    """The Go versions that fit every format seen: ``{"1.17-1.20", "1.18+"}`` -> ``"1.18-1.20"``.
    Formats of different versions in one stream (two programs) -> the ranges joined by ``|``."""
    parsed = [r for r in (_range(x) for x in ranges) if r is not None]
    if not parsed:
        return None
    lo = max(r[0] for r in parsed)
    hi = min(r[1] for r in parsed)
    if lo > hi:
        return "|".join(sorted(set(ranges)))
    if hi == 999:
        return f"1.{lo}+"
    if lo == 0:
        return f"<=1.{hi}"
    return f"1.{lo}" if lo == hi else f"1.{lo}-1.{hi}"
