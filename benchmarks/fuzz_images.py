"""Fuzzing the image reader and the command line with damaged PNG, JPEG, TIFF and BMP files.

Seeds: small grey, RGB and RGBA images at 8 and 16 bits in every format that holds
them. Each fuzzed file is one seed with bit flips, a truncation, or a mutated header
(random bytes in the first 64, or the size fields grown). Every file goes through
``read_image`` (each under a time limit), then all of them through one
``restoretk deblur --keep-going`` batch. Wanted: zero tracebacks, zero hangs; each file
is either read or refused with an InputError.

    python benchmarks/fuzz_images.py [--count 500] [--seed 0] [--folder /tmp/fuzz]
"""

from __future__ import annotations

import argparse
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from restoretk.errors import RestoreError
from restoretk.io import read_image, write_image

#: Seconds one read may take before it counts as a hang.
READ_LIMIT = 20


def seed_images(folder: Path) -> list[Path]:
    """Valid images to damage: grey, RGB, RGBA; 8 and 16 bits; PNG, JPEG, TIFF, BMP."""
    rng = np.random.default_rng(0)
    seeds = []
    for suffix, depths, alpha_ok in ((".png", (8, 16), True), (".tif", (8, 16), True), (".jpg", (8,), False), (".bmp", (8,), True)):
        for depth in depths:
            for channels in (1, 3, 4):
                if channels == 4 and not alpha_ok:
                    continue
                pixels = rng.random((37, 45, 3)) if channels > 1 else rng.random((37, 45))
                alpha = rng.random((37, 45)) if channels == 4 else None
                path = folder / f"seed-{depth}bit-{channels}ch{suffix}"
                write_image(path, pixels, bit_depth=depth, alpha=alpha)
                seeds.append(path)
    return seeds


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One damage: bit flips, a truncation, random header bytes, or grown size fields."""
    data = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:  # bit flips anywhere
        for position in rng.integers(0, len(data), rng.integers(1, 20)):
            data[position] ^= 1 << int(rng.integers(8))
    elif kind == 1:  # truncation
        data = data[: int(rng.integers(1, len(data)))]
    elif kind == 2:  # random bytes in the header
        for position in rng.integers(0, min(64, len(data)), rng.integers(1, 6)):
            data[position] = int(rng.integers(256))
    else:  # a 16-bit or 32-bit field in the header set to a large value (sizes live there)
        position = int(rng.integers(0, min(64, len(data) - 4)))
        width = 2 if rng.integers(2) else 4
        value = int(rng.integers(1, 2 ** (8 * width)))
        data[position : position + width] = value.to_bytes(width, "big" if rng.integers(2) else "little")
    return bytes(data)


def fuzzed_files(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` damaged copies of :func:`seed_images`, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = [(p.suffix, p.read_bytes()) for p in seed_images(Path(tmp))]
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(count):
        suffix, data = seeds[k % len(seeds)]
        path = folder / f"fuzz-{k:04d}{suffix}"
        path.write_bytes(mutate(data, rng))
        paths.append(path)
    return paths


def read_outcome(path: Path) -> str:
    """``read``, ``refused`` (an InputError), ``traceback: ...`` or ``hang``."""

    def timeout(signum, frame):  # noqa: ANN001
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(READ_LIMIT)
    try:
        read_image(path)
        return "read"
    except RestoreError:
        return "refused"
    except TimeoutError:
        return "hang"
    except Exception as error:  # noqa: BLE001 - what the fuzzing looks for
        return f"traceback: {type(error).__name__}: {error}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli_batch(paths: list[Path], out: Path, limit: float) -> tuple[int | None, str, float]:
    """One ``restoretk deblur --keep-going`` over ``paths``: exit code (None: hung), stderr, seconds."""
    command = [sys.executable, "-m", "restoretk", "deblur", "--psf", "gauss:1", "--noise", "0.01",
               "--keep-going", "-o", f"{out}/", *map(str, paths)]  # fmt: skip
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired as expired:
        return None, expired.stderr or "", time.perf_counter() - start
    return done.returncode, done.stderr, time.perf_counter() - start


def foreign_free(line: str) -> bool:
    """Whether a line of stderr is restoretk's own: an error, a failure listed, a note, a written output."""
    return line.startswith(("error: ", "  ", "note: ", "deblurring", "checking")) or " -> " in line or not line.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        paths = fuzzed_files(folder / "in", args.count, args.seed)
        start = time.perf_counter()
        outcomes = {path: read_outcome(path) for path in paths}
        tally = Counter(o if not o.startswith("traceback") else "traceback" for o in outcomes.values())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"read_image on {len(paths)} fuzzed files in {time.perf_counter() - start:.1f} s: {dict(tally)}, peak {peak:.0f} MB")
        for path, outcome in outcomes.items():
            if outcome not in ("read", "refused"):
                print(f"  {path.name}: {outcome}")
        code, stderr, seconds = cli_batch(paths, folder / "out", limit=60 + 2 * len(paths))
        written = len(list((folder / "out").glob("*"))) if (folder / "out").exists() else 0
        tracebacks = stderr.count("Traceback")
        foreign = [line for line in stderr.splitlines() if not foreign_free(line)]
        print(
            f"restoretk deblur --keep-going on {len(paths)} files: exit {code}, {written} written, "
            f"{tracebacks} tracebacks, {len(foreign)} lines not restoretk's, {seconds:.1f} s" + (" (HUNG)" if code is None else "")
        )
        for line in foreign[:10]:
            print(f"  foreign: {line}")
        print("  " + next((line for line in stderr.splitlines() if line.startswith("error:")), "no failures reported"))
        ok = tally.get("traceback", 0) == 0 and tally.get("hang", 0) == 0 and code in (0, 2) and tracebacks == 0
        print("PASS: zero tracebacks, zero hangs" if ok else "FAIL")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
