"""Hostile inputs: each ends in exit 0 with a correct result, or exit 2 with one line, no traceback, nothing written."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from restoretk.cli import app
from restoretk.io import read_image, write_image
from restoretk.learners.weights import METADATA_KEY, shipped_weights

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def assert_refused(result, folder, before, message):
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert files(folder) == before


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png_header(cols: int, rows: int) -> bytes:
    """A PNG whose header claims ``cols × rows`` RGB pixels, with one row of data."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0" * (3 * cols + 1))) + chunk(b"IEND", b"")


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        write_image(tmp_path / f"{name}.png", rng.random((24, 30, 3)))
    return tmp_path


@pytest.mark.parametrize("side", [20000, 50000])
def test_huge_png_is_refused_from_its_header(folder, side):
    (folder / "huge.png").write_bytes(huge_png_header(side, side))
    before = files(folder)
    start = time.perf_counter()
    result = run("deblur", "--psf", "gauss:2", "huge.png")
    assert time.perf_counter() - start < 5  # not decoded: a 20000² RGB would take minutes
    assert_refused(result, folder, before, f"is {side}x{side}")


def test_jpeg_with_a_grown_header_is_refused(folder):
    ok, encoded = cv2.imencode(".jpg", np.full((64, 64, 3), 128, np.uint8))
    data = bytearray(encoded.tobytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 20000, 20000)
    (folder / "grown.jpg").write_bytes(bytes(data))
    before = files(folder)
    assert_refused(run("deblur", "--psf", "gauss:2", "grown.jpg"), folder, before, "over the limit")


def test_damaged_jpeg_data_is_an_error_not_grey(folder, capfd):
    ok, encoded = cv2.imencode(".jpg", (np.random.default_rng(1).random((96, 96, 3)) * 255).astype(np.uint8))
    (folder / "cut.jpg").write_bytes(encoded.tobytes()[: len(encoded) // 2])
    before = files(folder)
    assert_refused(run("deblur", "--psf", "gauss:2", "cut.jpg"), folder, before, "corrupt or truncated JPEG")
    assert "Corrupt JPEG" not in capfd.readouterr().err  # libjpeg's own warning does not leak


def test_pixel_limit_is_raised_by_the_environment(folder, monkeypatch):
    monkeypatch.setenv("RESTORETK_MAX_PIXELS", "100")
    before = files(folder)
    assert_refused(run("deblur", "--psf", "gauss:1", "a.png"), folder, before, "RESTORETK_MAX_PIXELS=720")
    monkeypatch.setenv("RESTORETK_MAX_PIXELS", "720")
    assert run("deblur", "--psf", "gauss:1", "a.png").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["deblur", "--psf", "gauss:1e6", "a.png"], "over the limit of 1001"),
        (["deblur", "--psf", "gauss:2@100000", "a.png"], "over the limit of 1001"),
        (["deblur", "--psf", "motion:1e5,0", "a.png"], "over the limit of 1001"),
        (["deblur", "--psf", "motion:3000,0", "a.png"], "over the limit of 1001"),
        (["deblur", "--psf", "gauss:1e400", "a.png"], "S must be finite"),
        (["psf", "gauss:2@100000", "-o", "k.png"], "over the limit of 1001"),
        (["psf", "gauss:2", "--zoom", "100000", "-o", "k.png"], "--zoom 100000 is not from 1 to 100"),
        (["psf", "gauss:2", "--zoom", "-3", "-o", "k.png"], "--zoom -3"),
        (["upscale", "-s", "1000", "a.png"], "not an integer from 1 to 32"),
        (["degrade", "a.png", "-o", "d.png", "-s", "100000"], "not an integer from 1 to 32"),
        (["deblur", "--psf", "gauss:1", "-m", "richardson-lucy", "-O", "iterations=abc", "a.png"], "iterations='abc'"),
        (["deblur", "--psf", "gauss:1", "-m", "richardson-lucy", "-O", "iterations=2.5", "a.png"], "is not an integer"),
        (["deblur", "--psf", "gauss:1", "-m", "richardson-lucy", "-O", "iterations=1e9", "a.png"], "from 1 to 10000"),
        (["deblur", "--psf", "gauss:1", "-O", "strength=nan", "a.png"], "strength='nan'"),
        (["deblur", "--psf", "gauss:1", "-O", "strength=-1", "a.png"], "strength='-1' of method 'wiener' is not a finite number > 0"),
        (["deblur", "--psf", "gauss:1", "-m", "tikhonov", "-O", "lam=abc", "a.png"], "lam='abc'"),
        (["deblur", "--psf", "gauss:1", "-m", "mpr", "-O", "tile=abc", "a.png"], "tile='abc'"),
        (["deblur", "--psf", "gauss:1", "-m", "mpr", "-O", "device=gpu", "a.png"], "one of auto, cpu, cuda"),
        (["deblur", "--psf", "gauss:1", "-O", "boundary=circular", "a.png"], "use --boundary"),
        (["deblur", "--psf", "gauss:1", "-O", "noise=0.1", "a.png"], "has no option 'noise'"),
        (["deblur", "--psf", "gauss:1", "--noise", "inf", "a.png"], "noise level inf"),
        (["degrade", "a.png", "-o", "d.png", "--noise", "-1"], "noise level -1.0"),
        (["estimate-psf", "a.png", "--noise", "nan"], "noise level nan"),
        (["train", "--epochs", "0", "-o", "run"], "--epochs 0"),
        (["deblur", "--psf", "gauss:1", "--bit-depth", "12", "-o", "out/", "a.png", "b.png"], "--bit-depth 12 is not supported"),
        (["deblur", "--psf", "gauss:1", "--bit-depth", "16", "-o", "out.jpg", "a.png"], "16-bit JPEG"),
        (["deblur", "--psf", "gauss:1", "-o", "new.png", "a.png", "b.png"], "names one image but 2 inputs"),
        (["deblur", "--psf"], "option '--psf' requires an argument"),
        (["upscale", "-s", "two", "a.png"], "invalid value for '--scale'"),
        (["deblur", "--psf", "gauss:2", "a.png", "--bogus"], "no such option"),
    ],
)
def test_bad_sizes_options_and_usage_are_one_line(folder, args, message):
    before = files(folder)
    start = time.perf_counter()
    result = run(*args)
    assert time.perf_counter() - start < 5
    assert_refused(result, folder, before, message)


def test_a_corrupt_input_stops_the_batch_before_any_write(folder):
    (folder / "b.png").write_bytes((folder / "b.png").read_bytes()[:200])
    before = files(folder)
    assert_refused(run("deblur", "--psf", "gauss:1", "-o", "out/", "a.png", "b.png", "c.png"), folder, before, "'b.png'")


def test_an_image_too_small_for_the_psf_stops_the_batch_before_any_write(folder):
    write_image(folder / "small.png", np.full((10, 10), 0.5))
    before = files(folder)
    result = run("deblur", "--psf", "gauss:2", "-o", "out/", "a.png", "small.png")
    assert_refused(result, folder, before, "small.png: PSF of size 15x15 is larger than the image (10x10)")


def test_keep_going_restores_the_rest_and_lists_the_failures(folder):
    (folder / "b.png").write_bytes(b"not an image at all")
    result = run("deblur", "--psf", "gauss:1", "-o", "out/", "--keep-going", "a.png", "b.png", "c.png")
    assert result.exit_code == 2
    assert "1 of 3 inputs failed, 2 written" in result.stderr and "b.png: cannot read" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (folder / "out").iterdir()) == ["a-deblurred.png", "c-deblurred.png"]


def test_skip_existing_continues_a_batch(folder):
    (folder / "out").mkdir()
    write_image(folder / "out" / "a-deblurred.png", np.zeros((2, 2)))
    result = run("deblur", "--psf", "gauss:1", "-o", "out", "--skip-existing", "a.png", "b.png")
    assert result.exit_code == 0, result.output
    assert "skipping 1 existing output" in result.stderr
    assert read_image(folder / "out" / "a-deblurred.png")[0].shape == (2, 2)  # left alone
    assert read_image(folder / "out" / "b-deblurred.png")[0].shape == (24, 30, 3)


def test_trailing_slash_is_a_folder_for_one_input_too(folder):
    result = run("deblur", "--psf", "gauss:1", "-o", "restored/", "a.png")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (folder / "restored").iterdir()] == ["a-deblurred.png"]


def test_sigterm_stops_between_writes_and_says_how_many(folder):
    for k in range(6):
        write_image(folder / f"big{k}.png", np.random.default_rng(k).random((200, 200)))
    command = [sys.executable, "-m", "restoretk", "deblur", "--psf", "gauss:1", "-m", "richardson-lucy",
               "-O", "iterations=1000", "-o", "out/", *[f"big{k}.png" for k in range(6)]]  # fmt: skip
    process = subprocess.Popen(command, cwd=folder, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    written = lambda: [p for p in (folder / "out").glob("*.png") if not p.name.startswith(".")]  # noqa: E731
    while not ((folder / "out").exists() and written()) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"interrupted: {len(written())} of 6 outputs written" in stderr and "Traceback" not in stderr
    assert 1 <= len(written()) < 6 and "--skip-existing" in stderr
    assert not [p for p in (folder / "out").iterdir() if p.name.startswith(".")]  # no temporary files


def tampered_weights(folder, change):
    source = shipped_weights()["mpr"]
    tensors = load_file(str(source))
    from safetensors import safe_open

    with safe_open(str(source), framework="pt") as f:
        metadata = json.loads(f.metadata()[METADATA_KEY])
    tensors, metadata = change(tensors, metadata)
    save_file(tensors, str(folder / "w.safetensors"), metadata={METADATA_KEY: json.dumps(metadata)})
    return folder / "w.safetensors"


def flip_one_weight(tensors, metadata):
    name = sorted(tensors)[0]
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] += 1.0
    return tensors, metadata


def drop_the_checksum_and_resize(tensors, metadata):
    name = next(n for n in sorted(tensors) if tensors[n].ndim == 4)
    tensors[name] = torch.zeros(tensors[name].shape[0] + 1, *tensors[name].shape[1:])
    metadata.pop("checksum")
    return tensors, metadata


@pytest.mark.parametrize(
    "change, message",
    [(flip_one_weight, "do not match their checksum"), (drop_the_checksum_and_resize, "do not fit its 'mpr' architecture")],
)
def test_damaged_weights_are_refused(folder, change, message):
    weights = tampered_weights(folder, change)
    before = files(folder)
    assert_refused(run("deblur", "--psf", "gauss:1", "-m", "mpr", "--weights", weights, "a.png"), folder, before, message)


@pytest.mark.parametrize("side", [1, 2, 3])
@pytest.mark.parametrize(
    "args, scale",
    [
        (["upscale", "-s", "4", "-m", "mpr-sr"], 4),
        (["upscale", "-s", "2", "-m", "wiener"], 2),
        (["upscale", "-s", "2"], 2),
        (["deblur", "--psf", "box:1", "-m", "wiener"], 1),
        (["deblur", "--psf", "box:1", "-m", "mpr"], 1),
    ],
)
def test_tiny_images_restore(tmp_path, side, args, scale):
    colour = np.array([0.6, 0.3, 0.1])
    write_image(tmp_path / "tiny.png", np.broadcast_to(colour, (side, side, 3)).copy())
    result = run(*args, "-o", tmp_path / "out.png", tmp_path / "tiny.png")
    assert result.exit_code == 0, result.output
    restored = read_image(tmp_path / "out.png")[0]
    assert restored.shape == (side * scale, side * scale, 3)
    np.testing.assert_allclose(restored, np.broadcast_to(colour, restored.shape), atol=0.03)  # a flat image stays flat


@pytest.mark.parametrize(
    "args, message",
    [
        (["degrade", "-o", "d.png", "--psf", "gauss:2"], "a valid degrade keeps nothing"),
        (["deblur", "--psf", "gauss:2"], "larger than the image"),
        (["estimate-psf"], "too small to estimate"),
    ],
)
def test_tiny_images_are_refused_in_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    write_image(tmp_path / "tiny.png", np.full((3, 3), 0.5))
    before = files(tmp_path)
    assert_refused(run(*args, "tiny.png"), tmp_path, before, message)


def test_debug_anywhere_shows_the_traceback(folder):
    result = run("deblur", "--psf", "gaus:2", "a.png", "--debug")
    assert result.exit_code != 0 and result.exception is not None and "bad PSF spec" in str(result.exception)


def test_version():
    from restoretk import __version__

    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"restoretk {__version__}"


def test_library_warnings_become_one_line_notes(folder, monkeypatch):
    import restoretk.api

    def warn_and_deblur(*args, **kwargs):
        import warnings

        warnings.warn("something odd\nover two lines", UserWarning)
        return original(*args, **kwargs)

    original = restoretk.api.deblur
    monkeypatch.setattr(restoretk.api, "deblur", warn_and_deblur)
    result = run("deblur", "--psf", "gauss:1", "a.png")
    assert result.exit_code == 0
    assert "note: something odd" in result.stderr and "warnings.warn" not in result.stderr


if os.name != "posix":  # SIGTERM is POSIX
    del test_sigterm_stops_between_writes_and_says_how_many


def test_fuzzed_files_are_read_or_refused(tmp_path):
    """A few dozen damaged files through the reader and one --keep-going batch (benchmarks/fuzz_images.py does 500)."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parents[1] / "benchmarks" / "fuzz_images.py"
    spec = importlib.util.spec_from_file_location("fuzz_images", script)
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    paths = fuzz.fuzzed_files(tmp_path / "in", 40, seed=1)
    outcomes = [fuzz.read_outcome(p) for p in paths]
    assert set(outcomes) <= {"read", "refused"}, [o for o in outcomes if o not in ("read", "refused")]
    result = run("deblur", "--psf", "gauss:1", "--noise", "0.01", "--keep-going", "-o", f"{tmp_path / 'out'}/", *paths)
    assert result.exit_code in (0, 2) and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    assert all(fuzz.foreign_free(line) for line in result.stderr.splitlines()), result.stderr
    written = len(list((tmp_path / "out").iterdir())) if (tmp_path / "out").exists() else 0
    assert written == outcomes.count("read")


def test_png_chunk_claiming_gigabytes_is_refused_without_allocating(folder):
    import resource

    data = bytearray((folder / "a.png").read_bytes())
    data[33:37] = (2_000_000_000).to_bytes(4, "big")  # the first chunk after IHDR: an IDAT of 2 GB
    (folder / "claims.png").write_bytes(bytes(data))
    before = files(folder)
    assert_refused(run("deblur", "--psf", "gauss:1", "claims.png"), folder, before, "corrupt or truncated PNG")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_500_000  # kB: OpenCV would take 2 GB
