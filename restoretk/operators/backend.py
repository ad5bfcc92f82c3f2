"""Array back-ends: the few primitives that differ between NumPy and Torch.

Every operator formula in :mod:`restoretk.operators` is written once against these
primitives, so the same code runs on NumPy arrays and on Torch tensors
(differentiable, batched, CPU or CUDA). Operators act on the last two axes; any
leading axes are a batch.

NumPy arrays are transformed by the engine named in ``RESTORETK_FFT``: ``torch``
(default: Torch's MKL-backed real FFT on a zero-copy view, faster than SciPy's
pocketfft on the 2-core reference machine; ``RESTORETK_FFT=scipy python
benchmarks/bench_wiener.py`` compares them) or ``scipy`` (``scipy.fft``). Both keep float32 in float32.
Either runs a small transform on one thread (:mod:`restoretk.runtime`).
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
import scipy.fft
import torch

from restoretk.runtime import SMALL_JOB, one_thread

__all__ = ["Transfer", "is_torch", "rfft2", "irfft2", "zeros", "float_dtype_of", "FFT_ENGINES", "fft_engine"]

def _workers(x: np.ndarray) -> int:
    """SciPy FFT worker threads: one for a small job (see :mod:`restoretk.runtime`), else all cores."""
    return 1 if x.size < SMALL_JOB else -1

FFT_ENGINES = ("torch", "scipy")


def fft_engine() -> str:
    """The FFT engine for NumPy arrays, from ``RESTORETK_FFT`` (default ``torch``)."""
    engine = os.environ.get("RESTORETK_FFT", "torch")
    if engine not in FFT_ENGINES:
        from restoretk.errors import RestoreError

        raise RestoreError(f"RESTORETK_FFT={engine!r} is not an FFT engine", f"use one of: {', '.join(FFT_ENGINES)}")
    return engine


def is_torch(x: Any) -> bool:
    """Whether ``x`` is a Torch tensor (without importing Torch when it is not loaded)."""
    return type(x).__module__.startswith("torch")


def float_dtype_of(x: Any) -> np.dtype:
    """The NumPy real dtype (float32 or float64) that ``x`` computes in."""
    if is_torch(x):
        return np.dtype(str(x.dtype).removeprefix("torch."))
    return np.dtype(np.float32) if x.dtype == np.float32 else np.dtype(np.float64)


def rfft2(x: Any) -> Any:
    """Real 2-D FFT over the last two axes."""
    if is_torch(x):
        return torch.fft.rfft2(x)
    if fft_engine() == "torch":
        with one_thread(x.size):
            return torch.fft.rfft2(_tensor_view(x)).numpy()
    return scipy.fft.rfft2(x, workers=_workers(x))


def irfft2(spectrum: Any, shape: tuple[int, int], *, overwrite: bool = False) -> Any:
    """Inverse of :func:`rfft2` for a real signal of spatial ``shape``.

    With ``overwrite`` the spectrum (a temporary the caller no longer needs) is used as
    work space: the column transform runs in place, saving a spectrum-sized copy and a
    pass over memory (about a fifth of the inverse's time on the reference machine).
    """
    if is_torch(spectrum):
        if overwrite and not spectrum.requires_grad and spectrum.shape[-2] == shape[0]:
            torch.fft.ifft(spectrum, dim=-2, out=spectrum)
            return torch.fft.irfft(spectrum, n=shape[-1], dim=-1)
        return torch.fft.irfft2(spectrum, s=shape)
    if fft_engine() == "torch":
        with one_thread(spectrum.size):
            return irfft2(_tensor_view(spectrum), shape, overwrite=overwrite).numpy()
    return scipy.fft.irfft2(spectrum, s=shape, workers=_workers(spectrum), overwrite_x=overwrite)


def _tensor_view(x: np.ndarray) -> torch.Tensor:
    """A Torch view of ``x`` (a contiguous copy when it is strided or read-only)."""
    if not x.flags.writeable:  # Torch views need writable memory
        x = x.copy()
    return torch.from_numpy(np.ascontiguousarray(x))


def zeros(like: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with the dtype (and device) of ``like``."""
    if is_torch(like):
        return like.new_zeros(shape)
    return np.zeros(shape, dtype=like.dtype)


class Transfer:
    """A fixed NumPy array (a transfer function) handed out in the form an input needs.

    The array is computed once in float64/complex128; :meth:`like` casts it to the
    precision of the data (float32 stays float32) and, for Torch, moves it to the
    data's device. Each form is cached. A transfer derived from others (:meth:`derived`,
    e.g. a product) is formed lazily, in the data's precision: a new
    regularisation ε then costs a few float32 operations, not float64 ones and a cast.

    Parameters
    ----------
    array : numpy.ndarray
        Real or complex array.
    """

    def __init__(self, array: np.ndarray) -> None:
        self._array: np.ndarray | None = array
        self._function: Callable[..., Any] | None = None
        self._factors: tuple[Transfer, ...] = ()
        self._forms: dict[tuple[str, str], Any] = {}

    @classmethod
    def derived(cls, function: Callable[..., Any], *factors: Transfer) -> Transfer:
        """``function(*factors)``, computed only when asked for, in the precision asked for.

        ``function`` takes one form of each factor (NumPy arrays or Torch tensors of one
        precision) and must work for both, as elementwise arithmetic does.
        """
        transfer = cls(None)  # type: ignore[arg-type]
        transfer._function, transfer._factors = function, factors
        return transfer

    @property
    def array(self) -> np.ndarray:
        """The transfer in float64 / complex128."""
        if self._array is None:
            self._array = self._function(*(f.array for f in self._factors))
        return self._array

    def like(self, x: Any) -> Any:
        """The array in ``x``'s precision (real or complex to match), library and device."""
        return self._form(str(x.device) if is_torch(x) else "numpy", float_dtype_of(x))

    def _form(self, device: str, real: np.dtype) -> Any:
        """The array in precision ``real`` as a NumPy array (``device`` 'numpy') or a tensor on ``device``."""
        key = (device, np.dtype(real).name)
        if key not in self._forms:
            if self._function is not None and device == "cpu":
                # NumPy arithmetic on one core, then a zero-copy view: Torch would split this
                # small job across threads, and on a busy machine wait for a descheduled one
                form = torch.from_numpy(self._form("numpy", real))
            elif self._function is not None:
                form = self._function(*(f._form(device, real) for f in self._factors))
            else:
                complex_ = np.complex64 if real == np.float32 else np.complex128
                form = self._array.astype(complex_ if np.iscomplexobj(self._array) else real)
                if device != "numpy":
                    form = torch.from_numpy(form).to(device)
            self._forms[key] = form
        return self._forms[key]
