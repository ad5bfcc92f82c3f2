"""Folders of images and where to find BSDS500.

BSDS500 is never shipped with restoretk: :func:`find_data_root` looks for it where people
usually keep it, and :func:`download_bsds500` fetches the official archive on request
(``restoretk fetch-data``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from restoretk.errors import InputError, RestoreError
from restoretk.io.atomic import atomic_open

__all__ = [
    "IMAGE_SUFFIXES",
    "BSDS500_SPLITS",
    "BSDS500_SIZES",
    "BSDS500_PAGE",
    "BSDS500_URL",
    "BSDS500_ARCHIVE_BYTES",
    "BSDS500_SHA256",
    "DATA_ENV",
    "ImageFolder",
    "bsds500",
    "candidate_roots",
    "download_bsds500",
    "find_data_root",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
"""File suffixes (lower case) that count as images: those :func:`restoretk.io.read_image` reads."""

BSDS500_SPLITS = ("train", "val", "test")
BSDS500_SIZES = {"train": 200, "val": 100, "test": 200}
"""Images per split; val/ is BSD100 of the super-resolution literature."""

DATA_ENV = "RESTORETK_DATA"
"""Environment variable naming the BSDS500 folder (the one holding train/ val/ test/)."""

BSDS500_PAGE = "https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/resources.html"
BSDS500_URL = "http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/BSR/BSR_bsds500.tgz"
BSDS500_ARCHIVE_BYTES = 70_763_455
"""Size of ``BSR_bsds500.tgz`` as published (``gzip -l`` reports it in public course notes)."""
BSDS500_SHA256: str | None = None
"""No SHA-256 of the archive is published by Berkeley and none could be confirmed from a
public source, so the download is checked by its size and by the image counts of each
split, and the computed SHA-256 is printed so that it can be pinned here once confirmed."""

_ARCHIVE_IMAGES = "BSR/BSDS500/data/images/"


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() for p in folder.iterdir()
    )


def _is_data_root(folder: Path) -> bool:
    return any(_has_images(folder / split) for split in BSDS500_SPLITS)


def candidate_roots() -> list[Path]:
    """Standard places searched for BSDS500, in order, after ``--data`` and ``RESTORETK_DATA``.

    Returns
    -------
    list of pathlib.Path
        ``./data/BSDS500``, ``../shared/data/BSDS500`` (both from the current directory),
        ``~/.cache/restoretk/BSDS500`` and ``~/data/BSDS500``.

    Examples
    --------
    >>> [p.name for p in candidate_roots()]
    ['BSDS500', 'BSDS500', 'BSDS500', 'BSDS500']
    """
    cwd = Path.cwd()
    home = Path.home()
    return [
        cwd / "data" / "BSDS500",
        cwd.parent / "shared" / "data" / "BSDS500",
        home / ".cache" / "restoretk" / "BSDS500",
        home / "data" / "BSDS500",
    ]


def find_data_root(data: str | Path | None = None) -> Path:
    """The BSDS500 folder: the one that holds ``train/``, ``val/`` and ``test/``.

    Looks at `data` if given, else at ``$RESTORETK_DATA``, else at the standard places of
    :func:`candidate_roots`. A folder qualifies if at least one split folder holds images.

    Parameters
    ----------
    data : str or pathlib.Path, optional
        Folder given by the user (``--data DIR``); an explicit folder that does not
        qualify is an error, not a reason to look elsewhere.

    Returns
    -------
    pathlib.Path
        The data root, resolved.

    Raises
    ------
    InputError
        If no folder qualifies; the message says where it looked and how to fix it.

    Examples
    --------
    >>> import tempfile, cv2
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     (root / "val").mkdir()
    ...     _ = cv2.imwrite(str(root / "val" / "1.png"), np.zeros((4, 4, 3), np.uint8))
    ...     find_data_root(root) == root.resolve()
    True
    """
    if data is not None:
        root = Path(data).expanduser()
        if not _is_data_root(root):
            raise InputError(
                f"data={str(root)!r} has no train/, val/ or test/ folder with images",
                "point it at the BSDS500 folder that holds train/ val/ test/",
            )
        return root.resolve()
    from_env = os.environ.get(DATA_ENV)
    if from_env:
        root = Path(from_env).expanduser()
        if not _is_data_root(root):
            raise InputError(
                f"{DATA_ENV}={from_env} has no train/, val/ or test/ folder with images",
                f"set {DATA_ENV} to the BSDS500 folder that holds train/ val/ test/",
            )
        return root.resolve()
    searched = candidate_roots()
    for root in searched:
        if _is_data_root(root):
            return root.resolve()
    raise InputError(
        f"BSDS500 not found (looked in `data`, ${DATA_ENV}, {', '.join(map(str, searched))})",
        f"get it from {BSDS500_PAGE} or run `restoretk fetch-data`, "
        f"then pass data='DIR' or set {DATA_ENV}=DIR (DIR holding train/ val/ test/)",
    )


class ImageFolder(Sequence[tuple[str, np.ndarray]]):
    """The images of one folder, in sorted file-name order, read on access.

    Parameters
    ----------
    root : str or pathlib.Path
        Folder of images (any of :data:`IMAGE_SUFFIXES`; other files are ignored).
    split : str, optional
        Subfolder of `root` to use instead, e.g. ``"val"`` of BSDS500.

    Attributes
    ----------
    folder : pathlib.Path
        The folder read (``root / split`` when a split is given).
    paths : list of pathlib.Path
        The image files, sorted by name.

    Raises
    ------
    InputError
        If the folder does not exist, holds no images, or `split` is not a subfolder
        (the message lists those that are).

    Examples
    --------
    >>> import tempfile, cv2
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("b", "a"):
    ...         _ = cv2.imwrite(f"{tmp}/{name}.png", np.zeros((4, 6, 3), np.uint8))
    ...     folder = ImageFolder(tmp)
    ...     len(folder), folder.names, len(folder.limit(1))
    (2, ['a', 'b'], 1)
    """

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise InputError(f"image folder {root} does not exist", "pass an existing folder of images")
        folder = root
        if split is not None:
            folder = root / split
            if not _has_images(folder):
                found = sorted(p.name for p in root.iterdir() if _has_images(p))
                raise InputError(
                    f"no split {split!r} with images in {root}",
                    f"use one of: {', '.join(found)}" if found else "this folder has no subfolders of images",
                )
        self.folder = folder
        self.split = split
        self.paths = sorted(
            (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: p.name,
        )
        if not self.paths:
            raise InputError(
                f"no images in {folder}", f"put {', '.join(IMAGE_SUFFIXES)} files there or pick another folder"
            )

    @classmethod
    def _from_paths(cls, folder: Path, split: str | None, paths: list[Path]) -> ImageFolder:
        new = cls.__new__(cls)
        new.folder, new.split, new.paths = folder, split, paths
        return new

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[str, np.ndarray]:  # type: ignore[override]
        """``(name, image)``: the file stem and the image as float32 ``H×W×3`` in [0, 1]."""
        if isinstance(index, slice):
            raise TypeError("ImageFolder takes an integer index; use .limit(n) for the first n images")
        path = self.paths[index]
        from restoretk.io import read_image  # io pulls in the codecs; only readers need them

        image, _ = read_image(path)
        image = np.asarray(image, dtype=np.float32)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        elif image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        elif image.shape[2] == 4:
            image = image[..., :3]
        return path.stem, image

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        for index in range(len(self)):
            yield self[index]

    def limit(self, n: int | None) -> ImageFolder:
        """The same folder restricted to its first `n` images (all of them if `n` is None).

        Parameters
        ----------
        n : int or None
            Number of images to keep, at least 1.

        Returns
        -------
        ImageFolder
            A new folder; this one is unchanged.
        """
        if n is None:
            return self._from_paths(self.folder, self.split, list(self.paths))
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"image limit must be a positive integer, got {n!r}", "pass e.g. limit(10)")
        return self._from_paths(self.folder, self.split, self.paths[: int(n)])

    def tail(self, n: int) -> ImageFolder:
        """The same folder restricted to its last `n` images (a held-out part; see :meth:`limit`)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"image count must be a positive integer, got {n!r}", "pass e.g. tail(8)")
        return self._from_paths(self.folder, self.split, self.paths[-int(n) :])

    @property
    def names(self) -> list[str]:
        """File stems, in order."""
        return [p.stem for p in self.paths]

    def __repr__(self) -> str:
        return f"ImageFolder({str(self.folder)!r}, {len(self)} images)"


def bsds500(split: str = "val", *, data: str | Path | None = None) -> ImageFolder:
    """One BSDS500 split as an :class:`ImageFolder`, found by :func:`find_data_root`.

    Parameters
    ----------
    split : {"train", "val", "test"}
        ``val`` is BSD100 of the super-resolution literature.
    data : str or pathlib.Path, optional
        The BSDS500 folder, as ``--data``.

    Returns
    -------
    ImageFolder
    """
    if split not in BSDS500_SPLITS:
        raise InputError(f"unknown BSDS500 split {split!r}", f"use one of: {', '.join(BSDS500_SPLITS)}")
    return ImageFolder(find_data_root(data), split)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_bsds500(dest: str | Path, *, url: str = BSDS500_URL) -> Path:
    """Download the official ``BSR_bsds500.tgz`` and keep only its images, by split.

    Writes ``dest/train``, ``dest/val`` and ``dest/test`` (200/100/200 JPEGs); the
    segmentation ground truth is not extracted. The archive (about 71 MB) is checked by
    size and image counts, and its SHA-256 is printed (see :data:`BSDS500_SHA256`).

    Parameters
    ----------
    dest : str or pathlib.Path
        Folder to create, e.g. ``~/.cache/restoretk/BSDS500``; then pass it as ``--data``.
    url : str
        Where to download the archive from.

    Returns
    -------
    pathlib.Path
        `dest`, ready for :func:`find_data_root`.

    Raises
    ------
    RestoreError
        If the download fails or does not match the published archive.
    """
    from tqdm.auto import tqdm

    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as tmp:
        archive = Path(tmp) / "BSR_bsds500.tgz"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc="BSR_bsds500.tgz") as bar:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
                        bar.update(len(block))
        except OSError as error:
            raise RestoreError(
                f"could not download {url} ({error})",
                f"download it by hand from {BSDS500_PAGE} and extract its images into {dest}",
            ) from error
        size = archive.stat().st_size
        digest = _sha256(archive)
        print(f"BSR_bsds500.tgz: {size} bytes, sha256 {digest}")
        if BSDS500_SHA256 is not None and digest != BSDS500_SHA256:
            raise RestoreError(
                f"downloaded archive has sha256 {digest}, expected {BSDS500_SHA256}",
                f"delete {dest} and try again, or download it by hand from {BSDS500_PAGE}",
            )
        if size != BSDS500_ARCHIVE_BYTES:
            raise RestoreError(
                f"downloaded archive has {size} bytes, expected {BSDS500_ARCHIVE_BYTES}",
                f"delete {dest} and try again, or download it by hand from {BSDS500_PAGE}",
            )
        counts = dict.fromkeys(BSDS500_SPLITS, 0)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not (member.isfile() and member.name.startswith(_ARCHIVE_IMAGES)):
                    continue
                parts = member.name[len(_ARCHIVE_IMAGES) :].split("/")
                # Only split/name.jpg, written under a name we build: no path from the archive.
                if len(parts) != 2 or parts[0] not in counts or Path(parts[1]).suffix.lower() != ".jpg":
                    continue
                split, name = parts
                (dest / split).mkdir(exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with source, atomic_open(dest / split / Path(name).name, "wb") as out:
                    shutil.copyfileobj(source, out)
                counts[split] += 1
    if counts != BSDS500_SIZES:
        raise RestoreError(
            f"archive held {counts} images per split, expected {BSDS500_SIZES}",
            f"download it by hand from {BSDS500_PAGE}",
        )
    return dest
