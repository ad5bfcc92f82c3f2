"""MATLAB-compatible image resizing, the resize of the super-resolution protocol.

Super-resolution papers make their low-resolution inputs and their bicubic baseline with
MATLAB's ``imresize``; OpenCV, PIL and ``skimage.transform.resize`` give different pixels
(another cubic, no antialiasing, other edges), and the published PSNRs only reproduce with
MATLAB's. :func:`imresize` is that algorithm, as separable dense matrices applied with BLAS.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy import sparse

from restoretk.errors import InputError

__all__ = ["imresize", "imresize_uint8", "modcrop", "resize_matrix", "downscale_kernel", "KERNELS"]

Kernel = Callable[[np.ndarray], np.ndarray]


def _cubic(x: np.ndarray) -> np.ndarray:
    # Keys (1981) cubic convolution with a = -0.5, as MATLAB's 'bicubic'.
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * (
        (ax > 1) & (ax <= 2)
    )


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _box(x: np.ndarray) -> np.ndarray:
    return ((x >= -0.5) & (x < 0.5)).astype(np.float64)


def _lanczos(a: int) -> Kernel:
    def kernel(x: np.ndarray) -> np.ndarray:
        # MATLAB adds eps to numerator and denominator to get 1 at x = 0.
        eps = np.finfo(np.float64).eps
        num = np.sin(np.pi * x) * np.sin(np.pi * x / a) + eps
        den = np.pi**2 * x * x / a + eps
        return num / den * (np.abs(x) < a)

    return kernel


KERNELS: dict[str, tuple[Kernel, float]] = {
    "bicubic": (_cubic, 4.0),
    "bilinear": (_triangle, 2.0),
    "box": (_box, 1.0),
    "lanczos2": (_lanczos(2), 4.0),
    "lanczos3": (_lanczos(3), 6.0),
}
"""Interpolation kernels by name: ``(function, support width in input pixels)``."""


def _weights_matrix(
    in_length: int, out_length: int, scale: float, kernel: str, antialiasing: bool
) -> sparse.csr_array:
    function, width = KERNELS[kernel]
    if scale < 1 and antialiasing:
        # Widen the kernel by 1/scale: interpolation and low-pass filter in one step.
        def h(x: np.ndarray) -> np.ndarray:
            return scale * function(scale * x)

        width = width / scale
    else:
        h = function
    # Output pixel centre x (1-based) maps to input u, so that pixel edges line up.
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    taps = math.ceil(width) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    weights = h(u[:, None] - indices)
    weights /= weights.sum(axis=1, keepdims=True)
    # Out-of-range indices mirror about the edge: [1..n, n..1] repeated (symmetric).
    period = 2 * in_length
    m = np.mod(indices.astype(np.int64) - 1, period)
    mirrored = np.where(m < in_length, m, period - 1 - m)
    rows = np.broadcast_to(np.arange(out_length)[:, None], mirrored.shape)
    # Duplicate (row, column) pairs from mirroring are summed, as MATLAB's loop sums them.
    matrix = sparse.coo_array(
        (weights.ravel(), (rows.ravel(), mirrored.ravel())), shape=(out_length, in_length)
    ).tocsr()
    matrix.eliminate_zeros()
    return matrix


@lru_cache(maxsize=64)
def _row_operator(
    in_length: int, out_length: int, scale: float, kernel: str, antialiasing: bool
) -> sparse.csr_array:
    return _weights_matrix(in_length, out_length, scale, kernel, antialiasing)


@lru_cache(maxsize=64)
def _column_operator(
    in_length: int, out_length: int, scale: float, kernel: str, antialiasing: bool, channels: int
) -> sparse.csc_array:
    # Acts from the right on the H×(W·C) view of the image, so its input is never transposed.
    matrix = _weights_matrix(in_length, out_length, scale, kernel, antialiasing)
    return sparse.csc_array(sparse.kron(matrix.T, sparse.identity(channels, format="csr")))


def resize_matrix(
    in_length: int,
    out_length: int,
    scale: float | None = None,
    *,
    kernel: str = "bicubic",
    antialiasing: bool = True,
) -> sparse.csr_array:
    """The sparse ``out_length × in_length`` matrix that resizes one axis as MATLAB does.

    :func:`imresize` applies one such matrix to each axis; as a linear operator it is also
    the exact forward model of MATLAB-bicubic downsampling.

    Parameters
    ----------
    in_length, out_length : int
        Number of samples before and after resizing.
    scale : float, optional
        Scale factor of the axis; ``out_length / in_length`` when omitted. MATLAB uses
        the requested factor, not the ratio of lengths, when a factor was given.
    kernel : str
        One of :data:`KERNELS`.
    antialiasing : bool
        Widen the kernel by ``1/scale`` when shrinking.

    Returns
    -------
    scipy.sparse.csr_array
        float64 matrix whose rows sum to 1.

    Examples
    --------
    >>> m = resize_matrix(8, 4)
    >>> m.shape, bool(np.allclose(m.sum(axis=1), 1.0))
    ((4, 8), True)
    """
    _check_kernel(kernel)
    if in_length < 1 or out_length < 1:
        raise InputError(
            f"cannot resize a length-{in_length} axis to length {out_length}",
            "both lengths must be at least 1",
        )
    if scale is None:
        scale = out_length / in_length
    return _row_operator(int(in_length), int(out_length), float(scale), kernel, bool(antialiasing)).copy()


def _check_kernel(kernel: str) -> None:
    if kernel not in KERNELS:
        raise InputError(f"unknown resize kernel {kernel!r}", f"use one of: {', '.join(KERNELS)}")


def imresize(
    image: np.ndarray,
    scale: float | None = None,
    *,
    output_shape: tuple[int, int] | None = None,
    kernel: str = "bicubic",
    antialiasing: bool = True,
) -> np.ndarray:
    """Resize an image exactly as MATLAB's ``imresize`` does.

    Cubic kernel with a = -0.5 (or another of :data:`KERNELS`), antialiasing when
    shrinking by widening the kernel by ``1/scale``, symmetric (mirrored) edges, weights
    normalised per output pixel; the axis with the smaller scale is resized first, rows
    first on a tie, as MATLAB does. Nothing is rounded or clipped: bicubic output can leave
    [0, 1] slightly, and the caller quantises if the protocol asks for it.

    Parameters
    ----------
    image : numpy.ndarray
        Float image, ``H×W`` or ``H×W×C``.
    scale : float, optional
        Scale factor for both axes; the output is ``ceil(scale * H) × ceil(scale * W)``.
    output_shape : tuple of int, optional
        ``(rows, cols)`` of the output, instead of `scale`.
    kernel : str
        Interpolation kernel: ``"bicubic"`` (MATLAB's default), ``"bilinear"``, ``"box"``,
        ``"lanczos2"`` or ``"lanczos3"``.
    antialiasing : bool
        Low-pass filter when shrinking, as MATLAB does by default.

    Returns
    -------
    numpy.ndarray
        The resized image, same dtype (float32 stays float32) and channels.

    Raises
    ------
    InputError
        If the image is not a float 2-D/3-D array, or neither or both of `scale` and
        `output_shape` are given.

    Examples
    --------
    >>> img = np.linspace(0, 1, 48, dtype=np.float32).reshape(8, 6)
    >>> small = imresize(img, 0.5)
    >>> small.shape, small.dtype
    ((4, 3), dtype('float32'))
    >>> imresize(small, 2).shape
    (8, 6)
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise InputError(
            f"cannot resize an array of shape {image.shape}", "pass an H×W or H×W×C image"
        )
    if not np.issubdtype(image.dtype, np.floating):
        raise InputError(
            f"imresize takes float images in [0, 1], got dtype {image.dtype}",
            "convert first, e.g. image.astype(np.float32) / 255",
        )
    if (scale is None) == (output_shape is None):
        raise InputError(
            "imresize needs exactly one of scale and output_shape",
            "pass e.g. imresize(image, 0.25) or imresize(image, output_shape=(80, 120))",
        )
    in_shape = image.shape[:2]
    if scale is not None:
        if not scale > 0 or not math.isfinite(scale):
            raise InputError(f"resize scale must be a positive number, got {scale!r}", "pass e.g. 0.25 or 4")
        scales = (float(scale), float(scale))
        out_shape = tuple(math.ceil(scale * n) for n in in_shape)
    else:
        assert output_shape is not None
        if len(output_shape) != 2 or min(output_shape) < 1:
            raise InputError(
                f"output_shape must be (rows, cols) of positive ints, got {output_shape!r}",
                "pass e.g. output_shape=(80, 120)",
            )
        out_shape = (int(output_shape[0]), int(output_shape[1]))
        scales = (out_shape[0] / in_shape[0], out_shape[1] / in_shape[1])
    _check_kernel(kernel)
    channels = image.shape[2] if image.ndim == 3 else 1
    rows = _row_operator(in_shape[0], out_shape[0], scales[0], kernel, bool(antialiasing))
    cols = _column_operator(
        in_shape[1], out_shape[1], scales[1], kernel, bool(antialiasing), channels
    )
    # On the H×(W·C) view in float64, rows act from the left and columns from the right.
    out = np.ascontiguousarray(image, dtype=np.float64).reshape(in_shape[0], -1)
    # MATLAB sorts the scales and resizes the most-shrunk axis first (stable: rows on a tie).
    if scales[0] <= scales[1]:
        out = np.ascontiguousarray(rows @ out)
        out = np.ascontiguousarray(out @ cols)
    else:
        out = np.ascontiguousarray(out @ cols)
        out = np.ascontiguousarray(rows @ out)
    return out.reshape(out_shape + image.shape[2:]).astype(image.dtype, copy=False)


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop the bottom and right edges so that height and width are multiples of `scale`.

    Parameters
    ----------
    image : numpy.ndarray
        ``H×W`` or ``H×W×C`` image.
    scale : int
        Super-resolution factor.

    Returns
    -------
    numpy.ndarray
        A view of the top-left ``(H - H % scale) × (W - W % scale)`` part.

    Examples
    --------
    >>> modcrop(np.zeros((481, 321, 3)), 4).shape
    (480, 320, 3)
    """
    image = np.asarray(image)
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise InputError(f"modcrop scale must be a positive integer, got {scale!r}", "pass e.g. 4")
    if image.ndim not in (2, 3):
        raise InputError(
            f"cannot modcrop an array of shape {image.shape}", "pass an H×W or H×W×C image"
        )
    h, w = image.shape[:2]
    if h < scale or w < scale:
        raise InputError(
            f"image of shape {image.shape} is smaller than scale {scale}",
            "use a larger image or a smaller scale",
        )
    return image[: h - h % scale, : w - w % scale]


def downscale_kernel(scale: int) -> np.ndarray:
    """The blur of a bicubic :func:`imresize` downscale by the integer ``scale``, as a 2-D kernel.

    Away from the borders, ``imresize(x, 1/scale)`` equals convolving ``x`` with this
    kernel and keeping every ``scale``-th pixel starting at (0, 0) — the ``A = S H``
    model of :mod:`restoretk.operators`. Low-resolution pixel ``i`` is centred at
    ``scale·i + (scale − 1)/2`` and weighs the pixel at distance ``t`` by
    ``cubic(t / scale) / scale``; the kernel is centred at ``(rows // 2, cols // 2)``.
    Unlike a camera PSF it has (small) negative lobes.

    Examples
    --------
    >>> k = downscale_kernel(4)
    >>> k.shape, round(float(k.sum()), 6)
    ((19, 19), 1.0)
    """
    half = 2 * scale + 1
    taps = np.arange(-half, half + 1, dtype=np.float64)
    profile = _cubic((taps + (scale - 1) / 2) / scale)
    profile /= profile.sum()
    return np.outer(profile, profile)


def imresize_uint8(image: np.ndarray, scale: float) -> np.ndarray:
    """MATLAB ``imresize(uint8_image, scale)`` on values 0..255 (float in, float out).

    MATLAB resizes one axis at a time (rows first when both scales are equal) and, as
    ``imresizemex`` returns the input's class, rounds each pass half away from zero and
    saturates it to uint8. That rounding is part of the published SR baselines: it is
    how the low-resolution sets were made.

    Parameters
    ----------
    image : numpy.ndarray
        ``H×W`` or ``H×W×C`` with integer values in 0..255, any float dtype.
    scale : float
        Scale factor, e.g. ``1/4``.

    Returns
    -------
    numpy.ndarray
        float64 integer values in 0..255, ``ceil(scale·H) × ceil(scale·W)``.

    Examples
    --------
    >>> imresize_uint8(np.full((8, 8), 200.0), 0.25)
    array([[200., 200.],
           [200., 200.]])
    """
    image = np.asarray(image, dtype=np.float64)
    h, w = image.shape[:2]
    rows, cols = math.ceil(scale * h), math.ceil(scale * w)
    # imresize is linear, so it can work on 0..255 directly; this keeps the exact .5 ties
    # that the dyadic cubic weights of x2/x4 produce, which MATLAB rounds upward.
    out = np.clip(np.floor(imresize(image, output_shape=(rows, w)) + 0.5), 0, 255)
    return np.clip(np.floor(imresize(out, output_shape=(rows, cols)) + 0.5), 0, 255)
