"""Weights: safetensors files with JSON metadata, and the models shipped with restoretk.

A weights file holds the head's tensors and, under the metadata key ``restoretk``, a
JSON document: ``architecture`` (head, task, body and its hyper-parameters, channels,
scale, strength: enough to build the network again), ``checksum`` (the SHA-256 of the
tensors, see :func:`tensor_checksum`) plus what training recorded (data, epochs,
validation scores, the command, the restoretk version). The models in
``restoretk/weights/`` are found by method name: ``mpr.safetensors`` serves the
``mpr`` method.

Loading verifies the checksum, so a damaged file is refused in one line instead of
restoring garbage; files written before checksums existed load unverified.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open
from safetensors.torch import save as serialise

from restoretk.errors import InputError
from restoretk.io.atomic import atomic_write_bytes
from restoretk.learners.heads import Head, build_head

__all__ = ["METADATA_KEY", "save_weights", "read_metadata", "load_weights", "shipped_weights", "weights_for", "tensor_checksum"]

METADATA_KEY = "restoretk"


def tensor_checksum(tensors: dict[str, torch.Tensor]) -> str:
    """``sha256:HEX`` of the tensors' names, dtypes, shapes and bytes, in name order.

    It depends only on the tensors, not on how the file lays them out.

    Examples
    --------
    >>> tensor_checksum({"w": torch.zeros(2)}) == tensor_checksum({"w": torch.zeros(2)})
    True
    >>> tensor_checksum({"w": torch.zeros(2)}) == tensor_checksum({"w": torch.ones(2)})
    False
    """
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return f"sha256:{digest.hexdigest()}"


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
        "checksum": tensor_checksum(tensors),
        "restoretk": __version__,
    }
    # serialised in memory: save_file would create its own file, mode 0600
    return atomic_write_bytes(path, serialise(tensors, metadata={METADATA_KEY: json.dumps(document)}))


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
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("architecture"), dict):
        raise InputError(f"{path} has damaged restoretk metadata", "pass a file written by 'restoretk train'")
    return metadata


def load_weights(path: str | os.PathLike[str], device: torch.device | str = "cpu") -> Head:
    """The head stored in ``path``, on ``device``, in evaluation mode; ``.metadata`` holds its metadata.

    Raises
    ------
    InputError
        If the file is not a restoretk weights file, its tensors do not match their
        checksum, or they do not fit the architecture its metadata describes.
    """
    metadata = read_metadata(path)
    arch = metadata["architecture"]
    hint = "train it again, or restore the file from the package or your backup"
    try:
        head = build_head(
            arch["head"],
            arch["body"],
            arch["body_options"],
            channels=arch["channels"],
            scale=arch["scale"],
            strength=arch["strength"],
        )
    except (KeyError, TypeError, ValueError) as error:  # RestoreError is a ValueError
        raise InputError(f"{path} describes an architecture restoretk cannot build ({error})", hint) from None
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise InputError(f"cannot read the tensors of {path} ({error})", hint) from None
    if "checksum" in metadata and tensor_checksum(tensors) != metadata["checksum"]:
        raise InputError(f"the tensors of {path} do not match their checksum: the file is damaged", hint)
    try:
        head.load_state_dict(tensors)
    except RuntimeError as error:
        first = str(error).splitlines()[1].strip() if len(str(error).splitlines()) > 1 else str(error)
        raise InputError(f"the tensors of {path} do not fit its {arch['head']!r} architecture ({first})", hint) from None
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
            f"train one with 'restoretk train --head {method} --out DIR' and pass weights='DIR/model.safetensors'",
        )
    return shipped[method]
