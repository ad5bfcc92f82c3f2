"""Transfer functions: the Fourier-domain maths shared by every operator and restorer.

Operators are real, so their transfers are Hermitian and stored as the ``rfft2``
half, ``(rows, cols // 2 + 1)``; :func:`full_spectrum` restores the full grid where
aliased bands must be folded. Frequencies follow NumPy's FFT order (zero frequency at
index 0); arrays are float64/complex128, computed once per operator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from restoretk.errors import RestoreError

__all__ = [
    "psf_to_otf",
    "alias_fold",
    "inverse_gain",
    "regularised_gain",
    "half_spectrum",
    "full_spectrum",
    "spectral_mean",
    "finite_difference_power",
]


def psf_to_otf(psf: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Optical transfer function of ``psf`` on a grid of ``shape`` (circular convolution).

    The PSF centre, index ``(rows // 2, cols // 2)``, is moved to the origin so that
    convolving with a centred PSF does not shift the image.

    Parameters
    ----------
    psf : numpy.ndarray
        2-D kernel.
    shape : tuple of int
        Grid (rows, cols); must be at least the PSF's size.

    Returns
    -------
    numpy.ndarray
        ``rfft2`` half, ``(rows, cols // 2 + 1)``: real when the PSF is point-symmetric
        about its centre (Gaussians, disks, straight motion), which halves the memory and
        the multiplications of every operator built on it; complex otherwise.

    Examples
    --------
    >>> otf = psf_to_otf(np.full((3, 3), 1 / 9), (8, 8))
    >>> otf.shape, otf.dtype, float(otf[0, 0])
    ((8, 5), dtype('float64'), 1.0)
    """
    psf = np.asarray(psf, dtype=np.float64)
    rows, cols = psf.shape
    if rows > shape[0] or cols > shape[1]:
        raise RestoreError(
            f"PSF of size {rows}x{cols} is larger than the image ({shape[0]}x{shape[1]})",
            "use a smaller PSF support (e.g. 'gauss:2@15') or a larger image",
        )
    padded = np.zeros(shape)
    padded[:rows, :cols] = psf
    padded = np.roll(padded, (-(rows // 2), -(cols // 2)), axis=(0, 1))
    otf = np.fft.rfft2(padded)
    return otf.real.copy() if np.abs(otf.imag).max() <= 1e-12 * np.abs(otf).max() else otf


def alias_fold(transfer: np.ndarray, factor: int) -> np.ndarray:
    """Average a (full-grid) transfer over the ``factor²`` bands that alias onto each other.

    Keeping every ``factor``-th sample maps frequency ``u`` of an ``(s M, s N)`` grid
    to ``u mod (M, N)``; for a diagonal-in-Fourier ``G`` on the fine grid, ``S G Sᵀ``
    is diagonal on the coarse grid with this folded transfer.

    Examples
    --------
    >>> alias_fold(np.ones((4, 6)), 2)
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    rows, cols = transfer.shape
    if rows % factor or cols % factor:
        raise RestoreError(
            f"image of size {rows}x{cols} does not split into {factor}x{factor} blocks",
            f"crop it to a multiple of {factor} in both directions",
        )
    m, n = rows // factor, cols // factor
    return transfer.reshape(factor, m, factor, n).sum(axis=(0, 2)) / factor**2


def inverse_gain(gram: np.ndarray, eps: float | np.ndarray = 0.0, rtol: float = 1e-3) -> np.ndarray:
    """Gain ``(G + ε)⁻¹`` of a non-negative Gram transfer, or its pseudo-inverse when ε = 0.

    Parameters
    ----------
    gram : numpy.ndarray
        Real, non-negative transfer of ``A Aᵀ`` (squared singular values).
    eps : float or numpy.ndarray
        Regularisation; 0 gives the Moore–Penrose pseudo-inverse.
    rtol : float
        With ``eps = 0``, singular values below ``rtol`` times the largest are treated
        as the null space (relative, so the threshold does not depend on the scale of A).

    Examples
    --------
    >>> inverse_gain(np.array([4.0, 1.0, 1e-9]))
    array([0.25, 1.  , 0.  ])
    >>> inverse_gain(np.array([4.0, 0.0]), eps=1.0)
    array([0.2, 1. ])
    """
    if np.any(np.asarray(eps) < 0):
        raise RestoreError(f"regularisation eps={eps!r} is negative", "use eps >= 0 (0 = exact pseudo-inverse)")
    if np.all(np.asarray(eps) == 0):
        keep = gram > (rtol**2) * gram.max()
        return np.where(keep, 1.0 / np.where(keep, gram, 1.0), 0.0)
    return regularised_gain(gram, eps)


def regularised_gain(gram: Any, eps: float | np.ndarray) -> Any:
    """``(G + ε)⁻¹`` for ε > 0, on NumPy arrays or Torch tensors alike (see :func:`inverse_gain`)."""
    return 1.0 / (gram + eps)


def half_spectrum(full: np.ndarray) -> np.ndarray:
    """The ``rfft2`` half (columns ``0 .. cols // 2``) of a full transfer of a real operator."""
    return np.ascontiguousarray(full[..., : full.shape[-1] // 2 + 1])


def full_spectrum(half: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The full transfer of a real operator from its ``rfft2`` half (Hermitian symmetry).

    Examples
    --------
    >>> full = np.fft.fft2(np.random.default_rng(0).random((4, 5)))
    >>> bool(np.allclose(full_spectrum(half_spectrum(full), (4, 5)), full))
    True
    """
    rows, cols = shape
    kept = cols // 2 + 1
    mirror = np.conj(half[(-np.arange(rows)) % rows][:, cols - np.arange(kept, cols)])
    return np.concatenate([half, mirror], axis=1)


def spectral_mean(half: np.ndarray, shape: tuple[int, int]) -> float:
    """Mean over the full DFT grid of a Hermitian transfer given by its ``rfft2`` half.

    Examples
    --------
    >>> full = np.abs(np.fft.fft2(np.random.default_rng(0).random((4, 5))))
    >>> bool(np.isclose(spectral_mean(half_spectrum(full), (4, 5)), full.mean()))
    True
    """
    weights = np.full(half.shape[-1], 2.0)
    weights[0] = 1.0
    if shape[1] % 2 == 0:
        weights[-1] = 1.0
    return float(np.sum(half.real * weights) / (shape[0] * shape[1]))


def finite_difference_power(shape: tuple[int, int]) -> np.ndarray:
    """``|Dx|² + |Dy|²`` of forward differences (the negative Laplacian's symbol), ``rfft2`` half.

    Examples
    --------
    >>> finite_difference_power((4, 4))[0]
    array([0., 2., 4.])
    """
    wy = 2 * np.pi * np.fft.fftfreq(shape[0])
    wx = 2 * np.pi * np.fft.rfftfreq(shape[1])
    return (2 - 2 * np.cos(wy))[:, None] + (2 - 2 * np.cos(wx))[None, :]
