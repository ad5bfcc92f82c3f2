"""Training pairs made on the fly: random blurs, noise and patches of sharp photos.

Pairs follow the ``valid`` formation of :func:`restoretk.degradation.observe`: a crop
larger than the patch by the PSF size is blurred and only its fully covered part is
kept, so the observation's borders look like a real photo's (the scene goes on past the
frame), and the target is the part of the crop the observation shows.

With a PSF error (``restoretk train --psf-error E``), a share :data:`PSF_ERROR_SHARE` of
the training pairs tell the head a mis-specified PSF (:func:`restoretk.psf_error.misspecified_psf`:
Gaussians with σ off by up to ``E``, other kernels perturbed with strength ``E``) while
the true one formed the observation, so that the head learns to remove the artifacts
of a wrong PSF. Validation pairs always tell the true PSF, so that validation scores
stay comparable between runs.

Degradation sets, registered by name, draw one degradation from a NumPy generator
(a :data:`restoretk.degradation.DegradationSampler`, as benchmark scenarios are); the
label of a deblurring set is the PSF's spec (a PSF error re-makes the PSF from it). A
new set is one decorated function::

    @register_degradations("deblur-gauss", task="deblur")
    def gaussian_only(rng):
        sigma = rng.uniform(0.5, 4.0)
        return psf.parse(f"gauss:{sigma:.2f}"), 0.01, f"gauss:{sigma:.2f}"
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from restoretk import psf
from restoretk.degradation import Degradation, observe
from restoretk.errors import RestoreError
from restoretk.psf_error import misspecified_psf
from restoretk.registry import Registry
from restoretk.resize import downscale_kernel

__all__ = [
    "DEGRADATIONS",
    "PSF_ERROR_SHARE",
    "DegradationSet",
    "Pair",
    "PairSampler",
    "make_pair",
    "pair_of",
    "register_degradations",
    "validation_pairs",
]

#: The largest noise level drawn for deblurring (σ in [0, 1] units).
MAX_DEBLUR_NOISE = 0.05

#: The largest noise level drawn for super-resolution.
MAX_SR_NOISE = 0.01

#: With a PSF error, the share of training pairs told a mis-specified PSF; the others
#: keep the true one, so that the head still learns to use an exact PSF fully.
PSF_ERROR_SHARE = 0.5

Draw = Callable[[np.random.Generator], tuple[np.ndarray, float, str]]


@dataclass(frozen=True)
class DegradationSet:
    """A registered way to draw degradations: ``draw(rng) -> (psf, noise, label)``.

    Called with a generator, it is a :data:`restoretk.degradation.DegradationSampler`.
    """

    name: str
    task: str
    scale: int
    draw: Draw

    def __call__(self, rng: np.random.Generator) -> Degradation:
        """One degradation drawn from ``rng``, of the ``valid`` formation (the spec: a deblurring set's label)."""
        return self.sample(rng)[0]

    def sample(self, rng: np.random.Generator) -> tuple[Degradation, str]:
        """One degradation drawn from ``rng`` and its label."""
        kernel, noise, label = self.draw(rng)
        return Degradation(kernel, self.scale, noise, "valid", label if self.task == "deblur" else None), label


#: The degradation sets by name (entry-point group ``restoretk.degradations``).
DEGRADATIONS: Registry[DegradationSet] = Registry("degradation set", group="restoretk.degradations")


def register_degradations(name: str, *, task: str, scale: int = 1) -> Callable[[Draw], Draw]:
    """Register ``draw(rng) -> (psf, noise, label)`` as the degradation set ``name``.

    Examples
    --------
    >>> register_degradations("deblur", task="deblur")
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: degradation set 'deblur' is already registered; choose another name
    """
    DEGRADATIONS.check_new(name)

    def decorate(draw: Draw) -> Draw:
        DEGRADATIONS.register(name, DegradationSet(name, task, scale, draw))
        return draw

    return decorate


def _deblur_noise(rng: np.random.Generator) -> float:
    # squared uniform: half the draws below σ = 0.012, where most photos are
    return float(MAX_DEBLUR_NOISE * rng.random() ** 2)


@register_degradations("deblur", task="deblur")
def camera_blurs(rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """Gaussians (isotropic and not, σ 0.5–4), camera shake (11–31 px), motion, defocus; σ 0–0.05.

    Examples
    --------
    >>> kernel, noise, label = camera_blurs(np.random.default_rng(0))
    >>> label, kernel.shape, round(noise, 4)
    ('shake:1097657232,15', (15, 15), 0.0001)
    """
    family = rng.choice(["gauss", "gauss-anisotropic", "shake", "motion", "disk"], p=[0.25, 0.2, 0.3, 0.15, 0.1])
    spec = _blur_spec(family, rng, shake_sizes=(11, 31), motion_lengths=(3, 25), disk_radii=(1, 6))
    return psf.parse(spec), _deblur_noise(rng), spec


def _blur_spec(
    family: str,
    rng: np.random.Generator,
    *,
    shake_sizes: tuple[int, int],
    motion_lengths: tuple[float, float],
    disk_radii: tuple[float, float],
) -> str:
    """A random spec of ``family``: Gaussians of σ 0.5–4 (elongated: 1–4 by 0.3–that), shakes of odd sizes, ..."""
    if family == "gauss":
        return f"gauss:{rng.uniform(0.5, 4.0):.2f}"
    if family == "gauss-anisotropic":
        wide = rng.uniform(1.0, 4.0)
        return f"gauss:{wide:.2f},{rng.uniform(0.3, wide):.2f},{rng.uniform(0, 180):.0f}"
    if family in ("shake", "handheld"):
        low, high = shake_sizes
        return f"{family}:{rng.integers(2**31)},{2 * rng.integers(low // 2, high // 2 + 1) + 1}"
    if family == "motion":
        return f"motion:{rng.uniform(*motion_lengths):.1f},{rng.uniform(0, 180):.0f}"
    return f"disk:{rng.uniform(*disk_radii):.2f}"


@register_degradations("handheld", task="deblur")
def handheld_blurs(rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """Blurs like real ones: handheld camera shake (curved, varying speed, 11–41 px) first; σ 0–0.05.

    30 % handheld shake (:func:`restoretk.psf.parse` ``handheld:SEED,SIZE``), 10 %
    constant-speed shake, 15 % straight motion (3–31 px), 10 % defocus (disks of radius
    1–8), 20 % round and 15 % elongated Gaussians (σ 0.5–4).

    Examples
    --------
    >>> kernel, noise, label = handheld_blurs(np.random.default_rng(2))
    >>> label.split(":")[0] in ("handheld", "shake", "motion", "disk", "gauss")
    True
    """
    family = rng.choice(
        ["handheld", "shake", "motion", "disk", "gauss", "gauss-anisotropic"], p=[0.3, 0.1, 0.15, 0.1, 0.2, 0.15]
    )
    spec = _blur_spec(family, rng, shake_sizes=(11, 41), motion_lengths=(3, 31), disk_radii=(1, 8))
    return psf.parse(spec), _deblur_noise(rng), spec


@register_degradations("sr-bicubic", task="sr", scale=4)
def bicubic_downscale(rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """The blur of a MATLAB bicubic ×4 downscale; noise σ 0–0.01 (mostly tiny)."""
    return downscale_kernel(4), float(MAX_SR_NOISE * rng.random() ** 3), "bicubic"


@register_degradations("sr", task="sr", scale=4)
def downscales(rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """Half bicubic ×4 downscales, half ``S H`` with a Gaussian of σ 0.8–2.4; noise σ 0–0.01."""
    if rng.random() < 0.5:
        return bicubic_downscale(rng)
    spec = f"gauss:{rng.uniform(0.8, 2.4):.2f}"
    return psf.parse(spec), float(MAX_SR_NOISE * rng.random() ** 3), spec


#: The largest noise level drawn for denoising: 50 grey levels of 255.
MAX_DENOISE_NOISE = 50 / 255


@register_degradations("denoise", task="denoise")
def white_noise(rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """Additive white Gaussian noise of σ uniform in [0, 50/255], no blur (a 1×1 identity PSF).

    Examples
    --------
    >>> kernel, noise, label = white_noise(np.random.default_rng(0))
    >>> kernel.tolist(), label
    ([[1.0]], 'noise:31.8')
    """
    noise = float(MAX_DENOISE_NOISE * rng.random())
    return np.ones((1, 1)), noise, f"noise:{noise * 255:.1f}"


@dataclass(frozen=True)
class Pair:
    """An observation, what it should restore to, and the degradation the head is told.

    ``degradation`` is how the observation was made, except for a pair that a PSF
    error handed a mis-specified PSF (the scale and noise are always the true ones).
    """

    observation: np.ndarray
    target: np.ndarray
    degradation: Degradation
    label: str


def make_pair(
    scene: np.ndarray, kernel: np.ndarray, scale: int, noise: float, rng: np.random.Generator, label: str = ""
) -> Pair:
    """Degrade a channels-first float32 ``scene`` by the valid formation; noise from ``rng``.

    The target is the part of ``scene`` the observation shows, cut to a multiple of
    ``scale`` (:func:`restoretk.degradation.observe`).

    Examples
    --------
    >>> pair = make_pair(np.zeros((3, 40, 40), np.float32), psf.parse("box:5"), 4, 0.0, np.random.default_rng(0))
    >>> pair.observation.shape, pair.target.shape
    ((3, 9, 9), (3, 36, 36))
    """
    return pair_of(scene, Degradation(kernel, scale, noise), rng, label)


def pair_of(scene: np.ndarray, degradation: Degradation, rng: np.random.Generator, label: str = "") -> Pair:
    """The pair :func:`restoretk.degradation.observe` forms of ``scene`` under ``degradation``."""
    observation, target = observe(scene, degradation, rng)
    return Pair(np.ascontiguousarray(observation), np.ascontiguousarray(target), degradation, label)


class PairSampler:
    """Random training pairs from sharp photos: crop, flip/rotate, degrade.

    Pair ``k`` of a run draws everything random from its own generator, seeded by
    ``(seed, k)``: any pair can be made on its own, in any process and in any order,
    so worker processes, several ranks and resumed runs all draw the same pairs.
    :attr:`state` is how many pairs :meth:`batch` has handed out.

    Parameters
    ----------
    images : sequence of numpy.ndarray
        ``H×W×3`` uint8 photos.
    degradations : DegradationSet
        What to draw.
    patch : int
        Side of the high-resolution target (a multiple of the scale).
    seed : int
        Seed of the draws.
    psf_error : float
        Relative error of the PSF told to the head for a share :data:`PSF_ERROR_SHARE`
        of the pairs (deblurring sets only); 0 tells the true PSF always, and draws
        exactly what a sampler without this option draws.

    Examples
    --------
    >>> photos = [np.random.default_rng(0).integers(0, 256, (80, 90, 3), dtype=np.uint8)]
    >>> sampler = PairSampler(photos, DEGRADATIONS["sr-bicubic"], 32, seed=1)
    >>> pair = sampler.batch(2)[1]
    >>> pair.observation.shape, pair.target.shape
    ((3, 8, 8), (3, 32, 32))
    >>> bool(np.array_equal(sampler.pair(1).observation, pair.observation))
    True
    """

    def __init__(
        self,
        images: Sequence[np.ndarray],
        degradations: DegradationSet,
        patch: int,
        seed: int,
        psf_error: float = 0.0,
    ) -> None:
        if patch < 1 or patch % degradations.scale:
            raise RestoreError(
                f"patch {patch} is not a positive multiple of the scale {degradations.scale}",
                f"use e.g. patch={16 * degradations.scale}",
            )
        if psf_error and degradations.task != "deblur":
            raise RestoreError(
                f"a PSF error needs deblurring degradations, not {degradations.name!r}", "use psf_error=0"
            )
        self.images = list(images)
        self.degradations = degradations
        self.patch = patch
        self.psf_error = psf_error
        self.seed = seed
        self.drawn = 0

    @property
    def state(self) -> dict:
        """Where the sampler stands: ``{"drawn": pairs handed out by batch()}``."""
        return {"drawn": self.drawn}

    @state.setter
    def state(self, value: dict) -> None:
        if "drawn" not in value:
            raise RestoreError(
                "this checkpoint was written by an older restoretk, whose draws cannot be continued",
                "start a new run from its weights with init='PATH/model.safetensors'",
            )
        self.drawn = int(value["drawn"])

    def batch(self, size: int) -> list[Pair]:
        """The next ``size`` pairs."""
        pairs = [self.pair(self.drawn + k) for k in range(size)]
        self.drawn += size
        return pairs

    def pair(self, index: int) -> Pair:
        """Pair ``index`` of the run (the same whenever and wherever it is made)."""
        rng = np.random.default_rng([self.seed, index])
        degradation, label = self.degradations.sample(rng)
        kernel = degradation.psf
        side = self.patch + max(kernel.shape) - 1
        photo = self.images[rng.integers(len(self.images))]
        rows, cols = photo.shape[:2]
        if rows < side or cols < side:
            raise RestoreError(
                f"a training image of {rows}x{cols} is smaller than a patch with its blur ({side}x{side})",
                "use larger images or a smaller `patch`",
            )
        top, left = rng.integers(rows - side + 1), rng.integers(cols - side + 1)
        crop = photo[top : top + side, left : left + side]
        crop = np.rot90(crop, rng.integers(4))
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        need = (self.patch + kernel.shape[0] - 1, self.patch + kernel.shape[1] - 1)
        scene = np.moveaxis(crop[: need[0], : need[1]], -1, 0).astype(np.float32) / 255
        pair = pair_of(scene, degradation, rng, label)
        if self.psf_error and rng.random() < PSF_ERROR_SHARE:
            told = misspecified_psf(label, rng, error=self.psf_error)
            pair = replace(pair, degradation=degradation.misspecified(told))
        return pair


def validation_pairs(images: Sequence[np.ndarray], degradations: DegradationSet, seed: int) -> list[Pair]:
    """Whole photos degraded once, reproducibly: the same pairs for every epoch.

    Image ``k`` draws its degradation and noise from a generator seeded by
    ``(seed, k)``, independent of training (the trainer uses one fixed seed).
    """
    pairs = []
    for index, photo in enumerate(images):
        rng = np.random.default_rng([seed, index])
        degradation, label = degradations.sample(rng)
        scene = np.moveaxis(photo, -1, 0).astype(np.float32) / 255
        pairs.append(pair_of(scene, degradation, rng, label))
    return pairs
