"""Interpolating upscalers: no model of the blur, only a kernel."""

from __future__ import annotations

import numpy as np

from restoretk.methods.registry import Degradation, register_method
from restoretk.resize import imresize

__all__ = ["bicubic"]


@register_method("bicubic", tasks={"upscale"}, summary="bicubic interpolation (MATLAB imresize)")
def bicubic(image: np.ndarray, degradation: Degradation) -> np.ndarray:
    """Bicubic upscaling exactly as MATLAB's ``imresize`` (the SR papers' baseline)."""
    return np.moveaxis(imresize(np.moveaxis(image, 0, -1), float(degradation.scale)), -1, 0)
