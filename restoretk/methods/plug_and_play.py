"""The ``pnp`` method: plug-and-play restoration with a registered denoiser as the prior.

Any PSF, any integer scale, blur and decimation together (:mod:`restoretk.solvers.pnp`).
The prior is restoretk's own learned denoiser by default; any registered denoiser
(:func:`restoretk.solvers.list_denoisers`) can take its place.
"""

from __future__ import annotations

import sys

import numpy as np

from restoretk.methods.registry import Degradation, register_method
from restoretk.solvers.denoisers import get_denoiser
from restoretk.solvers.pnp import DPIR_LAMBDA, DPIR_SIGMA_START, plug_and_play

__all__ = ["pnp"]


@register_method(
    "pnp",
    tasks={"deblur", "upscale"},
    summary="plug-and-play: half-quadratic splitting with restoretk's learned denoiser as the prior (any PSF, any scale)",
)
def pnp(
    image: np.ndarray,
    degradation: Degradation,
    *,
    boundary: str = "auto",
    iterations: int = 8,
    sigma_start: float = DPIR_SIGMA_START,
    lam: float = DPIR_LAMBDA,
    prior: str = "restoretk",
    form: str = "hqs",
) -> np.ndarray:
    """``iterations`` data and prior steps; ``prior`` names the denoiser, ``form`` is ``hqs`` or ``null-space``."""
    denoiser = get_denoiser(prior)
    return plug_and_play(
        image, degradation, denoiser.denoise, iterations=iterations, sigma_start=sigma_start, lam=lam, form=form,
        boundary=boundary, progress=sys.stderr.isatty(),
    )  # fmt: skip
