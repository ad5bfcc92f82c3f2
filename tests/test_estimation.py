"""Blind PSF estimation: parametric fits to the power spectrum recover the blur that made an image."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data
from typer.testing import CliRunner

import restoretk
from restoretk import psf
from restoretk.cli import app
from restoretk.errors import InputError, RestoreError
from restoretk.estimation import auto_family, estimate_psf, welch_spectrum
from restoretk.io import write_image


def sigma_of(spec: str) -> float:
    return float(spec.split(":")[1].split(",")[0])


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut() / 255.0


@pytest.fixture(scope="module")
def coffee():
    return data.coffee() / 255.0


def test_welch_spectrum_of_white_noise_is_its_variance():
    noise = 0.05 * np.random.default_rng(1).standard_normal((300, 260, 3))
    spectrum, count = welch_spectrum(noise, 64)
    assert count == 3 * 8 * 7  # tiles at most half a tile apart, both ends covered
    assert spectrum[4:, 4:].mean() == pytest.approx(0.05**2, rel=0.05)


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.0])
def test_gaussian_sigma_within_a_quarter_pixel(astronaut, sigma):
    blurred = restoretk.degrade(astronaut, f"gauss:{sigma}@25", noise=0.01, seed=3)
    spec, kernel = estimate_psf(blurred, "gauss", noise=0.01)
    assert abs(sigma_of(spec) - sigma) <= 0.25
    np.testing.assert_array_equal(kernel, psf.parse(spec))


def test_unknown_noise_and_jpeg_input(coffee):
    blurred = restoretk.degrade(coffee, "gauss:2@25", noise=0.02, seed=4)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(blurred, 0, 1) * 255 + 0.5).astype(np.uint8)).save(buffer, "JPEG", quality=80)
    compressed = np.asarray(Image.open(buffer))
    for image in (blurred, compressed):
        spec, _ = estimate_psf(image, "gauss")
        assert abs(sigma_of(spec) - 2.0) <= 0.3, spec


def test_anisotropic_gaussian_axes_and_angle(astronaut):
    blurred = restoretk.degrade(astronaut, "gauss:3,1.2,60@25", noise=0.01, seed=5)
    spec, _ = estimate_psf(blurred, "gauss-aniso", noise=0.01)
    sx, sy, angle = (float(v) for v in spec.split(":")[1].split(","))
    assert abs(sx - 3) < 0.5 and abs(sy - 1.2) < 0.4
    assert min(abs(angle - 60), 180 - abs(angle - 60)) < 12


def test_straight_motion_length_and_angle(coffee):
    blurred = restoretk.degrade(coffee, "motion:15,30@31", noise=0.01, seed=6)
    spec, _ = estimate_psf(blurred, "motion", noise=0.01)
    length, angle = (float(v) for v in spec.split(":")[1].split(","))
    assert abs(length - 15) < 1.5 and min(abs(angle - 30), 180 - abs(angle - 30)) < 5


def test_auto_spec_selects_a_family():
    assert auto_family("auto") == "auto"
    assert auto_family("AUTO:gauss") == "gauss"
    assert auto_family("auto:shake@21") == "shake@21"
    assert auto_family("gauss:2") is None and auto_family(np.ones((3, 3))) is None
    with pytest.raises(RestoreError, match="auto, gauss, gauss-aniso, motion, shake"):
        auto_family("auto:blob")
    with pytest.raises(RestoreError, match="takes no support size"):
        auto_family("auto:gauss@15")
    with pytest.raises(RestoreError, match="not a number"):
        auto_family("auto:shake@big")


def test_deblur_with_auto_psf_is_close_to_the_true_psf(astronaut):
    sharp = astronaut[100:356, 100:356]
    blurred = restoretk.degrade(sharp, "gauss:1.8@19", noise=0.01, seed=7)
    truth = restoretk.reference_crop(sharp, "gauss:1.8@19")
    error_true = np.abs(restoretk.deblur(blurred, "gauss:1.8@19", noise=0.01) - truth).mean()
    error_auto = np.abs(restoretk.deblur(blurred, "auto", noise=0.01) - truth).mean()
    error_blurred = np.abs(blurred - truth).mean()
    assert error_auto < 0.8 * error_blurred
    assert error_auto < 1.1 * error_true


def test_too_small_an_image_names_the_fix():
    with pytest.raises(InputError, match="give the PSF itself"):
        estimate_psf(np.zeros((64, 300)))


def test_cli_prints_the_spec_and_writes_the_kernel(astronaut, tmp_path):
    source = tmp_path / "blurred.png"
    write_image(source, np.clip(restoretk.degrade(astronaut, "gauss:2@25", noise=0.01), 0, 1))
    runner = CliRunner()
    result = runner.invoke(app, ["estimate-psf", str(source), "--noise", "0.01", "-o", str(tmp_path / "k.png")])
    assert result.exit_code == 0, result.output
    name, spec = result.stdout.strip().split("\t")
    assert name == str(source) and abs(sigma_of(spec) - 2) <= 0.25
    assert (tmp_path / "k.png").exists()
    result = runner.invoke(app, ["deblur", "--psf", "auto:gauss", "--noise", "0.01", str(source)])
    assert result.exit_code == 0, result.output
    assert "estimated PSF: gauss:" in result.output
    assert (tmp_path / "blurred-deblurred.png").exists()
    result = runner.invoke(app, ["estimate-psf", str(source), "--family", "blob"])
    assert result.exit_code == 2 and "use one of: auto, gauss" in result.output
