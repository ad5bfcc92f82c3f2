"""PSNR/SSIM against scikit-image's metrics, luma against scikit-image's rgb2ycbcr."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from restoretk.errors import RestoreError
from restoretk.metrics import MetricProtocol, psnr, rgb_to_y, score, ssim

RNG = np.random.default_rng(7)


def _pair(shape, dtype=np.float64, noise=0.05):
    reference = RNG.random(shape).astype(dtype)
    image = np.clip(reference + noise * RNG.standard_normal(shape), 0, 1).astype(dtype)
    return image, reference


def _skimage_reference(image, reference, crop_border, y_channel, data_range):
    image, reference = image.astype(np.float64), reference.astype(np.float64)
    if y_channel and image.ndim == 3:
        image = rgb2ycbcr(image)[..., 0] / 255
        reference = rgb2ycbcr(reference)[..., 0] / 255
    if crop_border:
        b = crop_border
        image, reference = image[b:-b, b:-b], reference[b:-b, b:-b]
    p = peak_signal_noise_ratio(reference, image, data_range=data_range)
    s = structural_similarity(
        image,
        reference,
        data_range=data_range,
        channel_axis=-1 if image.ndim == 3 else None,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    return p, s


@pytest.mark.parametrize("shape", [(40, 33), (40, 33, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("crop_border", [0, 4])
@pytest.mark.parametrize("y_channel", [False, True])
def test_agrees_with_skimage(shape, dtype, crop_border, y_channel):
    image, reference = _pair(shape, dtype)
    expected_psnr, expected_ssim = _skimage_reference(image, reference, crop_border, y_channel, 1.0)
    options = {"crop_border": crop_border, "y_channel": y_channel}
    assert psnr(image, reference, **options) == pytest.approx(expected_psnr, abs=1e-6)
    assert ssim(image, reference, **options) == pytest.approx(expected_ssim, abs=1e-6)


def test_data_range_scales():
    image, reference = _pair((32, 32, 3))
    assert psnr(255 * image, 255 * reference, data_range=255) == pytest.approx(psnr(image, reference), abs=1e-9)
    assert ssim(255 * image, 255 * reference, data_range=255) == pytest.approx(ssim(image, reference), abs=1e-9)
    expected = _skimage_reference(image, reference, 2, True, 2.0)
    got = score(image, reference, MetricProtocol(crop_border=2, y_channel=True, data_range=2.0))
    assert got == pytest.approx({"psnr": expected[0], "ssim": expected[1]}, abs=1e-6)


def test_float32_is_computed_in_float64():
    image, reference = _pair((24, 24, 3), np.float32, noise=1e-4)
    assert psnr(image, reference) == psnr(image.astype(np.float64), reference.astype(np.float64))


def test_rgb_to_y_is_bt601_as_matlab():
    rgb = RNG.random((5, 7, 3))
    np.testing.assert_allclose(rgb_to_y(rgb), rgb2ycbcr(rgb)[..., 0] / 255, atol=1e-12)
    assert rgb_to_y(np.zeros((1, 1, 3)))[0, 0] * 255 == pytest.approx(16)
    assert rgb_to_y(np.ones((1, 1, 3)))[0, 0] * 255 == pytest.approx(235)
    assert rgb_to_y(rgb.astype(np.float32)).dtype == np.float32
    grey = RNG.random((5, 7))
    assert rgb_to_y(grey) is grey
    np.testing.assert_array_equal(rgb_to_y(grey[..., None]), grey)


def test_identical_images():
    image = RNG.random((16, 16, 3))
    assert psnr(image, image) == math.inf
    assert ssim(image, image) == pytest.approx(1.0)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(RestoreError, match=r"\(8, 8, 3\).*\(8, 9, 3\)"):
        psnr(np.zeros((8, 8, 3)), np.zeros((8, 9, 3)))
    with pytest.raises(RestoreError, match=r"\(16, 16\).*\(16, 16, 3\)"):
        ssim(np.zeros((16, 16)), np.zeros((16, 16, 3)))


def test_bad_arguments():
    with pytest.raises(RestoreError, match="crop_border=8"):
        psnr(np.zeros((16, 16)), np.zeros((16, 16)), crop_border=8)
    with pytest.raises(RestoreError, match="-1"):
        psnr(np.zeros((16, 16)), np.zeros((16, 16)), crop_border=-1)
    with pytest.raises(RestoreError, match="11×11"):
        ssim(np.zeros((10, 10)), np.zeros((10, 10)))
    with pytest.raises(RestoreError, match=r"\(4, 4, 2\)"):
        psnr(np.zeros((4, 4, 2)), np.zeros((4, 4, 2)), y_channel=True)


def test_protocol_describe_and_score():
    protocol = MetricProtocol.super_resolution(4)
    assert protocol == MetricProtocol(crop_border=4, y_channel=True, data_range=1.0)
    assert protocol.describe() == "PSNR/SSIM on Y (BT.601), 4-pixel border shaved, data range 1"
    assert MetricProtocol(data_range=255).describe() == (
        "PSNR/SSIM on all channels, no border shaved, data range 255"
    )
    image, reference = _pair((32, 40, 3))
    result = score(image, reference, protocol)
    assert set(result) == {"psnr", "ssim"}
    assert result["psnr"] == psnr(image, reference, crop_border=4, y_channel=True)
    assert result["ssim"] == ssim(image, reference, crop_border=4, y_channel=True)
