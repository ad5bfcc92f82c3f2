"""Where the bench's units of work run: in this process, or on the workers of a Dask cluster.

One worker (``--workers 1``) runs the units here, one after the other, so that a debugger
or a traceback sees them. More (``--workers N``, by default the cores available) start a
:class:`distributed.LocalCluster` of N single-threaded worker processes on this machine;
``--scheduler ADDRESS`` sends the units to an existing Dask cluster instead (one started
by ``dask scheduler`` and ``dask worker``, or by ``dask-jobqueue`` on Slurm).

Dask does the rest: a worker process that dies (killed, out of memory) is restarted by
its nanny and the units it held are run again elsewhere, up to
``distributed.scheduler.allowed-failures`` times (3); a unit that killed that many
workers is handed to ``lost`` instead of stopping the run. A worker whose parent dies
exits with it. Each unit is submitted with its own key (``pure=False``), so that two equal
units are never merged into one.

Every unit runs with one thread per numerical library (Torch, Numba, OpenCV, and BLAS and
OpenMP through threadpoolctl), set in the thread that runs it (Numba's and OpenMP's
settings are per thread), so that its numbers do not depend on the number of workers and
a worker given N threads uses N cores. The LocalCluster's settings that differ from
Dask's defaults are :data:`LOCAL_CLUSTER`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

import dask
from distributed import Client, KilledWorker, LocalCluster, WorkerPlugin, as_completed

from restoretk.errors import RestoreError

__all__ = ["LOCAL_CLUSTER", "Workers", "default_workers", "library_threads"]

Unit = TypeVar("Unit")
Result = TypeVar("Result")

#: Dask settings of the LocalCluster, changed from Dask's defaults. One unit per worker thread
#: at a time, none queued behind it (once Dask queues, with more than twice as many units as
#: threads), so that a worker that dies takes only the unit it was running with it. And no
#: ``MALLOC_TRIM_THRESHOLD_`` for the worker processes: set, it turns off glibc's adaptive
#: mmap threshold, so that every large NumPy temporary is a fresh mmap, zeroed page by page
#: (this bench's units ran 2.6 times slower with it). And no sampling profiler in the workers
#: (every 10 ms, for a dashboard that nobody looks at here).
LOCAL_CLUSTER = {
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def library_threads(threads: int) -> Iterator[None]:
    """Run the body with ``threads`` threads for Torch, Numba, OpenCV, BLAS and OpenMP; restore afterwards.

    Numba's and OpenMP's counts are those of the calling thread.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with library_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import cv2
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    saved = torch.get_num_threads(), numba.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    cv2.setNumThreads(threads)
    try:
        with threadpool_limits(threads):
            yield
    finally:
        torch.set_num_threads(saved[0])
        numba.set_num_threads(saved[1])
        cv2.setNumThreads(saved[2])


class _IgnoreInterrupts(WorkerPlugin):
    """Ctrl-C in the terminal reaches a LocalCluster's workers too: they leave it to the client,
    which closes the cluster (instead of each printing its KeyboardInterrupt)."""

    name = "restoretk-ignore-interrupts"

    def setup(self, worker: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _one_thread(function: Callable[[Unit], Result], unit: Unit) -> Result:
    with library_threads(1):
        return function(unit)


class Workers:
    """The processes that run a bench's units: this one, a new LocalCluster, or an existing Dask cluster.

    Parameters
    ----------
    workers : int, optional
        Worker processes of a LocalCluster (default: the cores available); 1 runs the
        units in this process. No more are started than there are units.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) to use instead.
    units : int, optional
        How many units there are, if known: a LocalCluster gets no more workers.

    Attributes
    ----------
    count : int
        The workers that run the units (known once entered).

    Examples
    --------
    >>> with Workers(1) as workers:
    ...     list(workers.map(abs, [-2, 3], lost=lambda unit, reason: None)), workers.count
    ([2, 3], 1)
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None, units: int | None = None) -> None:
        self.requested = default_workers() if workers is None else max(1, int(workers))
        if units is not None:
            self.requested = min(self.requested, max(1, units))
        self.scheduler = scheduler
        self.count = self.requested
        self._client: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Workers:
        if self.scheduler is None and self.requested <= 1:
            return self

        with self._stack:  # closed again if connecting fails
            if self.scheduler is None:
                with dask.config.set(LOCAL_CLUSTER):
                    cluster = LocalCluster(
                        n_workers=self.requested, threads_per_worker=1, processes=True, dashboard_address=":0"
                    )
                self._stack.enter_context(cluster)
                self._client = self._stack.enter_context(Client(cluster))
                self._client.register_plugin(_IgnoreInterrupts())
            else:
                try:
                    self._client = self._stack.enter_context(Client(self.scheduler))
                except (OSError, ValueError) as error:
                    raise RestoreError(
                        f"no Dask scheduler answers at scheduler={self.scheduler!r} ({error})",
                        "start one (`dask scheduler`, then `dask worker ADDRESS`) or give its address, "
                        "e.g. scheduler='tcp://HOST:8786'",
                    ) from error
            self.count = len(self._client.nthreads())
            self._stack = self._stack.pop_all()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stack.close()

    def map(
        self, function: Callable[[Unit], Result], units: Sequence[Unit], lost: Callable[[Unit, str], Result]
    ) -> Iterator[Result]:
        """``function(unit)`` for every unit, as each finishes (in any order); ``lost(unit, reason)`` for a
        unit whose workers died ``allowed-failures`` times. ``function`` must be importable by the workers."""
        if self._client is None:
            with library_threads(1):
                for unit in units:
                    yield function(unit)
            return

        futures = self._client.map(functools.partial(_one_thread, function), units, pure=False)
        owner = {future.key: unit for future, unit in zip(futures, units)}
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except KilledWorker:
                    result = lost(owner[future.key], "every worker process that ran it died (killed? out of memory?)")
                future.release()  # the worker may forget it
                yield result
        finally:
            self._client.cancel(futures)
