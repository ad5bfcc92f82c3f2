"""PSF families: normalisation, sizes, centring, moments, files and spec errors."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from restoretk.errors import InputError, RestoreError
from restoretk.psf import families, parse, register_family

SPECS = [
    "gauss:0",
    "gauss:0.3",
    "gauss:2",
    "gauss:3,1,30",
    "gauss:0.4,0.2,-10",
    "gauss:3,0,45",
    "gauss:2@24x30",
    "box:1",
    "box:3",
    "box:4",
    "box:3@8x5",
    "disk:0.2",
    "disk:1.5",
    "disk:7.3",
    "disk:3@10x12",
    "motion:0,0",
    "motion:1,0",
    "motion:12.5,33",
    "motion:20,-100",
    "motion:7,30@12",
    "shake:0",
    "shake:5,15",
    "shake:6,31",
    "shake:7,15@20x25",
    "handheld:0",
    "handheld:4,41",
]

# Kernels that are point-symmetric about (rows // 2, cols // 2), even sizes included.
CENTRED = [
    "gauss:0.3",
    "gauss:2",
    "gauss:3,1,30",
    "gauss:2.5,0.7,-115",
    "gauss:1.5@30x24",
    "box:1",
    "box:5",
    "box:3@8x6",
    "disk:1.5",
    "disk:4.2",
    "disk:3@10x12",
    "motion:1,0",
    "motion:9,0",
    "motion:12.5,33",
    "motion:7,30@12",
]


def centre_of_mass(kernel: np.ndarray) -> np.ndarray:
    """Mean (row, col) offset from (rows // 2, cols // 2)."""
    rows, cols = np.indices(kernel.shape)
    offsets = np.stack([rows - kernel.shape[0] // 2, cols - kernel.shape[1] // 2])
    return (offsets * kernel).sum(axis=(1, 2))


def covariance_xy(kernel: np.ndarray) -> np.ndarray:
    """Second-moment matrix in display coordinates: x along columns, y towards row 0."""
    rows, cols = np.indices(kernel.shape)
    xy = np.stack([cols - kernel.shape[1] // 2, kernel.shape[0] // 2 - rows]).reshape(2, -1)
    weights = kernel.ravel()
    centred = xy - (xy @ weights)[:, None]
    return (centred * weights) @ centred.T


def axis_covariance(sigma_along: float, sigma_across: float, angle: float) -> np.ndarray:
    theta = math.radians(angle)
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return rotation @ np.diag([sigma_along**2, sigma_across**2]) @ rotation.T


@pytest.mark.parametrize("spec", SPECS)
def test_every_family_gives_a_normalised_kernel(spec: str) -> None:
    kernel = parse(spec)
    assert kernel.dtype == np.float64 and kernel.ndim == 2
    assert kernel.min() >= 0
    assert abs(kernel.sum() - 1) <= 1e-12


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ("gauss:2", (15, 15)),
        ("gauss:0.1", (3, 3)),
        ("gauss:0", (3, 3)),
        ("gauss:3,1,30", (23, 23)),
        ("gauss:1,2.9,75", (23, 23)),
        ("gauss:2@25", (25, 25)),
        ("gauss:2@25x31", (25, 31)),
        ("gauss:2@4", (4, 4)),
        ("box:5", (5, 5)),
        ("box:4", (4, 4)),
        ("box:3@8", (8, 8)),
        ("disk:2.5", (7, 7)),
        ("disk:3", (7, 7)),
        ("disk:0", (1, 1)),
        ("disk:2@9x12", (9, 12)),
        ("motion:9,0", (11, 11)),
        ("motion:8,90", (9, 9)),
        ("motion:10,45", (9, 9)),
        ("motion:0,10", (1, 1)),
        ("motion:9,20@15", (15, 15)),
        ("shake:1", (21, 21)),
        ("shake:1,15", (15, 15)),
        ("shake:3,15@21x25", (21, 25)),
        ("GAUSS:1 @ 9", (9, 9)),
    ],
)
def test_size_is_the_default_or_the_requested_one(spec: str, shape: tuple[int, int]) -> None:
    assert parse(spec).shape == shape


@pytest.mark.parametrize("spec", CENTRED)
def test_symmetric_kernels_have_their_centre_of_mass_at_the_centre(spec: str) -> None:
    np.testing.assert_allclose(centre_of_mass(parse(spec)), 0, atol=1e-9)


def test_even_box_sits_half_a_pixel_before_the_centre() -> None:
    np.testing.assert_allclose(centre_of_mass(parse("box:4")), [-0.5, -0.5], atol=1e-12)
    np.testing.assert_allclose(centre_of_mass(parse("box:4@7x9")), [-0.5, -0.5], atol=1e-12)


def test_padding_keeps_the_kernel_on_the_centre() -> None:
    small, large = parse("disk:2.5"), parse("disk:2.5@10x13")
    np.testing.assert_array_equal(large[5 - 3 : 5 + 4, 6 - 3 : 6 + 4], small)
    assert large.sum() == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 1.5, 2.0, 3.7, 6.0])
def test_gaussian_variance_is_sigma_squared_plus_the_pixel(sigma: float) -> None:
    # Integrating over the pixel convolves with a unit box, whose variance is 1/12.
    expected = sigma**2 + 1 / 12
    wide = parse(f"gauss:{sigma}@{2 * math.ceil(8 * sigma) + 1}")
    # Sampling the moments at pixel centres is exact up to terms in exp(-2π²σ²).
    np.testing.assert_allclose(np.diag(covariance_xy(wide)), expected, rtol=1e-7)
    default = parse(f"gauss:{sigma}")  # truncated at 3.5σ: a little variance is lost
    np.testing.assert_allclose(np.diag(covariance_xy(default)), expected, rtol=0.015)
    assert abs(covariance_xy(default)[0, 1]) < 1e-12


@pytest.mark.parametrize(
    ("sx", "sy", "angle"),
    [(3, 1, 30), (1, 2.5, -60), (2, 0.8, 135), (4, 1.5, 90), (1.2, 1.2, 17), (2.5, 0.6, 200)],
)
def test_anisotropic_gaussian_covariance_matches_its_axes(sx: float, sy: float, angle: float) -> None:
    size = 2 * math.ceil(8 * max(sx, sy)) + 1
    kernel = parse(f"gauss:{sx},{sy},{angle}@{size}")
    expected = axis_covariance(sx, sy, angle) + np.eye(2) / 12
    np.testing.assert_allclose(covariance_xy(kernel), expected, atol=1e-6 * max(sx, sy) ** 2)


def test_small_rotated_gaussian_matches_brute_force_integration() -> None:
    sx, sy, angle = 0.7, 0.3, -50
    kernel = parse(f"gauss:{sx},{sy},{angle}")
    inverse = np.linalg.inv(axis_covariance(sx, sy, angle))
    samples = 256  # per pixel and axis, at the midpoints of a regular grid
    sub = (np.arange(samples) + 0.5) / samples - 0.5
    half = kernel.shape[0] // 2
    x = (np.arange(-half, half + 1)[:, None] + sub).ravel()
    y = -x
    xx, yy = np.meshgrid(x, y)  # yy[i] runs down the rows
    density = np.exp(-0.5 * (inverse[0, 0] * xx**2 + 2 * inverse[0, 1] * xx * yy + inverse[1, 1] * yy**2))
    n = kernel.shape[0]
    brute = density.reshape(n, samples, n, samples).sum(axis=(1, 3))
    np.testing.assert_allclose(kernel, brute / brute.sum(), atol=3e-6)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    sx=st.floats(1, 4),
    sy=st.floats(1, 4),
    angle=st.floats(-180, 180),
)
def test_gaussian_covariance_property(sx: float, sy: float, angle: float) -> None:
    size = 2 * math.ceil(7 * max(sx, sy)) + 1
    kernel = parse(f"gauss:{sx!r},{sy!r},{angle!r}@{size}")
    expected = axis_covariance(sx, sy, angle) + np.eye(2) / 12
    np.testing.assert_allclose(covariance_xy(kernel), expected, atol=1e-5 * max(sx, sy) ** 2)
    np.testing.assert_allclose(centre_of_mass(kernel), 0, atol=1e-9)


def test_disk_is_a_uniform_anti_aliased_disk() -> None:
    radius = 6.4
    kernel = parse(f"disk:{radius}")
    np.testing.assert_allclose(kernel, kernel.T, atol=1e-15)
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1], atol=1e-15)
    peak = kernel.max()
    assert kernel[6, 6] == pytest.approx(peak)  # fully covered pixels share the top value
    edge = (kernel > 0) & (kernel < peak * (1 - 1e-9))
    assert edge.any()  # partially covered pixels exist
    # The covered area is πR² in units of the inside pixels' value.
    assert kernel.sum() / peak == pytest.approx(math.pi * radius**2, rel=1e-3)
    # Second moment of a uniform disk: R²/4 per axis, plus the pixel's 1/12.
    np.testing.assert_allclose(np.diag(covariance_xy(kernel)), radius**2 / 4 + 1 / 12, rtol=2e-3)


@pytest.mark.parametrize("length", [6, 9.5, 17, 24])
@pytest.mark.parametrize("angle", [0, 30, 45, 90, 100, -60, 171.5])
def test_motion_length_and_angle_from_second_moments(length: float, angle: float) -> None:
    kernel = parse(f"motion:{length},{angle}")
    values, vectors = np.linalg.eigh(covariance_xy(kernel))
    # A uniform segment has variance L²/12 along it; bilinear splatting adds about 1/6.
    assert math.sqrt(12 * (values[1] - 1 / 6)) == pytest.approx(length, abs=0.05)
    assert values[0] <= 1 / 4  # splatting adds f(1 - f) <= 1/4 for a sub-pixel offset f
    found = math.degrees(math.atan2(vectors[1, 1], vectors[0, 1]))
    assert (found - angle + 90) % 180 - 90 == pytest.approx(0, abs=0.5)


def test_motion_along_a_row() -> None:
    kernel = parse("motion:4,0")
    expected = np.zeros((5, 5))
    expected[2] = [0.125, 0.25, 0.25, 0.25, 0.125]
    np.testing.assert_allclose(kernel, expected, atol=1e-12)
    np.testing.assert_allclose(parse("motion:4,90"), expected.T, atol=1e-12)
    np.testing.assert_allclose(parse("motion:4,180"), expected, atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(length=st.floats(0, 30), angle=st.floats(-360, 360))
def test_motion_property(length: float, angle: float) -> None:
    kernel = parse(f"motion:{length!r},{angle!r}")
    assert kernel.min() >= 0 and abs(kernel.sum() - 1) <= 1e-12
    assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1
    assert kernel.shape[0] <= 2 * math.ceil(length / 2) + 1
    np.testing.assert_allclose(centre_of_mass(kernel), 0, atol=1e-9)


@pytest.mark.parametrize("family", ["shake", "handheld"])
@pytest.mark.parametrize("size", [15, 21, 31])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_shake_is_reproducible_centred_and_inside_its_support(family: str, seed: int, size: int) -> None:
    kernel = parse(f"{family}:{seed},{size}")
    np.testing.assert_array_equal(kernel, parse(f"{family}:{seed},{size}"))
    assert kernel.shape == (size, size)
    np.testing.assert_allclose(centre_of_mass(kernel), 0, atol=0.05)
    # A path, not a blob or a dot: it spans a good part of the support but leaves
    # most pixels empty.
    rows, cols = np.nonzero(kernel > 0.02 * kernel.max())
    assert max(np.ptp(rows), np.ptp(cols)) >= 0.45 * size
    assert (kernel > 0.02 * kernel.max()).mean() < 0.6
    padded = parse(f"{family}:{seed},{size}@{size + 10}")
    np.testing.assert_allclose(padded[5:-5, 5:-5], kernel, rtol=1e-12, atol=0)


def test_handheld_shake_dwells_where_the_shake_family_does_not() -> None:
    # recorded kernels are brighter where the camera slowed: the path's intensity varies
    def unevenness(kernel):  # the brightest dot against the path's typical brightness
        return kernel.max() / np.median(kernel[kernel > 0.05 * kernel.max()])

    handheld = [unevenness(parse(f"handheld:{seed},31")) for seed in range(12)]
    shake = [unevenness(parse(f"shake:{seed},31")) for seed in range(12)]
    assert np.median(handheld) > 1.5 * np.median(shake)
    assert np.abs(parse("handheld:3,31") - parse("shake:3,31")).sum() > 0.5


def test_shake_differs_across_seeds() -> None:
    kernels = [parse(f"shake:{seed}") for seed in range(6)]
    for i in range(len(kernels)):
        for j in range(i):
            assert np.abs(kernels[i] - kernels[j]).sum() > 0.5


def test_shake_default_size_is_21() -> None:
    np.testing.assert_array_equal(parse("shake:9"), parse("shake:9,21"))


def test_array_is_validated_and_normalised_into_a_new_array() -> None:
    array = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=np.int32)
    kernel = parse(array)
    np.testing.assert_allclose(kernel, array / 8)
    assert kernel.dtype == np.float64
    floats = np.ones((2, 2))
    assert parse(floats) is not floats


@pytest.mark.parametrize(
    "array",
    [
        np.ones(5),
        np.ones((2, 2, 2)),
        np.zeros((0, 3)),
        np.array([[1.0, np.nan]]),
        np.array([[1.0, np.inf]]),
        np.array([[1.0, -0.1]]),
        np.zeros((3, 3)),
        np.ones((2, 2), dtype=complex),
    ],
)
def test_bad_arrays_raise_input_error(array: np.ndarray) -> None:
    with pytest.raises(InputError, match="PSF array"):
        parse(array)


def test_other_types_raise_input_error() -> None:
    with pytest.raises(InputError, match="list"):
        parse([[1.0]])  # type: ignore[arg-type]


def test_png_and_npy_files_round_trip(tmp_path) -> None:
    kernel = parse("motion:9,30")
    npy = tmp_path / "kernel.npy"
    np.save(npy, kernel * 3)
    np.testing.assert_allclose(parse(f"file:{npy}"), kernel, atol=1e-15)

    levels = np.array([[0, 10, 0], [20, 255, 40], [0, 5, 0]], dtype=np.uint8)
    grey = tmp_path / "grey@2x.png"  # '@' in a path is not a size
    assert cv2.imwrite(str(grey), levels)
    np.testing.assert_allclose(parse(f"file:{grey}"), levels / levels.sum(), atol=1e-15)

    deep = tmp_path / "deep.tif"
    assert cv2.imwrite(str(deep), levels.astype(np.uint16) * 257)
    np.testing.assert_allclose(parse(f"file:{deep}"), levels / levels.sum(), atol=1e-15)

    half = levels // 2
    colour = np.zeros((3, 3, 4), dtype=np.uint8)  # BGRA; alpha must be ignored
    colour[..., 0], colour[..., 1], colour[..., 2], colour[..., 3] = half, 0, 2 * half, 255
    rgba = tmp_path / "colour.png"
    assert cv2.imwrite(str(rgba), colour)
    np.testing.assert_allclose(parse(f"file:{rgba}"), half / half.sum(), atol=1e-15)


def test_png_file_is_read_by_the_image_reader_upright(tmp_path) -> None:
    # A kernel stored sideways with EXIF orientation 6 (turn 90° clockwise to display).
    kernel = parse("motion:9,30")
    levels = np.rint(kernel / kernel.max() * 65535).astype(np.uint16)
    sideways = tmp_path / "sideways.png"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.rot90(levels, 1)).save(sideways, exif=exif.tobytes())
    np.testing.assert_allclose(parse(f"file:{sideways}"), levels / levels.sum(), atol=1e-15)


def test_damaged_file_gets_the_image_reader_error(tmp_path) -> None:
    truncated = tmp_path / "cut.png"
    cv2.imwrite(str(truncated), np.full((40, 40), 128, np.uint8))
    truncated.write_bytes(truncated.read_bytes()[:60])
    with pytest.raises(InputError, match="cut.png': corrupt or truncated PNG file"):
        parse(f"file:{truncated}")


def test_missing_or_unreadable_file_names_the_path(tmp_path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(InputError, match="nope.png"):
        parse(f"file:{missing}")
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    with pytest.raises(InputError, match="junk.png"):
        parse(f"file:{junk}")
    negative = tmp_path / "negative.npy"
    np.save(negative, -np.ones((3, 3)))
    with pytest.raises(InputError, match="negative.npy"):
        parse(f"file:{negative}")


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "gauss",
        "gaus:2",
        "gauss:",
        "gauss:1,2",
        "gauss:1,2,3,4",
        "gauss:a",
        "gauss:-1",
        "gauss:nan",
        "gauss:1,-2,0",
        "gauss:1,2,inf",
        "box:0",
        "box:2.5",
        "box:x",
        "disk:-1",
        "motion:5",
        "motion:-3,10",
        "motion:3,north",
        "shake:1.5",
        "shake:-1",
        "shake:1,20",
        "shake:1,3",
        "gauss:2@0",
        "gauss:2@2.5",
        "gauss:2@3x",
        "gauss:2@3x4x5",
        "gauss:2@big",
        "box:5@3",
        "box:4@5x3",
        "motion:9,0@5",
        "shake:1@15",
        "shake:1,15@11",
    ],
)
def test_bad_specs_name_the_spec_and_the_accepted_forms(spec: str) -> None:
    with pytest.raises(RestoreError) as caught:
        parse(spec)
    message = str(caught.value)
    assert repr(spec) in message
    assert "gauss:SX,SY,ANGLE" in message and "shake:SEED,SIZE" in message
    assert "\n" not in message


def test_too_small_size_says_what_fits() -> None:
    with pytest.raises(RestoreError, match="@5x5 or larger"):
        parse("box:5@3")
    with pytest.raises(RestoreError, match="@4x4 or larger"):
        parse("box:4@3")


def test_families_list_every_family_with_syntax_and_description() -> None:
    registered = families()
    assert list(registered) == ["gauss", "box", "disk", "motion", "shake", "handheld", "file"]
    for name, family in registered.items():
        assert family.name == name
        assert family.syntax.startswith(f"{name}:")
        assert family.description
    assert not registered["file"].sized
    registered.clear()  # a copy: the registry itself is untouched
    assert "gauss" in families()


def test_register_family_refuses_duplicates_and_bad_names() -> None:
    with pytest.raises(RestoreError, match="already registered"):
        register_family("box", "box:N", "again")
    with pytest.raises(RestoreError, match="lower-case"):
        register_family("Bad Name", "x:", "no")
