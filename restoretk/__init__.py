"""restoretk: restore degraded photographs with exact operators and learned null-space residuals.

Examples
--------
>>> import restoretk
>>> [m.name for m in restoretk.list_methods("deblur")][:2]
['wiener', 'pinv']
"""

from restoretk import plugins  # noqa: F401  (first: where every registry's built-ins come from)
from restoretk.api import deblur, degrade, denoise, reference_crop, upscale
from restoretk.errors import InputError, RestoreError
from restoretk.estimation import estimate_psf
from restoretk.methods import Degradation, get_method, list_methods, register_method
from restoretk.noise import estimate_noise

__version__ = "0.1.0"

__all__ = [
    "deblur",
    "upscale",
    "denoise",
    "degrade",
    "reference_crop",
    "estimate_noise",
    "estimate_psf",
    "list_methods",
    "get_method",
    "register_method",
    "Degradation",
    "RestoreError",
    "InputError",
    "__version__",
]
