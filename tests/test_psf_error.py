"""Mis-specified PSFs: valid kernels, seeded, wrong by a bounded amount."""

from __future__ import annotations

import numpy as np
import pytest

from restoretk.errors import InputError, RestoreError
from restoretk.psf import parse
from restoretk.psf_error import gaussian_sigmas, misspecified_gaussian, misspecified_psf, perturb_psf

GENERAL = ["shake:3,21", "shake:8,31", "shake:12,15", "motion:9,30", "disk:3"]


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("spec", GENERAL)
def test_a_perturbed_kernel_is_a_psf_of_the_same_shape(spec):
    true = parse(spec)
    for seed in range(5):
        wrong = perturb_psf(true, np.random.default_rng(seed))
        assert wrong.shape == true.shape and wrong.dtype == np.float64
        assert wrong.min() >= 0 and abs(wrong.sum() - 1) < 1e-12


def test_the_perturbation_is_seeded_by_the_generator_only():
    true = parse("shake:3,21")
    a, b = (perturb_psf(true, np.random.default_rng(4)) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert relative_difference(perturb_psf(true, np.random.default_rng(5)), a) > 0.05


@pytest.mark.parametrize("spec", [s for s in GENERAL if s.startswith("shake")])
def test_a_shake_kernel_is_perturbed_neither_slightly_nor_beyond_recognition(spec):
    """Relative L2 error of a default perturbation: 0.3–0.8 (about 3 dB of Wiener PSNR on deblur-motion)."""
    true = parse(spec)
    differences = [relative_difference(perturb_psf(true, np.random.default_rng(s)), true) for s in range(20)]
    assert 0.25 < min(differences) and max(differences) < 0.9
    # the error grows with the strength, and strength 0 is no error at all
    weak = [relative_difference(perturb_psf(true, np.random.default_rng(s), strength=0.05), true) for s in range(20)]
    assert np.mean(weak) < 0.5 * np.mean(differences)
    np.testing.assert_allclose(perturb_psf(true, np.random.default_rng(0), strength=0), true, rtol=1e-12, atol=0)


def test_a_perturbation_takes_no_more_than_half_of_the_mass_away():
    true = parse("gauss:0.5@7")  # compact: a dropped disc would hold most of it
    wrong = perturb_psf(true, np.random.default_rng(0))
    assert wrong[3, 3] == wrong.max()


def test_bad_kernels_and_strengths_are_one_line_errors():
    with pytest.raises(InputError, match="negative values"):
        perturb_psf(np.array([[0.5, -0.1], [0.2, 0.4]]), np.random.default_rng(0))
    with pytest.raises(RestoreError, match="strength -0.1 is not a non-negative number; use e.g. 0.2"):
        perturb_psf(parse("box:3"), np.random.default_rng(0), strength=-0.1)


@pytest.mark.parametrize("spec", ["gauss:2@25", "gauss:1.5", "gauss:3,1,30", "gauss:0.8,2.4,100@15x17"])
def test_a_misspecified_gaussian_scales_sigma_within_the_bounds_on_the_same_support(spec):
    sx, sy, angle = gaussian_sigmas(spec)
    factors = []
    for seed in range(40):
        wrong = misspecified_gaussian(spec, np.random.default_rng(seed), error=0.2)
        wx, wy, wrong_angle = gaussian_sigmas(wrong)
        assert wrong_angle == angle and abs(wx / sx - wy / sy) < 1e-3  # one factor for both axes
        factors.append(wx / sx)
        assert parse(wrong).shape == parse(spec).shape
    assert 0.8 - 1e-4 <= min(factors) < 0.85 and 1.15 < max(factors) <= 1.2 + 1e-4
    assert misspecified_gaussian(spec, np.random.default_rng(1)) == misspecified_gaussian(spec, np.random.default_rng(1))


def test_misspecified_psf_picks_the_model_of_the_family():
    gauss = misspecified_psf("gauss:2@25", np.random.default_rng(0), error=0.2)
    np.testing.assert_allclose(gauss, parse(misspecified_gaussian("gauss:2@25", np.random.default_rng(0))))
    shake = misspecified_psf("shake:3,21", np.random.default_rng(0), error=0.2)
    np.testing.assert_array_equal(shake, perturb_psf(parse("shake:3,21"), np.random.default_rng(0)))


def test_only_gaussians_have_a_sigma_error():
    with pytest.raises(RestoreError, match="'motion:9,30' is not a Gaussian"):
        misspecified_gaussian("motion:9,30", np.random.default_rng(0))
    with pytest.raises(RestoreError, match="not in"):
        misspecified_gaussian("gauss:2", np.random.default_rng(0), error=1.0)
