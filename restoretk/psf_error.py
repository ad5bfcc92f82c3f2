"""Mis-specified PSFs: what a restorer is told when the true blur is known only roughly.

In practice the PSF handed to a non-blind restorer is an estimate or a calibration, and
it is wrong. Two models of that error, used alike by training (``restoretk train
--psf-error``) and by the bench's ``*-psferr`` scenarios:

Gaussians
    The error is in σ: :func:`misspecified_gaussian` scales every σ of a ``gauss:`` spec
    by one factor drawn uniformly in ``[1 - error, 1 + error]`` and keeps the support.
General kernels (motion, camera shake, recorded kernels)
    :func:`perturb_psf` makes the errors a kernel estimated from a photo shows: noise
    on and around the path, a stretch of the path missing, a little extra smoothing.

:func:`misspecified_psf` picks the model that fits a spec. Everything random is drawn
from the generator passed in, so a seeded generator gives the same PSF every time.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> misspecified_gaussian("gauss:2@25", rng)
'gauss:2.1096@25'
>>> kernel = perturb_psf(psf.parse("shake:3,21"), rng)
>>> kernel.shape, round(float(kernel.sum()), 12), bool(kernel.min() >= 0)
((21, 21), 1.0, True)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import binary_dilation, gaussian_filter

from restoretk import psf
from restoretk.errors import RestoreError

__all__ = ["aligned_kernel_error", "gaussian_sigmas", "misspecified_gaussian", "misspecified_psf", "perturb_psf"]

#: Pixels above this fraction of the kernel's peak form its support (the path).
SUPPORT_FRACTION = 0.05

#: Radius in pixels of the disc of path removed by :func:`perturb_psf`, per unit of
#: ``strength`` (1–2.5 pixels at the default 0.2).
DROP_RADIUS_PER_STRENGTH = (5.0, 12.5)

#: A drop that would remove more than this fraction of the mass is not made: on a
#: compact kernel it would remove the blur itself, not a stretch of it.
MAX_DROPPED_MASS = 0.5

#: σ in pixels of the extra smoothing, per unit of ``strength`` (0.2–0.5 at 0.2).
SMOOTHING_PER_STRENGTH = (1.0, 2.5)


def gaussian_sigmas(spec: str) -> tuple[float, float, float]:
    """``(σx, σy, angle)`` of a ``gauss:S`` or ``gauss:SX,SY,ANGLE`` spec (``@SIZE`` ignored).

    Parameters
    ----------
    spec : str
        A Gaussian PSF spec (see :mod:`restoretk.psf`).

    Returns
    -------
    tuple of float
        σ along the axis at ``angle`` degrees, σ across it, and the angle; an isotropic
        spec gives ``(S, S, 0.0)``.

    Raises
    ------
    RestoreError
        For a spec that does not parse or is not a Gaussian.

    Examples
    --------
    >>> gaussian_sigmas("gauss:2@25"), gaussian_sigmas("gauss:3,1,30")
    ((2.0, 2.0, 0.0), (3.0, 1.0, 30.0))
    """
    fields = _gaussian_fields(spec)
    if len(fields) == 1:
        return fields[0], fields[0], 0.0
    return fields[0], fields[1], fields[2]


def _gaussian_fields(spec: str) -> list[float]:
    """The numbers between ``gauss:`` and ``@``: ``[S]`` or ``[SX, SY, ANGLE]``."""
    psf.parse(spec)  # a bad spec is reported as parse reports it
    family, _, rest = spec.strip().partition(":")
    if family.strip().lower() != "gauss":
        raise RestoreError(
            f"PSF spec {spec!r} is not a Gaussian",
            "pass a gauss:S or gauss:SX,SY,ANGLE spec, or use perturb_psf for other kernels",
        )
    return [float(field) for field in rest.partition("@")[0].split(",")]


def misspecified_gaussian(spec: str, rng: np.random.Generator, *, error: float = 0.2) -> str:
    """A Gaussian spec with every σ scaled by one factor drawn uniformly in ``[1 - error, 1 + error]``.

    Parameters
    ----------
    spec : str
        The true PSF, ``gauss:S`` or ``gauss:SX,SY,ANGLE``, with or without ``@SIZE``.
    rng : numpy.random.Generator
        Source of the factor (one uniform draw).
    error : float
        Largest relative error of σ, in ``[0, 1)``.

    Returns
    -------
    str
        The mis-specified spec, on the support of the true one (an explicit ``@SIZE``),
        so that both kernels have the same shape.

    Examples
    --------
    >>> misspecified_gaussian("gauss:3,1,30", np.random.default_rng(1), error=0.1)
    'gauss:3.0071,1.0024,30@23'
    """
    if not 0 <= error < 1:
        raise RestoreError(f"σ error {error!r} is not in [0, 1)", "use e.g. 0.2 for ±20 %")
    fields = _gaussian_fields(spec)
    rows, cols = psf.parse(spec).shape
    factor = rng.uniform(1 - error, 1 + error)
    scaled = [f"{sigma * factor:.5g}" for sigma in fields[:2]] + [f"{angle:g}" for angle in fields[2:]]
    return f"gauss:{','.join(scaled)}@{rows if rows == cols else f'{rows}x{cols}'}"


def perturb_psf(kernel: np.ndarray, rng: np.random.Generator, *, strength: float = 0.2) -> np.ndarray:
    """A plausible wrong estimate of a general (motion, camera-shake) kernel.

    The support is the pixels above :data:`SUPPORT_FRACTION` of the peak, dilated by 1
    or 2 pixels. On it, white noise of standard deviation ``strength`` times the peak is
    added; a disc of radius ``strength`` × :data:`DROP_RADIUS_PER_STRENGTH` pixels centred
    on a random pixel of the path is zeroed (a stretch of trajectory the estimate
    missed; skipped where it would take more than :data:`MAX_DROPPED_MASS` of the mass);
    the result is smoothed by a Gaussian of σ ``strength`` × :data:`SMOOTHING_PER_STRENGTH`
    pixels, clipped at 0 and normalised. At the default strength a camera-shake kernel
    ends up 0.3–0.8 away in relative L2 norm, which costs a Wiener restoration of
    ``deblur-motion`` about 3 dB (1 dB at strength 0.1).

    Parameters
    ----------
    kernel : numpy.ndarray
        The true PSF: 2-D, non-negative, positive sum (normalised here).
    rng : numpy.random.Generator
        Source of every random choice.
    strength : float
        Size of the error; 0 returns the normalised kernel unchanged.

    Returns
    -------
    numpy.ndarray
        A float64 kernel of the same shape, non-negative, summing to 1.

    Examples
    --------
    >>> true = psf.parse("motion:9,30")
    >>> wrong = perturb_psf(true, np.random.default_rng(0))
    >>> wrong.shape == true.shape, bool(np.abs(wrong - true).sum() > 0.1)
    (True, True)
    """
    if not math.isfinite(strength) or strength < 0:
        raise RestoreError(f"PSF perturbation strength {strength!r} is not a non-negative number", "use e.g. 0.2")
    kernel = psf.parse(np.asarray(kernel))
    if strength == 0:
        return kernel
    peak = kernel.max()
    path = kernel > SUPPORT_FRACTION * peak
    support = binary_dilation(path, np.ones((3, 3), bool), iterations=int(rng.integers(1, 3)))

    wrong = kernel + support * (strength * peak) * rng.standard_normal(kernel.shape)
    centre = np.argwhere(path)[rng.integers(np.count_nonzero(path))]
    radius = strength * rng.uniform(*DROP_RADIUS_PER_STRENGTH)
    rows, cols = np.indices(kernel.shape)
    disc = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
    if kernel[disc].sum() <= MAX_DROPPED_MASS:
        wrong[disc] = 0.0
    smoothing = strength * rng.uniform(*SMOOTHING_PER_STRENGTH)
    wrong = gaussian_filter(np.clip(wrong, 0.0, None), smoothing, mode="constant")
    return psf.parse(np.clip(wrong, 0.0, None))


def misspecified_psf(spec: str, rng: np.random.Generator, *, error: float = 0.2) -> np.ndarray:
    """The kernel a restorer is told when the true PSF is ``spec``: wrong by about ``error``.

    A Gaussian gets its σ scaled (:func:`misspecified_gaussian` with ``error``); any
    other kernel is perturbed (:func:`perturb_psf` with ``strength=error``). The shape is
    that of the true kernel.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> [misspecified_psf(s, rng).shape for s in ("gauss:1.5", "shake:7,15")]
    [(13, 13), (15, 15)]
    """
    if spec.strip().lower().startswith("gauss:"):
        return psf.parse(misspecified_gaussian(spec, rng, error=error))
    return perturb_psf(psf.parse(spec), rng, strength=error)


def aligned_kernel_error(estimate: np.ndarray, truth: np.ndarray, max_shift: int | None = None) -> float:
    """Relative L2 distance ``‖k̂ − k‖ / ‖k‖`` at the best integer shift of the estimate.

    A blind estimate is known only up to a translation (shifting the kernel one way and
    the image the other explains the photo as well), so the kernels are compared at
    the shift that brings them closest, both zero-padded to a common square.

    Parameters
    ----------
    estimate, truth : numpy.ndarray
        2-D kernels, any sizes.
    max_shift : int, optional
        Largest shift tried along each axis (default: half the larger kernel's side).

    Examples
    --------
    >>> truth = psf.parse("shake:3,15")
    >>> moved = np.roll(np.pad(truth, 2), (1, -2), axis=(0, 1))
    >>> round(aligned_kernel_error(moved, truth), 9), aligned_kernel_error(psf.parse("gauss:1@15"), truth) > 0.5
    (0.0, True)
    """
    estimate, truth = np.asarray(estimate, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    reach = max(max(estimate.shape), max(truth.shape)) // 2 if max_shift is None else int(max_shift)
    side = max(max(estimate.shape), max(truth.shape)) + 2 * reach + 1
    moved, fixed = _padded_to(estimate, side), _padded_to(truth, side)
    best = min(
        float(np.sum((np.roll(moved, (dr, dc), axis=(0, 1)) - fixed) ** 2))
        for dr in range(-reach, reach + 1)
        for dc in range(-reach, reach + 1)
    )
    return math.sqrt(best / float(np.sum(truth**2)))


def _padded_to(kernel: np.ndarray, side: int) -> np.ndarray:
    """``kernel`` centred in a ``side``² square of zeros."""
    out = np.zeros((side, side))
    top, left = (side - kernel.shape[0]) // 2, (side - kernel.shape[1]) // 2
    out[top : top + kernel.shape[0], left : left + kernel.shape[1]] = kernel
    return out
