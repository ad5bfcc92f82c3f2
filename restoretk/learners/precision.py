"""Numeric precision of the networks: bf16 autocast where the hardware computes it natively.

Convolutions in bfloat16 with channels-last tensors run several times faster than
float32 on CPUs with bf16 matrix units (Intel AMX, AVX512-BF16) and on CUDA. Only the
network body runs in reduced precision: master weights, optimizer state, the loss, the
``A⁺_ε`` pre-solve, the projection and the residual add stay float32
(:meth:`restoretk.learners.heads.Head.forward`).

``auto`` picks bf16 where it is native and float32 elsewhere, so a CPU without bf16
units falls back to float32 silently and correctly.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Iterator

import torch

from restoretk.errors import RestoreError

__all__ = ["PRECISIONS", "native_bf16", "resolve_precision", "autocast", "cpu_flags"]

#: Names accepted by ``--precision``; ``auto`` is bf16 where native, float32 elsewhere.
PRECISIONS = ("auto", "bf16", "fp16", "fp32")

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}

#: CPU flags (``/proc/cpuinfo``) of native bfloat16 arithmetic.
BF16_CPU_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16(device: torch.device | str = "cpu") -> bool:
    """Whether ``device`` computes bfloat16 natively (CUDA with bf16, or a CPU with AMX/AVX512-BF16).

    Examples
    --------
    >>> native_bf16("cpu") == bool(cpu_flags() & BF16_CPU_FLAGS)
    True
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return bool(cpu_flags() & BF16_CPU_FLAGS)


def resolve_precision(name: str, device: torch.device | str = "cpu") -> torch.dtype | None:
    """The autocast dtype for precision ``name`` on ``device``; None for float32.

    Parameters
    ----------
    name : str
        One of :data:`PRECISIONS`.
    device : torch.device or str
        Where the network runs.

    Examples
    --------
    >>> resolve_precision("fp32") is None
    True
    >>> resolve_precision("bf16")
    torch.bfloat16
    >>> resolve_precision("auto") in (None, torch.bfloat16)
    True
    """
    if name not in PRECISIONS:
        raise RestoreError(f"unknown precision {name!r}", f"use one of: {', '.join(PRECISIONS)}")
    if name == "auto":
        return torch.bfloat16 if native_bf16(device) else None
    return _DTYPES[name]


@contextlib.contextmanager
def autocast(dtype: torch.dtype | None, device: torch.device | str) -> Iterator[None]:
    """Autocast to ``dtype`` on ``device``'s type; nothing for None (float32)."""
    if dtype is None:
        yield
        return
    with torch.autocast(torch.device(device).type, dtype=dtype):
        yield
