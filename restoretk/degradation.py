"""One model of how an observation is formed: ``y = S H x + n``, and the truth it shows.

A :class:`Degradation` says what happened to a scene: the blur (a kernel, with the spec
it was parsed from), the decimation, the noise level, and how the scene beyond the frame
was treated (the *formation*); where a restorer is told a PSF other than the true one
(a PSF error, a blind estimate), also the PSF that really formed the observation.
:func:`observe` forms the observation and the matching ground truth from a scene. The
API (:func:`restoretk.degrade`, :func:`restoretk.reference_crop`), training pairs
(:mod:`restoretk.learners.degradations`) and the benchmark's scenarios
(:mod:`restoretk.bench.scenarios`) all call it; random degradations are drawn by
:data:`DegradationSampler` callables, the type that training sets and scenarios share.

Formations
----------
``valid``
    The scene goes on past the frame: the observation is the part of the blurred scene
    that the PSF covers fully (smaller by the PSF size − 1), the truth the matching
    crop of the scene (:func:`valid_crop`).
``circular``
    The scene wraps around; the truth is the scene.
``reflect``
    The scene is mirrored at its borders (the border pixel repeated) by the PSF's
    reach; the truth is the scene.
``imresize``
    MATLAB's bicubic ``imresize`` downscale of the 8-bit scene, each axis pass rounded
    to 8 bits, as the published super-resolution test sets were made
    (:func:`restoretk.resize.imresize_uint8`; the PSF is that of
    :func:`restoretk.resize.downscale_kernel`). The truth is the 8-bit scene cut to a
    multiple of the scale; the rounding is the noise, nothing is drawn.

Decimation by ``s`` keeps pixel ``s·i`` of the formed image (phase 0, as
:class:`restoretk.operators.Decimation` does), so observed pixel ``i`` samples truth pixel
``s·i``; the formed image is first cut to whole ``s × s`` blocks, so that the truth is
exactly ``s`` times the observation.

Noise is white and Gaussian, of standard deviation ``noise``, drawn *last* from the
generator given: one standard normal per observed value, in the C order of the array
returned, of precision ``noise_dtype``, cast to the image's dtype and added. Nothing
else is drawn, so a caller that drew a random PSF from the same generator before knows
exactly what follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from restoretk.errors import RestoreError

__all__ = [
    "Degradation",
    "DegradationSampler",
    "FORMATIONS",
    "BORDER_FORMATIONS",
    "observe",
    "valid_crop",
    "valid_margins",
    "eight_bit_levels",
]

#: How the scene beyond the frame is treated by a blur (``restoretk.degrade``'s ``boundary``).
BORDER_FORMATIONS = ("valid", "circular", "reflect")

#: Every formation :func:`observe` knows (module docstring).
FORMATIONS = BORDER_FORMATIONS + ("imresize",)


@dataclass(frozen=True)
class Degradation:
    """What happened to the image: ``y = S_scale H_psf x + n``, noise of std ``noise``.

    A restorer reads ``psf``, ``scale`` and ``noise``: what it is told. :func:`observe`
    blurs by :attr:`blur`, the true PSF, which is ``psf`` unless ``true_psf`` says otherwise.

    Attributes
    ----------
    psf : numpy.ndarray or None
        Blur kernel (None: no blur, or a blind restorer told none).
    scale : int
        Decimation factor (1: no decimation).
    noise : float
        Standard deviation of the additive white Gaussian noise (images in [0, 1]).
    formation : {'valid', 'circular', 'reflect', 'imresize'}
        How the observation was formed (module docstring); restorers do not read it.
    spec : str or None
        The spec ``psf`` was parsed from (:mod:`restoretk.psf`), e.g. ``'gauss:2@25'``;
        None for a kernel without one (a file, a perturbed PSF, a bicubic downscale's blur).
    true_psf : numpy.ndarray or None
        The PSF that formed the observation where the one told (``psf``) differs from it;
        None: ``psf`` is the true one.

    Examples
    --------
    >>> d = Degradation.parse("gauss:2@25", noise=0.01)
    >>> d.spec, d.psf.shape, d.scale, d.formation
    ('gauss:2@25', (25, 25), 1, 'valid')
    >>> from restoretk.psf import parse
    >>> wrong = d.misspecified(parse("gauss:2.3@25"), "gauss:2.3@25")
    >>> wrong.spec, bool(np.array_equal(wrong.blur, d.psf))
    ('gauss:2.3@25', True)
    """

    psf: np.ndarray | None = None
    scale: int = 1
    noise: float = 0.0
    formation: str = "valid"
    spec: str | None = None
    true_psf: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.formation not in FORMATIONS:
            raise RestoreError(f"unknown formation {self.formation!r}", f"use one of: {', '.join(FORMATIONS)}")

    @classmethod
    def parse(
        cls, psf: str | np.ndarray | None, scale: int = 1, noise: float = 0.0, formation: str = "valid"
    ) -> Degradation:
        """The degradation by ``psf`` given as a spec (kept in :attr:`spec`), a kernel or None."""
        from restoretk import psf as psf_module  # here, as in _form: importing the type stays cheap

        kernel = None if psf is None else psf_module.parse(psf)
        return cls(kernel, scale, noise, formation, psf if isinstance(psf, str) else None)

    @property
    def blur(self) -> np.ndarray | None:
        """The PSF that formed the observation: ``true_psf`` where given, else ``psf``."""
        return self.psf if self.true_psf is None else self.true_psf

    def misspecified(self, psf: np.ndarray | None, spec: str | None = None) -> Degradation:
        """This degradation with the restorer told ``psf`` (spec ``spec``; None: no PSF) instead of the true one."""
        return replace(self, psf=psf, spec=spec, true_psf=self.blur)


#: Draws one degradation from a generator; training sets
#: (:class:`restoretk.learners.degradations.DegradationSet`) and benchmark scenarios
#: (:meth:`restoretk.bench.scenarios.DeblurScenario.sample`) are such samplers.
DegradationSampler = Callable[[np.random.Generator], Degradation]


def valid_margins(psf_shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))``: what a valid blur by a PSF of ``psf_shape`` loses at each border.

    The PSF's centre is at ``(rows // 2, cols // 2)`` (:mod:`restoretk.psf`), so a side of
    ``n`` loses ``n − 1 − n // 2`` before and ``n // 2`` after; mirroring by these widths
    (the ``reflect`` formation) gives back the frame's size.

    Examples
    --------
    >>> valid_margins((5, 4))
    ((2, 2), (1, 2))
    """
    return tuple((size - 1 - size // 2, size // 2) for size in psf_shape)  # type: ignore[return-value]


def valid_crop(image: np.ndarray, psf_shape: tuple[int, int], axes: tuple[int, int] = (-2, -1)) -> np.ndarray:
    """The part of ``image`` (spatial ``axes``) that a valid blur by a PSF of ``psf_shape`` shows.

    Examples
    --------
    >>> valid_crop(np.zeros((3, 32, 30)), (5, 4)).shape
    (3, 28, 27)
    >>> valid_crop(np.zeros((32, 30, 3)), (5, 4), axes=(0, 1)).shape
    (28, 27, 3)
    """
    index = [slice(None)] * image.ndim
    for axis, (before, after) in zip(axes, valid_margins(psf_shape)):
        index[axis] = slice(before, image.shape[axis] - after)
    return image[tuple(index)]


def eight_bit_levels(image: np.ndarray) -> np.ndarray:
    """``image`` clipped to [0, 1] and rounded to the nearest of the levels 0..255 (as a uint8 PNG stores it).

    Examples
    --------
    >>> eight_bit_levels(np.array([-0.1, 0.5, 0.5 / 255, 1.2]))
    array([  0., 128.,   1., 255.])
    """
    return np.floor(np.clip(image, 0, 1) * 255 + 0.5)


def observe(
    scene: np.ndarray,
    degradation: Degradation,
    rng: np.random.Generator | int,
    *,
    channel_axis: int = 0,
    noise_dtype: type = np.float32,
    whole_blocks: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Form the observation ``y = S H x + n`` of ``scene`` and the ground truth it shows.

    Parameters
    ----------
    scene : numpy.ndarray
        The sharp scene, float: ``(C, rows, cols)``, ``(rows, cols, C)`` with
        ``channel_axis=-1``, or ``(rows, cols)``. The result has its dtype.
    degradation : Degradation
        What to do: blur by :attr:`Degradation.blur` under its formation, keep every
        ``scale``-th pixel, add noise of std ``noise``.
    rng : numpy.random.Generator or int
        Where the noise comes from (an int seeds ``numpy.random.default_rng``); drawn
        from only when ``noise > 0``, and last (module docstring).
    channel_axis : {0, -1}
        Where the channels of a 3-D scene are; the results have the same layout, and the
        noise is drawn in their C order.
    noise_dtype : numpy dtype
        Precision of the standard normals drawn (float32: what training and the
        denoising scenarios draw; float64: what :func:`restoretk.degrade` and the
        deblurring scenarios draw), cast to the scene's dtype.
    whole_blocks : bool
        Cut the formed image to whole ``scale × scale`` blocks before decimating, so
        that the truth is exactly ``scale`` times the observation; False keeps the sample
        of a last partial block (the truth is then not cut), as ``restoretk.degrade`` does.

    Returns
    -------
    observation, truth : numpy.ndarray
        Observed pixel ``i`` samples truth pixel ``scale·i``; with ``scale = 1`` they
        cover the same part of the scene, pixel for pixel. ``truth`` may be a view of
        ``scene``.

    Raises
    ------
    RestoreError
        When a ``valid`` blur keeps nothing of the scene (the PSF is larger).

    Examples
    --------
    >>> x = np.random.default_rng(0).random((3, 40, 36))
    >>> y, truth = observe(x, Degradation.parse("box:5", scale=2, noise=0.01), np.random.default_rng(1))
    >>> y.shape, truth.shape
    ((3, 18, 16), (3, 36, 32))
    >>> y, truth = observe(x, Degradation.parse("box:1"), 0)  # a delta: the truth is what is seen
    >>> bool(np.array_equal(y, truth))
    True
    """
    if scene.ndim == 3 and channel_axis not in (0, -1, 2):
        raise RestoreError(f"channel_axis {channel_axis!r} is neither first nor last", "pass channel_axis=0 or -1")
    grey = scene.ndim == 2
    planes = scene[None] if grey else np.moveaxis(scene, channel_axis, 0)
    formed, truth = _form(planes, degradation)
    scale = int(degradation.scale)
    if degradation.formation != "imresize" and scale > 1:
        if whole_blocks:
            rows, cols = (n - n % scale for n in formed.shape[-2:])
            formed, truth = formed[..., :rows, :cols], truth[..., :rows, :cols]
        formed = formed[..., ::scale, ::scale]
    observation, truth = (array[0] if grey else np.moveaxis(array, 0, channel_axis) for array in (formed, truth))
    if degradation.noise and degradation.formation != "imresize":
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        draws = generator.standard_normal(observation.shape, dtype=noise_dtype).astype(observation.dtype, copy=False)
        observation = observation + observation.dtype.type(degradation.noise) * draws
    return observation, truth


def _form(planes: np.ndarray, degradation: Degradation) -> tuple[np.ndarray, np.ndarray]:
    """The formed image of channels-first ``planes`` before decimation, and its truth."""
    # imported here, so that importing the Degradation type (every method does) pulls in
    # neither Torch nor Numba
    from restoretk.operators import Convolution
    from restoretk.operators.spatial import convolve_valid
    from restoretk.resize import imresize_uint8, modcrop

    if degradation.formation == "imresize":
        scale = int(degradation.scale)
        levels = modcrop(eight_bit_levels(np.moveaxis(planes, 0, -1)), scale)  # imresize and modcrop are H×W×C
        formed = (imresize_uint8(levels, 1 / scale) / 255).astype(planes.dtype)
        return np.moveaxis(formed, -1, 0), np.moveaxis((levels / 255).astype(planes.dtype), -1, 0)
    if degradation.blur is None:
        return planes, planes
    kernel = degradation.blur.astype(planes.dtype)
    if degradation.formation == "circular":
        return Convolution(kernel, planes.shape[-2:]).forward(planes), planes
    if degradation.formation == "reflect":
        widths = [(0, 0)] + list(valid_margins(kernel.shape))
        return convolve_valid(np.pad(planes, widths, mode="symmetric"), kernel), planes
    if kernel.shape[0] > planes.shape[-2] or kernel.shape[1] > planes.shape[-1]:
        raise RestoreError(
            f"a valid degrade keeps nothing of a {planes.shape[-1]}x{planes.shape[-2]} image "
            f"under a PSF of {kernel.shape[1]}x{kernel.shape[0]}",
            "use boundary='reflect', a smaller PSF or a larger image",
        )
    return convolve_valid(planes, kernel), valid_crop(planes, kernel.shape)
