"""Wiener deblurring speed: restoretk vs scikit-image, side by side in one run.

A 481×321 RGB image, a 25×25 PSF (gauss:2@25), noise 0.01. scikit-image's
``restoration.wiener`` is applied per channel, as its users must for colour; both get
the same array. The headline is float32, what ``restoretk.io.read_image`` returns;
float64 is measured too. Runs are interleaved (A, B, A, B, ...) so that machine noise
hits both alike; the script prints each median and the ratio restoretk / scikit-image.

Each is measured twice: as the machine is, and with one busy competing process (a
spinning Python loop) that the script starts, as when restoretk runs beside other work
or in the bench's parallel workers. Targets: ratio ≤ 0.2 idle, ≤ 0.35 under load.

    python benchmarks/bench_wiener.py [--repeats 40]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import time

import numpy as np
from skimage import data
from skimage.restoration import wiener as skimage_wiener

import restoretk
from restoretk.psf import parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for load, target in (("idle", 0.2), ("one busy process", 0.35)):
        competitor = None
        if load != "idle":
            competitor = multiprocessing.Process(target=_spin, daemon=True)
            competitor.start()
            time.sleep(0.5)
        try:
            for dtype in (np.float32, np.float64):
                ratio = compare(np.dtype(dtype), args.repeats)
                print(f"ratio restoretk / skimage ({np.dtype(dtype).name}, {load}) = {ratio:.3f} (target <= {target})")
        finally:
            if competitor is not None:
                competitor.terminate()
                competitor.join()


def _spin() -> None:
    """A competing process: one core kept busy."""
    while True:
        pass


def compare(dtype: np.dtype, repeats: int) -> float:
    """Median times of both contenders on one image of ``dtype``; returns the ratio."""
    scene = data.astronaut()[:321, :481].astype(dtype) / 255  # 321 rows × 481 columns, RGB
    psf = parse("gauss:2@25")
    blurred = restoretk.degrade(scene, psf, noise=0.01, boundary="reflect", seed=0)

    contenders = {
        "skimage.restoration.wiener (per channel, balance 0.01)": lambda: np.stack(
            [skimage_wiener(blurred[..., c], psf, 0.01) for c in range(3)], axis=-1
        ),
        "restoretk.deblur(method='wiener')": lambda: restoretk.deblur(blurred, psf, "wiener", noise=0.01),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for run in contenders.values():  # warm-up: JIT, caches, thread pools
        run()
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    print(f"image {blurred.shape[1]}x{blurred.shape[0]} RGB {dtype.name}, PSF 25x25, {repeats} interleaved runs")
    medians = {name: float(np.median(t)) for name, t in times.items()}
    for name, median in medians.items():
        print(f"  {name:<58} median {median * 1e3:7.2f} ms")
    skimage_time, ours = medians.values()
    return ours / skimage_time


if __name__ == "__main__":
    main()
