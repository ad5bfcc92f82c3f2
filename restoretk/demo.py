"""The main job on an embedded default: deblur a photo that scikit-image ships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from skimage import data

from restoretk import api
from restoretk.figures import comparison_figure
from restoretk.io import write_image
from restoretk.learners.weights import shipped_weights
from restoretk.metrics import psnr

__all__ = ["run_demo"]

#: What the demo does to the photo: the headline benchmark degradation.
DEMO_PSF = "gauss:2@25"
DEMO_NOISE = 0.01


def run_demo(out: Path) -> dict[str, float]:
    """Blur scikit-image's astronaut (``gauss:2``, noise σ = 0.01, scene beyond the frame), deblur it.

    Methods: Richardson–Lucy, Wiener, and the learned ``mpr`` when its weights ship.

    Writes ``sharp.png``, ``blurred.png``, ``restored-METHOD.png`` and ``comparison.png``
    into ``out`` and returns the PSNR of each image against the sharp crop.
    """
    out.mkdir(parents=True, exist_ok=True)
    scene = data.astronaut().astype(np.float32) / 255
    blurred = api.degrade(scene, DEMO_PSF, noise=DEMO_NOISE, boundary="valid", seed=0)
    sharp = api.reference_crop(scene, DEMO_PSF)
    panels = {"blurred": blurred}
    scores = {"blurred": psnr(np.clip(blurred, 0, 1), sharp)}
    learned = [name for name in ("mpr",) if name in shipped_weights()]  # the learned restorer, when it ships
    for method in ("richardson-lucy", "wiener", *learned):
        restored = api.deblur(blurred, DEMO_PSF, method=method)  # noise level estimated from the image
        write_image(out / f"restored-{method}.png", restored, overwrite=True)
        panels[method] = restored
        scores[method] = psnr(restored, sharp)
    panels["sharp"] = sharp
    write_image(out / "sharp.png", sharp, overwrite=True)
    write_image(out / "blurred.png", blurred, overwrite=True)
    labelled = {f"{name} ({scores[name]:.2f} dB)" if name in scores else name: image for name, image in panels.items()}
    comparison_figure(labelled, out / "comparison.png", title=f"{DEMO_PSF}, noise {DEMO_NOISE}, scene beyond the frame")
    for name, value in scores.items():
        typer.echo(f"{name:<16} PSNR {value:6.2f} dB")
    typer.echo(f"wrote {out}/comparison.png and the images beside it")
    return scores
