"""The page heap: 8 KiB pages, heap growth as linux/amd64 Go maps it, address-ordered first fit,
scavenged (released) and resident state of free pages.

Pages are numbered from the heap's base address (arena 0, 0x00c000000000 on linux/amd64).
Free memory is a sorted list of segments ``[start, npages, scavenged, resident_pages, gen]``
(``gen``: the GC cycle in which the pages were freed, for the scavenger's density rule);
adjacent segments form one contiguous free range (Go's page allocator coalesces free pages
whatever their scavenged state: runtime/mpagealloc.go, pageAlloc.find).

Formulas and their sources:

* growth, Go 1.19-1.27 (runtime/mheap.go, mheap.grow): ``ask = alignUp(npage, pallocChunkPages)
  * pageSize`` (4 MiB chunks); only ``[base, base+ask)`` is sysMap'ed, so HeapSys grows by
  exactly ``ask`` and the new bytes start released (``sysMap(..., &gcController.heapReleased)``).
  Arena reservations (``mheap.sysAlloc``) are 64 MiB (heapArenaBytes) aligned, taken from
  the arena hints in address order, so new space is contiguous with the old.
* growth, Go 1.15 (runtime/mheap.go, mheap.grow and mheap.sysAlloc of 1.14-1.16): sysAlloc maps
  the whole 64 MiB-aligned reservation into heap_sys at once and ``grow`` adds ``asize`` to
  heap_released and heap_idle: HeapSys grows in 64 MiB steps, the unused part idle+released.
* first fit (runtime/mpagealloc.go, pageAlloc.alloc -> find): the lowest-addressed run of
  ``npages`` free pages; each span is placed separately, so equal-size spans fill holes in
  address order.
* scavenging (runtime/mgcscavenge.go, pageAlloc.scavenge): from the highest addresses down,
  free and unscavenged pages only.
* zeroing (runtime/mheap.go, allocNeedsZero / heapArena.zeroedBase): pages below the highest
  address ever allocated may be dirty and are zeroed on reuse (which makes them resident);
  fresh pages above it are known zero and are not touched by the runtime.
"""

from __future__ import annotations

import bisect

PAGE = 8192  # runtime/malloc.go: pageSize = 1 << _PageShift (13)
CHUNK_PAGES = 512  # runtime/mpagealloc.go: pallocChunkPages (4 MiB)
ARENA_PAGES = (64 << 20) // PAGE  # runtime/malloc.go: heapArenaBytes = 64 MiB on linux/amd64


def align_up(n: int, a: int) -> int:
    return (n + a - 1) // a * a


class PageHeap:
    """Free/used page bookkeeping. All sizes are in pages unless named ``*_bytes``."""

    def __init__(self, arena_steps: bool):
        #: Go 1.15-style growth (whole 64 MiB arenas into HeapSys) when True
        self.arena_steps = arena_steps
        self.starts: list[int] = []  # segment starts (kept in step with segs for bisect)
        self.segs: list[list] = []  # [start, n, scav, res]
        self.mapped = 0  # pages mapped for the heap (HeapSys + stack spans)
        self.cur_base = 0  # next address to grow into (mheap.curArena.base)
        self.cur_end = 0  # end of the reserved arena space (mheap.curArena.end)
        self.zeroed_hw = 0  # highest page ever handed out (heapArena.zeroedBase)
        self.free_pages = 0
        self.released_pages = 0
        self.free_res_pages = 0  # resident pages among the free ones (incl. MADV_FREE'd)
        self.growth_events = 0

    # -- geometry ---------------------------------------------------------------------------
    @property
    def arenas(self) -> int:
        """Heap arenas whose metadata exists (each reserved 64 MiB region)."""
        return (self.cur_end + ARENA_PAGES - 1) // ARENA_PAGES

    def _reserve(self, ask: int) -> None:
        """mheap.sysAlloc: reserve arena space, 64 MiB aligned, contiguous (arena hints)."""
        asize = align_up(ask, ARENA_PAGES)
        if self.arena_steps:
            # Go 1.15 mheap.sysAlloc: sysMap(v, size, &memstats.heap_sys) of the whole
            # reservation; mheap.grow: heap_released += asize, heap_idle += asize.
            self._insert(self.cur_end, asize, True, 0, -1)
            self.mapped += asize
        self.cur_end += asize

    def grow(self, npages: int) -> int:
        """mheap.grow(npage): make at least ``npages`` more free pages available at the top of
        the heap. Returns the bytes by which HeapSys grew (``totalGrowth``)."""
        ask = align_up(npages, CHUNK_PAGES)
        self.growth_events += 1
        before = self.mapped
        if self.cur_base + ask > self.cur_end:
            # "Not enough room in the current arena": sysAlloc(ask) of the full ask, which
            # is contiguous with the current arena here (arena hints), so curArena.end grows.
            self._reserve(ask)
        v = self.cur_base
        self.cur_base += ask
        if not self.arena_steps:
            # 1.19+: sysMap(v, nBase-v, &gcController.heapReleased): new pages start released
            self._insert(v, ask, True, 0, -1)
            self.mapped += ask
        # 1.15: the pages were mapped (and counted idle+released) by sysAlloc already
        return (self.mapped - before) * PAGE

    # -- free segment list ------------------------------------------------------------------
    def _insert(self, start: int, n: int, scav: bool, res: int, gen: int) -> None:
        if n <= 0:
            return
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.segs.insert(i, [start, n, scav, res, gen])
        self.free_pages += n
        self.free_res_pages += res
        if scav:
            self.released_pages += n
        # merge with neighbours of the same state
        if i + 1 < len(self.segs):
            nxt = self.segs[i + 1]
            if nxt[0] == start + n and nxt[2] == scav and nxt[4] == gen:
                self.segs[i][1] += nxt[1]
                self.segs[i][3] += nxt[3]
                self.segs[i][4] = max(self.segs[i][4], nxt[4])
                del self.segs[i + 1]
                del self.starts[i + 1]
        if i > 0:
            prv = self.segs[i - 1]
            if prv[0] + prv[1] == start and prv[2] == scav and prv[4] == self.segs[i][4]:
                prv[1] += self.segs[i][1]
                prv[3] += self.segs[i][3]
                prv[4] = max(prv[4], self.segs[i][4])
                del self.segs[i]
                del self.starts[i]

    def _carve(self, i: int, npages: int) -> tuple[int, int, int]:
        """Take ``npages`` pages starting at the start of segment ``i`` (which must be
        contiguous free pages). Returns (start, scavenged pages, resident pages) taken."""
        start = self.segs[i][0]
        left = npages
        scav = res = 0
        while left > 0:
            s = self.segs[i]
            take = min(left, s[1])
            r = s[3] if take == s[1] else (s[3] * take) // s[1]
            if s[2]:
                scav += take
            res += r
            if take == s[1]:
                del self.segs[i]
                del self.starts[i]
            else:
                s[0] += take
                s[1] -= take
                s[3] -= r
                self.starts[i] = s[0]
            left -= take
        self.free_pages -= npages
        self.released_pages -= scav
        self.free_res_pages -= res
        return start, scav, res

    def place(self, span_pages: int, count: int) -> list[tuple[int, int, int, int, int]]:
        """First fit for ``count`` spans of ``span_pages`` pages among the free pages (no
        growth). Returns pieces ``(start, nspans, scav_pages, res_pages, dirty_pages)``, each
        a contiguous run of spans, in address order."""
        out = []
        i = 0
        while count > 0 and i < len(self.segs):
            # the contiguous free range starting at segment i
            j, run = i, self.segs[i][1]
            end = self.segs[i][0] + run
            while j + 1 < len(self.segs) and self.segs[j + 1][0] == end:
                j += 1
                run += self.segs[j][1]
                end += self.segs[j][1]
            k = min(count, run // span_pages)
            if k == 0:
                i = j + 1
                continue
            npg = k * span_pages
            start, scav, res = self._carve(i, npg)
            dirty = max(0, min(start + npg, self.zeroed_hw) - start)
            self.zeroed_hw = max(self.zeroed_hw, start + npg)
            out.append((start, k, scav, res, dirty))
            count -= k
            # segment i now starts after the carved pages (or the next range): rescan from i
        return out

    def coalesce(self, old_gen: int) -> None:
        """Merge adjacent free segments of the same state whose generations are both
        ``<= old_gen`` (old enough that the scavenger's density rule no longer tells them
        apart), keeping the free list short."""
        out: list[list] = []
        for s in self.segs:
            if out:
                p = out[-1]
                if p[0] + p[1] == s[0] and p[2] == s[2] and p[4] <= old_gen and s[4] <= old_gen:
                    p[1] += s[1]
                    p[3] += s[3]
                    p[4] = max(p[4], s[4])
                    continue
            out.append(s)
        if len(out) != len(self.segs):
            self.segs = out
            self.starts = [s[0] for s in out]

    def tail_free(self) -> int:
        """Free pages contiguous with the top of the grown heap (usable with new growth)."""
        if not self.segs:
            return 0
        top = self.cur_end if self.arena_steps else self.cur_base
        run, end = 0, top
        for s in reversed(self.segs):
            if s[0] + s[1] != end:
                break
            run += s[1]
            end = s[0]
        return run

    def free(self, start: int, npages: int, res_pages: int, gen: int = -1) -> None:
        """A span's pages go back to the heap, unscavenged (mheap.freeSpanLocked), in GC
        generation ``gen``."""
        self._insert(start, npages, False, min(res_pages, npages), gen)

    def scavenge(self, todo_pages: int, madv_free: bool, max_gen: int | None = None) -> tuple[int, int]:
        """Release up to ``todo_pages`` free, unscavenged pages, highest addresses first.
        Returns (pages released, resident pages dropped from RSS). With MADV_FREE the pages
        stay resident until the kernel needs them (runtime/mem_linux.go, sysUnusedOS).
        ``max_gen``: skip pages freed after that GC generation (the background scavenger's
        density rule, runtime/mgcscavenge.go scavChunkHiOccFrac, 1.21+)."""
        new = []
        i = len(self.segs) - 1
        while todo_pages > 0 and i >= 0:
            s = self.segs[i]
            if not s[2] and (max_gen is None or s[4] <= max_gen):
                take = min(todo_pages, s[1])
                r = s[3] if take == s[1] else (s[3] * take) // s[1]
                start = s[0] + s[1] - take
                if take == s[1]:
                    del self.segs[i]
                    del self.starts[i]
                else:
                    s[1] -= take
                    s[3] -= r
                self.free_pages -= take
                self.free_res_pages -= r
                new.append((start, take, r, s[4]))
                todo_pages -= take
            i -= 1
        done = dropped = 0
        for start, take, r, gen in new:
            keep = r if madv_free else 0
            self._insert(start, take, True, keep, gen)
            done += take
            dropped += r - keep
        return done, dropped

    def unscavenged_free(self) -> int:
        return self.free_pages - self.released_pages
