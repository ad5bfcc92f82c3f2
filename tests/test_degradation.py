"""The one degradation model: ``observe`` and the callers that form observations through it."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

import restoretk
from restoretk.bench.scenarios import get_scenario
from restoretk.degradation import FORMATIONS, Degradation, observe, valid_crop
from restoretk.errors import RestoreError
from restoretk.learners.degradations import DEGRADATIONS, make_pair
from restoretk.psf import parse
from restoretk.resize import downscale_kernel, imresize_uint8

SCENE = np.moveaxis(data.astronaut()[100:180, 150:246].astype(np.float32) / 255, -1, 0).copy()  # (3, 80, 96)


def delta(size: int) -> np.ndarray:
    """A ``size × size`` PSF that is 1 at its centre ``(size // 2, size // 2)``."""
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1
    return kernel


@pytest.mark.parametrize(
    "formation, scale, expected",
    [("valid", 1, (3, 76, 92)), ("valid", 4, (3, 19, 23)), ("circular", 3, (3, 26, 32)), ("reflect", 2, (3, 40, 48))],
)
def test_shapes_of_observation_and_truth(formation, scale, expected):
    y, truth = observe(SCENE, Degradation.parse("box:5", scale, 0.01, formation), 0)
    assert y.shape == expected and y.dtype == np.float32
    assert truth.shape == (3, expected[1] * scale, expected[2] * scale)


@pytest.mark.parametrize("size, scale", [(1, 1), (5, 1), (6, 1), (4, 2), (7, 3)])
def test_for_a_delta_the_truth_is_what_is_observed_pixel_for_pixel(size, scale):
    """Even and odd supports, with decimation: observed pixel i is truth pixel scale·i (phase 0)."""
    y, truth = observe(SCENE, Degradation(delta(size), scale), 0)
    np.testing.assert_array_equal(y, truth[..., ::scale, ::scale])
    for formation in ("circular", "reflect"):
        y, truth = observe(SCENE, Degradation(delta(size), scale, formation=formation), 0)
        np.testing.assert_array_equal(truth, SCENE[..., : truth.shape[-2], : truth.shape[-1]])
        np.testing.assert_allclose(y, truth[..., ::scale, ::scale], atol=1e-6)


def test_the_valid_truth_is_where_a_circular_blur_agrees():
    kernel = parse("motion:9,30")
    y, truth = observe(SCENE, Degradation(kernel), 0)
    circular, _ = observe(SCENE, Degradation(kernel, formation="circular"), 0)
    np.testing.assert_allclose(y, valid_crop(circular, kernel.shape), atol=1e-5)
    np.testing.assert_array_equal(truth, valid_crop(SCENE, kernel.shape))


def test_decimation_keeps_whole_blocks_or_the_last_partial_one():
    d = Degradation.parse("gauss:1@7", 3)  # valid part 74×90: 24⅔ × 30 blocks
    whole, truth = observe(SCENE, d, 0)
    partial, full_truth = observe(SCENE, d, 0, whole_blocks=False)
    undecimated, _ = observe(SCENE, Degradation.parse("gauss:1@7"), 0)
    assert whole.shape == (3, 24, 30) and truth.shape == (3, 72, 90) and partial.shape == (3, 25, 30)
    np.testing.assert_array_equal(partial, undecimated[..., ::3, ::3])
    np.testing.assert_array_equal(whole, partial[..., :24, :])
    assert full_truth.shape == (3, 74, 90)


def test_noise_is_white_gaussian_of_the_level_and_drawn_last():
    scene = np.zeros((3, 128, 160), np.float32)
    y, _ = observe(scene, Degradation(None, 1, 0.1), np.random.default_rng(5))
    assert y.dtype == np.float32
    assert abs(y.std() - 0.1) < 0.002 and abs(y.mean()) < 0.002
    assert abs(np.corrcoef(y[0].ravel(), y[1].ravel())[0, 1]) < 0.02  # channels independent
    assert abs(np.corrcoef(y[0, :, 1:].ravel(), y[0, :, :-1].ravel())[0, 1]) < 0.02  # pixels independent
    rng = np.random.default_rng(5)
    expected = np.float32(0.1) * rng.standard_normal((3, 128, 160), dtype=np.float32)
    np.testing.assert_array_equal(y, expected)  # one draw per observed value, C order, nothing else


def test_noise_is_seeded_and_follows_the_layout_and_precision_asked():
    d = Degradation.parse("gauss:1.5", 2, 0.02)
    a, _ = observe(SCENE, d, 3)
    np.testing.assert_array_equal(a, observe(SCENE, d, np.random.default_rng(3))[0])
    assert not np.array_equal(a, observe(SCENE, d, 4)[0])
    clean, _ = observe(SCENE, Degradation.parse("gauss:1.5", 2), 3)
    wide = np.random.default_rng(3).standard_normal(clean.shape).astype(np.float32)
    np.testing.assert_array_equal(observe(SCENE, d, 3, noise_dtype=np.float64)[0], clean + np.float32(0.02) * wide)
    last, _ = observe(np.moveaxis(SCENE, 0, -1), d, 3, channel_axis=-1)  # drawn in the order of the H×W×C array
    interleaved = np.random.default_rng(3).standard_normal(last.shape, dtype=np.float32)
    np.testing.assert_array_equal(last, np.moveaxis(clean, 0, -1) + np.float32(0.02) * interleaved)
    grey, _ = observe(SCENE[0], d, 3)
    assert grey.shape == a.shape[1:]


def test_a_misspecified_psf_is_told_while_the_true_one_blurs():
    true = Degradation.parse("gauss:2@15", noise=0.0)
    told = true.misspecified(parse("gauss:2.5@15"), "gauss:2.5@15")
    assert told.spec == "gauss:2.5@15" and np.array_equal(told.blur, true.psf)
    np.testing.assert_array_equal(observe(SCENE, told, 0)[0], observe(SCENE, true, 0)[0])
    assert true.misspecified(None).psf is None and np.array_equal(true.misspecified(None).blur, true.psf)


def test_the_imresize_formation_is_matlabs_8_bit_downscale_with_nothing_drawn():
    rgb = np.moveaxis(SCENE, 0, -1)[:78]
    d = Degradation(downscale_kernel(4), 4, 0.01, "imresize")
    rng = np.random.default_rng(0)
    lr, hr = observe(rgb, d, rng, channel_axis=-1)
    levels = np.floor(np.clip(rgb[:76], 0, 1) * 255 + 0.5)
    np.testing.assert_array_equal(lr, (imresize_uint8(levels, 0.25) / 255).astype(np.float32))
    np.testing.assert_array_equal(hr, (levels / 255).astype(np.float32))
    assert rng.random() == np.random.default_rng(0).random()  # the rounding is the noise


def test_bad_degradations_are_one_line_errors():
    with pytest.raises(RestoreError, match="unknown formation 'mirror'; use one of: " + ", ".join(FORMATIONS)):
        Degradation(formation="mirror")
    with pytest.raises(RestoreError, match="a valid degrade keeps nothing of a 96x80 image under a PSF of 101x101"):
        observe(SCENE, Degradation.parse("gauss:3@101"), 0)


# -- every caller forms its observations by observe ------------------------------------------


def test_degrade_and_reference_crop_are_observe_in_the_api_layout():
    rgb = np.moveaxis(SCENE, 0, -1)
    for boundary, scale in (("valid", 1), ("valid", 3), ("reflect", 2), ("circular", 4)):
        d = Degradation.parse("motion:9,30", scale, 0.01, boundary)
        expected, truth = observe(SCENE, d, 7, noise_dtype=np.float64, whole_blocks=False)
        np.testing.assert_array_equal(restoretk.degrade(rgb, "motion:9,30", 0.01, scale, boundary, seed=7),
                                      np.moveaxis(expected, 0, -1))  # fmt: skip
    _, truth = observe(SCENE, Degradation.parse("motion:9,30"), 0)
    np.testing.assert_array_equal(restoretk.reference_crop(rgb, "motion:9,30"), np.moveaxis(truth, 0, -1))
    assert restoretk.observe is observe and restoretk.Degradation is Degradation


def test_training_pairs_are_observations_of_their_drawn_degradation():
    pair = make_pair(SCENE, parse("gauss:1.2"), 4, 0.01, np.random.default_rng(0), "gauss:1.2")
    y, truth = observe(SCENE, Degradation(parse("gauss:1.2"), 4, 0.01), np.random.default_rng(0))
    np.testing.assert_array_equal(pair.observation, y)
    np.testing.assert_array_equal(pair.target, truth)
    assert pair.target.shape[-2:] == tuple(4 * n for n in pair.observation.shape[-2:])


def test_training_sets_and_scenarios_are_degradation_samplers():
    drawn = DEGRADATIONS["deblur"](np.random.default_rng(0))
    kernel, noise, label = DEGRADATIONS["deblur"].draw(np.random.default_rng(0))
    assert isinstance(drawn, Degradation) and drawn.spec == label and drawn.noise == noise
    np.testing.assert_array_equal(drawn.psf, kernel)
    assert DEGRADATIONS["sr"](np.random.default_rng(1)).scale == 4
    shake = get_scenario("deblur-motion")
    sampled = shake.sample(np.random.default_rng(12))
    assert sampled.spec == shake.psf_for(12) and sampled.noise == 0.01 and sampled.formation == "valid"


def test_scenario_cases_are_observations_of_their_degradation():
    rgb = np.moveaxis(SCENE, 0, -1)
    case = get_scenario("deblur-gauss2").case("img", rgb)
    y, truth = observe(SCENE, case.degradation, case.seed, noise_dtype=np.float64)
    np.testing.assert_array_equal(case.degraded, np.moveaxis(y, 0, -1))
    np.testing.assert_array_equal(case.truth, np.moveaxis(truth, 0, -1))
    wrong = get_scenario("deblur-gauss2-psferr").case("img", rgb)
    assert np.array_equal(wrong.degradation.blur, case.degradation.psf) and wrong.degradation.spec == wrong.psf_spec
    noisy = get_scenario("denoise-25").case("img", rgb)
    interleaved = np.random.default_rng(noisy.seed).standard_normal(rgb.shape, dtype=np.float32)
    np.testing.assert_array_equal(noisy.degraded, rgb + np.float32(25 / 255) * interleaved)
