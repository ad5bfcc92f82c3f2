"""Deblurring quality through the command line, as a user runs it (issue #2's figures).

First N images of BSDS500 test: gauss:2 on a 25×25 support, noise σ = 0.01, formed
``valid`` (the scene extends past the frame; ground truth = the matching centre crop)
and ``circular``. The blurred images are written as 16-bit PNGs, restored with

    restoretk deblur --psf gauss:2@25 --noise 0.01 -o OUT IN...

(the default method), and scored (RGB PSNR, outputs as written). Peers on the same
inputs: scikit-image's Wiener (balance 0.01, per channel) and restoretk's Wiener with
a circular boundary.

    python benchmarks/foundation_quality.py [--data DIR] [--limit 30]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from skimage.restoration import wiener as skimage_wiener

import restoretk
from restoretk.data import ImageFolder, find_data_root
from restoretk.io import read_image, write_image
from restoretk.metrics import psnr
from restoretk.psf import parse

PSF = "gauss:2@25"
NOISE = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--limit", type=int, default=30)
    args = parser.parse_args()
    images = ImageFolder(find_data_root(args.data), "test").limit(args.limit)
    kernel = parse(PSF)
    scores: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for formation in ("valid", "circular"):
            folder, out = work / formation, work / f"{formation}-restored"
            folder.mkdir()
            truths = {}
            for index, (name, scene) in enumerate(images):
                blurred = restoretk.degrade(scene, kernel, noise=NOISE, boundary=formation, seed=index)
                write_image(folder / f"{name}.png", blurred, bit_depth=16)
                truths[name] = restoretk.reference_crop(scene, kernel) if formation == "valid" else scene
                observed, _ = read_image(folder / f"{name}.png")
                if formation == "valid":
                    sk = np.stack([skimage_wiener(observed[..., c], kernel, 0.01) for c in range(3)], axis=-1)
                    scores.setdefault("skimage wiener (balance 0.01)", []).append(psnr(np.clip(sk, 0, 1), truths[name]))
                    circ = restoretk.deblur(observed, kernel, noise=NOISE, boundary="circular")
                    scores.setdefault("restoretk wiener, circular boundary", []).append(psnr(circ, truths[name]))
            command = [sys.executable, "-m", "restoretk", "deblur", "--psf", PSF, "--noise", str(NOISE), "-o", str(out)]
            subprocess.run(command + sorted(str(p) for p in folder.iterdir()), check=True, stderr=subprocess.DEVNULL)
            for name, truth in truths.items():
                restored, _ = read_image(out / f"{name}-deblurred.png")
                scores.setdefault(f"restoretk deblur (default), {formation} inputs", []).append(psnr(restored, truth))
    print(f"BSDS500 test, first {len(images)} images, {PSF}, noise {NOISE}; RGB PSNR (dB)")
    for label, values in scores.items():
        print(f"  {label:<45} {np.mean(values):6.2f}")


if __name__ == "__main__":
    main()
