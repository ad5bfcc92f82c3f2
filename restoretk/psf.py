"""Point-spread functions (blur kernels) from short spec strings.

A spec is ``FAMILY:PARAMETERS`` with an optional support size ``@SIZE`` (square) or
``@ROWSxCOLS``, e.g. ``gauss:2``, ``gauss:3,1,30@31``, ``motion:15,45``, ``shake:7,25``,
``file:kernels/levin1.png``. :func:`parse` turns a spec (or an array) into a float64
kernel that is non-negative and sums to 1; :func:`families` lists what is understood.

Conventions
-----------
Centre
    The PSF centre sits at index ``(rows // 2, cols // 2)``, for odd and even sizes
    alike; the FFT operators put that index at the origin. Gaussian, disk, odd box and
    motion kernels are point-symmetric about it (motion about the line's midpoint), so
    their centre of mass is exactly there. An even box covers ``N // 2`` pixels before
    the centre and ``N // 2 - 1`` after it: its centre of mass is half a pixel before
    the centre on each axis. A camera-shake kernel has its centre of mass there too
    (the trajectory's mean position).
Angles
    Degrees, counter-clockwise as the image is displayed: 0 points along increasing
    columns, 90 towards row 0.
Pixels
    Nothing is point-sampled. Gaussians and disks are integrated over each pixel's
    area, so a Gaussian of σ ≳ 0.5 has a discrete variance of ``σ² + 1/12`` per axis
    (the pixel's own box). Motion and shake paths are sampled finely and each sample
    is shared bilinearly among its four nearest pixels: the kernel's mean is the
    path's mean exactly, sub-pixel positions show, and about ``1/6`` is added to the
    variance across the path.
Size
    Without ``@``, each family picks a size that holds its kernel (see
    :func:`families`). ``@`` never rescales a blur: kernels of compact support are
    padded, and a size too small to hold them is an error; Gaussians are evaluated on
    the requested grid and renormalised, so a small size truncates them.

Adding a family is one decorated function in this module. It receives the text between
``:`` and ``@`` and the requested ``(rows, cols)`` (or None) and returns a non-negative
array; :func:`parse` normalises it::

    @register_family("square", "square:N", "N×N uniform square")
    def _square(params: str, shape: Shape | None) -> np.ndarray:
        (n,) = _fields(params, (1,))
        return _fit(np.ones((_integer(n, "N", 1),) * 2), shape)

Raise ``SpecError("what is wrong")`` for bad parameters; the user sees it together
with the spec and the accepted forms.

References
----------
.. [1] G. Boracchi and A. Foi, "Modeling the performance of image restoration from
   motion blur", IEEE Trans. Image Process. 21(8), 2012 (camera-shake trajectories).
.. [2] A. Levin, Y. Weiss, F. Durand and W. T. Freeman, "Understanding and evaluating
   blind deconvolution algorithms", CVPR 2009 (recorded camera-shake kernels).
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.special import erfc

from restoretk.errors import InputError, RestoreError
from restoretk.limits import MAX_PSF_SIDE
from restoretk.registry import Registry

__all__ = ["FAMILIES", "PSFFamily", "SpecError", "register_family", "families", "parse"]

Shape = tuple[int, int]
Render = Callable[[str, Shape | None], np.ndarray]

# Default Gaussian support reaches 3.5 σ from the centre; less than 0.1 % of the mass
# falls outside (then the kernel is renormalised).
_GAUSS_EXTENT = 3.5

# Gauss-Legendre nodes per pixel for rotated Gaussians, chosen from the smaller σ; the
# integrand varies on a scale no finer than that σ.
_MIN_NODES, _MAX_NODES = 4, 32

# Sub-columns per pixel when integrating the disk's coverage.
_DISK_SUBSAMPLES = 32

# Samples per pixel of length when splatting motion paths.
_PATH_SAMPLES = 16

# Camera shake, after Boracchi & Foi's createTrajectory: their number of samples and
# trajectory length (the centripetal pull depends on that scale; the path is rescaled
# to the support afterwards).
_SHAKE_STEPS = 2000
_SHAKE_LENGTH = 60.0
# Fraction of that trajectory seen during the exposure. Whole trajectories tangle into
# balls; a tenth to a third gives the strokes, hooks and loops of recorded kernels.
_SHAKE_EXPOSURE = (0.1, 0.3)
_SHAKE_DEFAULT_SIZE = 21
_SHAKE_MIN_SIZE = 5
_SHAKE_FILL = (0.6, 1.0)  # the path's largest excursion, as a fraction of the room left
_SHAKE_MARGIN = 1.0  # pixels kept free at the border for the smoothing
_SHAKE_SMOOTHING = 0.5  # σ in pixels of the lens blur added to the sharp trajectory


@dataclass(frozen=True)
class PSFFamily:
    """One registered PSF family.

    Attributes
    ----------
    name : str
        The word before ``:`` in a spec.
    syntax : str
        The accepted forms, e.g. ``"gauss:S | gauss:SX,SY,ANGLE"``.
    description : str
        One line on what the parameters mean.
    render : callable
        ``render(params, shape) -> ndarray``; see the module docstring.
    sized : bool
        Whether a ``@SIZE`` suffix is accepted.
    """

    name: str
    syntax: str
    description: str
    render: Render
    sized: bool = True


#: The PSF families by name, lower case (entry-point group ``restoretk.psf_families``).
FAMILIES: Registry[PSFFamily] = Registry("PSF family", group="restoretk.psf_families", fold_case=True)


class SpecError(Exception):
    """Raised by family renderers; :func:`parse` adds the spec and the accepted forms."""


class _TooLarge(SpecError):
    """A support over :data:`restoretk.limits.MAX_PSF_SIDE`, refused before it is allocated."""


def _bounded(shape: Shape) -> Shape:
    """``shape``, if neither side exceeds :data:`~restoretk.limits.MAX_PSF_SIDE`."""
    if max(shape) > MAX_PSF_SIDE:
        raise _TooLarge(f"its support of {shape[0]}x{shape[1]} pixels is over the limit of {MAX_PSF_SIDE} a side")
    return shape


def register_family(
    name: str, syntax: str, description: str, *, sized: bool = True
) -> Callable[[Render], Render]:
    """Register the decorated function as the renderer of PSF family `name`.

    Parameters
    ----------
    name : str
        The word before ``:`` in a spec; lower case, unique.
    syntax : str
        The accepted forms, shown in ``--help`` and in error messages.
    description : str
        One line on what the parameters mean.
    sized : bool, optional
        Whether the family accepts a ``@SIZE`` suffix (``file`` does not: a path may
        contain ``@``).

    Returns
    -------
    callable
        A decorator that registers the function and returns it unchanged.

    Examples
    --------
    >>> register_family("gauss", "gauss:S", "Gaussian")(lambda params, shape: None)
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: PSF family 'gauss' is already registered; choose another name
    """
    if not name.isidentifier() or name != name.lower():
        raise RestoreError(f"bad PSF family name {name!r}", "use a lower-case word")
    FAMILIES.check_new(name)

    def decorate(render: Render) -> Render:
        FAMILIES.register(name, PSFFamily(name, syntax, description, render, sized))
        return render

    return decorate


def families() -> dict[str, PSFFamily]:
    """The registered PSF families by name, in registration order.

    Returns
    -------
    dict of str to PSFFamily
        A copy; each entry has ``syntax`` and ``description`` for help texts.

    Examples
    --------
    >>> list(families())
    ['gauss', 'box', 'disk', 'motion', 'shake', 'handheld', 'file']
    >>> families()["motion"].syntax
    'motion:LENGTH,ANGLE'
    """
    return dict(FAMILIES)


def parse(spec: str | np.ndarray) -> np.ndarray:
    """A normalised PSF from a spec string or an array.

    Parameters
    ----------
    spec : str or numpy.ndarray
        ``FAMILY:PARAMETERS[@SIZE | @ROWSxCOLS]`` (see :func:`families` and the module
        docstring), or a 2-D array of non-negative finite values with a positive sum.

    Returns
    -------
    numpy.ndarray
        A new float64 2-D kernel, non-negative, summing to 1, centred at
        ``(rows // 2, cols // 2)``.

    Raises
    ------
    RestoreError
        For a spec that does not parse; the message lists the accepted forms.
    InputError
        For an array or file that is not a usable kernel, or a file that cannot be read.

    Examples
    --------
    >>> k = parse("gauss:1.5")
    >>> k.shape, round(float(k.sum()), 12)
    ((13, 13), 1.0)
    >>> parse("box:3@5").round(3)[2]
    array([0.   , 0.111, 0.111, 0.111, 0.   ])
    >>> parse("gaus:2")
    Traceback (most recent call last):
    ...
    restoretk.errors.RestoreError: bad PSF spec 'gaus:2': unknown family 'gaus'; use one of: ...
    """
    if isinstance(spec, str):
        return _validated(_render(spec), f"PSF from {spec!r}")
    if isinstance(spec, np.ndarray):
        return _validated(spec, "PSF array")
    raise InputError(
        f"cannot make a PSF from a {type(spec).__name__}",
        "pass a spec string such as 'gauss:2' or a 2-D array",
    )


def _render(spec: str) -> np.ndarray:
    name, colon, rest = spec.strip().partition(":")
    family = FAMILIES.get(name.strip().lower())
    try:
        if not colon:
            raise SpecError("expected FAMILY:PARAMETERS")
        if family is None:
            raise SpecError(f"unknown family {name.strip()!r}")
        params, at, size = rest.partition("@") if family.sized else (rest, "", "")
        return family.render(params, _shape(size) if at else None)
    except _TooLarge as error:
        raise RestoreError(f"PSF {spec!r}: {error}", "use a smaller blur or support, e.g. gauss:2 or motion:15,30") from None
    except SpecError as error:
        raise RestoreError(f"bad PSF spec {spec!r}: {error}", _accepted_forms()) from None


def _accepted_forms() -> str:
    forms = " | ".join(family.syntax for family in FAMILIES.values())
    unsized = ", ".join(f"{f.name}:" for f in FAMILIES.values() if not f.sized)
    return f"use one of: {forms}; add @SIZE or @ROWSxCOLS for the support (not on {unsized})"


def _validated(kernel: np.ndarray, what: str) -> np.ndarray:
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.size == 0:
        raise InputError(f"{what} has shape {kernel.shape}", "a PSF must be a non-empty 2-D array")
    if kernel.dtype.kind not in "biuf":
        raise InputError(f"{what} has dtype {kernel.dtype}", "a PSF must hold real numbers")
    kernel = kernel.astype(np.float64)
    if not np.isfinite(kernel).all():
        raise InputError(f"{what} has NaN or infinite values", "replace them, e.g. np.nan_to_num")
    if kernel.min() < 0:
        raise InputError(
            f"{what} has negative values (min {kernel.min():.3g})",
            "clip them first: np.clip(psf, 0, None)",
        )
    total = kernel.sum()
    if total <= 0:
        raise InputError(f"{what} sums to 0", "a PSF needs at least one positive value")
    return kernel / total


# --- Parameter parsing shared by the families --------------------------------------------


def _fields(params: str, counts: tuple[int, ...]) -> list[str]:
    fields = [field.strip() for field in params.split(",")] if params.strip() else []
    if len(fields) not in counts:
        expected = " or ".join(str(n) for n in counts)
        raise SpecError(f"expected {expected} comma-separated numbers, got {len(fields)}")
    return fields


def _real(text: str, name: str, minimum: float | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SpecError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise SpecError(f"{name} must be finite, got {text!r}")
    if minimum is not None and value < minimum:
        raise SpecError(f"{name} must be >= {minimum:g}, got {text!r}")
    return value


def _integer(text: str, name: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        number = _real(text, name)
        if not number.is_integer():
            raise SpecError(f"{name} must be an integer, got {text!r}") from None
        value = int(number)
    if value < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum}, got {text!r}")
    return value


def _shape(size: str) -> Shape:
    parts = size.lower().split("x")
    if len(parts) > 2:
        raise SpecError(f"size must be @SIZE or @ROWSxCOLS, got '@{size}'")
    sides = [_integer(part.strip(), "SIZE", 1) for part in parts]
    return _bounded((sides[0], sides[-1]))


# --- Geometry shared by the families ----------------------------------------------------


def _odd_square(half: int) -> Shape:
    return _bounded((2 * half + 1, 2 * half + 1))


def _half(reach: float) -> int:
    """``ceil(reach)``, the half-side of a support, refused before ``ceil`` if it would be too large."""
    if 2 * reach + 1 > MAX_PSF_SIDE:
        side = f"of about {2 * reach + 1:.0f} pixels a side" if reach < 1e15 else "beyond any size"
        raise _TooLarge(f"its support {side} is over the limit of {MAX_PSF_SIDE}")
    return math.ceil(reach)


def _direction(angle: float) -> tuple[float, float]:
    """(row, col) unit vector at `angle` degrees counter-clockwise from the column axis."""
    if angle % 90 == 0:  # exact, so axis-aligned kernels stay exactly axis-aligned
        quarter = int(angle // 90) % 4
        return ((0.0, 1.0), (-1.0, 0.0), (0.0, -1.0), (1.0, 0.0))[quarter]
    radians = math.radians(angle)
    return (-math.sin(radians), math.cos(radians))


def _min_side(low: int, high: int) -> int:
    """Smallest side whose centre index ``side // 2`` holds offsets ``low..high``."""
    return min(2 * max(-low, high) + 1, 2 * max(-low, high + 1))


def _fit(kernel: np.ndarray, shape: Shape | None) -> np.ndarray:
    """Place `kernel` in a `shape` array with the centre index kept at the centre."""
    if shape is None or shape == kernel.shape:
        return kernel
    rows, cols = np.nonzero(kernel)
    row_from, col_from = kernel.shape[0] // 2, kernel.shape[1] // 2
    need = (
        _min_side(rows.min() - row_from, rows.max() - row_from),
        _min_side(cols.min() - col_from, cols.max() - col_from),
    )
    if need[0] > shape[0] or need[1] > shape[1]:
        raise SpecError(
            f"@{shape[0]}x{shape[1]} is too small for this kernel, "
            f"which needs @{need[0]}x{need[1]} or larger"
        )
    out = np.zeros(shape)
    out[rows - row_from + shape[0] // 2, cols - col_from + shape[1] // 2] = kernel[rows, cols]
    return out


def _pixel_gaussian(offsets: np.ndarray, sigma: float) -> np.ndarray:
    """Mass of N(0, σ²) over the unit pixels centred on `offsets`."""
    if sigma == 0:
        return (offsets == 0).astype(np.float64)
    # Folding onto |offset| with erfc keeps the tails accurate and the result exactly even.
    distance = np.abs(offsets) / (sigma * math.sqrt(2))
    half = 0.5 / (sigma * math.sqrt(2))
    return 0.5 * (erfc(distance - half) - erfc(distance + half))


def _splat_path(path: np.ndarray, durations: np.ndarray, shape: Shape) -> np.ndarray:
    """Time spent near each pixel by a point moving along a polyline.

    `path` is (N + 1, 2) in (row, col) array coordinates and segment ``k`` is travelled
    at constant speed in ``durations[k]``. Each segment is sampled at the midpoints of
    pieces no longer than ``1 / _PATH_SAMPLES`` pixel and every sample is split
    bilinearly over its four neighbouring pixels, which keeps the kernel's mean equal to
    the path's mean and resolves sub-pixel positions (anti-aliasing).
    """
    steps = np.diff(path, axis=0)
    counts = np.maximum(np.ceil(np.hypot(*steps.T) * _PATH_SAMPLES), 1).astype(np.intp)
    segment = np.repeat(np.arange(len(steps)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    fraction = (np.arange(len(segment)) - first + 0.5) / counts[segment]
    points = path[segment] + fraction[:, None] * steps[segment]
    weights = durations[segment] / counts[segment]

    corner = np.floor(points).astype(np.intp)
    offset = points - corner
    total = np.zeros(shape[0] * shape[1])
    for d_row, d_col in ((0, 0), (0, 1), (1, 0), (1, 1)):
        share = np.abs((1 - d_row) - offset[:, 0]) * np.abs((1 - d_col) - offset[:, 1])
        # Callers size the array to hold the path; clipping only moves zero shares.
        rows = np.minimum(corner[:, 0] + d_row, shape[0] - 1)
        cols = np.minimum(corner[:, 1] + d_col, shape[1] - 1)
        total += np.bincount(rows * shape[1] + cols, weights * share, total.size)
    return total.reshape(shape)


# --- The families -------------------------------------------------------------------------


@register_family(
    "gauss",
    "gauss:S | gauss:SX,SY,ANGLE",
    "Gaussian of σ S pixels, or σ SX along an axis at ANGLE degrees and SY across it; "
    "default size 2*ceil(3.5σ)+1 (σ the larger), at least 3",
)
def _gauss(params: str, shape: Shape | None) -> np.ndarray:
    fields = _fields(params, (1, 3))
    if len(fields) == 1:
        sx = sy = _real(fields[0], "S", 0)
        angle = 0.0
    else:
        sx, sy = _real(fields[0], "SX", 0), _real(fields[1], "SY", 0)
        angle = _real(fields[2], "ANGLE")
    if shape is None:
        shape = _odd_square(max(1, _half(_GAUSS_EXTENT * max(sx, sy))))
    rows = np.arange(shape[0]) - shape[0] // 2
    cols = np.arange(shape[1]) - shape[1] // 2

    # Covariance in (row, col) coordinates: R diag(sx², sy²) Rᵀ with R's first column
    # the SX axis.
    u_row, u_col = _direction(angle)
    var_row = (sx * u_row) ** 2 + (sy * u_col) ** 2
    var_col = (sx * u_col) ** 2 + (sy * u_row) ** 2
    cov = (sx**2 - sy**2) * u_row * u_col
    if cov == 0:
        return np.outer(
            _pixel_gaussian(rows, math.sqrt(var_row)), _pixel_gaussian(cols, math.sqrt(var_col))
        )
    # Integrate numerically along the wider axis, so that its variance is never zero.
    if var_row > var_col:
        return _rotated_gaussian(cols, rows, var_col, var_row, cov, min(sx, sy)).T
    return _rotated_gaussian(rows, cols, var_row, var_col, cov, min(sx, sy))


def _rotated_gaussian(
    rows: np.ndarray,
    cols: np.ndarray,
    var_row: float,
    var_col: float,
    cov: float,
    sigma_min: float,
) -> np.ndarray:
    """Pixel masses of a correlated Gaussian: exact over rows, Gauss-Legendre over cols.

    Given the column c, the row is N(cov/var_col · c, var_row - cov²/var_col); the
    conditional mass of each row pixel is an erfc difference. Along the columns that
    mass varies no faster than the smaller principal σ, which sets the number of nodes.
    """
    count = int(np.clip(math.ceil(3 / max(sigma_min, 1e-3)), _MIN_NODES, _MAX_NODES))
    nodes, node_weights = np.polynomial.legendre.leggauss(count)
    c = cols[:, None] + nodes / 2  # (cols, nodes) positions inside each column pixel
    density = np.exp(-(c**2) / (2 * var_col)) / math.sqrt(2 * math.pi * var_col)
    spread = math.sqrt(max(var_row - cov**2 / var_col, 0.0)) * math.sqrt(2)
    spread = max(spread, 1e-12)  # a degenerate (line) Gaussian: the erfc become steps
    mean = cov / var_col * c
    low = (rows[:, None, None] - 0.5 - mean) / spread
    high = (rows[:, None, None] + 0.5 - mean) / spread
    row_mass = 0.5 * (erfc(low) - erfc(high))  # (rows, cols, nodes)
    return (np.maximum(row_mass, 0) * density * (node_weights / 2)).sum(axis=2)


@register_family(
    "box",
    "box:N",
    "N×N uniform; default size N (an even N gives an even size, half a pixel off-centre)",
)
def _box(params: str, shape: Shape | None) -> np.ndarray:
    (n,) = _fields(params, (1,))
    side = _integer(n, "N", 1)
    return _fit(np.ones(_bounded((side, side))), shape)


@register_family(
    "disk", "disk:R", "defocus disk of radius R pixels, anti-aliased; default size 2*ceil(R)+1"
)
def _disk(params: str, shape: Shape | None) -> np.ndarray:
    (r,) = _fields(params, (1,))
    radius = _real(r, "R", 0)
    half = _half(radius)
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    if radius <= 0.5:  # the disk lies inside the centre pixel
        return _fit((offsets[:, None] == 0) & (offsets == 0), shape).astype(np.float64)
    # Coverage of each pixel: chord lengths integrated over sub-columns, then averaged
    # with the transpose so that rows and columns are treated alike.
    sub = offsets[:, None] + (np.arange(_DISK_SUBSAMPLES) + 0.5) / _DISK_SUBSAMPLES - 0.5
    chord = np.sqrt(np.maximum(radius**2 - sub**2, 0.0))  # (cols, subsamples)
    top = np.minimum(offsets[:, None, None] + 0.5, chord)
    bottom = np.maximum(offsets[:, None, None] - 0.5, -chord)
    coverage = np.clip(top - bottom, 0.0, 1.0).mean(axis=2)  # (rows, cols)
    return _fit((coverage + coverage.T) / 2, shape)


@register_family(
    "motion",
    "motion:LENGTH,ANGLE",
    "straight motion of LENGTH pixels at ANGLE degrees, centred on its midpoint, "
    "anti-aliased; default size 2*ceil(LENGTH/2 * max(|cos|, |sin|))+1",
)
def _motion(params: str, shape: Shape | None) -> np.ndarray:
    length_text, angle_text = _fields(params, (2,))
    length = _real(length_text, "LENGTH", 0)
    direction = np.array(_direction(_real(angle_text, "ANGLE")))
    # Splatting reaches ceil(d) pixels from the centre for an endpoint at offset d; the
    # tolerance keeps rounding from adding an empty ring.
    half = max(0, _half(length / 2 * np.abs(direction).max() - 1e-9))
    centre = np.array([half, half], dtype=np.float64)
    path = np.array([centre - length / 2 * direction, centre + length / 2 * direction])
    return _fit(_splat_path(path, np.ones(1), _odd_square(half)), shape)


@register_family(
    "shake",
    "shake:SEED | shake:SEED,SIZE",
    "random camera-shake trajectory (Boracchi & Foi 2012) inside an odd SIZE×SIZE "
    "support (default 21), reproducible for a given integer SEED",
)
def _shake(params: str, shape: Shape | None) -> np.ndarray:
    fields = _fields(params, (1, 2))
    seed = _integer(fields[0], "SEED", 0)
    size = _SHAKE_DEFAULT_SIZE
    if len(fields) == 2:
        size = _integer(fields[1], "SIZE", _SHAKE_MIN_SIZE)
        _bounded((size, size))
    if size % 2 == 0:
        raise SpecError(f"SIZE must be odd, got {size} (try {size + 1})")
    rng = np.random.default_rng(seed)
    trajectory = _shake_trajectory(rng)
    path = np.column_stack([-trajectory.imag, trajectory.real])
    # Constant speed, so each segment weighs the same and the mean position is the
    # mean of the segment midpoints; that mean goes to the centre.
    path -= ((path[:-1] + path[1:]) / 2).mean(axis=0)
    room = size // 2 - _SHAKE_MARGIN
    path *= rng.uniform(*_SHAKE_FILL) * room / max(np.abs(path).max(), 1e-12)
    sharp = _splat_path(path + size // 2, np.ones(len(path) - 1), (size, size))
    return _fit(gaussian_filter(sharp, _SHAKE_SMOOTHING, mode="constant"), shape)


@register_family(
    "handheld",
    "handheld:SEED | handheld:SEED,SIZE",
    "camera shake as recorded from handheld cameras: a curved trajectory travelled at a varying "
    "speed (the hand slows, pauses and speeds up), inside an odd SIZE×SIZE support (default 21), "
    "reproducible for a given integer SEED",
)
def _handheld(params: str, shape: Shape | None) -> np.ndarray:
    """Boracchi & Foi's trajectory, travelled at a random, smoothly varying speed.

    Recorded kernels (Levin et al. 2009, Köhler et al. 2012) are curved paths with bright
    dots where the camera nearly stopped, usually at the turns and at the ends of the
    exposure. The speed here is log-normal and correlated along the path (σ of its log
    drawn per kernel, 0.2–0.6), slower where the path turns, and ramps up at the start
    of the exposure; the time spent on a segment is its length over that speed.
    """
    fields = _fields(params, (1, 2))
    seed = _integer(fields[0], "SEED", 0)
    size = _SHAKE_DEFAULT_SIZE
    if len(fields) == 2:
        size = _integer(fields[1], "SIZE", _SHAKE_MIN_SIZE)
    if size % 2 == 0:
        raise SpecError(f"SIZE must be odd, got {size} (try {size + 1})")
    rng = np.random.default_rng([seed, 1])  # not the shake family's stream: another kernel for a seed
    trajectory = _shake_trajectory(rng)
    path = np.column_stack([-trajectory.imag, trajectory.real])
    segments = len(path) - 1
    # correlated log-speed: white noise smoothed over about a tenth of the exposure
    wander = gaussian_filter(rng.standard_normal(segments), max(segments / 10, 1.0), mode="nearest")
    wander *= rng.uniform(0.2, 0.6) / max(wander.std(), 1e-12)
    steps = np.diff(path, axis=0)
    headings = np.unwrap(np.arctan2(steps[:, 0], steps[:, 1]))
    turning = np.abs(np.gradient(gaussian_filter(headings, 3.0, mode="nearest")))
    turning /= max(turning.max(), 1e-12)
    start = np.minimum(np.arange(1, segments + 1) / (segments * rng.uniform(0.02, 0.08)), 1.0)
    speed = np.exp(wander) * (1 - 0.6 * rng.random() * turning) * np.maximum(start, 0.3)
    durations = np.hypot(*steps.T) / speed
    # the time-weighted mean position goes to the centre
    path -= (durations[:, None] * (path[:-1] + path[1:]) / 2).sum(axis=0) / durations.sum()
    room = size // 2 - _SHAKE_MARGIN
    path *= rng.uniform(*_SHAKE_FILL) * room / max(np.abs(path).max(), 1e-12)
    sharp = _splat_path(path + size // 2, durations, (size, size))
    return _fit(gaussian_filter(sharp, _SHAKE_SMOOTHING, mode="constant"), shape)


def _shake_trajectory(rng: np.random.Generator) -> np.ndarray:
    """Boracchi & Foi's random camera trajectory as complex positions (x + i·y).

    A particle moves at constant speed; at each step its velocity gets a Gaussian
    kick, a pull back towards the start (centripetal) and, rarely, an abrupt jolt that
    mostly reverses it. The hand's nervousness ("anxiety") and the strength of each
    term are drawn once per trajectory. Only the first part of their 2000-sample
    trajectory is kept: the exposure.
    """
    speed = _SHAKE_LENGTH / (_SHAKE_STEPS - 1)
    steps = int(_SHAKE_STEPS * rng.uniform(*_SHAKE_EXPOSURE))
    anxiety = 0.1 * rng.random()
    centripetal = 0.7 * rng.random()
    kick = 10 * rng.random()
    jolt_rate = 0.2 * rng.random() * anxiety
    velocity = anxiety * cmath.exp(2j * math.pi * rng.random())
    jolts = (rng.random(steps - 1) < jolt_rate).tolist()
    turns = (math.pi + rng.random(steps - 1) - 0.5).tolist()
    noise = (rng.standard_normal(steps - 1) + 1j * rng.standard_normal(steps - 1)).tolist()
    positions = [0j] * steps
    position = 0j
    # Sequential by nature (each step depends on the last position); plain Python
    # complex arithmetic is faster here than NumPy scalars.
    for t in range(steps - 1):
        change = anxiety * (kick * noise[t] - centripetal * position) * speed
        if jolts[t]:
            change += 2 * velocity * cmath.exp(1j * turns[t])
        velocity += change
        velocity *= speed / abs(velocity)
        position += velocity
        positions[t + 1] = position
    return np.array(positions)


@register_family(
    "file",
    "file:PATH",
    "kernel from a PNG/JPEG/TIFF/BMP image (colour averaged to grey) or a .npy array, "
    "used as stored",
    sized=False,
)
def _file(params: str, shape: Shape | None) -> np.ndarray:
    path = Path(params.strip()).expanduser()
    if not path.is_file():
        raise InputError(f"PSF file '{path}' not found", "check the path after 'file:'")
    if path.suffix.lower() == ".npy":
        try:
            kernel = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise InputError(
                f"cannot read PSF file '{path}' ({error})", "save it with numpy.save"
            ) from None
        return _validated(kernel, f"PSF file '{path}'")
    from restoretk.io import read_image  # the codecs load only when a PSF file is read

    # io's reader: the formats, orientation, bit depths and one-line errors of any image
    image, _ = read_image(path, dtype=np.float64)  # alpha (in the info) is dropped
    try:
        _bounded(image.shape[:2])
    except _TooLarge as error:
        raise InputError(f"PSF file '{path}': {error}", "crop the kernel to its support") from None
    if image.ndim == 3:  # average the colour channels
        image = image.mean(axis=2)
    return _validated(image, f"PSF file '{path}'")
