"""The learned restorers in the method registry: ``mpr``, ``mpr-df``, ``wiener-resid``, ``mpr-sr``, ``srnet``, ``denoiser``.

Each runs the model shipped in ``restoretk/weights`` or the one passed as
``weights=PATH`` (``-O weights=PATH`` on the command line), on CUDA when present,
tile by tile on large images.

``precision="auto"`` runs a shipped model's body in bf16 (channels-last) where the
hardware computes bf16 natively and where bf16 was measured to change that model's
PSNR by at most :data:`BF16_TOLERANCE_DB` (``restoretk/weights/precision.json``, written
by ``benchmarks/bench_inference_precision.py``), and in float32 otherwise: on other CPUs,
and for a user's own weights, which nobody measured.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import torch

from restoretk.boundary import extended_shape
from restoretk.errors import RestoreError
from restoretk.learners.heads import HEADS, Head
from restoretk.learners.inference import choose_device, restore_tiled
from restoretk.learners.precision import PRECISIONS, resolve_precision
from restoretk.learners.weights import load_weights, read_metadata, tensor_checksum, weights_for
from restoretk.methods import classical  # noqa: F401  (registered first: listings start with the classical methods)
from restoretk.methods.registry import Degradation, Range, register_method
from restoretk.solvers.denoisers import register_denoiser
from restoretk.solvers.wiener import solver_extension

__all__ = [
    "learned_restore",
    "check_architecture",
    "inference_precision",
    "DEFAULT_TILE",
    "BF16_TOLERANCE_DB",
    "MEASURED_PRECISION",
]

#: Tile side in input pixels: large photos are restored in pieces this big.
DEFAULT_TILE = {"deblur": 512, "sr": 256, "denoise": 512}

#: Least context around a tile, in input pixels.
MIN_CONTEXT = 32

#: The largest PSNR change (dB) that bf16 inference may make for ``precision="auto"`` to use it.
BF16_TOLERANCE_DB = 0.02

#: Per shipped model, what bf16 inference was measured to change (benchmarks/bench_inference_precision.py).
MEASURED_PRECISION = Path(__file__).resolve().parents[1] / "weights" / "precision.json"


def inference_precision(model: Head, device: str, precision: str = "auto") -> torch.dtype | None:
    """The autocast dtype to run ``model`` with on ``device``; None: float32.

    ``auto`` is bf16 only where it is native and was measured on these very weights (the
    same :func:`restoretk.learners.weights.tensor_checksum`) to change PSNR by at most
    :data:`BF16_TOLERANCE_DB`; an explicit choice is obeyed.

    Examples
    --------
    >>> from restoretk.learners.heads import build_head
    >>> inference_precision(build_head("mpr", "resnet"), "cpu") is None  # nobody measured these
    True
    """
    if precision != "auto":
        return resolve_precision(precision, device)
    measured = _measured_precision(MEASURED_PRECISION.stat().st_mtime if MEASURED_PRECISION.is_file() else 0.0)
    if "_checksum" not in model.__dict__:  # the model is cached, and so is this
        model.__dict__["_checksum"] = tensor_checksum(model.state_dict())
    checksum = model.__dict__["_checksum"]
    entry = measured.get(model.architecture["head"], {})
    safe = entry.get("checksum") == checksum and abs(entry.get("bf16_psnr_change_db", 1.0)) <= BF16_TOLERANCE_DB
    return resolve_precision("auto", device) if safe else None


@functools.lru_cache(maxsize=1)
def _measured_precision(modified: float) -> dict:
    """``precision.json``, read once per version of the file (pnp asks per iteration)."""
    return json.loads(MEASURED_PRECISION.read_text()) if modified else {}


@functools.lru_cache(maxsize=4)
def _model(path: str, modified: float, device: str) -> Head:
    return load_weights(path, device)


def learned_restore(
    method: str,
    image: np.ndarray,
    degradation: Degradation,
    *,
    boundary: str = "auto",
    weights: str | Path | None = None,
    device: str = "auto",
    tile: int | None = None,
    precision: str = "auto",
) -> np.ndarray:
    """Restore ``(C, rows, cols)`` with the model for ``method`` (or the one in ``weights``).

    Grey images go through colour models as three equal channels. Images larger than
    ``tile`` are restored tile by tile, each with a band of context around it.
    """
    if precision not in PRECISIONS:
        raise RestoreError(f"unknown precision {precision!r}", f"use one of: {', '.join(PRECISIONS)}")
    path = weights_for(method, weights)
    where = str(choose_device(device))
    model = _model(str(path), path.stat().st_mtime if path.is_file() else 0.0, where)
    dtype = inference_precision(model, where, precision)
    # channels-last convolutions run 1.8x faster on the CPU (oneDNN), in float32 too
    model.set_precision(dtype, channels_last=True)
    arch = model.architecture
    check_architecture(method, path, arch)
    channels = image.shape[0]
    if channels not in (1, arch["channels"]):
        raise RestoreError(
            f"the model restores {arch['channels']}-channel images, this one has {channels}",
            "convert it to RGB or grey first",
        )
    frame = np.repeat(image, arch["channels"], axis=0) if channels == 1 else image
    tile = tile or DEFAULT_TILE[arch["task"]]
    margin = solver_extension(degradation).margin
    context = max(2 * margin, MIN_CONTEXT)
    if max(frame.shape[-2:]) <= tile:
        restored = model.restore(frame, degradation, boundary=boundary)
    else:  # one ε for the whole photo, so that tiles match
        grid = extended_shape((min(tile, frame.shape[-2]), min(tile, frame.shape[-1])), margin)
        eps = model.regularisation(frame, degradation, (grid[0] * model.scale, grid[1] * model.scale))
        restored = restore_tiled(
            lambda piece: model.restore(piece, degradation, boundary="reflect", eps=eps),
            frame,
            model.scale,
            tile,
            context,
        )
    return restored.mean(axis=0, keepdims=True) if channels == 1 else restored


def check_architecture(method: str, path: Path, architecture: dict, scale: int | None = None) -> None:
    """That the model in ``path`` (its ``architecture`` metadata) is one of ``method`` and upscales by ``scale``.

    Examples
    --------
    >>> from restoretk.learners.weights import read_metadata, weights_for
    >>> path = weights_for("mpr")
    >>> check_architecture("mpr", path, read_metadata(path)["architecture"], scale=1)
    >>> check_architecture("srnet", path, read_metadata(path)["architecture"])
    Traceback (most recent call last):
    ...
    restoretk.errors.RestoreError: ...mpr.safetensors holds a 'mpr' model, not 'srnet'; use method='mpr' with these weights
    """
    head = architecture["head"]
    if head != method:
        raise RestoreError(f"{path} holds a {head!r} model, not {method!r}", f"use method={head!r} with these weights")
    factor = architecture.get("scale", 1)
    if scale is not None and factor != scale:
        raise RestoreError(
            f"{path} holds a model that upscales by {factor}, not {scale}",
            f"use scale={factor}, or train a model for scale {scale}",
        )


def _learned_check(head: str):
    """The check of one learned method's options: its weights hold this head at this scale; the device exists."""

    def check(options: dict, scale: int) -> None:
        path = weights_for(head, options.get("weights"))
        check_architecture(head, path, read_metadata(path)["architecture"], scale)
        choose_device(options.get("device", "auto"))

    return check


def _learned_method(head: str, doc: str):
    """The registry entry of one learned head: its options are the keyword arguments."""

    def restore(
        image: np.ndarray,
        degradation: Degradation,
        *,
        boundary: str = "auto",
        weights: str | None = None,
        device: Literal["auto", "cpu", "cuda"] = "auto",
        tile: Annotated[int, Range(MIN_CONTEXT, 8192)] | None = None,
        precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto",
    ) -> np.ndarray:
        return learned_restore(
            head, image, degradation, boundary=boundary, weights=weights, device=device, tile=tile, precision=precision
        )

    restore.__name__ = restore.__qualname__ = head.replace("-", "_")
    restore.__doc__ = doc
    return restore


for _head, _tasks, _summary, _doc in (
    ("mpr", {"deblur"}, "learned Moore–Penrose residual: Wiener + a network in the null space (any PSF)",
     "``x̂ = x_w + (I − A⁺_ε A) f_θ(x_w, y)`` (see :mod:`restoretk.learners.heads`)."),
    ("mpr-df", {"deblur"}, "mpr, then a learned per-pixel filter that removes what a wrong PSF leaves",
     "``x̂ = D_w(x_w + (I − A⁺_ε A) r)`` with ``(r, w) = f_θ(x_w, y)``: ``mpr`` and a dynamic filter."),
    ("wiener-resid", {"deblur"}, "learned residual on the Wiener estimate, no projection (the ablation of mpr)",
     "``x̂ = x_w + f_θ(x_w, y)``."),
    ("mpr-sr", {"upscale"}, "learned Moore–Penrose residual for A = S H: Wiener + a network in the null space",
     "``x̂ = A⁺_ε y + (I − A⁺_ε A) f_θ(A⁺_ε y, bicubic(y))``."),
    ("srnet", {"upscale"}, "learned residual network on the bicubic upscale",
     "``x̂ = bicubic(y) + f_θ(bicubic(y))``."),
    ("denoiser", {"denoise"}, "learned residual denoiser told the noise level (one model for every σ)",
     "``x̂ = y + f_θ(y, σ)`` (see :mod:`restoretk.learners.heads`)."),
):
    _scales = {HEADS[_head].scale} if "upscale" in _tasks else None  # what the shipped model does
    register_method(_head, tasks=_tasks, summary=_summary, scales=_scales, check=_learned_check(_head))(
        _learned_method(_head, _doc)
    )


@register_denoiser("restoretk", "restoretk's learned denoiser (the shipped 'denoiser' model), told σ")
def _learned_denoiser(image: np.ndarray, sigma: float) -> np.ndarray:
    return learned_restore("denoiser", image, Degradation(np.ones((1, 1)), 1, sigma), boundary="reflect")
