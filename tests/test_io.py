"""Tests for restoretk.io: formats, bit depths, alpha, orientation, atomic writes, listing."""

from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps

import restoretk.io.writing as writing
from restoretk.errors import InputError
from restoretk.io import IMAGE_SUFFIXES, ImageInfo, check_writable, list_images, read_image, write_image

TOP = {8: 255, 16: 65535}
LOSSLESS = [
    (suffix, bits)
    for suffix in (".png", ".tif", ".tiff", ".bmp")
    for bits in (8, 16)
    if not (suffix == ".bmp" and bits == 16)
]
LAYOUTS = ["grey", "grey+alpha", "rgb", "rgba"]
CAN_TEST_PERMISSIONS = os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() != 0


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def random_levels(rng: np.random.Generator, shape: tuple[int, ...], bits: int) -> np.ndarray:
    """Exact quantisation levels as float64, so a lossless round trip must be exact."""
    levels = rng.integers(0, TOP[bits] + 1, size=shape)
    levels.flat[:2] = (0, TOP[bits])  # both extremes present
    return levels / TOP[bits]


def make_image(rng, layout: str, bits: int, size=(13, 17)):
    colour_shape = size if layout.startswith("grey") else (*size, 3)
    image = random_levels(rng, colour_shape, bits)
    alpha = random_levels(rng, size, bits) if layout in ("grey+alpha", "rgba") else None
    if alpha is not None:
        alpha[0, :4] = 0.0  # fully transparent pixels must keep their colour
    return image, alpha


def levels(array: np.ndarray, bits: int) -> np.ndarray:
    return np.rint(np.asarray(array, dtype=np.float64) * TOP[bits]).astype(np.int64)


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("suffix", "bits"), LOSSLESS)
def test_lossless_round_trip_is_exact(tmp_path, rng, suffix, bits, layout):
    image, alpha = make_image(rng, layout, bits)
    out = write_image(tmp_path / f"x{suffix}", image, bit_depth=bits, alpha=alpha)
    assert out == tmp_path / f"x{suffix}"

    back, info = read_image(out)

    assert back.dtype == np.float32 and back.min() >= 0 and back.max() <= 1
    assert info.bit_depth == bits and info.source == out
    # Grey+alpha only survives as such where the format stores it (PNG 8-bit, TIFF).
    stays_grey = layout == "grey" or (layout == "grey+alpha" and (suffix != ".bmp") and (suffix != ".png" or bits == 8))
    if layout.startswith("grey") and not stays_grey:
        assert info.mode == "rgb"
        assert np.array_equal(back[..., 0], back[..., 1]) and np.array_equal(back[..., 0], back[..., 2])
        back = back[..., 0]
    else:
        assert info.mode == ("grey" if layout.startswith("grey") else "rgb")
    assert back.shape == image.shape
    np.testing.assert_array_equal(levels(back, bits), levels(image, bits))
    if alpha is None:
        assert info.alpha is None
    else:
        assert info.alpha.dtype == np.float32 and info.alpha.shape == alpha.shape
        np.testing.assert_array_equal(levels(info.alpha, bits), levels(alpha, bits))


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
@pytest.mark.parametrize("layout", ["grey", "rgb"])
def test_jpeg_round_trip_is_close(tmp_path, suffix, layout):
    y, x = np.mgrid[0:48, 0:64]
    smooth = 0.5 + 0.4 * np.sin(x / 9.0) * np.cos(y / 7.0)
    image = smooth if layout == "grey" else np.dstack([smooth, smooth[::-1], 1 - smooth])

    back, info = read_image(write_image(tmp_path / f"x{suffix}", image))

    assert back.shape == image.shape and info.bit_depth == 8 and info.alpha is None
    assert info.mode == ("grey" if layout == "grey" else "rgb")
    assert np.abs(back - image).mean() < 0.01
    assert np.abs(back - image).max() < 0.08


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bits", [8, 16])
def test_write_rounds_and_clips_rather_than_truncating(tmp_path, dtype, bits):
    top = TOP[bits]
    k = np.arange(0, top, max(1, top // 250))
    image = np.concatenate([(k + 0.6) / top, (k + 0.4) / top, [-0.5, 1.7]]).reshape(1, -1).astype(dtype)

    back, _ = read_image(write_image(tmp_path / "x.png", image, bit_depth=bits))

    expected = np.concatenate([k + 1, k, [0, top]])
    np.testing.assert_array_equal(levels(back, bits)[0], expected)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".bmp"])
def test_pure_red_stays_red(tmp_path, suffix):
    red = np.zeros((16, 16, 3), np.float32)
    red[..., 0] = 1.0
    out = write_image(tmp_path / f"red{suffix}", red)

    back, _ = read_image(out)
    with Image.open(out) as independent:
        pixel = independent.convert("RGB").getpixel((8, 8))

    np.testing.assert_allclose(back[8, 8], [1, 0, 0], atol=0.02)
    assert pixel[0] > 250 and pixel[1] < 5 and pixel[2] < 5


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".bmp"])
def test_red_written_by_pillow_reads_as_red(tmp_path, suffix):
    path = tmp_path / f"red{suffix}"
    Image.new("RGB", (8, 8), (255, 0, 0)).save(path)

    back, info = read_image(path)

    assert info.mode == "rgb"
    np.testing.assert_allclose(back[4, 4], [1, 0, 0], atol=0.02)


def test_h_w_1_image_is_written_as_grey(tmp_path, rng):
    image = random_levels(rng, (5, 6, 1), 8)
    back, info = read_image(write_image(tmp_path / "x.png", image, alpha=np.ones((5, 6, 1))))
    assert info.mode == "grey" and back.shape == (5, 6)
    np.testing.assert_array_equal(levels(back, 8), levels(image[..., 0], 8))


def test_our_tiff_alpha_is_standard_unassociated_alpha(tmp_path, rng):
    image, alpha = make_image(rng, "rgba", 16)
    out = write_image(tmp_path / "x.tif", image, bit_depth=16, alpha=alpha)
    with tifffile.TiffFile(out) as tif:
        page = tif.pages.first
        assert tuple(page.extrasamples) == (tifffile.EXTRASAMPLE.UNASSALPHA,)
        stored = page.asarray()
    np.testing.assert_array_equal(stored[..., :3], levels(image, 16))
    np.testing.assert_array_equal(stored[..., 3], levels(alpha, 16))


# --------------------------------------------------------------------------- foreign files


@pytest.mark.parametrize(
    ("mode", "grey", "has_alpha"),
    [("1", True, False), ("L", True, False), ("LA", True, True), ("P", False, False),
     ("RGB", False, False), ("RGBA", False, True), ("I;16", True, False)],
)
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_images_written_by_pillow_match_pillow(tmp_path, rng, mode, grey, has_alpha, suffix):
    rgba = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
    if mode == "I;16":
        source = Image.fromarray(rng.integers(0, 65536, (9, 11), dtype=np.uint16))
    else:
        source = Image.fromarray(rgba).convert(mode)
    path = tmp_path / f"foreign{suffix}"
    source.save(path, **({"compression": "tiff_lzw"} if suffix == ".tif" else {}))

    back, info = read_image(path)

    bits = 16 if mode == "I;16" else 8
    with Image.open(path) as reference:
        has_alpha = has_alpha or reference.has_transparency_data
        if mode == "I;16":
            expected = np.asarray(reference).astype(np.int64)
        else:
            expected = np.asarray(reference.convert("LA" if grey else "RGBA")).astype(np.int64)
    if mode != "I;16":
        expected_colour = expected[..., 0] if grey else expected[..., :3]
    else:
        expected_colour = expected
    assert info.mode == ("grey" if grey else "rgb") and info.bit_depth == bits
    np.testing.assert_array_equal(levels(back, bits), expected_colour)
    assert (info.alpha is not None) == has_alpha
    if has_alpha:
        np.testing.assert_array_equal(levels(info.alpha, 8), expected[..., -1])


def test_eight_bit_rgba_tiff_alpha_is_not_premultiplied(tmp_path, rng):
    # libtiff's RGBA interface (used by OpenCV) premultiplies unassociated alpha.
    rgba = rng.integers(0, 256, (7, 9, 4), dtype=np.uint8)
    path = tmp_path / "straight.tif"
    tifffile.imwrite(path, rgba, photometric="rgb", extrasamples=["unassalpha"])

    back, info = read_image(path)

    np.testing.assert_array_equal(levels(back, 8), rgba[..., :3])
    np.testing.assert_array_equal(levels(info.alpha, 8), rgba[..., 3])


def test_premultiplied_tiff_alpha_is_made_straight(tmp_path):
    straight = np.array([[[200, 100, 50, 128], [10, 20, 30, 255], [0, 0, 0, 0]]], np.uint8)
    premultiplied = straight.copy()
    premultiplied[..., :3] = np.rint(straight[..., :3] * (straight[..., 3:] / 255.0))
    path = tmp_path / "assoc.tif"
    tifffile.imwrite(path, premultiplied, photometric="rgb", extrasamples=["assocalpha"])

    back, info = read_image(path)

    np.testing.assert_allclose(levels(back, 8)[0, :2], straight[0, :2, :3], atol=1)
    np.testing.assert_array_equal(levels(info.alpha, 8), straight[..., 3])


@pytest.mark.parametrize("layout", ["grey+alpha", "rgb", "rgba"])
def test_planar_sixteen_bit_tiff(tmp_path, rng, layout):
    image, alpha = make_image(rng, layout, 16)
    stack = image if alpha is None else np.dstack([image, alpha])
    path = tmp_path / "planar.tif"
    tifffile.imwrite(
        path,
        np.moveaxis(levels(stack, 16).astype(np.uint16), -1, 0),
        planarconfig="separate",
        photometric="minisblack" if layout.startswith("grey") else "rgb",
        extrasamples=["unassalpha"] if alpha is not None else None,
    )

    back, info = read_image(path)

    assert info.bit_depth == 16 and back.shape == image.shape
    np.testing.assert_array_equal(levels(back, 16), levels(image, 16))
    if alpha is not None:
        np.testing.assert_array_equal(levels(info.alpha, 16), levels(alpha, 16))


# --------------------------------------------------------------------------- orientation


def quadrants(height: int = 32, width: int = 48) -> np.ndarray:
    """Four flat colour blocks, so positions survive JPEG compression."""
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2, : width // 2] = (255, 0, 0)
    image[: height // 2, width // 2 :] = (0, 255, 0)
    image[height // 2 :, : width // 2] = (0, 0, 255)
    image[height // 2 :, width // 2 :] = (255, 255, 0)
    return image


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def corner_colours(image: np.ndarray) -> list[tuple[int, ...]]:
    h, w = image.shape[:2]
    points = [(h // 8, w // 8), (h // 8, w - 1 - w // 8), (h - 1 - h // 8, w // 8), (h - 1 - h // 8, w - 1 - w // 8)]
    return [tuple(int(round(v)) for v in image[p] * 255) for p in points]


@pytest.mark.parametrize(("orientation", "k"), [(3, 2), (6, -1), (8, 1)])
def test_jpeg_exif_orientation_is_applied_once(tmp_path, orientation, k):
    stored = quadrants()
    path = tmp_path / f"o{orientation}.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif_with_orientation(orientation))

    back, _ = read_image(path)

    upright = np.rot90(stored, k)
    assert back.shape == upright.shape  # a second application would undo or overdo it
    np.testing.assert_allclose(corner_colours(back), corner_colours(upright / 255.0), atol=12)
    with Image.open(path) as reference:
        expected = np.asarray(ImageOps.exif_transpose(reference)) / 255.0
    assert np.abs(back - expected).mean() < 0.01


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(("suffix", "options"), [(".png", {}), (".tif", {}), (".tif", {"compression": "tiff_lzw"})])
def test_every_orientation_matches_pillow_exif_transpose(tmp_path, rng, orientation, suffix, options):
    rgba = rng.integers(0, 256, (5, 8, 4), dtype=np.uint8)
    exif = exif_with_orientation(orientation)
    path = tmp_path / f"o{orientation}{suffix}"
    Image.fromarray(rgba).save(path, exif=exif, **options)
    # The reference is Pillow's exif_transpose on a PNG: Pillow's own TIFF loading
    # applies the orientation itself (wrongly for 5-8 in uncompressed files).
    Image.fromarray(rgba).save(tmp_path / "reference.png", exif=exif)

    back, info = read_image(path)

    with Image.open(tmp_path / "reference.png") as reference:
        expected = np.asarray(ImageOps.exif_transpose(reference))
    np.testing.assert_array_equal(levels(back, 8), expected[..., :3])
    np.testing.assert_array_equal(levels(info.alpha, 8), expected[..., 3])


def test_tiff_orientation_tag_is_applied(tmp_path, rng):
    stored = rng.integers(0, 65536, (4, 6, 3), dtype=np.uint16)
    path = tmp_path / "o6.tif"
    tifffile.imwrite(path, stored, photometric="rgb", extratags=[(274, "H", 1, 6, True)])

    back, _ = read_image(path)

    np.testing.assert_array_equal(levels(back, 16), np.rot90(stored, -1))


def test_written_images_need_no_orientation(tmp_path):
    back, _ = read_image(write_image(tmp_path / "x.jpg", quadrants() / 255.0))
    with Image.open(tmp_path / "x.jpg") as written:
        assert written.getexif().get(0x0112, 1) == 1
    assert back.shape == (32, 48, 3)


# --------------------------------------------------------------------------- atomic writes


class EncoderCrash(RuntimeError):
    pass


def crash_opencv(monkeypatch):
    def imencode(*args, **kwargs):
        raise cv2.error("simulated encoder crash")

    monkeypatch.setattr(writing.cv2, "imencode", imencode)


def opencv_returns_nothing(monkeypatch):
    monkeypatch.setattr(writing.cv2, "imencode", lambda *args, **kwargs: (False, None))


def crash_tifffile(monkeypatch):
    def imwrite(buffer, *args, **kwargs):
        buffer.write(b"II*\x00partial")
        raise EncoderCrash("simulated tifffile crash")

    monkeypatch.setattr(writing.tifffile, "imwrite", imwrite)


def disk_full_at_fsync(monkeypatch):
    def fsync(descriptor):  # the temporary file already holds the bytes
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)


def rename_fails(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", fail)
    monkeypatch.setattr(os, "link", fail)


def interrupted_at_fsync(monkeypatch):
    def fsync(descriptor):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)


FAILURES = {
    "opencv-raises": (crash_opencv, ".png", InputError),
    "opencv-returns-false": (opencv_returns_nothing, ".jpg", InputError),
    "tifffile-raises": (crash_tifffile, ".tif", InputError),
    "disk-full": (disk_full_at_fsync, ".png", InputError),
    "rename-fails": (rename_fails, ".bmp", InputError),
    "ctrl-c": (interrupted_at_fsync, ".tif", KeyboardInterrupt),
}


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("failure", FAILURES)
def test_failed_write_leaves_no_file_and_no_temporary(tmp_path, rng, monkeypatch, failure, existing):
    breaker, suffix, raised = FAILURES[failure]
    out = tmp_path / f"out{suffix}"
    if existing:
        out.write_bytes(b"precious")
    before = sorted(tmp_path.iterdir())
    breaker(monkeypatch)

    with pytest.raises(raised) as error:
        write_image(out, rng.random((8, 8, 3)), overwrite=True)

    assert sorted(tmp_path.iterdir()) == before
    if existing:
        assert out.read_bytes() == b"precious"
    if raised is InputError:
        assert f"'{out}'" in one_line(error)


def test_temporary_file_is_hidden_beside_target_with_same_suffix(tmp_path, monkeypatch):
    seen = []
    real_fsync = os.fsync

    def fsync(descriptor):
        seen.extend(p.name for p in tmp_path.iterdir())
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    write_image(tmp_path / "out.png", np.zeros((2, 2)))

    assert any(name.startswith(".out.png.tmp-") and name.endswith(".png") for name in seen)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_file_permissions_follow_umask_and_overwrite_keeps_them(tmp_path):
    umask = os.umask(0o022)
    try:
        out = write_image(tmp_path / "x.png", np.zeros((2, 2)))
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o600)
        write_image(out, np.ones((2, 2)), overwrite=True)
        assert out.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_refuses_to_overwrite_unless_asked(tmp_path):
    out = write_image(tmp_path / "out.png", np.zeros((3, 3)))
    first = out.read_bytes()

    with pytest.raises(InputError) as error:
        write_image(out, np.ones((3, 3)))
    assert one_line(error) == f"'{out}' exists; pass overwrite=True to replace it"
    assert out.read_bytes() == first

    write_image(out, np.ones((3, 3)), overwrite=True)
    assert read_image(out)[0].min() == 1.0


def test_file_appearing_after_the_check_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / "race.png"
    real_encode = writing.encode_image

    def encode_while_someone_else_writes(*args):
        out.write_bytes(b"theirs")
        return real_encode(*args)

    monkeypatch.setattr(writing, "encode_image", encode_while_someone_else_writes)
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        write_image(out, np.zeros((2, 2)))
    assert out.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["race.png"]


# --------------------------------------------------------------------------- check_writable


def test_check_writable_accepts_a_new_file(tmp_path):
    assert check_writable(str(tmp_path / "new.TIFF"), bit_depth=16, alpha=True) == tmp_path / "new.TIFF"


@pytest.mark.parametrize("overwrite", [False, True])
def test_check_writable_refuses_an_input(tmp_path, monkeypatch, overwrite):
    source = write_image(tmp_path / "in.png", np.zeros((2, 2)))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")

    with pytest.raises(InputError) as error:
        check_writable("../in.png", overwrite=overwrite, inputs=[source])
    assert one_line(error) == f"would overwrite the input '{source}'; choose another -o"


@pytest.mark.parametrize(
    ("name", "kwargs", "fragment"),
    [
        ("x.jpg", {"bit_depth": 16}, "cannot write 16-bit JPEG"),
        ("x.jpeg", {"bit_depth": 16}, "use .png or .tif"),
        ("x.bmp", {"bit_depth": 16}, "use .png or .tif"),
        ("x.png", {"bit_depth": 12}, "bit_depth=12 is not supported; use 8 or 16"),
        ("x.jpg", {"alpha": True}, "cannot write alpha to JPEG"),
        ("x.gif", {}, "extension '.gif' is not an image format"),
        ("x", {}, "no extension"),
    ],
)
def test_check_writable_refuses_unsuitable_formats(tmp_path, name, kwargs, fragment):
    with pytest.raises(InputError) as error:
        check_writable(tmp_path / name, **kwargs)
    assert fragment in one_line(error)


def test_sixteen_bit_jpeg_is_refused_by_write_image(tmp_path):
    with pytest.raises(InputError, match=r"16-bit JPEG .*; use \.png or \.tif"):
        write_image(tmp_path / "x.jpg", np.zeros((2, 2)), bit_depth=16)
    assert list(tmp_path.iterdir()) == []


def test_check_writable_refuses_missing_folder_and_file_as_folder(tmp_path):
    with pytest.raises(InputError) as error:
        check_writable(tmp_path / "missing" / "x.png")
    assert f"folder '{tmp_path / 'missing'}' does not exist" in one_line(error)

    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is not a folder"):
        check_writable(tmp_path / "file" / "x.png")


def test_check_writable_refuses_a_folder_as_output(tmp_path):
    (tmp_path / "out.png").mkdir()
    with pytest.raises(InputError, match="it is a folder"):
        check_writable(tmp_path / "out.png", overwrite=True)


@pytest.mark.skipif(not CAN_TEST_PERMISSIONS, reason="needs POSIX permissions as a non-root user")
def test_check_writable_refuses_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match=f"cannot write to folder '{locked}': permission denied"):
            write_image(locked / "x.png", np.zeros((2, 2)))
    finally:
        locked.chmod(0o700)


def test_check_writable_reports_an_unwritable_folder(tmp_path, monkeypatch):
    # Runs as root too, where the real permission test above is skipped.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(InputError) as error:
        check_writable(tmp_path / "x.png")
    assert one_line(error) == (
        f"cannot write to folder '{tmp_path}': permission denied; choose a folder you can write to"
    )


# --------------------------------------------------------------------------- bad arrays


@pytest.mark.parametrize(
    ("image", "alpha", "fragment"),
    [
        (np.zeros((4, 4), np.uint8), None, "dtype uint8"),
        (np.zeros((4, 4, 4)), None, "shape (4, 4, 4)"),
        (np.zeros((4, 4, 2)), None, "expected HxW"),
        (np.zeros((4, 4, 3, 1)), None, "expected HxW"),
        (np.zeros((0, 4)), None, "empty"),
        (np.full((4, 4), np.nan), None, "NaN"),
        (np.zeros((4, 4)), np.ones((4, 5)), "alpha has shape (4, 5)"),
        (np.zeros((4, 4)), np.ones((4, 4), bool), "alpha has dtype bool"),
    ],
)
def test_write_image_refuses_bad_arrays(tmp_path, image, alpha, fragment):
    with pytest.raises(InputError) as error:
        write_image(tmp_path / "x.png", image, alpha=alpha)
    assert fragment in one_line(error)
    assert list(tmp_path.iterdir()) == []


def test_float16_is_accepted_at_sixteen_bits(tmp_path):
    back, _ = read_image(write_image(tmp_path / "x.png", np.ones((2, 2), np.float16), bit_depth=16))
    assert back.min() == 1.0


# --------------------------------------------------------------------------- read errors


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError) as error:
        read_image(tmp_path / "nope.png")
    assert one_line(error) == f"cannot read '{tmp_path / 'nope.png'}': no such file; check the path"


def test_read_folder(tmp_path):
    with pytest.raises(InputError, match="it is a folder, not an image file"):
        read_image(tmp_path)


@pytest.mark.parametrize(
    ("name", "content"),
    [("x.png", b"this is not an image at all"), ("x.jpg", b""), ("x.tif", b"\x00" * 64)],
)
def test_read_garbage_is_not_an_image(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as error:
        read_image(tmp_path / name)
    assert one_line(error).startswith(
        f"cannot read '{tmp_path / name}': not an image file (PNG, JPEG, TIFF or BMP expected)"
    )


def test_read_unsupported_format(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "x.gif")
    with pytest.raises(InputError, match="not an image file"):
        read_image(tmp_path / "x.gif")


@pytest.mark.parametrize("suffix", [".png", ".tif", ".bmp", ".jpg"])
def test_read_truncated_file_is_corrupt(tmp_path, rng, suffix):
    whole = write_image(tmp_path / f"whole{suffix}", rng.random((64, 64, 3))).read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole[:30])
    with pytest.raises(InputError, match="corrupt or truncated"):
        read_image(cut)


@pytest.mark.skipif(not CAN_TEST_PERMISSIONS, reason="needs POSIX permissions as a non-root user")
def test_read_unreadable_file(tmp_path):
    path = write_image(tmp_path / "x.png", np.zeros((2, 2)))
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        read_image(path)


def test_read_permission_error_is_an_input_error(tmp_path, monkeypatch):
    path = write_image(tmp_path / "x.png", np.zeros((2, 2)))

    def refuse(self):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError) as error:
        read_image(path)
    assert one_line(error) == f"cannot read '{path}': permission denied; check the file's permissions"


def test_image_info_is_frozen_and_comparable():
    info = ImageInfo(bit_depth=8, alpha=np.ones((2, 2), np.float32), mode="rgb", source=Path("a.png"))
    assert info == dataclasses.replace(info, alpha=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.bit_depth = 16  # type: ignore[misc]


# --------------------------------------------------------------------------- list_images


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    for name in ("b.png", "a.JPG", "c.tiff", "d.Bmp", "e.jpeg", "notes.txt", ".hidden.png", "nested/f.png"):
        (folder / name).write_bytes(b"")
    return folder


def test_list_images_expands_a_folder_sorted_case_insensitively(photo_folder):
    assert [p.name for p in list_images([photo_folder])] == ["a.JPG", "b.png", "c.tiff", "d.Bmp", "e.jpeg"]


@pytest.mark.parametrize(
    ("pattern", "names"),
    [("*.png", ["b.png"]), ("[ab].*", ["a.JPG", "b.png"]), ("**/*.png", ["b.png", "f.png"])],
)
def test_list_images_expands_globs(photo_folder, monkeypatch, pattern, names):
    monkeypatch.chdir(photo_folder)
    assert sorted(p.name for p in list_images([pattern])) == names


def test_list_images_keeps_order_and_drops_duplicates(photo_folder):
    listed = list_images([photo_folder / "e.jpeg", str(photo_folder), str(photo_folder / "*.png")])
    assert [p.name for p in listed] == ["e.jpeg", "a.JPG", "b.png", "c.tiff", "d.Bmp"]


def test_list_images_accepts_one_string(photo_folder):
    # Folder listings ignore case; glob patterns follow the file system, as a shell does.
    assert list_images(str(photo_folder / "*.jp*g")) == [photo_folder / "e.jpeg"]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [("empty", "no images in folder"), ("photos/*.webp", "no images match"), ("missing.png", "does not exist")],
)
def test_list_images_names_what_found_nothing(photo_folder, monkeypatch, entry, fragment):
    (photo_folder.parent / "empty").mkdir()
    monkeypatch.chdir(photo_folder.parent)
    with pytest.raises(InputError) as error:
        list_images([entry])
    assert fragment in one_line(error) and f"'{entry}'" in str(error.value)


def test_list_images_refuses_nothing():
    with pytest.raises(InputError, match="no input images given"):
        list_images([])


def test_image_suffixes_are_lower_case_and_dotted():
    assert all(s.startswith(".") and s == s.lower() for s in IMAGE_SUFFIXES)
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"} == set(IMAGE_SUFFIXES)
