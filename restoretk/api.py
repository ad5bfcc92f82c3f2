"""The Python API: ``deblur``, ``upscale``, ``denoise`` and ``degrade`` on H×W or H×W×C images in [0, 1]."""

from __future__ import annotations

from typing import Any

import numpy as np

from restoretk import psf as psf_module
from restoretk.degradation import BORDER_FORMATIONS, Degradation, observe, valid_crop
from restoretk.errors import RestoreError
from restoretk.estimation import auto_family, estimate_psf
from restoretk.limits import MAX_SCALE, check_pixels
from restoretk.methods.registry import get_method
from restoretk.noise import estimate_noise, noise_level
from restoretk.resize import downscale_kernel

__all__ = ["deblur", "upscale", "denoise", "degrade", "reference_crop", "check_image", "FORMATIONS"]

#: How ``degrade`` treats the scene outside the frame (:mod:`restoretk.degradation`).
FORMATIONS = BORDER_FORMATIONS


def deblur(
    image: np.ndarray,
    psf: str | np.ndarray,
    method: str = "wiener",
    noise: float | str | None = None,
    *,
    boundary: str = "auto",
    clip: bool = True,
    **options: Any,
) -> np.ndarray:
    """Remove a known blur from ``image``.

    Parameters
    ----------
    image : numpy.ndarray
        H×W or H×W×C image, float in [0, 1] (integer images are scaled to [0, 1]).
    psf : str or numpy.ndarray
        PSF spec (``'gauss:2'``, ``'motion:15,30'``, ...; see :mod:`restoretk.psf`) or kernel;
        ``'auto'`` or ``'auto:FAMILY'`` estimates it first (:func:`restoretk.estimate_psf`).
    method : str
        A deblurring method of :func:`restoretk.list_methods` (``wiener``, ``pinv``,
        ``tikhonov``, ``richardson-lucy``, ...).
    noise : float, 'auto' or None
        Noise standard deviation; estimated from the image when None or ``'auto'``.
    boundary : {'auto', 'reflect', 'circular'}
        Border handling (see :mod:`restoretk.boundary`); ``auto`` treats a non-periodic
        photo as extending past its frame.
    clip : bool
        Clip the result to [0, 1].
    **options
        Method options, e.g. ``iterations=30`` for ``richardson-lucy``.

    Returns
    -------
    numpy.ndarray
        The restored image, same shape; float64 input gives float64, any other float32.

    Notes
    -----
    Restoration computes in float32: its rounding error (~1e-7) is far below one
    level of a 16-bit photograph (1.5e-5), and it halves time and memory.

    Examples
    --------
    >>> from skimage.data import camera
    >>> sharp = camera()[::4, ::4] / 255.0
    >>> blurred = degrade(sharp, "gauss:1.5", noise=0.01, boundary="reflect")
    >>> restored = deblur(blurred, "gauss:1.5", noise=0.01)
    >>> bool(np.abs(restored - sharp).mean() < np.abs(blurred - sharp).mean())
    True
    """
    family = auto_family(psf)
    if family is not None:
        given = None if noise is None or noise == "auto" else _noise(noise, image)
        psf = estimate_psf(image, family, noise=given)[1]
    kernel = psf_module.parse(psf)
    check_image(np.shape(image), kernel)
    frame = _as_image(image)
    return _run("deblur", method, image, frame, Degradation(kernel, 1, _noise(noise, image)), boundary, clip, options)


def upscale(
    image: np.ndarray,
    scale: int,
    method: str = "bicubic",
    psf: str | np.ndarray | None = None,
    noise: float | str | None = None,
    *,
    boundary: str = "auto",
    clip: bool = True,
    **options: Any,
) -> np.ndarray:
    """Super-resolve ``image`` by an integer ``scale``.

    The model-based methods (``pinv``, ``wiener``, ...) invert ``A = S H``; without
    ``psf`` they take ``H`` to be the anti-aliasing kernel of a bicubic (MATLAB
    ``imresize``) downscale by ``scale`` (:func:`restoretk.resize.downscale_kernel`).

    Examples
    --------
    >>> from skimage.data import camera
    >>> small = camera()[::8, ::8] / 255.0
    >>> upscale(small, 2).shape
    (128, 128)
    """
    check_image(np.shape(image), scale=scale)
    kernel = psf_module.parse(psf) if psf is not None else downscale_kernel(int(scale))
    degradation = Degradation(kernel, int(scale), _noise(noise, image))
    return _run("upscale", method, image, _as_image(image), degradation, boundary, clip, options)


def denoise(
    image: np.ndarray,
    noise: float | str | None = None,
    method: str = "denoiser",
    *,
    clip: bool = True,
    **options: Any,
) -> np.ndarray:
    """Remove additive white Gaussian noise from ``image``.

    Parameters
    ----------
    image : numpy.ndarray
        H×W or H×W×C image, float in [0, 1] (integer images are scaled to [0, 1]).
    noise : float, 'auto' or None
        Noise standard deviation in [0, 1] units (25/255 ≈ 0.098 for σ = 25 of 8-bit
        images); estimated from the image when None or ``'auto'``.
    method : str
        A denoising method of :func:`restoretk.list_methods` (default: the learned
        ``denoiser`` that ships with restoretk).
    clip : bool
        Clip the result to [0, 1].
    **options
        Method options, e.g. ``tile=256``.

    Returns
    -------
    numpy.ndarray
        The denoised image, same shape; float64 input gives float64, any other float32.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> sharp = astronaut()[100:228, 150:278] / 255.0
    >>> noisy = degrade(sharp, noise=0.1, seed=1)
    >>> restored = denoise(noisy, 0.1)
    >>> bool(np.abs(restored - sharp).mean() < 0.5 * np.abs(noisy - sharp).mean())
    True
    """
    degradation = Degradation(np.ones((1, 1)), 1, _noise(noise, image))
    return _run("denoise", method, image, _as_image(image), degradation, "auto", clip, options)


def degrade(
    image: np.ndarray,
    psf: str | np.ndarray | None = None,
    noise: float = 0.0,
    scale: int = 1,
    boundary: str = "valid",
    seed: int = 0,
) -> np.ndarray:
    """Simulate ``y = S H x + n``: blur, decimate, add seeded white Gaussian noise.

    Parameters
    ----------
    image : numpy.ndarray
        The scene, H×W or H×W×C in [0, 1].
    psf : str, numpy.ndarray or None
        Blur (None: none).
    noise : float
        Noise standard deviation (the result is not clipped).
    scale : int
        Keep every ``scale``-th pixel of the blurred image.
    boundary : {'valid', 'circular', 'reflect'}
        ``valid``: the scene extends past the frame, the result is the fully covered
        part (smaller by the PSF size − 1; its ground truth is :func:`reference_crop`);
        ``circular``: the scene wraps around; ``reflect``: mirrored at the borders.
    seed : int
        Seed of the noise.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((32, 32))
    >>> degrade(x, "box:5", boundary="valid").shape, degrade(x, "box:5", scale=2, boundary="circular").shape
    ((28, 28), (16, 16))
    """
    if boundary not in FORMATIONS:
        raise RestoreError(f"unknown formation boundary {boundary!r}", f"use one of: {', '.join(FORMATIONS)}")
    noise = noise_level(noise)
    _check_scale(scale)
    frame = _as_image(image).astype(_output_dtype(image))
    degradation = Degradation.parse(psf, int(scale), noise, boundary)
    # float64 draws and the last partial block kept: what degrade has always returned
    observed, _ = observe(frame, degradation, np.random.default_rng(seed), noise_dtype=np.float64, whole_blocks=False)
    return _to_layout(observed, image)


def check_image(shape: tuple[int, ...], psf: np.ndarray | None = None, scale: int = 1) -> None:
    """The checks :func:`deblur` (``psf``) and :func:`upscale` (``scale``) make of an image of ``shape``.

    A batch can run them on every image before restoring any.

    Examples
    --------
    >>> check_image((10, 10), psf_module.parse("gauss:2"))
    Traceback (most recent call last):
    ...
    restoretk.errors.RestoreError: PSF of size 15x15 is larger than the image (10x10); use a smaller PSF support (e.g. 'gauss:2@15') or a larger image
    """
    _check_layout(shape)
    rows, cols = shape[:2]
    if psf is not None and (psf.shape[0] > rows or psf.shape[1] > cols):
        raise RestoreError(
            f"PSF of size {psf.shape[0]}x{psf.shape[1]} is larger than the image ({rows}x{cols})",
            "use a smaller PSF support (e.g. 'gauss:2@15') or a larger image",
        )
    _check_scale(scale)
    if scale > 1:
        check_pixels(rows * int(scale), cols * int(scale), f"the x{scale} upscale of {cols}x{rows}")


def reference_crop(image: np.ndarray, psf: str | np.ndarray) -> np.ndarray:
    """The part of the scene ``image`` that a ``valid`` :func:`degrade` result shows.

    Examples
    --------
    >>> reference_crop(np.zeros((32, 32)), "box:5").shape
    (28, 28)
    """
    return valid_crop(image, psf_module.parse(psf).shape, axes=(0, 1))


def _run(task, method, original, frame, degradation, boundary, clip, options) -> np.ndarray:
    """Call a registered method on a channels-first float32 frame; back to the caller's layout and dtype."""
    chosen = get_method(method, task)
    kwargs = chosen.check_options(options)
    if "boundary" in chosen.options:
        kwargs["boundary"] = boundary
    restored = chosen.restore(frame, degradation, **kwargs)
    if clip:
        restored = np.clip(restored, 0.0, 1.0, out=restored if restored.flags.writeable else None)
    return _to_layout(restored.astype(_output_dtype(original), copy=False), original)


def _check_scale(scale: int) -> None:
    try:
        whole = float(scale).is_integer() and 1 <= scale <= MAX_SCALE
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise RestoreError(f"scale {scale!r} is not an integer from 1 to {MAX_SCALE}", "use e.g. scale=2 or scale=4")


def _output_dtype(image: np.ndarray) -> type:
    """float64 for float64 input, float32 for anything else."""
    return np.float64 if np.asarray(image).dtype == np.float64 else np.float32


def _noise(noise: float | str | None, image: np.ndarray) -> float:
    if noise is None or noise == "auto":
        return estimate_noise(np.asarray(image, dtype=np.float64))
    return noise_level(noise)


def _as_image(image: np.ndarray) -> np.ndarray:
    """Channels-first float32 view ``(C, rows, cols)``; integer images are scaled to [0, 1]."""
    array = np.asarray(image)
    _check_layout(array.shape)
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / np.iinfo(array.dtype).max
    else:
        array = array.astype(np.float32, copy=False)
    if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):  # NaN and ±inf reach one of them
        raise RestoreError("image contains NaN or infinite values", "replace them (e.g. np.nan_to_num) first")
    return array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0)


def _check_layout(shape: tuple[int, ...]) -> None:
    if len(shape) not in (2, 3):
        raise RestoreError(f"image of shape {tuple(shape)} is neither H×W nor H×W×C", "pass a grey or colour image")


def _to_layout(channels_first: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Back to the layout of ``like`` (H×W or H×W×C)."""
    if np.ndim(like) == 2:
        return channels_first[0]
    return np.moveaxis(channels_first, 0, -1)
