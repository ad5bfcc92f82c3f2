"""Noise level: the standard deviation of additive white Gaussian noise in an image."""

from __future__ import annotations

import math
import warnings

import numpy as np
from skimage.restoration import estimate_sigma

from restoretk.errors import RestoreError

__all__ = ["estimate_noise", "noise_level"]


def noise_level(value: float | str) -> float:
    """A given noise standard deviation, checked: a finite number >= 0 (text is parsed).

    Every command and API function that takes a noise level checks it here.

    Examples
    --------
    >>> noise_level("0.01")
    0.01
    >>> noise_level(float("nan"))
    Traceback (most recent call last):
    ...
    restoretk.errors.RestoreError: noise level nan is not a number >= 0; use e.g. noise=0.01 (images in [0, 1]) or noise='auto'
    """
    try:
        level = float(value)
    except (TypeError, ValueError):
        level = math.nan
    if not math.isfinite(level) or level < 0:
        raise RestoreError(
            f"noise level {value} is not a number >= 0", "use e.g. noise=0.01 (images in [0, 1]) or noise='auto'"
        )
    return level


def estimate_noise(image: np.ndarray) -> float:
    """Estimate the noise standard deviation of ``image`` (H×W or H×W×C, in [0, 1]).

    Uses the median absolute deviation of the finest diagonal wavelet coefficients
    (Donoho & Johnstone 1994) via :func:`skimage.restoration.estimate_sigma`, averaged
    over channels. Blur suppresses image content at that scale, so the estimate is
    good on blurred photographs too.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> smooth = np.add.outer(np.linspace(0, 1, 128), np.linspace(0, 1, 128)) / 2
    >>> round(estimate_noise(smooth + 0.02 * rng.standard_normal(smooth.shape)), 3)
    0.02
    """
    image = np.asarray(image, dtype=np.float64)
    channel_axis = -1 if image.ndim == 3 else None
    with warnings.catch_warnings():  # its guess that a small grey image might be colour: the axis is given here
        warnings.filterwarnings("ignore", "image is size", UserWarning)
        return float(np.mean(estimate_sigma(image, channel_axis=channel_axis, average_sigmas=False)))
