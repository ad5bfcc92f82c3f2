"""restoretk: restore degraded photographs with exact operators and learned null-space residuals.

The public names load on first use (PEP 562), so that ``import restoretk`` and the
command line's ``--help`` do not pay for SciPy and Torch until a restoration runs.

Examples
--------
>>> import restoretk
>>> [m.name for m in restoretk.list_methods("deblur")][:2]
['wiener', 'pinv']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from restoretk import plugins  # noqa: F401  (first: where every registry's built-ins come from)

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_HOMES = {
    "deblur": "restoretk.api",
    "upscale": "restoretk.api",
    "denoise": "restoretk.api",
    "degrade": "restoretk.api",
    "reference_crop": "restoretk.api",
    "observe": "restoretk.degradation",
    "estimate_noise": "restoretk.noise",
    "estimate_psf": "restoretk.estimation",
    "list_methods": "restoretk.methods",
    "get_method": "restoretk.methods",
    "register_method": "restoretk.methods",
    "Degradation": "restoretk.methods",
    "RestoreError": "restoretk.errors",
    "InputError": "restoretk.errors",
}

__all__ = [*_HOMES, "__version__"]

if TYPE_CHECKING:  # the names as type checkers and IDEs should see them
    from restoretk.api import deblur, degrade, denoise, reference_crop, upscale
    from restoretk.degradation import observe
    from restoretk.errors import InputError, RestoreError
    from restoretk.estimation import estimate_psf
    from restoretk.methods import Degradation, get_method, list_methods, register_method
    from restoretk.noise import estimate_noise


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'restoretk' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
