"""Image-quality metrics with the conventions of the restoration literature.

PSNR and SSIM on floats in [0, 1], optionally on the BT.601 luma (Y) channel with a border
shaved, as super-resolution papers report them. A :class:`MetricProtocol` names one such
convention so that every table printed by the bench says how its numbers were measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from skimage.metrics import structural_similarity

from restoretk.errors import InputError, RestoreError

__all__ = ["rgb_to_y", "psnr", "ssim", "MetricProtocol", "score"]

# ITU-R BT.601 luma for R, G, B in [0, 1], as MATLAB's rgb2ycbcr: Y in [16, 235] / 255.
_Y_OFFSET = 16.0
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966])

# SSIM of Wang et al. (2004): 11×11 Gaussian window, sigma 1.5, population covariance.
_SSIM_SIGMA = 1.5


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """Luma (Y of YCbCr, ITU-R BT.601) of an RGB image, as MATLAB's ``rgb2ycbcr``.

    ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B in [0, 1], so Y lies
    in [16/255, 235/255]. Nothing is rounded (MATLAB on ``double`` input).

    Parameters
    ----------
    image : numpy.ndarray
        ``H×W×3`` RGB in [0, 1]; a grey ``H×W`` (or ``H×W×1``) image passes through.

    Returns
    -------
    numpy.ndarray
        ``H×W`` luma, same float dtype as `image` (float64 for integer input).

    Examples
    --------
    >>> rgb = np.ones((2, 2, 3))
    >>> round(float(rgb_to_y(rgb)[0, 0] * 255), 3)
    235.0
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(
            f"cannot take luma of an array of shape {image.shape}",
            "pass an H×W×3 RGB image or an H×W grey one",
        )
    dtype = image.dtype if np.issubdtype(image.dtype, np.floating) else np.float64
    y = (_Y_OFFSET + image.astype(np.float64, copy=False) @ _Y_WEIGHTS) / 255.0
    return y.astype(dtype, copy=False)


def _prepare(
    image: np.ndarray, reference: np.ndarray, crop_border: int, y_channel: bool
) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    reference = np.asarray(reference)
    if image.shape != reference.shape:
        raise RestoreError(
            f"image shape {image.shape} differs from reference shape {reference.shape}",
            "compare images of the same size (crop the reference with modcrop first)",
        )
    if image.ndim not in (2, 3):
        raise InputError(
            f"cannot measure an array of shape {image.shape}", "pass an H×W or H×W×C image"
        )
    if isinstance(crop_border, bool) or not isinstance(crop_border, (int, np.integer)) or crop_border < 0:
        raise InputError(
            f"crop_border must be a non-negative integer, got {crop_border!r}", "pass e.g. crop_border=4"
        )
    h, w = image.shape[:2]
    if 2 * crop_border >= min(h, w):
        raise InputError(
            f"crop_border={crop_border} leaves nothing of a {h}×{w} image",
            f"use crop_border < {(min(h, w) + 1) // 2}",
        )
    image = image.astype(np.float64, copy=False)
    reference = reference.astype(np.float64, copy=False)
    if y_channel:
        image, reference = rgb_to_y(image), rgb_to_y(reference)
    if crop_border:
        b = crop_border
        image, reference = image[b:-b, b:-b], reference[b:-b, b:-b]
    return image, reference


def psnr(
    image: np.ndarray,
    reference: np.ndarray,
    *,
    crop_border: int = 0,
    y_channel: bool = False,
    data_range: float = 1.0,
) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range² / MSE)``.

    Parameters
    ----------
    image, reference : numpy.ndarray
        Images of the same shape, ``H×W`` or ``H×W×C``; float32 is fine, computed in float64.
    crop_border : int
        Pixels shaved from each edge before measuring (the SR scale, by convention).
    y_channel : bool
        Measure on the BT.601 luma of RGB images (see :func:`rgb_to_y`).
    data_range : float
        Peak-to-peak range of the pixel values: 1 for [0, 1].

    Returns
    -------
    float
        PSNR in dB; ``inf`` for identical images.

    Raises
    ------
    RestoreError
        If the shapes differ.

    Examples
    --------
    >>> ref = np.zeros((8, 8))
    >>> round(psnr(ref + 0.1, ref), 6)
    20.0
    """
    image, reference = _prepare(image, reference, crop_border, y_channel)
    mse = float(np.mean((image - reference) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def ssim(
    image: np.ndarray,
    reference: np.ndarray,
    *,
    crop_border: int = 0,
    y_channel: bool = False,
    data_range: float = 1.0,
) -> float:
    """Structural similarity of Wang et al. (2004), averaged over pixels and channels.

    Gaussian window with sigma 1.5 (11×11), K1 = 0.01, K2 = 0.03, population covariance:
    ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False)``, which computes it.

    Parameters
    ----------
    image, reference : numpy.ndarray
        Images of the same shape, ``H×W`` or ``H×W×C``, at least 11×11 after the crop.
    crop_border : int
        Pixels shaved from each edge before measuring.
    y_channel : bool
        Measure on the BT.601 luma of RGB images.
    data_range : float
        Peak-to-peak range of the pixel values: 1 for [0, 1].

    Returns
    -------
    float
        SSIM, 1 for identical images.

    Raises
    ------
    RestoreError
        If the shapes differ or the image is smaller than the window.

    References
    ----------
    .. [1] Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality
       assessment: from error visibility to structural similarity", IEEE TIP 13(4), 2004.

    Examples
    --------
    >>> ref = np.random.default_rng(0).random((16, 16))
    >>> ssim(ref, ref)
    1.0
    """
    image, reference = _prepare(image, reference, crop_border, y_channel)
    if min(image.shape[:2]) < 11:
        raise InputError(
            f"SSIM needs at least 11×11 pixels after the crop, got {image.shape[:2]}",
            "use a larger image or a smaller crop_border",
        )
    value = structural_similarity(
        image,
        reference,
        data_range=data_range,
        channel_axis=-1 if image.ndim == 3 else None,
        gaussian_weights=True,
        sigma=_SSIM_SIGMA,
        use_sample_covariance=False,
    )
    return float(value)


@dataclass(frozen=True)
class MetricProtocol:
    """How PSNR/SSIM are measured: which channel, how much border, which data range.

    Parameters
    ----------
    crop_border : int
        Pixels shaved from each edge.
    y_channel : bool
        Measure on BT.601 luma instead of all channels.
    data_range : float
        Peak-to-peak range of the pixel values.

    Examples
    --------
    >>> MetricProtocol.super_resolution(4).describe()
    'PSNR/SSIM on Y (BT.601), 4-pixel border shaved, data range 1'
    >>> MetricProtocol().describe()
    'PSNR/SSIM on all channels, no border shaved, data range 1'
    """

    crop_border: int = 0
    y_channel: bool = False
    data_range: float = 1.0

    @classmethod
    def super_resolution(cls, scale: int) -> MetricProtocol:
        """The protocol of SR papers: Y channel, `scale` pixels shaved, data range 1."""
        return cls(crop_border=int(scale), y_channel=True, data_range=1.0)

    def describe(self) -> str:
        """One line saying how the numbers were measured, to print beside a table."""
        channel = "Y (BT.601)" if self.y_channel else "all channels"
        border = f"{self.crop_border}-pixel border shaved" if self.crop_border else "no border shaved"
        return f"PSNR/SSIM on {channel}, {border}, data range {self.data_range:g}"


def score(
    image: np.ndarray, reference: np.ndarray, protocol: MetricProtocol = MetricProtocol()
) -> dict[str, float]:
    """PSNR and SSIM of `image` against `reference` under one protocol.

    Parameters
    ----------
    image, reference : numpy.ndarray
        Images of the same shape.
    protocol : MetricProtocol
        How to measure.

    Returns
    -------
    dict
        ``{"psnr": dB, "ssim": value}``.

    Examples
    --------
    >>> ref = np.full((32, 32, 3), 0.5)
    >>> s = score(ref + 0.01, ref, MetricProtocol.super_resolution(2))
    >>> round(s["psnr"], 2), round(s["ssim"], 4)
    (41.32, 0.9999)
    """
    options = {
        "crop_border": protocol.crop_border,
        "y_channel": protocol.y_channel,
        "data_range": protocol.data_range,
    }
    return {"psnr": psnr(image, reference, **options), "ssim": ssim(image, reference, **options)}
