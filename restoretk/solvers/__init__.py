"""Solvers built on the operators: plug-and-play restoration and its denoiser priors."""

from restoretk.solvers.denoisers import Denoiser, get_denoiser, list_denoisers, register_denoiser
from restoretk.solvers.pnp import PNP_FORMS, plug_and_play, sigma_schedule

__all__ = [
    "Denoiser",
    "get_denoiser",
    "list_denoisers",
    "register_denoiser",
    "PNP_FORMS",
    "plug_and_play",
    "sigma_schedule",
]
