"""The ``pnp`` method: plug-and-play restoration with a registered denoiser as the prior.

Any PSF, any integer scale, blur and decimation together (:mod:`restoretk.solvers.pnp`).
The prior is restoretk's own learned denoiser by default; any registered denoiser
(:func:`restoretk.solvers.list_denoisers`) can take its place.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

import numpy as np

from restoretk.methods.registry import Degradation, Range, register_method
from restoretk.solvers.denoisers import get_denoiser
from restoretk.solvers.pnp import DPIR_LAMBDA, DPIR_SIGMA_START, plug_and_play

__all__ = ["pnp"]


def _check_prior(options: dict[str, Any], scale: int) -> None:
    """The prior is a registered denoiser (any scale will do)."""
    get_denoiser(options.get("prior", "restoretk"))


@register_method(
    "pnp",
    tasks={"deblur", "upscale"},
    summary="plug-and-play: half-quadratic splitting with restoretk's learned denoiser as the prior (any PSF, any scale)",
    check=_check_prior,
)
def pnp(
    image: np.ndarray,
    degradation: Degradation,
    *,
    boundary: str = "auto",
    iterations: Annotated[int, Range(1, 1000)] = 8,
    sigma_start: Annotated[float, Range(0, 1, low_open=True)] = DPIR_SIGMA_START,
    lam: Annotated[float, Range(0, low_open=True)] = DPIR_LAMBDA,
    prior: str = "restoretk",
    form: Literal["hqs", "null-space"] = "hqs",
) -> np.ndarray:
    """``iterations`` data and prior steps; ``prior`` names the denoiser, ``form`` is ``hqs`` or ``null-space``."""
    denoiser = get_denoiser(prior)
    return plug_and_play(
        image, degradation, denoiser.denoise, iterations=iterations, sigma_start=sigma_start, lam=lam, form=form,
        boundary=boundary, progress=sys.stderr.isatty(),
    )  # fmt: skip
