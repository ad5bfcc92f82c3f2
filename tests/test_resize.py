"""MATLAB-compatible imresize: properties, a literal re-statement of MATLAB's algorithm,
and the published BSD100 bicubic baseline as the golden number."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from restoretk.errors import InputError
from restoretk.metrics import psnr
from restoretk.resize import KERNELS, imresize, imresize_uint8, modcrop, resize_matrix


def _bsds_root() -> Path | None:
    env = os.environ.get("RESTORETK_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared/data/BSDS500")
    return next((p for p in candidates if (p / "val").is_dir()), None)


BSDS = _bsds_root()

RNG = np.random.default_rng(20240601)


def _matlab_resize_loop(image: np.ndarray, out_shape: tuple[int, int], scales: tuple[float, float]):
    """MATLAB's imresize written out per output pixel, as in its contributions() and
    resizeAlongDim: index rows mirrored through aux = [1:n, n:-1:1], slow and literal."""

    def contributions(n_in, n_out, scale):
        width = 4.0
        kernel = KERNELS["bicubic"][0]
        h = kernel
        if scale < 1:
            width = width / scale

            def h(x):
                return scale * kernel(scale * x)

        aux = list(range(1, n_in + 1)) + list(range(n_in, 0, -1))
        rows = []
        for x in range(1, n_out + 1):
            u = x / scale + 0.5 * (1 - 1 / scale)
            left = math.floor(u - width / 2)
            idx = [left + p for p in range(math.ceil(width) + 2)]
            w = [float(h(np.array(u - i))) for i in idx]
            total = sum(w)
            rows.append([(aux[(i - 1) % len(aux)] - 1, wi / total) for i, wi in zip(idx, w)])
        return rows

    out = image.astype(np.float64)
    order = [0, 1] if scales[0] <= scales[1] else [1, 0]
    for axis in order:
        rows = contributions(out.shape[axis], out_shape[axis], scales[axis])
        moved = np.moveaxis(out, axis, 0)
        result = np.zeros((len(rows),) + moved.shape[1:])
        for r, taps in enumerate(rows):
            for i, w in taps:
                result[r] += w * moved[i]
        out = np.moveaxis(result, 0, axis)
    return out


@pytest.mark.parametrize(
    ("shape", "scale", "output_shape"),
    [
        ((13, 17), 0.5, None),
        ((12, 9, 3), 0.37, None),
        ((7, 5), 1.7, None),
        ((6, 8, 2), 3.0, None),
        ((20, 15), None, (7, 22)),  # shrink rows, enlarge columns: columns go second
        ((9, 21, 3), None, (14, 6)),  # enlarge rows, shrink columns: columns go first
    ],
)
def test_matches_literal_matlab_algorithm(shape, scale, output_shape):
    image = RNG.random(shape)
    got = imresize(image, scale, output_shape=output_shape)
    if output_shape is None:
        out_shape = (math.ceil(scale * shape[0]), math.ceil(scale * shape[1]))
        scales = (scale, scale)
    else:
        out_shape = output_shape
        scales = (output_shape[0] / shape[0], output_shape[1] / shape[1])
    expected = _matlab_resize_loop(image, out_shape, scales)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("kernel", sorted(KERNELS))
@pytest.mark.parametrize("scale", [0.25, 0.5, 1 / 3, 2.0, 3.0])
@pytest.mark.parametrize("antialiasing", [True, False])
def test_constant_image_stays_constant(kernel, scale, antialiasing):
    image = np.full((24, 18, 3), 0.3)
    out = imresize(image, scale, kernel=kernel, antialiasing=antialiasing)
    np.testing.assert_allclose(out, 0.3, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_and_dtype(dtype):
    image = RNG.random((321, 481, 3)).astype(dtype)
    small = imresize(image, 0.25)
    assert small.shape == (81, 121, 3) and small.dtype == dtype  # MATLAB rounds sizes up
    cropped = modcrop(image, 4)
    assert cropped.shape == (320, 480, 3)
    assert imresize(imresize(cropped, 1 / 4), 4).shape == cropped.shape
    assert imresize(image[..., 0], output_shape=(100, 50)).shape == (100, 50)


def test_float32_agrees_with_float64():
    image = RNG.random((40, 30, 3))
    out64 = imresize(image, 0.5)
    out32 = imresize(image.astype(np.float32), 0.5)
    np.testing.assert_allclose(out32, out64, atol=1e-6)


def test_unit_scale_is_identity():
    image = RNG.random((11, 13, 3))
    np.testing.assert_allclose(imresize(image, 1.0), image, atol=1e-14)


def test_channels_are_independent_and_linear():
    a, b = RNG.random((16, 12, 3)), RNG.random((16, 12, 3))
    out = imresize(a, 0.5)
    for c in range(3):
        np.testing.assert_allclose(out[..., c], imresize(a[..., c], 0.5), atol=1e-14)
    np.testing.assert_allclose(
        imresize(2 * a - 3 * b, 0.75), 2 * imresize(a, 0.75) - 3 * imresize(b, 0.75), atol=1e-12
    )


def test_antialiasing_only_matters_when_shrinking():
    image = RNG.random((32, 32))
    assert np.abs(imresize(image, 0.5) - imresize(image, 0.5, antialiasing=False)).max() > 0.05
    np.testing.assert_array_equal(imresize(image, 2.0), imresize(image, 2.0, antialiasing=False))
    # A checkerboard sampled every third pixel aliases to a checkerboard; antialiasing
    # averages it to flat grey (away from the mirrored edges).
    checker = np.indices((36, 36)).sum(axis=0) % 2.0
    assert np.ptp(imresize(checker, 1 / 3, antialiasing=False)) == 1.0
    assert np.ptp(imresize(checker, 1 / 3)[1:-1, 1:-1]) < 1e-3


def test_no_clipping_inside():
    step = np.zeros((8, 8))
    step[:, 4:] = 1.0
    out = imresize(step, 2.0)
    assert out.min() < 0 and out.max() > 1  # bicubic overshoot is kept for the caller


def test_resize_matrix_rows_sum_to_one():
    m = resize_matrix(17, 5)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    m[0, 0] = 99.0  # a copy: the cached matrix used by imresize is untouched
    np.testing.assert_allclose(resize_matrix(17, 5).sum(axis=1), 1.0)


def test_errors_name_the_value():
    with pytest.raises(InputError, match="uint8"):
        imresize(np.zeros((4, 4), np.uint8), 2)
    with pytest.raises(InputError, match="exactly one"):
        imresize(np.zeros((4, 4)))
    with pytest.raises(InputError, match="'spline'"):
        imresize(np.zeros((4, 4)), 2, kernel="spline")
    with pytest.raises(InputError, match="-2"):
        imresize(np.zeros((4, 4)), -2)
    with pytest.raises(InputError, match=r"\(4,\)"):
        imresize(np.zeros(4), 2)
    with pytest.raises(InputError, match="2.5"):
        modcrop(np.zeros((4, 4)), 2.5)


def test_modcrop():
    image = np.arange(7 * 10).reshape(7, 10)
    np.testing.assert_array_equal(modcrop(image, 3), image[:6, :9])
    assert modcrop(image, 1) is not None and modcrop(image, 1).shape == (7, 10)


# --- the published bicubic baseline -------------------------------------------------------


def _bicubic_baseline_psnr(scale: int) -> float:
    import cv2

    paths = sorted((BSDS / "val").glob("*.jpg"))
    assert len(paths) == 100
    scores = []
    for path in paths:
        hr = modcrop(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), scale).astype(np.float64)
        lr = imresize_uint8(hr, 1 / scale)  # the LR set, as saved to uint8 PNG
        sr = imresize_uint8(lr, scale)  # bicubic upscaling, compared as uint8
        # Y from uint8 RGB via rgb2ycbcr on double (not rounded), `scale` pixels shaved.
        scores.append(psnr(sr / 255, hr / 255, crop_border=scale, y_channel=True))
    return float(np.mean(scores))


@pytest.mark.bsds
@pytest.mark.skipif(BSDS is None, reason="BSDS500 not found (../shared/data/BSDS500 or RESTORETK_DATA)")
@pytest.mark.parametrize(("scale", "published"), [(4, 25.96), (2, 29.56)])
def test_bsd100_bicubic_baseline_matches_published(scale, published):
    start = time.perf_counter()
    mean_psnr = _bicubic_baseline_psnr(scale)
    print(f"BSD100 bicubic x{scale}: {mean_psnr:.4f} dB in {time.perf_counter() - start:.1f} s")
    assert abs(mean_psnr - published) <= 0.02
