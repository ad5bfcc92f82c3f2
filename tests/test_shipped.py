"""The models that ship inside the package: present, small, described, and working offline from the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from typer.testing import CliRunner

import restoretk
from restoretk.cli import app
from restoretk.io import read_image, write_image
from restoretk.learners.weights import read_metadata, shipped_weights
from restoretk.metrics import psnr
from restoretk.resize import imresize

#: Method name -> what it restores; every one of them must ship.
SHIPPED = {
    "mpr": "deblur", "mpr-df": "deblur", "wiener-resid": "deblur", "mpr-sr": "sr", "srnet": "sr", "denoiser": "denoise",
}  # fmt: skip

runner = CliRunner()


def test_the_shipped_models_are_there_and_small():
    shipped = shipped_weights()
    assert set(SHIPPED) <= set(shipped)
    assert sum(path.stat().st_size for path in shipped.values()) <= 30e6


@pytest.mark.parametrize("method", sorted(SHIPPED))
def test_metadata_names_the_model_and_its_scores(method):
    meta = read_metadata(shipped_weights()[method])
    assert meta["architecture"]["head"] == method and meta["architecture"]["task"] == SHIPPED[method]
    assert meta["parameters"] > 0 and np.isfinite(meta["val"]["psnr"])
    assert "BSDS500 train" in meta["data"]


def test_the_shipped_denoiser_denoises_grey_and_colour_and_is_told_sigma():
    sharp = data.astronaut()[100:228, 150:278] / 255.0
    # a grey photo goes through the colour model as three equal channels, whose noise is
    # then the same in all three, unlike anything in training: it gains less (5.5 dB
    # here, against 12 dB in colour) until the model also trains on grey patches
    for image, gain in ((sharp, 8), (sharp.mean(axis=2), 4)):
        noisy = restoretk.degrade(image, noise=25 / 255, seed=3)
        restored = restoretk.denoise(noisy, 25 / 255)
        assert restored.shape == image.shape
        assert psnr(restored, image) > psnr(noisy, image) + gain
        # told a far smaller σ, it leaves most of the noise
        assert psnr(restoretk.denoise(noisy, 2 / 255), image) < psnr(restored, image) - 3


@pytest.mark.parametrize("method", [m for m, task in sorted(SHIPPED.items()) if task == "sr"])
def test_upscale_with_a_shipped_model_beats_bicubic(method, tmp_path):
    sharp = data.astronaut()[100:228, 150:278] / 255.0  # 128×128 RGB
    small = imresize(sharp, 0.25)
    source = tmp_path / "small.png"
    write_image(source, np.clip(small, 0, 1))
    low, _ = read_image(source)
    result = runner.invoke(app, ["upscale", "--scale", "4", "-m", method, "-o", str(tmp_path / "big.png"), str(source)])
    assert result.exit_code == 0, result.output
    upscaled, _ = read_image(tmp_path / "big.png")
    assert upscaled.shape == sharp.shape
    bicubic = np.clip(imresize(low, 4.0), 0, 1)
    assert psnr(upscaled, sharp, crop_border=4) > psnr(bicubic, sharp, crop_border=4) + 0.3


@pytest.mark.parametrize("method", [m for m, task in sorted(SHIPPED.items()) if task == "deblur"])
def test_deblur_with_a_shipped_model_beats_wiener(method, tmp_path):
    scene = data.astronaut()[40:300, 120:380] / 255.0
    source = tmp_path / "blurred.png"
    write_image(source, np.clip(restoretk.degrade(scene, "gauss:2@25", noise=0.01, seed=1), 0, 1), bit_depth=16)
    truth = restoretk.reference_crop(scene, "gauss:2@25")
    blurred, _ = read_image(source)
    args = ["deblur", "--psf", "gauss:2@25", "--noise", "0.01", "-m", method, "-o", str(tmp_path / "sharp.png")]
    result = runner.invoke(app, [*args, str(source)])
    assert result.exit_code == 0, result.output
    restored, _ = read_image(tmp_path / "sharp.png")
    wiener = restoretk.deblur(blurred, "gauss:2@25", noise=0.01)
    assert psnr(restored, truth) > psnr(wiener, truth) + 0.1
