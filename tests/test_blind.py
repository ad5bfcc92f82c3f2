"""Free-form blind kernel estimation: a camera shake recovered from the blurred photo alone."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from typer.testing import CliRunner

import restoretk
from restoretk import blind, psf
from restoretk.cli import app
from restoretk.errors import InputError, RestoreError
from restoretk.estimation import estimate_psf, rank_families
from restoretk.io import read_image, write_image
from restoretk.psf_error import aligned_kernel_error

SHAKE = "shake:11,15"


@pytest.fixture(scope="module")
def sharp():
    return data.camera()[96:416, 64:448] / 255.0


@pytest.fixture(scope="module")
def blurred(sharp):
    return restoretk.degrade(sharp, SHAKE, noise=0.01, seed=1)


@pytest.fixture(scope="module")
def estimate(blurred):
    return blind.estimate_kernel(blurred, 15)


def squared_error(restored, truth):
    return float(np.mean((np.clip(restored, 0, 1) - truth) ** 2))


def test_the_estimate_is_a_kernel_close_to_the_truth(estimate):
    assert estimate.shape == (15, 15) and estimate.min() >= 0
    assert estimate.sum() == pytest.approx(1.0, abs=1e-9)
    truth = psf.parse(SHAKE)
    assert aligned_kernel_error(estimate, truth) < 0.5
    assert aligned_kernel_error(psf.parse("gauss:2@15"), truth) > 0.7  # what a blob would score


def test_restoring_with_the_estimate_is_nearly_as_good_as_with_the_truth(sharp, blurred, estimate):
    truth = restoretk.reference_crop(sharp, SHAKE)
    with_truth = squared_error(restoretk.deblur(blurred, SHAKE, noise=0.01), truth)
    with_estimate = squared_error(restoretk.deblur(blurred, estimate, noise=0.01), truth)
    assert with_estimate / with_truth < 2.0  # Levin et al.'s error ratio; 3 counts as good
    assert with_estimate < 0.5 * squared_error(blurred, truth)


def test_default_support_is_chosen_from_the_image(blurred):
    kernel = blind.estimate_kernel(blurred)
    assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1
    assert 9 <= kernel.shape[0] <= blind.MAX_SIZE
    assert aligned_kernel_error(kernel, psf.parse(SHAKE)) < 0.6


def test_colour_is_estimated_on_its_luminance(blurred):
    colour = np.stack([blurred * 0.9, blurred, blurred * 1.1], axis=-1)
    grey = colour @ np.array([0.299, 0.587, 0.114])
    small = (slice(0, 200), slice(0, 200))
    np.testing.assert_allclose(blind.estimate_kernel(colour[small], 9), blind.estimate_kernel(grey[small], 9), atol=1e-6)


def test_registered_as_the_family_shake(blurred, estimate):
    label, kernel = estimate_psf(blurred, "shake@15")
    assert label == "shake 15x15 (free-form)"
    np.testing.assert_allclose(kernel, estimate)


def test_auto_chooses_shake_for_a_shake_and_gauss_for_a_gaussian(sharp):
    shaken = restoretk.degrade(sharp, "shake:3,21", noise=0.01, seed=1)
    assert rank_families(shaken, 0.01)[0].family == "shake"
    gaussian = restoretk.degrade(sharp, "gauss:2@25", noise=0.01, seed=2)
    ranked = rank_families(gaussian, 0.01)
    assert ranked[0].family == "gauss-aniso", [(c.family, c.score) for c in ranked]


@pytest.mark.parametrize(
    ("image", "size", "message"),
    [
        (np.random.default_rng(0).random((60, 80)), 41, "too large for an image of 60x80"),
        (np.random.default_rng(0).random((60, 80)), 14, "not an odd integer"),
        (np.full((200, 200), 0.5), None, "is flat"),
        (np.zeros((8, 8)), None, "too small"),
    ],
)
def test_bad_input_is_a_one_line_error(image, size, message):
    with pytest.raises(InputError, match=message):
        blind.estimate_kernel(image, size)


def test_unknown_family_is_an_error(blurred):
    with pytest.raises(RestoreError, match="use one of: auto, gauss, gauss-aniso, motion, shake"):
        estimate_psf(blurred, "wobble")


@pytest.fixture()
def photo(tmp_path, blurred):
    path = tmp_path / "blurred.png"
    write_image(path, np.clip(blurred, 0, 1), bit_depth=16)
    return path


def test_cli_estimates_deblurs_and_saves_the_psf(photo, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["estimate-psf", str(photo), "--family", "shake@15", "--noise", "0.01"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{photo}\tshake 15x15 (free-form)"
    out, saved = tmp_path / "out.png", tmp_path / "k.png"
    args = ["deblur", str(photo), "--psf", "auto:shake@15", "--noise", "0.01", "-o", str(out), "--save-psf", str(saved)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "estimated PSF: shake 15x15 (free-form)" in result.output and out.exists()
    estimate = blind.estimate_kernel(read_image(photo)[0], 15)
    np.testing.assert_allclose(psf.parse(f"file:{saved}"), estimate, atol=2e-5 * estimate.max() / estimate.sum())
    result = runner.invoke(app, ["deblur", str(photo), "--psf", "auto", "--noise", "0.01", "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert "(auto chose " in result.output and "Whittle score, lower is better: " in result.output
    assert all(family in result.output for family in ("gauss-aniso", "motion", "shake"))
    assert read_image(out)[0].shape == read_image(photo)[0].shape


@pytest.mark.parametrize(
    ("psf_arg", "image", "message"),
    [
        ("auto:shake@301", None, "too large for an image"),
        ("auto:shake", "flat", "is flat"),
        ("auto:wobble", None, "cannot estimate a PSF of family 'wobble'"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(photo, tmp_path, psf_arg, image, message):
    if image == "flat":
        photo = tmp_path / "flat.png"
        write_image(photo, np.full((200, 200), 0.5))
    out, saved = tmp_path / "out.png", tmp_path / "k.png"
    result = CliRunner().invoke(app, ["deblur", str(photo), "--psf", psf_arg, "-o", str(out), "--save-psf", str(saved)])
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()[-1]) > 0
    assert not out.exists() and not saved.exists()
