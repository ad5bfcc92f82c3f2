"""Classical restorers: exact and regularised inverses of ``A = S H``, and Richardson–Lucy.

All Fourier restorers share :func:`fourier_restore`: extend the image past its frame
(:mod:`restoretk.boundary`), build ``A`` on the extended grid, apply a closed-form
inverse from :mod:`restoretk.operators`, crop; the Wiener core they build on is
:mod:`restoretk.solvers.wiener`.
"""

from __future__ import annotations

import functools
from typing import Annotated

import numpy as np

from restoretk.boundary import extend, is_periodic
from restoretk.degradation import valid_crop
from restoretk.errors import RestoreError
from restoretk.methods.registry import Degradation, Range, register_method
from restoretk.operators import Convolution, FourierMultiplier
from restoretk.operators.spatial import convolve_valid, convolve_valid_adjoint
from restoretk.operators.transfer import finite_difference_power
from restoretk.progress import steps
from restoretk.solvers.wiener import (
    QUANTISATION_NOISE,
    WIENER_STRENGTH,
    degradation_operator,
    natural_image_prior,
    solver_extension,
    wiener_regularisation,
)

__all__ = ["fourier_restore", "wiener", "pinv", "tikhonov", "richardson_lucy"]

#: Bounds of the options: regularisation weights are positive; Richardson–Lucy stops at
#: 10 000 iterations (its estimate stops changing long before).
POSITIVE = Range(0, low_open=True)
MAX_ITERATIONS = 10_000

def fourier_restore(
    image: np.ndarray,
    degradation: Degradation,
    *,
    boundary: str = "auto",
    eps: float | str = 0.0,
    prior: str | None = None,
    rtol: float = 1e-3,
    strength: float = 1.0,
) -> np.ndarray:
    """Closed-form restoration ``x̂ = P Aᵀ (A P Aᵀ + ε)⁻¹ y`` on an extended grid.

    Parameters
    ----------
    image : numpy.ndarray
        ``(C, rows, cols)`` observation.
    degradation : Degradation
        The forward model.
    boundary : {'auto', 'reflect', 'circular'}
        Border handling, see :mod:`restoretk.boundary`.
    eps : float or 'wiener'
        Regularisation; ``'wiener'`` derives it from the noise level and the image's
        contrast (``strength · σ² / c``, see :func:`signal_power_scale`) and needs a prior.
    prior : {None, 'natural', 'gradient'}
        ``P``: identity, the natural-image spectrum, or ``1/|∇|²`` (Tikhonov on the gradient).
    rtol : float
        Relative singular-value cut-off of the exact pseudo-inverse (``eps = 0``).
    strength : float
        Multiplies the derived regularisation.
    """
    scale = degradation.scale
    plan = solver_extension(degradation)
    ext = extend(image, plan.margin, boundary, fade=plan.fade)
    rows, cols = ext.padded.shape[-2:]
    op = degradation_operator(degradation, (rows * scale, cols * scale))
    weight = {None: None, "natural": natural_image_prior, "gradient": _inverse_gradient_power}[prior]
    weight = weight and weight(op.in_shape)
    if eps == "wiener":
        eps = wiener_regularisation(image, op, weight, degradation.noise, strength)
    restored = op.pinv(ext.padded, eps, prior=weight, rtol=rtol)
    return ext.crop(restored, scale)


@functools.lru_cache(maxsize=16)
def _inverse_gradient_power(shape: tuple[int, int]) -> FourierMultiplier:
    """``1 / (|∇|² + 10⁻⁴)``: the prior under which the inverse is Tikhonov on the gradient.

    The tiny floor bounds the prior's dynamic range: with ``1/|∇|²`` alone the mean would
    pass through ``(A P Aᵀ + ε)⁻¹`` scaled by ~10⁻¹², below float32 resolution.
    """
    return FourierMultiplier(1.0 / (finite_difference_power(shape) + 1e-4), shape)


@register_method(
    "wiener",
    tasks={"deblur", "upscale"},
    summary="Wiener filter with a natural-image (1/f²) prior; ε from the noise level (default)",
)
def wiener(
    image: np.ndarray,
    degradation: Degradation,
    *,
    boundary: str = "auto",
    strength: Annotated[float, POSITIVE] = WIENER_STRENGTH,
) -> np.ndarray:
    """Linear MMSE estimate under a natural-image power spectrum, regularisation from the noise.

    ``strength`` scales the regularisation (1 = the textbook MMSE weight; see
    :data:`WIENER_STRENGTH`).
    """
    return fourier_restore(image, degradation, boundary=boundary, eps="wiener", prior="natural", strength=strength)


@register_method("pinv", tasks={"deblur", "upscale"}, summary="exact Moore–Penrose pseudo-inverse A⁺ (no regularisation)")
def pinv(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", rtol: Annotated[float, Range(0, 1, low_open=True)] = 1e-3
) -> np.ndarray:
    """``A⁺ y``: singular values below ``rtol`` × the largest are treated as the null space."""
    return fourier_restore(image, degradation, boundary=boundary, eps=0.0, rtol=rtol)


@register_method(
    "tikhonov", tasks={"deblur", "upscale"}, summary="Tikhonov with a gradient (Laplacian) regulariser, λ from the noise"
)
def tikhonov(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", lam: Annotated[float, POSITIVE] | None = None
) -> np.ndarray:
    """``argmin ||A x − y||² + λ ||∇x||²``; ``lam`` defaults to ``200 σ²`` (at least 1e-4)."""
    if lam is None:
        lam = max(200 * max(degradation.noise, QUANTISATION_NOISE) ** 2, 1e-4)
    return fourier_restore(image, degradation, boundary=boundary, eps=lam, prior="gradient")


@register_method("richardson-lucy", tasks={"deblur"}, summary="Richardson–Lucy (Poisson ML), border-aware")
def richardson_lucy(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", iterations: Annotated[int, Range(1, MAX_ITERATIONS)] = 20
) -> np.ndarray:
    """Richardson–Lucy iterations ``x ← x / Hᵀ1 · Hᵀ(y / H x)``.

    Away from circular borders it runs the *valid* model (Bertero & Boccacci 2005):
    the estimate covers the frame plus half a PSF on every side, so borders need no
    guess. Non-positive data are clipped to a small floor first (RL assumes counts).
    """
    if degradation.psf is None or degradation.scale != 1:
        raise RestoreError("richardson-lucy only deblurs", "use method='wiener' for upscaling")
    if iterations < 1:
        raise RestoreError(f"iterations={iterations} must be at least 1", "use e.g. iterations=20")
    psf = degradation.psf.astype(image.dtype)
    observed = np.maximum(image, 1e-4)
    if boundary == "circular" or (boundary == "auto" and is_periodic(image)):
        op = Convolution(psf, image.shape[-2:])
        forward, adjoint = op.forward, op.adjoint
    else:
        forward = lambda x: convolve_valid(x, psf)  # noqa: E731
        adjoint = lambda y: convolve_valid_adjoint(y, psf)  # noqa: E731
    norm = adjoint(np.ones_like(observed))
    # pixels outside the frame that only the PSF's faint tail reaches are left alone
    seen = norm > 1e-3 * norm.max()
    norm = np.where(seen, norm, 1.0)
    estimate = np.where(seen, adjoint(observed) / norm, observed.mean())  # a smooth start of the right size
    for _ in steps(range(iterations), iterations, "richardson-lucy", "it"):
        ratio = adjoint(observed / np.maximum(forward(estimate), 1e-6)) / norm
        estimate = np.where(seen, estimate * ratio, estimate)
    if estimate.shape != image.shape:  # valid model: the frame is what a valid blur of the estimate shows
        estimate = valid_crop(estimate, psf.shape)
    return estimate
