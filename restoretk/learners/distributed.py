"""Training on several processes: DistributedDataParallel under ``torchrun``.

``torchrun --nproc-per-node N -m restoretk train ...`` (or ``restoretk train --nproc N``,
which starts it) runs N ranks that train one model together: each rank makes its share
of every batch (:class:`restoretk.learners.batches.TrainingBatches`: pair ``k`` is the
same wherever it is made, so N ranks draw exactly the pairs of one process with the same
total batch), gradients are averaged (gloo on CPUs, NCCL on CUDA), and rank 0 alone
validates and writes checkpoints, metrics and figures. A single process, the default,
never touches ``torch.distributed``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Sequence

import numpy as np
import torch
import torch.distributed as dist

from restoretk.errors import RestoreError

__all__ = ["Ranks", "join", "launch"]


class Ranks:
    """This process's place among the training ranks (rank 0 of 1 outside ``torchrun``)."""

    def __init__(self, rank: int = 0, count: int = 1) -> None:
        self.rank, self.count = rank, count

    @property
    def main(self) -> bool:
        """Whether this rank writes the run's files."""
        return self.rank == 0

    def sum(self, values: np.ndarray) -> np.ndarray:
        """``values`` summed over the ranks."""
        if self.count == 1:
            return values
        total = torch.from_numpy(np.asarray(values, dtype=np.float64).copy())
        dist.all_reduce(total)
        return total.numpy()

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is set on any rank (so that all stop at the same step)."""
        if self.count == 1:
            return flag
        value = torch.tensor([float(flag)])
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def share(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank."""
        if self.count == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


def join(device: torch.device) -> Ranks:
    """Join the process group that ``torchrun`` set up (``RANK``, ``WORLD_SIZE``), if any."""
    count = int(os.environ.get("WORLD_SIZE", "1"))
    if count == 1:
        return Ranks()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return Ranks(dist.get_rank(), dist.get_world_size())


def launch(processes: int, arguments: Sequence[str]) -> int:
    """Run ``restoretk train ARGUMENTS`` as ``processes`` ranks under torchrun; its exit code."""
    if processes < 1:
        raise RestoreError(f"--nproc {processes} is not a positive number of processes", "use e.g. --nproc 2")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
               "-m", "restoretk", "train", *arguments]  # fmt: skip
    return subprocess.call(command)
