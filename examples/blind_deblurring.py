"""Blind deblurring of a camera shake: the kernel estimated from the photo alone, then restored.

A photo scikit-image ships is blurred by a random camera shake the estimator was never
tuned on (the bench draws its shakes from other seeds), with noise 0.01 and the scene
beyond the frame. ``restoretk.estimate_psf(family="shake")`` estimates the kernel;
``mpr`` restores with it and, for comparison, with the true kernel. The figure shows
both restorations with their kernels (magnified, top left) beside the input and the
truth; the README's figure is this script's output:

    python examples/blind_deblurring.py examples/blind-deblurring.jpg
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

import restoretk
from restoretk.figures import comparison_figure
from restoretk.io import atomic_path
from restoretk.metrics import psnr

SHAKE = "shake:2026,25"


def with_kernel(image: np.ndarray, kernel: np.ndarray, zoom: int = 4) -> np.ndarray:
    """``image`` with ``kernel`` (peak white, magnified, framed) pasted into its top-left corner."""
    picture = np.kron(kernel / kernel.max(), np.ones((zoom, zoom)))
    framed = np.pad(picture, 2, constant_values=1.0)
    out = image.copy()
    out[4 : 4 + framed.shape[0], 4 : 4 + framed.shape[1]] = framed[..., None]
    return out


def main(target: Path) -> None:
    scene = data.coffee()[40:360, 100:500].astype(np.float32) / 255
    blurred = restoretk.degrade(scene, SHAKE, noise=0.01, seed=0)
    sharp = restoretk.reference_crop(scene, SHAKE)
    label, estimate = restoretk.estimate_psf(blurred, "shake", noise=0.01)
    true = restoretk.psf.parse(SHAKE)
    blind = restoretk.deblur(blurred, estimate, "mpr", noise=0.01)
    told = restoretk.deblur(blurred, true, "mpr", noise=0.01)
    scores = {name: psnr(np.clip(image, 0, 1), sharp) for name, image in (("in", blurred), ("blind", blind), ("told", told))}
    panels = {
        f"camera shake, noise 0.01 ({scores['in']:.2f} dB)": blurred,
        f"blind: estimated kernel, mpr ({scores['blind']:.2f} dB)": with_kernel(blind, estimate),
        f"true kernel, mpr ({scores['told']:.2f} dB)": with_kernel(told, true),
        "sharp": sharp,
    }
    with tempfile.TemporaryDirectory() as folder:
        png = comparison_figure(panels, Path(folder) / "figure.png", title=f"{SHAKE}: estimated {label}")
        with Image.open(png) as figure, atomic_path(target) as temporary:
            figure.convert("RGB").save(temporary, quality=85, optimize=True)
    print(f"estimated {label}; PSNR blurred {scores['in']:.2f}, blind {scores['blind']:.2f}, true kernel "
          f"{scores['told']:.2f} dB; wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as out:
            main(Path(out) / "blind-deblurring.jpg")
