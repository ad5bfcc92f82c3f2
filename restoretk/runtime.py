"""How restoretk's process uses the machine: threads of Torch and Numba, and the allocator, set in one place.

restoretk's per-image work is mostly FFTs of a few megabytes and elementwise passes.
Split across threads, such a job waits for its slowest thread, and on a busy machine
(other programs, or the bench's parallel workers) that thread is often descheduled:
on the 2-core reference machine with the other core busy, Torch's FFT of a
3×352×512 float32 array took 38 ms on two threads and 4.4 ms on one. So FFTs of NumPy
arrays below :data:`SMALL_JOB` elements run on one thread (:func:`one_thread`); larger
ones, and the networks, use the threads set by :func:`set_threads` (default: Torch's,
one per core, or ``OMP_NUM_THREADS``).

The command line sets them once, when it starts restoring, to :func:`chosen_threads`:
``RESTORETK_THREADS`` if set, else the cores that other work leaves free. A network
running on two threads beside other work waits on the descheduled one: on the
reference machine under a load of 8, ``mpr`` on a 600×600 photo took 7.6 s on two
threads and 4.6 s on one (the same result to the bit).

Restoring a large photo tile by tile allocates and frees the same few tens of
megabytes for every convolution; glibc hands such blocks back to the system and the
next allocation faults every page in again. :func:`keep_freed_memory` makes it keep
them: ``deblur -m mpr`` of a 1100×1100 photo went from 594 000 page faults and 1.4 s of
system time to 152 000 and 0.5 s, for 15 % more peak memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import platform
from collections.abc import Iterator

import numba
import torch

from restoretk.errors import RestoreError

__all__ = ["SMALL_JOB", "THREADS_VARIABLE", "set_threads", "chosen_threads", "one_thread", "keep_freed_memory"]

#: The environment variable that fixes the number of threads of the command line.
THREADS_VARIABLE = "RESTORETK_THREADS"

#: Elements below which an FFT of a NumPy array runs on one thread (a 4000×3000 RGB
#: photo, 36 M elements, still uses them all).
SMALL_JOB = 1 << 22


def set_threads(count: int) -> None:
    """Use ``count`` threads in Torch (intra-op) and Numba's parallel loops.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> set_threads(1); torch.get_num_threads()
    1
    >>> set_threads(before)
    """
    numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))  # first: its OpenMP pool may reset Torch's
    torch.set_num_threads(count)


def chosen_threads() -> int:
    """``RESTORETK_THREADS``, else the cores less the 1-minute load average (at least one).

    Examples
    --------
    >>> 1 <= chosen_threads() <= (os.cpu_count() or 1) or THREADS_VARIABLE in os.environ
    True
    """
    text = os.environ.get(THREADS_VARIABLE, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise RestoreError(f"{THREADS_VARIABLE}={text!r} is not a positive integer", f"set e.g. {THREADS_VARIABLE}=2")
        return int(text)
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        return cores
    return max(1, min(cores, cores - math.floor(busy)))


@contextlib.contextmanager
def one_thread(elements: int) -> Iterator[None]:
    """Run Torch on one thread inside the block when the job has fewer than :data:`SMALL_JOB` elements."""
    threads = torch.get_num_threads()
    if elements >= SMALL_JOB or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def keep_freed_memory() -> None:
    """Have glibc's allocator keep freed blocks up to 1 GB for reuse (no effect elsewhere).

    Examples
    --------
    >>> keep_freed_memory()
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD of malloc.h
    libc.mallopt(mmap_threshold, 1 << 30)
    libc.mallopt(trim_threshold, 1 << 30)
