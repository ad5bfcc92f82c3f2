"""CPU inference time of the learned restorers on a BSDS500-sized photo (2 cores).

Deblurring models restore a 481×321 RGB photo blurred by ``gauss:2`` (noise 0.01);
super-resolution models upscale its 120×80 bicubic ×4 downscale back to 480×320; the
denoiser removes noise of σ = 25/255 from it, and then ``pnp`` deblurs the blurred photo
with it as the prior (8 iterations).
Each model runs through the public API (``restoretk.deblur`` / ``restoretk.upscale``,
so the Wiener step, the extension and the cropping are timed too) after one warm-up
run; the script prints the median and the parameter count.

    python benchmarks/training/bench_learners.py [--repeats 10] [--threads 2] [WEIGHTS ...]

Without WEIGHTS it times the models shipped in ``restoretk/weights``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from skimage import data

import restoretk
from restoretk.learners.weights import read_metadata, shipped_weights
from restoretk.resize import imresize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="*", type=Path, help="weights files (default: the shipped models)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads")

    photo = data.astronaut()[:321, :481].astype(np.float32) / 255
    blurred = restoretk.degrade(photo, "gauss:2", noise=0.01, boundary="reflect", seed=0)
    small = imresize(photo[:320, :480], 0.25)
    noisy = restoretk.degrade(photo, noise=25 / 255, seed=0)
    for path in args.weights or list(shipped_weights().values()):
        meta = read_metadata(path)
        head = meta["architecture"]["head"]
        if meta["architecture"]["task"] == "deblur":
            run = lambda: restoretk.deblur(blurred, "gauss:2", head, noise=0.01, weights=str(path), device="cpu")  # noqa: E731
            what = f"deblur {blurred.shape[1]}x{blurred.shape[0]}"
        elif meta["architecture"]["task"] == "denoise":
            run = lambda: restoretk.denoise(noisy, 25 / 255, weights=str(path), device="cpu")  # noqa: E731
            what = f"denoise {noisy.shape[1]}x{noisy.shape[0]}"
        else:
            run = lambda: restoretk.upscale(small, 4, head, noise=0.0, weights=str(path), device="cpu")  # noqa: E731
            what = f"x4 {small.shape[1]}x{small.shape[0]} -> {4 * small.shape[1]}x{4 * small.shape[0]}"
        report(head, what, run, args.repeats, f"{meta['parameters']:,} parameters  [{path}]")
        if head == "denoiser" and not args.weights:  # the shipped denoiser is pnp's default prior
            pnp = lambda: restoretk.deblur(blurred, "gauss:2", "pnp", noise=0.01)  # noqa: E731
            report("pnp", f"deblur {blurred.shape[1]}x{blurred.shape[0]}", pnp, max(args.repeats // 3, 1), "8 iterations")


def report(name: str, what: str, run, repeats: int, note: str) -> None:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(f"{name:<13} {what:<24} median {np.median(times):.3f} s (min {min(times):.3f}), {note}")


if __name__ == "__main__":
    main()
