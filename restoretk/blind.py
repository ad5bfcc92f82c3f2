"""Free-form blur kernels from the blurred photo alone: coarse-to-fine L0 MAP estimation.

A camera shake blurs by a curved path walked at varying speed: no parametric family
holds it. This module estimates the kernel ``k`` itself, as the blind deblurring
literature does, by alternating two least-squares problems from a coarse scale to
the full one (Xu, Zheng & Jia 2013; Pan, Hu, Su & Yang 2014, gradient part):

image step
    ``x = argmin ‖k ∗ x − y‖² + λ ‖∇x‖₀``, the L0 gradient prior solved by half-quadratic
    splitting (Xu, Lu, Xu & Jia 2011): with an auxiliary gradient ``g``, alternately
    ``g = ∇x`` where ``|∇x|² ≥ λ/β`` (else 0) and
    ``x = (Kᵀy + β ∇ᵀg) / (KᵀK + β ∇ᵀ∇)``, β doubling from 2λ. The result is not a good
    photo but a sharp, piecewise-flat one: its strong edges are what the kernel is read
    from, and the prior keeps the no-blur solution (``k = δ``) from winning.
kernel step
    ``k = argmin Σ_d ‖∂_d x ∗ k − ∂_d y‖² + γ ‖k‖²`` in the gradient domain, in closed
    form on the Fourier grid (Cho & Lee 2009), then the support is cut to the kernel
    size, values under 5 % of the peak and specks detached from the main path are
    dropped, and what remains is normalised to sum to 1 (non-negative by construction).

Each scale is √2 finer than the last, its kernel the previous one upsampled; λ decreases
as the kernel sharpens. Every convolution and inverse is an operator of
:mod:`restoretk.operators`; borders are extended and faded (:mod:`restoretk.boundary`)
so the Fourier model holds, and the kernel step weighs only the frame, tapered at its
edge. The estimate is centred on its centre of mass, the convention of
:mod:`restoretk.psf` (a kernel is known only up to a shift).

Estimation runs on the luminance, in float32, on at most a central
``MAX_SIDE``² crop (the blur is the same everywhere), so time and memory are bounded
whatever the photo's size. The support is given, or (``size=None``) estimated at
``DEFAULT_SIZE`` and trimmed to the kernel's extent.

References
----------
Cho & Lee, "Fast motion deblurring", SIGGRAPH Asia 2009. Xu, Lu, Xu & Jia, "Image
smoothing via L0 gradient minimization", SIGGRAPH Asia 2011. Xu, Zheng & Jia, "Unnatural
L0 sparse representation for natural image deblurring", CVPR 2013. Pan, Hu, Su & Yang,
"Deblurring text images via L0-regularized intensity and gradient prior", CVPR 2014.
Levin, Weiss, Durand & Freeman, "Understanding and evaluating blind deconvolution
algorithms", CVPR 2009 (the error ratio the benchmark reports).
"""

from __future__ import annotations

import functools
import math
import operator
import sys

import cv2
import numpy as np
from scipy import ndimage

from restoretk.boundary import extend
from restoretk.errors import InputError
from restoretk.estimation import KernelEstimator, register_estimator
from restoretk.operators import Convolution, FourierMultiplier
from restoretk.operators.transfer import finite_difference_power

__all__ = ["estimate_kernel", "DEFAULT_SIZE", "MAX_SIZE", "MAX_SIDE"]

#: Support estimated when none is given (then trimmed to the kernel's extent).
DEFAULT_SIZE = 41

#: Largest support the default picks; a larger one must be asked for.
MAX_SIZE = 41

#: Estimation uses at most a central crop of this side (pixels).
MAX_SIDE = 640

#: The image must be at least this many times the support on each side.
MIN_IMAGE_PER_SUPPORT = 2

#: Kernel sizes shrink by this factor per coarser scale, down to ``COARSEST`` pixels.
SCALE_STEP = math.sqrt(0.5)
COARSEST = 5

#: Alternations of image and kernel step per scale.
ITERATIONS = 5

#: L0 weight λ of the image step: its start, its decay per alternation and its floor.
LAMBDA_START, LAMBDA_DECAY, LAMBDA_FLOOR = 4e-3, 1.1, 1e-4

#: Largest β of the half-quadratic splitting (β doubles from 2λ up to it).
BETA_MAX = 1e5

#: Tikhonov weight γ of the kernel step, per pixel of the image (so the same at every scale).
KERNEL_WEIGHT = 1e-3

#: Conjugate-gradient iterations of the kernel step.
KERNEL_CG_ITERATIONS = 20

#: Kernel values under this fraction of the peak are set to zero.
THRESHOLD = 0.05

#: Detached parts of the kernel holding less than this share of its mass are dropped.
MIN_COMPONENT = 0.1

#: An image whose luminance varies by less than this (std) has nothing to estimate from.
FLAT = 1e-3


def estimate_kernel(
    image: np.ndarray,
    size: int | None = None,
    *,
    progress: bool = False,
) -> np.ndarray:
    """Estimate a free-form blur kernel from a blurred image alone.

    Parameters
    ----------
    image : numpy.ndarray
        H×W or H×W×C blurred image in [0, 1] (colour is estimated on its luminance).
    size : int, optional
        Odd support side; None: estimated at :data:`DEFAULT_SIZE` (at most a
        :data:`MIN_IMAGE_PER_SUPPORT`-th of the image side) and trimmed to the kernel.
    progress : bool
        Show a progress bar over scales and iterations on stderr.

    Returns
    -------
    numpy.ndarray
        Odd square float64 kernel, non-negative, summing to 1, centred on its centre of
        mass.

    Examples
    --------
    >>> from skimage.data import camera
    >>> from restoretk import degrade
    >>> blurred = degrade(camera()[64:320, 64:320] / 255.0, "motion:9,0", noise=0.005)
    >>> kernel = estimate_kernel(blurred, 15)
    >>> kernel.shape, bool(kernel.min() >= 0), round(float(kernel.sum()), 6)
    ((15, 15), True, 1.0)
    >>> bool(kernel[7].sum() > 0.5)  # mostly on the horizontal line through the centre
    True
    """
    grey = _luminance(image)
    support = _support(grey.shape, size)
    grey = _central_crop(grey, MAX_SIDE)
    if float(grey.std()) < FLAT:
        raise InputError(
            f"image of {grey.shape[0]}x{grey.shape[1]} pixels is flat: it shows no edge to estimate a blur from",
            "use a photo with some structure, or give the PSF itself (e.g. psf='gauss:2')",
        )
    sizes = _scale_sizes(support)
    from tqdm import tqdm

    bar = tqdm(total=len(sizes) * ITERATIONS, desc="estimating blur", unit="step", file=sys.stderr,
               disable=not progress, leave=False)
    kernel = _initial_kernel(sizes[0])
    lam = LAMBDA_START
    try:
        for level, ksize in enumerate(sizes):
            factor = ksize / support if level < len(sizes) - 1 else 1.0
            observed = _resized(grey, factor)
            kernel = _resized_kernel(kernel, ksize)
            scene = _Scene(observed, ksize)
            for _ in range(ITERATIONS):
                sharp = scene.sharp(kernel, lam)
                kernel = _clean(scene.kernel(sharp, kernel))
                lam = max(lam / LAMBDA_DECAY, LAMBDA_FLOOR)
                bar.update()
    finally:
        bar.close()
    kernel = _centred(kernel)
    return _trimmed(kernel) if size is None else kernel


class _Scene:
    """One scale's observation, extended for the Fourier solves, and its fixed transfers."""

    def __init__(self, observed: np.ndarray, ksize: int) -> None:
        self.extension = extend(observed, ksize, "reflect", fade=True)
        self.padded = self.extension.padded
        self.shape = self.padded.shape
        self.gradient_power = FourierMultiplier(finite_difference_power(self.shape), self.shape)
        frame = self.extension.crop(self.padded)
        self.window = _taper(frame.shape, ksize)
        self.observed_gradients = [self.window * g for g in _gradients(frame)]

    def sharp(self, kernel: np.ndarray, lam: float) -> np.ndarray:
        """The image step: L0-gradient MAP latent image for ``kernel`` (half-quadratic splitting)."""
        blur = Convolution(kernel, self.shape)
        data = blur.adjoint(self.padded)
        gram = blur.T @ blur
        x = self.padded
        beta = 2 * lam
        while beta < BETA_MAX:
            gh, gv = _gradients(x)
            weak = gh * gh + gv * gv < lam / beta
            gh[weak] = 0
            gv[weak] = 0
            solve = FourierMultiplier.derived(functools.partial(_quadratic_gain, beta=beta), gram, self.gradient_power)
            x = solve.forward(data + beta * _divergence(gh, gv))
            beta *= 2
        return x

    def kernel(self, sharp: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """The kernel step: gradient-domain least squares on the tapered frame, on the kernel's support.

        Conjugate gradients on the ``ksize``² support (Pan et al.'s solver), started from
        the ``previous`` kernel; the normal operator ``Σ ∂xᵀ∂x + γ`` is one Fourier
        multiplier on the frame, the kernel embedded at its centre.
        """
        frame = self.extension.crop(sharp)
        grams, data = [], 0.0
        for latent, observed in zip(_gradients(frame), self.observed_gradients):
            latent = Convolution(self.window * latent, frame.shape)
            data = data + latent.adjoint(observed)
            grams.append(latent.T @ latent)
        eps = KERNEL_WEIGHT * frame.size
        normal = FourierMultiplier.derived(functools.partial(_plus, eps=eps), FourierMultiplier.derived(operator.add, *grams))
        rows, cols = frame.shape
        half = previous.shape[0] // 2
        support = (slice(rows // 2 - half, rows // 2 + half + 1), slice(cols // 2 - half, cols // 2 + half + 1))

        def apply(k: np.ndarray) -> np.ndarray:
            embedded = np.zeros(frame.shape, dtype=np.float32)
            embedded[support] = k
            return normal.forward(embedded)[support]

        k = previous.astype(np.float32)
        residual = np.asarray(data, dtype=np.float32)[support] - apply(k)
        direction = residual.copy()
        energy = float(np.sum(residual * residual))
        for _ in range(KERNEL_CG_ITERATIONS):
            image = apply(direction)
            step = energy / max(float(np.sum(direction * image)), 1e-30)
            k = k + step * direction
            residual = residual - step * image
            new_energy = float(np.sum(residual * residual))
            if new_energy < 1e-12 * energy:
                break
            direction = residual + (new_energy / energy) * direction
            energy = new_energy
        return k


def _plus(gram: np.ndarray, *, eps: float) -> np.ndarray:
    return gram + eps


def _quadratic_gain(gram: np.ndarray, gradient_power: np.ndarray, *, beta: float) -> np.ndarray:
    """``(KᵀK + β ∇ᵀ∇)⁻¹``: the x-update of the half-quadratic splitting."""
    return 1.0 / (gram + beta * gradient_power)


def _gradients(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences along columns and rows (symbol: ``finite_difference_power``)."""
    return np.roll(x, -1, axis=1) - x, np.roll(x, -1, axis=0) - x


def _divergence(gh: np.ndarray, gv: np.ndarray) -> np.ndarray:
    """``∇ᵀ g``: the adjoint of :func:`_gradients`."""
    return (np.roll(gh, 1, axis=1) - gh) + (np.roll(gv, 1, axis=0) - gv)


def _taper(shape: tuple[int, int], width: int) -> np.ndarray:
    """A window that is 1 inside and falls to 0 over ``width`` pixels at each edge (raised cosine)."""
    def ramp(length: int) -> np.ndarray:
        w = np.ones(length, dtype=np.float32)
        edge = min(width, length // 4)
        fall = 0.5 - 0.5 * np.cos(np.pi * (np.arange(edge) + 0.5) / edge)
        w[:edge] = fall
        w[length - edge :] = fall[::-1]
        return w

    return np.outer(ramp(shape[0]), ramp(shape[1]))


def _luminance(image: np.ndarray) -> np.ndarray:
    """BT.601 luma of a colour image (the grey image itself), float32."""
    array = np.asarray(image)
    if np.issubdtype(array.dtype, np.integer):
        array = array / np.iinfo(array.dtype).max
    if array.ndim == 3 and array.shape[-1] == 3:
        array = array @ np.array([0.299, 0.587, 0.114])
    elif array.ndim == 3:
        array = array.mean(axis=-1)
    if array.ndim != 2:
        raise InputError(f"expected an H×W or H×W×C image, got shape {np.shape(image)}", "pass a 2-D or 3-D array")
    if not np.isfinite(array).all():
        raise InputError("image contains NaN or infinite values", "replace them (e.g. np.nan_to_num) first")
    return np.ascontiguousarray(array, dtype=np.float32)


def _support(shape: tuple[int, int], size: int | None) -> int:
    """The odd support to estimate: ``size`` checked, or the default that fits the image."""
    largest = min(shape) // MIN_IMAGE_PER_SUPPORT
    largest -= 1 - largest % 2
    if size is None:
        if largest < COARSEST:
            raise InputError(
                f"image of {shape[0]}x{shape[1]} pixels is too small to estimate a blur kernel from",
                f"use an image of at least {MIN_IMAGE_PER_SUPPORT * COARSEST}x{MIN_IMAGE_PER_SUPPORT * COARSEST} pixels",
            )
        return min(DEFAULT_SIZE, largest)
    if int(size) != size or size < 3 or size % 2 == 0:
        raise InputError(f"kernel support {size!r} is not an odd integer ≥ 3", "use e.g. auto:shake@25")
    if size > largest:
        fits = f"use auto:shake@{largest} or smaller" if largest >= 3 else "use a larger image"
        raise InputError(
            f"kernel support {size} is too large for an image of {shape[0]}x{shape[1]} pixels "
            f"(at most 1/{MIN_IMAGE_PER_SUPPORT} of its side)",
            fits,
        )
    return int(size)


def _central_crop(image: np.ndarray, side: int) -> np.ndarray:
    rows, cols = image.shape
    top, left = max((rows - side) // 2, 0), max((cols - side) // 2, 0)
    return image[top : top + side, left : left + side]


def _scale_sizes(support: int) -> list[int]:
    """Odd kernel sizes from the coarsest scale to ``support``, a factor √2 apart."""
    sizes = [support]
    while sizes[-1] * SCALE_STEP > COARSEST:
        size = math.ceil(sizes[-1] * SCALE_STEP)
        sizes.append(size + 1 - size % 2)
    if len(sizes) > 1 and sizes[-1] == sizes[-2]:
        sizes.pop()
    return sizes[::-1]


def _initial_kernel(size: int) -> np.ndarray:
    """Two pixels at the centre (Pan et al.'s start): not symmetric, so no direction is favoured by a zero."""
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2 - 1 : size // 2 + 1] = 0.5
    return kernel


def _resized(image: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 1:
        return image
    rows, cols = image.shape
    shape = (max(round(cols * factor), 1), max(round(rows * factor), 1))
    return cv2.resize(image, shape, interpolation=cv2.INTER_AREA)


def _resized_kernel(kernel: np.ndarray, size: int) -> np.ndarray:
    """``kernel`` resampled to ``size``² (bilinear), clipped and normalised."""
    if kernel.shape[0] != size:
        kernel = cv2.resize(kernel.astype(np.float64), (size, size), interpolation=cv2.INTER_LINEAR)
    kernel = np.maximum(kernel, 0)
    return kernel / kernel.sum()


def _clean(kernel: np.ndarray) -> np.ndarray:
    """Non-negative, small values and detached specks dropped, summing to 1."""
    kernel = np.maximum(np.asarray(kernel, dtype=np.float64), 0)
    peak = kernel.max()
    if peak <= 0:  # nothing found: a delta is the least harmful guess
        kernel = np.zeros_like(kernel)
        kernel[kernel.shape[0] // 2, kernel.shape[1] // 2] = 1.0
        return kernel
    kernel[kernel < THRESHOLD * peak] = 0
    labels, count = ndimage.label(kernel > 0, structure=np.ones((3, 3)))
    if count > 1:
        mass = ndimage.sum(kernel, labels, np.arange(1, count + 1))
        kernel[~np.isin(labels, 1 + np.flatnonzero(mass >= MIN_COMPONENT * mass.sum()))] = 0
    return kernel / kernel.sum()


def _centred(kernel: np.ndarray) -> np.ndarray:
    """``kernel`` shifted (bilinearly) so that its centre of mass is the central pixel."""
    centre = (np.array(kernel.shape) - 1) / 2
    shift = centre - np.array(ndimage.center_of_mass(kernel))
    moved = np.maximum(ndimage.shift(kernel, shift, order=1, mode="constant"), 0)
    return moved / moved.sum()


def _trimmed(kernel: np.ndarray) -> np.ndarray:
    """The odd square around the centre that holds every non-zero value (at least 3×3)."""
    rows, cols = np.nonzero(kernel > 0)
    centre = kernel.shape[0] // 2
    reach = max(1, int(np.max(np.abs(np.concatenate([rows, cols]) - centre))))
    cropped = kernel[centre - reach : centre + reach + 1, centre - reach : centre + reach + 1]
    return cropped / cropped.sum()


register_estimator(KernelEstimator(name="shake", estimate=estimate_kernel))
