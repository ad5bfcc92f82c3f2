"""Spatial (non-circular) convolution: the ``valid`` blur model and its adjoint.

Small PSFs are convolved directly by a parallel Numba kernel, large ones through
SciPy's FFT convolution; ``DIRECT_MAX_TAPS`` is where the direct kernel stops
winning on this project's benchmark (``benchmarks/bench_spatial.py``).
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.signal import fftconvolve

__all__ = ["convolve_valid", "convolve_valid_adjoint", "gradient_energy", "DIRECT_MAX_TAPS"]

#: Largest PSF (number of taps, 19×19) convolved directly rather than through the FFT:
#: the direct kernel took 0.6 of the FFT time at 15×15 and 1.3 at 25×25 (bench_spatial.py).
DIRECT_MAX_TAPS = 361


@numba.njit(parallel=True, cache=True, fastmath=True)
def _direct_valid(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    channels, rows, cols = x.shape
    krows, kcols = kernel.shape
    out_rows, out_cols = rows - krows + 1, cols - kcols + 1
    out = np.zeros((channels, out_rows, out_cols), dtype=x.dtype)
    for job in numba.prange(channels * out_rows):
        c, i = job // out_rows, job % out_rows
        for a in range(krows):
            for b in range(kcols):
                w = kernel[krows - 1 - a, kcols - 1 - b]
                for j in range(out_cols):
                    out[c, i, j] += w * x[c, i + a, j + b]
    return out


def convolve_valid(x: np.ndarray, psf: np.ndarray, method: str = "auto") -> np.ndarray:
    """Convolve ``(..., rows, cols)`` with ``psf``, keeping the fully covered part only.

    The output is ``psf.shape − 1`` smaller: what a camera whose scene extends past
    the frame records.

    Parameters
    ----------
    x : numpy.ndarray
        Image(s), spatial axes last.
    psf : numpy.ndarray
        2-D kernel.
    method : {'auto', 'direct', 'fft'}
        ``auto`` picks the direct Numba kernel for PSFs of at most ``DIRECT_MAX_TAPS``.

    Examples
    --------
    >>> convolve_valid(np.arange(16.0).reshape(4, 4), np.full((3, 3), 1 / 9))
    array([[ 5.,  6.],
           [ 9., 10.]])
    """
    lead = x.shape[:-2]
    stack = np.ascontiguousarray(x.reshape((-1,) + x.shape[-2:]))
    kernel = np.asarray(psf, dtype=stack.dtype)
    if method == "auto":
        method = "direct" if kernel.size <= DIRECT_MAX_TAPS else "fft"
    if method == "direct":
        out = _direct_valid(stack, np.ascontiguousarray(kernel))
    else:
        out = fftconvolve(stack, kernel[None], mode="valid", axes=(-2, -1)).astype(stack.dtype, copy=False)
    return out.reshape(lead + out.shape[-2:])


def convolve_valid_adjoint(y: np.ndarray, psf: np.ndarray, method: str = "auto") -> np.ndarray:
    """Adjoint of :func:`convolve_valid`: full correlation, ``psf.shape − 1`` larger.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y, k = rng.random((6, 7)), rng.random((4, 4)), rng.random((3, 4))
    >>> bool(np.isclose(np.sum(convolve_valid(x, k) * y), np.sum(x * convolve_valid_adjoint(y, k))))
    True
    """
    krows, kcols = np.shape(psf)
    pad = [(0, 0)] * (y.ndim - 2) + [(krows - 1, krows - 1), (kcols - 1, kcols - 1)]
    return convolve_valid(np.pad(y, pad), np.asarray(psf)[::-1, ::-1], method)


# serial: it is memory-bound, and parallel Numba threads would contend with Torch's
# OpenMP pool that the FFTs right after it use
@numba.njit(cache=True, fastmath=True)
def _gradient_energy(x: np.ndarray) -> float:  # pragma: no cover - compiled
    channels, rows, cols = x.shape
    total = 0.0
    for job in range(channels * (rows - 1)):
        c, i = job // (rows - 1), job % (rows - 1)
        acc = 0.0
        for j in range(cols - 1):
            dx = x[c, i, j + 1] - x[c, i, j]
            dy = x[c, i + 1, j] - x[c, i, j]
            acc += dx * dx + dy * dy
        total += acc
    return total / (channels * (rows - 1) * (cols - 1))


def gradient_energy(x: np.ndarray) -> float:
    """Mean over pixels and channels of ``|∇x|²`` (forward differences), in one pass.

    Parameters
    ----------
    x : numpy.ndarray
        ``(rows, cols)`` or ``(channels, rows, cols)`` image.

    Examples
    --------
    >>> float(gradient_energy(np.add.outer(np.arange(4.0), 2 * np.arange(5.0))))
    5.0
    """
    if min(x.shape[-2:]) < 2:  # a single row or column: no pixel has both differences
        return 0.0
    stack = np.ascontiguousarray(x.reshape((-1,) + x.shape[-2:]))
    return float(_gradient_energy(stack))
