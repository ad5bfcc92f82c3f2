"""Wall time of ``restoretk bench`` on Dask with 1 and 2 workers, and against another restoretk (the old pool).

Runs the same bench command (BSDS500 val, first ``--limit`` images, two scenarios, five
contenders, no figures) into a fresh folder each time, as a user types it, start-up
included, interleaving the configurations and keeping the median of ``--repeats`` runs.
With ``--old DIR`` (a checkout of an earlier restoretk) it also times that code under
the same interpreter, with ``PYTHONPATH=DIR``; the rows of every configuration must agree
(but their times), or the script says so.

    git archive e89de2f | (mkdir -p /tmp/restoretk-old && tar -x -C /tmp/restoretk-old)
    python benchmarks/bench_dask.py --old /tmp/restoretk-old --repeats 3

Figures (2026-12-01, 2-core VM shared with other jobs; e89de2f: the last commit with the
home-made process pool) and what they say: ``benchmarks/results/bench-dask.md``.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

SCENARIOS = ("deblur-gauss2", "sr4-bicubic")
METHODS = ("wiener", "richardson-lucy", "skimage-wiener", "bicubic", "opencv-bicubic")


def _children_cpu() -> float:
    """CPU seconds of the finished child processes, theirs included (the bench joins its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Timing(NamedTuple):
    wall: float  # seconds, the command from start to exit
    cpu: float  # CPU seconds of it and its workers
    methods: float  # the methods' own seconds, summed over the rows (inside the units)


def bench_once(code: str | None, workers: int, data: str, limit: int) -> tuple[Timing, list[tuple[str, ...]]]:
    """The timing of one ``restoretk bench`` run (``code``: another restoretk on PYTHONPATH), and its rows
    but their times."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = code
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "restoretk", "bench", "--data", data, "--split", "val", "--limit", str(limit),
                   "--workers", str(workers), "--no-figures", "--out", out]  # fmt: skip
        for scenario in SCENARIOS:
            command += ["--scenario", scenario]
        for method in METHODS:
            command += ["--method", method]
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, env=env, check=True, capture_output=True, cwd=tempfile.gettempdir())
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
        with open(Path(out) / "per_image.csv", newline="") as f:
            table = list(csv.DictReader(f))
    rows = sorted(tuple(v for k, v in row.items() if k != "seconds") for row in table)
    return Timing(seconds, cpu, sum(float(row["seconds"]) for row in table)), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(__file__).resolve().parents[2] / "shared/data/BSDS500"
    parser.add_argument("--data", default=os.environ.get("RESTORETK_DATA", str(shared)), help="the BSDS500 folder")
    parser.add_argument("--limit", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old", help="a checkout of an earlier restoretk, timed with the same command")
    args = parser.parse_args()
    configs = [("dask", None, 1), ("dask", None, 2)]
    if args.old:
        configs += [("old", args.old, 1), ("old", args.old, 2)]
    timings: dict[tuple[str, int], list[Timing]] = {(name, j): [] for name, _, j in configs}
    reference = None
    for repeat in range(args.repeats):
        for name, code, workers in configs:
            timing, rows = bench_once(code, workers, args.data, args.limit)
            timings[(name, workers)].append(timing)
            reference = reference or rows
            same = "same rows" if rows == reference else "ROWS DIFFER"
            print(f"run {repeat + 1}: {name} -j {workers}: {timing.wall:6.1f} s wall, {timing.cpu:6.1f} s CPU, "
                  f"{timing.methods:6.1f} s in methods ({len(rows)} rows, {same})", flush=True)  # fmt: skip
    print(f"\n{args.limit} images of val, {', '.join(SCENARIOS)}; {', '.join(METHODS)}; median of {args.repeats}")
    for kind in Timing._fields:
        median = {key: statistics.median(getattr(t, kind) for t in values) for key, values in timings.items()}
        for (name, workers), value in median.items():
            line = f"{kind:7s} {name:4s} -j {workers}: {value:6.1f} s"
            if name == "dask" and ("old", workers) in median:
                line += f"  (dask / old: {value / median[('old', workers)]:.2f})"
            print(line)

if __name__ == "__main__":
    main()
