"""Classical restorers through the Python API: quality, borders, colour, dtype, errors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from skimage import data

import restoretk
from restoretk.boundary import extend, is_periodic
from restoretk.errors import RestoreError
from restoretk.methods.registry import Degradation
from restoretk.metrics import psnr
from restoretk.noise import estimate_noise
from restoretk.psf import parse
from restoretk.operators.spatial import convolve_valid, convolve_valid_adjoint, gradient_energy
from restoretk.operators.testing import check_adjoint
from restoretk.solvers import wiener as wiener_core
from restoretk.solvers.wiener import solver_extension

SCENE = (data.astronaut()[100:260, 120:320] / 255.0).astype(np.float32)  # colour, 160×200
PSF = "gauss:1.5@15"


def blurred_pair(boundary="valid", noise=0.01, psf=PSF, scene=SCENE):
    y = restoretk.degrade(scene, psf, noise=noise, boundary=boundary, seed=1)
    truth = restoretk.reference_crop(scene, psf) if boundary == "valid" else scene
    return y, truth


@pytest.mark.parametrize("method", ["wiener", "tikhonov", "richardson-lucy"])
def test_deblurring_beats_the_blurred_input(method):
    y, truth = blurred_pair()
    restored = restoretk.deblur(y, PSF, method, noise=0.01)
    assert restored.shape == y.shape
    assert psnr(restored, truth) > psnr(np.clip(y, 0, 1), truth) + 1.0


def test_wiener_handles_borders_of_photos_that_extend_past_the_frame():
    y, truth = blurred_pair("valid")
    default = psnr(restoretk.deblur(y, PSF, noise=0.01), truth)
    assumed_periodic = psnr(restoretk.deblur(y, PSF, noise=0.01, boundary="circular"), truth)
    assert default > assumed_periodic + 1.0


def test_wiener_recognises_circularly_formed_inputs():
    y, truth = blurred_pair("circular")
    assert is_periodic(np.moveaxis(y, -1, 0))
    auto = psnr(restoretk.deblur(y, PSF, noise=0.01), truth)
    circular = psnr(restoretk.deblur(y, PSF, noise=0.01, boundary="circular"), truth)
    assert auto == pytest.approx(circular)


def test_exact_pseudo_inverse_recovers_a_noise_free_circular_blur():
    scene = SCENE[..., 0].astype(np.float64)
    y = restoretk.degrade(scene, "box:3", boundary="circular")
    restored = restoretk.deblur(y, "box:3", "pinv", noise=0.0, boundary="circular", clip=False, rtol=1e-6)
    np.testing.assert_allclose(restored, scene, atol=2e-3)  # float32 compute, box:3 has no zeros on 160x200


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64), (np.uint8, np.float32)])
def test_dtype_policy(dtype, expected):
    y, _ = blurred_pair()
    image = (np.clip(y, 0, 1) * 255).astype(np.uint8) if dtype == np.uint8 else y.astype(dtype)
    assert restoretk.deblur(image, PSF, noise=0.01).dtype == expected


def test_grey_and_colour_agree_channel_by_channel():
    y, _ = blurred_pair()
    colour = restoretk.deblur(y, PSF, "tikhonov", noise=0.01)
    grey = restoretk.deblur(np.ascontiguousarray(y[..., 1]), PSF, "tikhonov", noise=0.01)
    np.testing.assert_allclose(colour[..., 1], grey, atol=1e-5)


def test_noise_level_is_estimated_when_not_given():
    y, truth = blurred_pair(noise=0.02)
    assert estimate_noise(y) == pytest.approx(0.02, rel=0.15)
    auto = psnr(restoretk.deblur(y, PSF), truth)
    given = psnr(restoretk.deblur(y, PSF, noise=0.02), truth)
    assert auto == pytest.approx(given, abs=0.3)


@pytest.mark.parametrize("sigma", [0.005, 0.02, 0.05])
def test_noise_estimate_on_known_synthetic_noise(sigma):
    rng = np.random.default_rng(0)
    clean = restoretk.degrade(SCENE, "gauss:2@15", boundary="reflect")
    assert estimate_noise(clean + sigma * rng.standard_normal(clean.shape)) == pytest.approx(sigma, rel=0.12)


@pytest.mark.parametrize("method", ["bicubic", "wiener", "tikhonov"])
def test_upscaling_beats_pixel_replication(method):
    from restoretk.resize import imresize, modcrop

    truth = modcrop(SCENE.astype(np.float64), 4)
    low = imresize(truth, 0.25)
    replicated = np.kron(low, np.ones((4, 4, 1)))
    restored = restoretk.upscale(low, 4, method, noise=0.001)
    assert restored.shape == truth.shape
    assert psnr(restored, truth, crop_border=4) > psnr(replicated, truth, crop_border=4) + 1.0


def test_model_based_upscaling_inverts_the_bicubic_model_better_than_bicubic():
    from restoretk.resize import imresize, modcrop

    truth = modcrop(SCENE.astype(np.float64), 4)
    low = imresize(truth, 0.25)
    bicubic = psnr(restoretk.upscale(low, 4, "bicubic"), truth, crop_border=4)
    wiener = psnr(restoretk.upscale(low, 4, "wiener", noise=0.001), truth, crop_border=4)
    assert wiener > bicubic


def test_degrade_shapes_and_seeded_noise():
    x = SCENE
    assert restoretk.degrade(x, "gauss:2@25", boundary="valid").shape == (136, 176, 3)
    assert restoretk.degrade(x, "gauss:2", scale=4, boundary="circular").shape == (40, 50, 3)
    a = restoretk.degrade(x, noise=0.1, seed=3)
    np.testing.assert_array_equal(a, restoretk.degrade(x, noise=0.1, seed=3))
    assert not np.array_equal(a, restoretk.degrade(x, noise=0.1, seed=4))


def test_valid_formation_matches_a_circular_blur_inside_the_frame():
    x = SCENE[..., 0]
    valid = restoretk.degrade(x, "motion:9,30", boundary="valid")
    circular = restoretk.degrade(x, "motion:9,30", boundary="circular")
    crop = restoretk.reference_crop(circular, "motion:9,30")
    np.testing.assert_allclose(valid, crop, atol=1e-5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: restoretk.deblur(SCENE, PSF, "wienr"), "unknown deblur method 'wienr'; use one of: wiener"),
        (lambda: restoretk.deblur(SCENE, PSF, "wiener", 0.01, iterations=3), "has no option 'iterations'"),
        (lambda: restoretk.deblur(SCENE[:10, :10], "gauss:2@25"), "larger than the image"),
        (lambda: restoretk.deblur(SCENE, PSF, noise=-1.0), "noise level -1.0 is not a number >= 0"),
        (lambda: restoretk.deblur(SCENE, PSF, boundary="wrap"), "unknown boundary 'wrap'"),
        (lambda: restoretk.deblur(SCENE[None], PSF), "neither H×W nor H×W×C"),
        (lambda: restoretk.upscale(SCENE, 2.5), "not an integer from 1 to 32"),
        (lambda: restoretk.upscale(SCENE, 1000), "not an integer from 1 to 32"),
        (lambda: restoretk.degrade(SCENE, PSF, noise=-1.0), "noise level -1.0"),
        (lambda: restoretk.deblur(SCENE, PSF, "wiener", 0.01, strength=float("nan")), "strength=nan"),
        (lambda: restoretk.deblur(SCENE, PSF, "richardson-lucy", 0.01, iterations=2.5), "not an integer from 1"),
        (lambda: restoretk.upscale(SCENE, 2, "richardson-lucy"), "unknown upscale method"),
        (lambda: restoretk.degrade(SCENE, PSF, boundary="mirror"), "unknown formation boundary"),
        (lambda: restoretk.deblur(np.full((20, 20), np.nan), "box:3"), "NaN"),
    ],
)
def test_errors_name_the_problem_and_the_fix(call, match):
    with pytest.raises(RestoreError, match=match):
        call()


def test_extension_is_a_mirror_and_crops_back():
    x = np.arange(5 * 7, dtype=np.float32).reshape(1, 5, 7)
    ext = extend(x, margin=3, boundary="reflect")
    np.testing.assert_array_equal(ext.crop(ext.padded), x)
    np.testing.assert_array_equal(ext.padded[0, ext.top - 1, ext.left : ext.left + 7], x[0, 0])
    assert extend(x, 3, "circular").padded is x


def test_spatial_convolution_direct_and_fft_agree_and_are_adjoint():
    rng = np.random.default_rng(0)
    x, k = rng.random((2, 30, 40)).astype(np.float32), rng.random((5, 7)).astype(np.float32)
    np.testing.assert_allclose(convolve_valid(x, k, "direct"), convolve_valid(x, k, "fft"), atol=1e-4)
    y = rng.random((2, 26, 34)).astype(np.float32)
    valid = SimpleNamespace(
        forward=lambda v: convolve_valid(v, k), adjoint=lambda v: convolve_valid_adjoint(v, k), in_shape=(30, 40), out_shape=(26, 34)
    )
    check_adjoint(valid, x, y)


def test_gradient_energy_is_the_mean_squared_forward_difference():
    x = np.random.default_rng(1).random((3, 20, 30))
    expected = np.mean(np.diff(x, axis=-1)[:, :-1, :] ** 2 + np.diff(x, axis=-2)[:, :, :-1] ** 2)
    assert gradient_energy(x) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("spec", "margin"),
    [
        ("gauss:2@25", 15),  # smooth: its effective size (exceeds 1e-3 of the peak over 15 px)
        ("gauss:3,1,30", 19),
        ("motion:21,0", 2 * 23 + 2),  # hard-edged, even though point-symmetric
        ("disk:4", 2 * 9 + 2),
    ],
)
def test_solver_margin_is_the_psf_size_for_smooth_psfs_and_twice_it_for_hard_edged_ones(spec, margin):
    plan = solver_extension(Degradation(parse(spec), 1, 0.01))
    assert plan.margin == margin
    assert plan.fade == spec.startswith(("motion", "disk"))  # fading pays off where the inverse rings far


def test_solver_margin_for_upscaling_counts_observed_pixels_plus_the_interpolators_reach():
    assert solver_extension(Degradation(parse("gauss:3@37"), 2, 0.0)).margin == 23 // 2 + 2
    assert solver_extension(Degradation(parse("motion:21,0"), 2, 0.0)).margin == 2 * 23 // 2 + 2


def test_the_wider_margin_and_the_fade_each_pay_off_for_a_hard_edged_psf(monkeypatch):
    scene = (data.camera()[96:352, 96:352] / 255.0).astype(np.float32)
    y, truth = blurred_pair("valid", psf="motion:21,0", scene=scene)

    def score(margin, fade):
        monkeypatch.setattr(wiener_core, "_psf_extension", lambda *key: wiener_core.SolverExtension(margin, fade))
        return psnr(restoretk.deblur(y, "motion:21,0", noise=0.01), truth)

    chosen = solver_extension(Degradation(parse("motion:21,0"), 1, 0.01))
    assert chosen.fade and score(chosen.margin, True) > score(chosen.margin, False) + 0.5
    assert score(chosen.margin, False) > score(23, False) + 0.3  # 23: the PSF's size


def test_extension_fades_to_a_continuous_wrap_around():
    x = np.random.default_rng(3).random((2, 30, 40)).astype(np.float32)
    ext = extend(x, margin=8, boundary="reflect")
    for axis in (1, 2):  # both sides of each seam hold their band's mean
        assert np.abs(np.take(ext.padded, 0, axis) - np.take(ext.padded, -1, axis)).mean() < 0.02
    assert np.abs(x[:, 0] - x[:, -1]).mean() > 0.2  # what a plain mirror's seam would jump by
    frame_columns = slice(ext.left, ext.left + 40)
    np.testing.assert_array_equal(ext.padded[:, ext.top - 3 : ext.top, frame_columns], x[:, 2::-1])  # still the mirror
    rows, cols = ext.padded.shape[1:]
    widths = [(0, 0), (ext.top, rows - 30 - ext.top), (ext.left, cols - 40 - ext.left)]
    np.testing.assert_array_equal(extend(x, 8, "reflect", fade=False).padded, np.pad(x, widths, mode="symmetric"))
