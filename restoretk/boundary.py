"""Borders: real photos are not periodic, the Fourier solvers are.

Restorers work on an image extended beyond its frame so that the circular model of
the FFT holds far from the frame, and crop the result back. Modes:

``reflect``
    Mirror the image across each border (continuous at the frame) over a margin of
    at least the PSF size, padded up to fast FFT lengths.
``circular``
    No extension: right only for images that really wrap around (synthetic tests).
``auto`` (default)
    ``circular`` when the image is periodic already (its wrap-around seams are as
    smooth as its interior, as for a circularly blurred image), else ``reflect``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

from restoretk.errors import RestoreError

__all__ = ["BOUNDARIES", "Extension", "extend", "is_periodic"]

BOUNDARIES = ("auto", "reflect", "circular")


@dataclass(frozen=True)
class Extension:
    """How an image was extended: the padded array and where the frame sits in it."""

    padded: np.ndarray
    top: int
    left: int
    rows: int
    cols: int

    def crop(self, array: np.ndarray, factor: int = 1) -> np.ndarray:
        """The frame's part of ``array`` (a result on the padded grid, ``factor`` times finer)."""
        return array[
            ...,
            self.top * factor : (self.top + self.rows) * factor,
            self.left * factor : (self.left + self.cols) * factor,
        ]


def is_periodic(image: np.ndarray, tolerance: float = 2.0) -> bool:
    """Whether ``image`` wraps around smoothly, i.e. was formed with circular borders.

    Compares the mean squared jump across each wrap-around seam (last row to first,
    last column to first) with the mean squared difference between neighbours inside.

    Parameters
    ----------
    image : numpy.ndarray
        Array with the spatial axes last, ``(..., rows, cols)``.
    tolerance : float
        Largest seam-to-interior energy ratio still called periodic.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((32, 32))
    >>> is_periodic(x), is_periodic(np.add.outer(np.arange(32.0), np.arange(32.0)))
    (True, False)
    """
    checks = []
    for axis in (-2, -1):
        interior = np.mean(np.diff(image, axis=axis) ** 2)
        seam = np.mean((np.take(image, 0, axis=axis) - np.take(image, -1, axis=axis)) ** 2)
        checks.append(seam <= tolerance * interior + 1e-12)
    return all(checks)


def extend(image: np.ndarray, margin: int, boundary: str = "auto") -> Extension:
    """Extend ``image`` (spatial axes last) for a Fourier solve.

    Parameters
    ----------
    image : numpy.ndarray
        ``(..., rows, cols)`` array.
    margin : int
        Smallest extension on each side (typically the PSF size).
    boundary : {'auto', 'reflect', 'circular'}
        See the module documentation.

    Returns
    -------
    Extension

    Examples
    --------
    >>> ext = extend(np.ones((1, 30, 40)), margin=5, boundary="reflect")
    >>> ext.padded.shape[-2] >= 40, ext.crop(ext.padded).shape
    (True, (1, 30, 40))
    """
    if boundary not in BOUNDARIES:
        raise RestoreError(f"unknown boundary {boundary!r}", f"use one of: {', '.join(BOUNDARIES)}")
    rows, cols = image.shape[-2:]
    if boundary == "auto":
        boundary = "circular" if is_periodic(image) else "reflect"
    if boundary == "circular":
        return Extension(image, 0, 0, rows, cols)
    margin = min(int(margin), rows - 1, cols - 1)
    widths = []
    for size in (rows, cols):
        total = scipy.fft.next_fast_len(size + 2 * margin, real=True)
        before = (total - size) // 2
        widths.append((before, total - size - before))
    pad = [(0, 0)] * (image.ndim - 2) + widths
    # symmetric: the mirror repeats the border pixel, so the extension is continuous
    padded = np.pad(image, pad, mode="symmetric")
    return Extension(padded, widths[0][0], widths[1][0], rows, cols)
