"""Blind kernel estimation speed: a 481×321 photo, a camera shake, estimated free-form.

The photo is BSDS500 test image 100007 when the data set is found
(``restoretk.data.find_data_root``), else scikit-image's astronaut cropped to 321×481;
it is blurred by ``shake:5,25`` (mirrored borders, so the blurred photo keeps its
481×321 pixels) with noise 0.01, and
``restoretk.estimate_psf(image, "shake")`` (support chosen from the image) is timed
after one warm-up run. Beside it, as a peer on the same machine, the parametric
``motion`` fit and a Wiener restoration. The script prints each median and the ratio
of estimation to restoration, and the target (≤ 20 s median on 2 cores).

    python benchmarks/bench_blind.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from skimage import data

import restoretk
from restoretk.data import ImageFolder, find_data_root
from restoretk.errors import RestoreError
from restoretk.metrics import psnr


def photo() -> np.ndarray:
    """A 321×481 RGB photo in [0, 1]: BSDS500 test 100007 if the data set is here, else the astronaut."""
    try:
        folder = ImageFolder(find_data_root(None), "test")
        return folder[list(folder.names).index("100007")][1]
    except (RestoreError, ValueError):  # no data set here: a bundled photo does as well
        return data.astronaut()[:321, :481] / 255.0


def median_seconds(run, repeats: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``run()`` after a warm-up (JIT, caches, thread pools), and its result.

    CPU time (all threads of this process) tells what the work costs on a machine that
    others share, where wall time also counts the waits for a core.
    """
    result = run()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return float(np.median(wall)), float(np.median(cpu)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    sharp = photo()
    blurred = restoretk.degrade(sharp, "shake:5,25", noise=0.01, boundary="reflect", seed=0)
    truth = sharp
    print(f"image {blurred.shape[1]}x{blurred.shape[0]} RGB, true PSF shake:5,25, noise 0.01, {args.repeats} runs")
    shake, shake_cpu, (label, kernel) = median_seconds(
        lambda: restoretk.estimate_psf(blurred, "shake", noise=0.01), args.repeats
    )
    motion, motion_cpu, _ = median_seconds(lambda: restoretk.estimate_psf(blurred, "motion", noise=0.01), args.repeats)
    wiener, wiener_cpu, restored = median_seconds(lambda: restoretk.deblur(blurred, kernel, "wiener", 0.01), args.repeats)
    told = restoretk.deblur(blurred, "shake:5,25", "wiener", 0.01)
    print(f"  estimate_psf(family='shake')   median {shake:7.2f} s wall, {shake_cpu:7.2f} s CPU  ({label})")
    print(f"  estimate_psf(family='motion')  median {motion:7.2f} s wall, {motion_cpu:7.2f} s CPU")
    print(f"  deblur(method='wiener')        median {wiener:7.3f} s wall, {wiener_cpu:7.3f} s CPU")
    print(f"  Wiener PSNR with the estimate {psnr(restored, truth):.2f} dB, with the true PSF {psnr(told, truth):.2f} dB")
    print(f"ratio shake estimation / Wiener restoration = {shake / wiener:.0f}; shake median {shake:.1f} s (target <= 20 s)")


if __name__ == "__main__":
    main()
