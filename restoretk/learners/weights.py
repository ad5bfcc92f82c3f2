"""Weights: safetensors files with JSON metadata, and the models shipped with restoretk.

A weights file holds the head's tensors and, under the metadata key ``restoretk``, a
JSON document: ``architecture`` (head, task, body and its hyper-parameters, channels,
scale, strength: enough to build the network again) plus what training recorded
(data, epochs, validation scores, the command, the restoretk version). The models in
``restoretk/weights/`` are found by method name: ``mpr.safetensors`` serves the
``mpr`` method.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from restoretk.errors import InputError
from restoretk.learners.heads import Head, build_head

__all__ = ["METADATA_KEY", "save_weights", "read_metadata", "load_weights", "shipped_weights", "weights_for"]

METADATA_KEY = "restoretk"


def save_weights(head: Head, path: str | os.PathLike[str], **metadata: Any) -> Path:
    """Write ``head``'s tensors and its metadata to ``path`` (atomically).

    Parameters
    ----------
    head : Head
        A head made by :func:`restoretk.learners.heads.build_head`.
    path : path-like
        The ``.safetensors`` file.
    **metadata
        JSON-serialisable facts to keep with the weights (data, epochs, scores, ...).

    Examples
    --------
    >>> import tempfile
    >>> head = build_head("srnet", "resnet", {"base_filter": 4, "num_residuals": 1, "decimation": 4})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_weights(head, Path(tmp) / "m.safetensors", epochs=1)
    ...     meta = read_metadata(path)
    >>> meta["architecture"]["head"], meta["epochs"], meta["parameters"]
    ('srnet', 1, 3804)
    """
    from restoretk import __version__

    path = Path(path)
    tensors = {name: value.detach().cpu().contiguous() for name, value in head.state_dict().items()}
    document = {
        "architecture": head.architecture,
        "parameters": sum(p.numel() for p in head.parameters()),
        **metadata,
        "restoretk": __version__,
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".safetensors")
    os.close(handle)
    try:
        save_file(tensors, temporary, metadata={METADATA_KEY: json.dumps(document)})
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata of a weights file (without reading its tensors)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"weights file {path} not found", "pass the .safetensors file written by 'restoretk train'")
    try:
        with safe_open(str(path), framework="pt") as f:
            text = (f.metadata() or {}).get(METADATA_KEY)
    except (SafetensorError, OSError) as error:
        raise InputError(f"{path} is not a safetensors file ({error})", "pass a file written by 'restoretk train'") from None
    if text is None:
        raise InputError(f"{path} has no restoretk metadata", "pass a file written by 'restoretk train'")
    return json.loads(text)


def load_weights(path: str | os.PathLike[str], device: torch.device | str = "cpu") -> Head:
    """The head stored in ``path``, on ``device``, in evaluation mode; ``.metadata`` holds its metadata."""
    metadata = read_metadata(path)
    arch = metadata["architecture"]
    head = build_head(
        arch["head"],
        arch["body"],
        arch["body_options"],
        channels=arch["channels"],
        scale=arch["scale"],
        strength=arch["strength"],
    )
    head.load_state_dict(load_file(str(path)))
    head.metadata = metadata
    return head.to(device).eval()


def shipped_weights() -> dict[str, Path]:
    """The models shipped in ``restoretk/weights``, by method name.

    Examples
    --------
    >>> from restoretk.learners.heads import HEADS
    >>> set(shipped_weights()) <= set(HEADS)  # each named after the head it holds
    True
    """
    folder = Path(str(resources.files("restoretk") / "weights"))
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.safetensors"))}


def weights_for(method: str, weights: str | os.PathLike[str] | None = None) -> Path:
    """The weights a learned method runs with: ``weights`` if given, else the shipped model."""
    if weights is not None:
        return Path(weights).expanduser()
    shipped = shipped_weights()
    if method not in shipped:
        raise InputError(
            f"no trained model ships for method {method!r} in this installation",
            f"train one with 'restoretk train --head {method} --out DIR' and pass -O weights=DIR/model.safetensors",
        )
    return shipped[method]
