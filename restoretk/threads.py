"""Threads of the numerical libraries restoretk drives (Torch, Numba), set in one place.

restoretk's per-image work is mostly FFTs of a few megabytes and elementwise passes.
Split across threads, such a job waits for its slowest thread, and on a busy machine
(other programs, or the bench's parallel workers) that thread is often descheduled:
on the 2-core reference machine with the other core busy, Torch's FFT of a
3×352×512 float32 array took 38 ms on two threads and 4.4 ms on one. So FFTs of NumPy
arrays below :data:`SMALL_JOB` elements run on one thread (:func:`one_thread`); larger
ones, and the networks, use the threads set by :func:`set_threads` (default: Torch's,
one per core, or ``OMP_NUM_THREADS``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
import torch

__all__ = ["SMALL_JOB", "set_threads", "one_thread"]

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
