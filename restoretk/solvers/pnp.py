"""Plug-and-play restoration: a denoiser as the prior, the exact data step of the operators.

Half-quadratic splitting (IRCNN and DPIR, Zhang et al. [1]_ [2]_) solves
``min_x ½‖y − A x‖² + λ R(x)`` by alternating

* the data step ``x_k = argmin_x ‖y − A x‖² + α_k ‖x − z_{k−1}‖² = z + A⁺_α (y − A z)``,
  in closed form for any chain of blurs and decimations
  (:meth:`restoretk.operators.LinearOperator.data_proximal`), and
* the prior step ``z_k = D(x_k; σ_k)``, a denoiser told the noise level ``σ_k``,

with ``σ_k`` decaying geometrically from ``sigma_start`` (49/255) to the observation's
noise level and ``α_k = λ σ² / σ_k²`` (λ = 0.23): DPIR's schedule.

``form="null-space"`` keeps the data weight at its final value ``α = λ``, so every
iterate is ``A⁺_α y + (I − A⁺_α A) D(x_k; σ_k)``: the camera's view from the inverse,
the rest from the denoiser, the zero-shot analogue of the learned ``mpr`` head (DDNM,
Wang et al. [3]_, does this with a diffusion model). Its result is the last data step,
so ``A x̂ ≈ A A⁺_α y``; half-quadratic splitting returns the last denoised iterate.

The solve runs on the observation extended past its frame exactly as the other
restorers do (:func:`restoretk.solvers.wiener.solver_extension`: mirror, fade for
hard-edged PSFs), starts from the Wiener estimate, and crops the frame at the end.

References
----------
.. [1] K. Zhang, W. Zuo, S. Gu and L. Zhang, "Learning deep CNN denoiser prior for image
   restoration", CVPR 2017.
.. [2] K. Zhang, Y. Li, W. Zuo, L. Zhang, L. Van Gool and R. Timofte, "Plug-and-play image
   restoration with deep denoiser prior", IEEE TPAMI 44(10), 2022.
.. [3] Y. Wang, J. Yu and J. Zhang, "Zero-shot image restoration using denoising diffusion
   null-space model", ICLR 2023.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from tqdm import tqdm

from restoretk.boundary import extend
from restoretk.degradation import Degradation
from restoretk.errors import RestoreError
from restoretk.solvers.wiener import (
    QUANTISATION_NOISE,
    degradation_operator,
    natural_image_prior,
    solver_extension,
    wiener_regularisation,
)

__all__ = ["plug_and_play", "sigma_schedule", "PNP_FORMS", "DPIR_SIGMA_START", "DPIR_LAMBDA"]

#: The denoiser's first noise level (DPIR): 49 grey levels of 255.
DPIR_SIGMA_START = 49 / 255

#: DPIR's weight of the prior against the data.
DPIR_LAMBDA = 0.23

#: The solver forms: DPIR's half-quadratic splitting, and the null-space iteration.
PNP_FORMS = ("hqs", "null-space")


def sigma_schedule(noise: float, iterations: int, sigma_start: float = DPIR_SIGMA_START) -> np.ndarray:
    """The denoiser's noise levels: geometric from ``sigma_start`` down to ``noise``.

    ``noise`` is floored at the noise of 8-bit rounding, and ``sigma_start`` is never
    below it.

    Examples
    --------
    >>> np.round(sigma_schedule(0.01, 4) * 255, 2)
    array([49.  , 18.29,  6.83,  2.55])
    """
    if iterations < 1:
        raise RestoreError(f"iterations={iterations!r} must be at least 1", "use e.g. iterations=8")
    if not np.isfinite(sigma_start) or sigma_start <= 0:
        raise RestoreError(f"sigma_start={sigma_start!r} is not a positive number", "use e.g. sigma_start=0.19")
    end = max(float(noise), QUANTISATION_NOISE)
    return np.geomspace(max(sigma_start, end), end, iterations)


def plug_and_play(
    image: np.ndarray,
    degradation: Degradation,
    denoise: Callable[[np.ndarray, float], np.ndarray],
    *,
    iterations: int = 8,
    sigma_start: float = DPIR_SIGMA_START,
    lam: float = DPIR_LAMBDA,
    form: str = "hqs",
    boundary: str = "auto",
    progress: bool = False,
) -> np.ndarray:
    """Restore ``(C, rows, cols)`` by plug-and-play with the denoiser ``denoise(image, sigma)``.

    Parameters
    ----------
    image : numpy.ndarray
        The observation, channels first, float32.
    degradation : Degradation
        ``A = S H`` and the noise level (PSF and decimation together are fine).
    denoise : callable
        The prior: ``(C, H, W)`` float32 and σ → denoised ``(C, H, W)``.
    iterations : int
        Data and prior steps.
    sigma_start : float
        The denoiser's first noise level (then geometric down to the noise level).
    lam : float
        Weight of the prior: the data weight is ``α_k = lam · σ² / σ_k²``.
    form : {'hqs', 'null-space'}
        Half-quadratic splitting, or the null-space iteration (see the module notes).
    boundary : {'auto', 'reflect', 'circular'}
        Border handling (:mod:`restoretk.boundary`).
    progress : bool
        Show a progress bar over the iterations.

    Returns
    -------
    numpy.ndarray
        ``(C, rows · scale, cols · scale)`` float32.

    Examples
    --------
    >>> from restoretk.psf import parse
    >>> from restoretk.solvers.denoisers import get_denoiser
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((1, 24, 20), dtype=np.float32)
    >>> x = plug_and_play(y, Degradation(parse("gauss:1"), 1, 0.02), get_denoiser("tv").denoise, iterations=2)
    >>> x.shape, x.dtype
    ((1, 24, 20), dtype('float32'))
    """
    if form not in PNP_FORMS:
        raise RestoreError(f"unknown plug-and-play form {form!r}", f"use one of: {', '.join(PNP_FORMS)}")
    if not np.isfinite(lam) or lam <= 0:
        raise RestoreError(f"lam={lam!r} is not a positive number", "use e.g. lam=0.23")
    sigmas = sigma_schedule(degradation.noise, iterations, sigma_start)
    noise = sigmas[-1]
    weights = lam * noise**2 / sigmas**2 if form == "hqs" else np.full(iterations, lam)
    scale = degradation.scale
    plan = solver_extension(degradation)
    ext = extend(np.asarray(image, dtype=np.float32), plan.margin, boundary, fade=plan.fade)
    rows, cols = ext.padded.shape[-2:]
    op = degradation_operator(degradation, (rows * scale, cols * scale))
    prior = natural_image_prior(op.in_shape)
    y = ext.padded
    z = op.pinv(y, wiener_regularisation(image, op, prior, degradation.noise), prior=prior)
    steps = tqdm(range(iterations), desc="plug-and-play", unit="step", disable=not progress, leave=False)
    for k in steps:
        x = op.data_proximal(y, z, float(weights[k]))
        if form == "null-space" and k == iterations - 1:
            return ext.crop(x, scale)  # the data step last: the camera's view is the inverse's
        z = np.asarray(denoise(x.astype(np.float32, copy=False), float(sigmas[k])), dtype=np.float32)
    return ext.crop(z, scale)
