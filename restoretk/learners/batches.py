"""Training batches made off the critical path: pair synthesis and the pre-solve in workers.

Batch ``b`` of a run holds pairs ``b·B … b·B + B − 1`` of its :class:`PairSampler`
(each drawn from its own seed), extended and pre-solved by the head
(:meth:`restoretk.learners.heads.Head.prepare`: the ``A⁺_ε y`` Wiener estimate and the
projectors). Worker processes of a :class:`torch.utils.data.DataLoader` prepare the
next batches while the network trains on this one; since a batch depends only on its
index, the run draws the same pairs with any number of workers, and a resumed run
continues with the batch it stopped at.
"""

from __future__ import annotations

import signal
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from restoretk.errors import RestoreError
from restoretk.learners.degradations import PairSampler
from restoretk.learners.heads import Head, Problem
from restoretk.solvers.wiener import solver_extension

__all__ = ["TrainingBatches", "batches"]

#: Seconds the trainer waits for a worker's next batch before it gives up.
WORKER_TIMEOUT = 600


class TrainingBatches(Dataset):
    """Batch ``b`` of a run: ``(problem, target)`` on the CPU, ready for ``head(problem)``.

    Parameters
    ----------
    sampler : PairSampler
        Draws pair ``k`` of the run.
    head : Head
        Prepares the pairs (its weights are not used).
    batch_size : int
        Pairs per batch.
    shard : tuple of int
        ``(rank, ranks)``: this process prepares only its share ``rank`` of each batch
        (the pairs of one batch are split in ``ranks`` contiguous parts), on the grid the
        whole batch would have, so that the ranks together compute what one process does.

    Examples
    --------
    >>> from restoretk.learners.degradations import DEGRADATIONS
    >>> from restoretk.learners.heads import build_head
    >>> photos = [np.random.default_rng(0).integers(0, 256, (80, 90, 3), dtype=np.uint8)]
    >>> sampler = PairSampler(photos, DEGRADATIONS["deblur"], 16, seed=1)
    >>> head = build_head("mpr", "resnet", {"base_filter": 4, "num_residuals": 1})
    >>> problem, target = TrainingBatches(sampler, head, 2)[5]
    >>> tuple(target.shape)
    (2, 3, 16, 16)
    """

    def __init__(self, sampler: PairSampler, head: Head, batch_size: int, shard: tuple[int, int] = (0, 1)) -> None:
        rank, ranks = shard
        if batch_size % ranks:
            raise ValueError(f"a batch of {batch_size} does not split into {ranks} equal shares")
        self.sampler = sampler
        self.head = head
        self.batch_size = batch_size
        self.share = batch_size // ranks
        self.first = rank * self.share

    def __len__(self) -> int:
        return 2**62  # batches are made on demand; a run asks for the ones it needs

    def __getitem__(self, index: int) -> tuple[Problem, torch.Tensor]:
        pairs = [self.sampler.pair(index * self.batch_size + k) for k in range(self.batch_size)]
        # every share on the grid of the whole batch (its widest extension), as one process has it
        margin = max(solver_extension(p.degradation).margin for p in pairs)
        mine = pairs[self.first : self.first + self.share]
        with torch.no_grad():
            problem = self.head.prepare(
                [p.observation for p in mine], [p.degradation for p in mine], boundary="reflect", margin=margin
            )
        return problem, torch.from_numpy(np.stack([p.target for p in mine]))


def _worker_setup(worker: int) -> None:
    """A worker prepares on one thread and leaves Ctrl-C to the trainer, which stops it."""
    import numba

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(1)
    numba.set_num_threads(1)


def batches(dataset: TrainingBatches, first: int, stop: int, workers: int) -> Iterator[tuple[Problem, torch.Tensor]]:
    """Batches ``first … stop − 1`` of ``dataset``, made by ``workers`` processes (0: here, in turn).

    The workers start once (a second or two) and stay for the whole stream, a run's
    batches across all its epochs.
    """
    if workers == 0:
        return (dataset[b] for b in range(first, stop))
    loader = DataLoader(
        dataset,
        batch_size=None,
        sampler=range(first, stop),
        num_workers=workers,
        prefetch_factor=2,
        worker_init_fn=_worker_setup,
        # a worker that cannot start (a broken install, say) stops the run instead of hanging it
        timeout=WORKER_TIMEOUT,
        # not fork: Numba's OpenMP threads (the extension's fade) forbid forking a process that used them
        multiprocessing_context="spawn",
    )
    return _answered(iter(loader))


def _answered(stream: Iterator[tuple[Problem, torch.Tensor]]) -> Iterator[tuple[Problem, torch.Tensor]]:
    """The loader's batches; a worker that died or stopped answering is a one-line error."""
    while True:
        try:
            batch = next(stream)
        except StopIteration:
            return
        except RuntimeError as error:  # the DataLoader's words for a dead or silent worker
            raise RestoreError(
                f"a data worker failed ({' '.join(str(error).split())[:200]})",
                "resume (`resume`) with workers=0 to see the worker's error here",
            ) from error
        yield batch
