"""The command line as a user meets it: outputs, default names, one-line errors, nothing written on failure."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from typer.testing import CliRunner

import restoretk
from restoretk.cli import app
from restoretk.errors import RestoreError
from restoretk.io import read_image, write_image

runner = CliRunner()


@pytest.fixture()
def photo(tmp_path):
    path = tmp_path / "photo.png"
    write_image(path, data.astronaut()[::6, ::6] / 255.0)  # 86×86 RGB
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", [[], ["deblur"], ["upscale"], ["degrade"], ["psf"], ["methods"], ["demo"]])
def test_help_everywhere(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_deblur_writes_the_named_output(photo, tmp_path):
    out = tmp_path / "sharp.png"
    result = run("deblur", "--psf", "gauss:1", "--noise", "0.01", "-o", out, photo)
    assert result.exit_code == 0, result.output
    restored, info = read_image(out)
    assert restored.shape == (86, 86, 3) and info.bit_depth == 8


def test_deblur_default_name_and_methods_and_options(photo):
    result = run("deblur", "--psf", "gauss:1", "-m", "richardson-lucy", "-O", "iterations=5", photo)
    assert result.exit_code == 0, result.output
    assert (photo.parent / "photo-deblurred.png").exists()


def test_several_inputs_go_to_a_folder_with_a_progress_bar(photo, tmp_path):
    second = tmp_path / "second.png"
    write_image(second, data.camera()[::8, ::8] / 255.0)
    out = tmp_path / "restored"
    result = run("deblur", "--psf", "box:3", "--noise", "0.01", "-o", out, photo, second)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["photo-deblurred.png", "second-deblurred.png"]
    grey, info = read_image(out / "second-deblurred.png")
    assert grey.ndim == 2 and info.mode == "grey"


def test_sixteen_bit_and_alpha_pass_through(tmp_path):
    source = tmp_path / "deep.png"
    rgb = data.astronaut()[::8, ::8] / 255.0
    alpha = np.linspace(0, 1, rgb.shape[0] * rgb.shape[1]).reshape(rgb.shape[:2])
    write_image(source, rgb, bit_depth=16, alpha=alpha)
    out = tmp_path / "out.png"
    assert run("deblur", "--psf", "box:3", "--noise", "0.01", "-o", out, source).exit_code == 0
    _, info = read_image(out)
    assert info.bit_depth == 16
    np.testing.assert_allclose(info.alpha, alpha, atol=1 / 65535)


def test_upscale_and_degrade_and_psf(photo, tmp_path):
    big = tmp_path / "big.png"
    assert run("upscale", "--scale", "2", "-o", big, photo).exit_code == 0
    assert read_image(big)[0].shape == (172, 172, 3)
    small = tmp_path / "small.png"
    result = run("degrade", "--psf", "gauss:1", "--noise", "0.01", "--scale", "2", "-o", small, photo)
    assert result.exit_code == 0, result.output
    assert read_image(small)[0].shape[:2] == (39, 39)  # valid: 86 − 9 + 1 = 78, halved
    kernel = tmp_path / "k.png"
    assert run("psf", "motion:9,30", "-o", kernel).exit_code == 0
    assert read_image(kernel)[0].max() == pytest.approx(1.0)


def test_methods_lists_every_task():
    result = run("methods")
    assert result.exit_code == 0
    assert "deblur:" in result.output and "upscale:" in result.output and "richardson-lucy" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["deblur", "--psf", "gaus:2"], "bad PSF spec 'gaus:2'"),
        (["deblur", "--psf", "gauss:2", "-m", "nope"], "unknown deblur method 'nope'"),
        (["deblur", "--psf", "gauss:2", "-O", "iterations=3"], "has no option 'iterations'"),
        (["deblur", "--psf", "gauss:2", "--noise", "lots"], "noise level lots is not a number"),
        (["deblur", "--psf", "gauss:5@101"], "larger than the image"),
        (["deblur", "--psf", "gauss:2", "--boundary", "wrap"], "unknown boundary 'wrap'"),
        (["upscale", "--scale", "0"], "not an integer from 1 to 32"),
        (["deblur", "--psf", "gauss:2", "-o", "missing-folder/out.png"], "missing-folder"),
        (["deblur", "--psf", "gauss:2", "-m", "mpr", "--weights", "none.safetensors"], "none.safetensors not found"),
        (["deblur", "--psf", "gauss:2", "--weights", "none.safetensors"], "has no option 'weights'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(photo, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(*args, photo)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_missing_or_corrupt_input(tmp_path):
    assert run("deblur", "--psf", "box:3", tmp_path / "nope.png").exit_code == 2
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not an image at all")
    result = run("deblur", "--psf", "box:3", corrupt)
    assert result.exit_code == 2 and "corrupt.png" in result.stderr


def test_existing_output_needs_overwrite_and_input_is_never_replaced(photo, tmp_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    result = run("deblur", "--psf", "box:3", "-o", out, photo)
    assert result.exit_code == 2 and "--overwrite" in result.stderr
    assert out.read_bytes() == b"keep me"
    assert run("deblur", "--psf", "box:3", "--overwrite", "-o", out, photo).exit_code == 0
    assert read_image(out)[0].shape == (86, 86, 3)
    assert run("deblur", "--psf", "box:3", "--overwrite", "-o", photo, photo).exit_code == 2


def test_debug_shows_the_traceback(photo):
    result = run("--debug", "deblur", "--psf", "gaus:2", photo)
    assert result.exit_code != 0 and result.exception is not None


def test_demo_restores_the_sample_photo(tmp_path):
    result = run("demo", "--out", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert {"comparison.png", "blurred.png", "sharp.png", "restored-wiener.png"} <= {
        p.name for p in (tmp_path / "demo").iterdir()
    }
    scores = {line.split()[0]: float(line.split()[2]) for line in result.output.splitlines() if "PSNR" in line}
    assert scores["wiener"] > scores["blurred"] + 2.0


def test_fetch_data_downloads_into_the_folder_and_says_what_failed(tmp_path, monkeypatch):
    import urllib.request

    def offline(url, timeout):
        raise OSError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    result = CliRunner().invoke(app, ["fetch-data", "--dest", str(tmp_path / "bsds")])
    assert result.exit_code == 2
    assert "could not download" in result.output and "no route to host" in result.output
    assert (tmp_path / "bsds").is_dir() and not any((tmp_path / "bsds").iterdir())  # nothing half-written


@pytest.mark.parametrize(
    ("call", "args", "python_words", "cli_words"),
    [
        (lambda p: restoretk.upscale(np.zeros((8, 8)), 200), ["upscale", "-s", "200"], "use e.g. scale=2", "use e.g. --scale 2"),
        (lambda p: write_image(p.with_name("taken.png"), np.zeros((4, 4))) and write_image(p.with_name("taken.png"), np.zeros((4, 4))),
         ["deblur", "--psf", "gauss:1", "-o", "{taken}"], "pass overwrite=True",
         "pass --overwrite"),
        (lambda p: restoretk.deblur(np.zeros((64, 64)), "gauss:1", "richardson-lucy", 0.01, iterations=0),
         ["deblur", "--psf", "gauss:1", "-m", "richardson-lucy", "-O", "iterations=0"], "use e.g. iterations=20",
         "use e.g. -O iterations=20"),
    ],
)
def test_library_errors_name_parameters_and_the_cli_says_them_as_flags(photo, call, args, python_words, cli_words):
    with pytest.raises(RestoreError) as error:
        call(photo)
    assert python_words in str(error.value) and "--" not in str(error.value)
    result = run(*[a.format(taken=photo.with_name("taken.png")) for a in args], photo)
    assert result.exit_code == 2 and cli_words in result.output, result.output
