"""Go's small-object size classes (linux/amd64).

Go 1.19, 1.21 and 1.27 share one table: ``runtime/sizeclasses.go`` (``class_to_size``,
``class_to_allocnpages``) in 1.19/1.21, ``internal/runtime/gc/sizeclasses.go``
(``SizeClassToSize``, ``SizeClassToNPages``) in 1.27 -- copied here verbatim from those files.
Go 1.15 had 67 classes: the same table without the 24-byte class, which Go 1.16 added
(CL 242258, "runtime: add 24 byte allocation size class"); the other classes and their span
sizes were unchanged by that CL.
"""

from __future__ import annotations

import bisect

PAGE_SIZE = 8192  # runtime/malloc.go: _PageShift = 13
MAX_SMALL_SIZE = 32768  # runtime/sizeclasses.go: _MaxSmallSize
TINY_SIZE = 16  # runtime/malloc.go: maxTinySize

# internal/runtime/gc/sizeclasses.go (1.27) == runtime/sizeclasses.go (1.19, 1.21)
CLASS_TO_SIZE_119 = (0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288,
                     320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536,
                     1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192,
                     9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576,
                     27264, 28672, 32768)
CLASS_TO_NPAGES_119 = (0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                       1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2,
                       9, 7, 5, 8, 3, 10, 7, 4)


class SizeClasses:
    """One version's table: ``size_class(n) -> (class, elem_size, span_pages)``."""

    def __init__(self, sizes: tuple[int, ...], npages: tuple[int, ...]):
        self.sizes = sizes
        self.npages = npages
        self._sorted = list(sizes[1:])
        self._cache: dict[int, tuple[int, int, int]] = {}

    def __len__(self) -> int:
        return len(self.sizes)

    def size_class(self, n: int) -> tuple[int, int, int]:
        """The class of an n-byte small object (runtime/msize.go: roundupsize; the
        size_to_class8/128 lookup tables agree with "smallest class >= n")."""
        r = self._cache.get(n)
        if r is None:
            i = bisect.bisect_left(self._sorted, max(n, 1)) + 1
            r = (i, self.sizes[i], self.npages[i])
            self._cache[n] = r
        return r

    def objects_per_span(self, cls: int) -> int:
        return self.npages[cls] * PAGE_SIZE // self.sizes[cls]


SIZECLASSES_119 = SizeClasses(CLASS_TO_SIZE_119, CLASS_TO_NPAGES_119)
SIZECLASSES_115 = SizeClasses(CLASS_TO_SIZE_119[:3] + CLASS_TO_SIZE_119[4:],
                              CLASS_TO_NPAGES_119[:3] + CLASS_TO_NPAGES_119[4:])
