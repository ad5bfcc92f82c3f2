"""The learned restorers in the method registry: ``mpr``, ``mpr-df``, ``wiener-resid``, ``mpr-sr``, ``srnet``.

Each runs the model shipped in ``restoretk/weights`` or the one passed as
``weights=PATH`` (``-O weights=PATH`` on the command line), on CUDA when present,
tile by tile on large images.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Literal

import numpy as np

from restoretk.boundary import extended_shape
from restoretk.errors import RestoreError
from restoretk.learners.heads import HEADS, Head
from restoretk.learners.inference import choose_device, restore_tiled
from restoretk.learners.weights import load_weights, weights_for
from restoretk.methods.classical import solver_extension
from restoretk.methods.registry import Degradation, Range, register_method

__all__ = ["learned_restore", "DEFAULT_TILE"]

#: Tile side in input pixels: large photos are restored in pieces this big.
DEFAULT_TILE = {"deblur": 512, "sr": 256}

#: Least context around a tile, in input pixels.
MIN_CONTEXT = 32


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
) -> np.ndarray:
    """Restore ``(C, rows, cols)`` with the model for ``method`` (or the one in ``weights``).

    Grey images go through colour models as three equal channels. Images larger than
    ``tile`` are restored tile by tile, each with a band of context around it.
    """
    path = weights_for(method, weights)
    model = _model(str(path), path.stat().st_mtime if path.is_file() else 0.0, str(choose_device(device)))
    arch = model.architecture
    if arch["head"] != method:
        raise RestoreError(
            f"{path} holds a {arch['head']!r} model, not {method!r}", f"use --method {arch['head']} with these weights"
        )
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
    ) -> np.ndarray:
        return learned_restore(head, image, degradation, boundary=boundary, weights=weights, device=device, tile=tile)

    restore.__name__ = restore.__qualname__ = head.replace("-", "_")
    restore.__doc__ = doc
    return restore


for _head, _tasks, _summary, _needs_psf, _doc in (
    ("mpr", {"deblur"}, "learned Moore–Penrose residual: Wiener + a network in the null space (any PSF)", True,
     "``x̂ = x_w + (I − A⁺_ε A) f_θ(x_w, y)`` (see :mod:`restoretk.learners.heads`)."),
    ("mpr-df", {"deblur"}, "mpr, then a learned per-pixel filter that removes what a wrong PSF leaves", True,
     "``x̂ = D_w(x_w + (I − A⁺_ε A) r)`` with ``(r, w) = f_θ(x_w, y)``: ``mpr`` and a dynamic filter."),
    ("wiener-resid", {"deblur"}, "learned residual on the Wiener estimate, no projection (the ablation of mpr)", True,
     "``x̂ = x_w + f_θ(x_w, y)``."),
    ("mpr-sr", {"upscale"}, "learned Moore–Penrose residual for A = S H: Wiener + a network in the null space", True,
     "``x̂ = A⁺_ε y + (I − A⁺_ε A) f_θ(A⁺_ε y, bicubic(y))``."),
    ("srnet", {"upscale"}, "learned residual network on the bicubic upscale", False,
     "``x̂ = bicubic(y) + f_θ(bicubic(y))``."),
):
    _scales = {HEADS[_head].scale} if "upscale" in _tasks else None  # what the shipped model does
    register_method(_head, tasks=_tasks, summary=_summary, needs_psf=_needs_psf, scales=_scales)(
        _learned_method(_head, _doc)
    )
