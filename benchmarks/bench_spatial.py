"""Where direct (Numba) convolution beats FFT convolution: picks ``DIRECT_MAX_TAPS``.

Valid convolution of a 3×321×481 float32 image with k×k kernels, Numba's parallel
direct kernel against SciPy's ``fftconvolve``, interleaved, median of repeats.

    python benchmarks/bench_spatial.py
"""

from __future__ import annotations

import time

import numpy as np

from restoretk.operators.spatial import DIRECT_MAX_TAPS, convolve_valid


def median_time(function, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    rng = np.random.default_rng(0)
    image = rng.random((3, 321, 481)).astype(np.float32)
    print(f"current DIRECT_MAX_TAPS = {DIRECT_MAX_TAPS}")
    print(" kernel   direct ms   fft ms   direct/fft")
    for size in (3, 5, 7, 9, 11, 13, 15, 25):
        kernel = rng.random((size, size)).astype(np.float32)
        convolve_valid(image, kernel, "direct")  # compile once
        direct = median_time(lambda: convolve_valid(image, kernel, "direct"))
        fft = median_time(lambda: convolve_valid(image, kernel, "fft"))
        print(f" {size:2d}x{size:<2d}  {direct * 1e3:9.2f} {fft * 1e3:8.2f}   {direct / fft:8.2f}")


if __name__ == "__main__":
    main()
