"""How fast the command line answers ``--help``: ``restoretk --help`` and each command's, against bare Python.

Each command line runs as a user types it (the installed ``restoretk`` script, a fresh
process), ``--repeats`` times, interleaved; the script prints each median and, as the
peer in the same run, the median of ``python -c pass`` (the interpreter's own start-up)
and of ``python -c "import numpy"``. Target: ``restoretk --help`` and
``restoretk deblur --help`` ≤ 0.5 s median.

    python benchmarks/bench_cli_startup.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("restoretk") or str(Path(sys.executable).with_name("restoretk"))
    lines = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        "restoretk --help": [script, "--help"],
        "restoretk deblur --help": [script, "deblur", "--help"],
        "restoretk upscale --help": [script, "upscale", "--help"],
        "restoretk denoise --help": [script, "denoise", "--help"],
        "restoretk bench --help": [script, "bench", "--help"],
        "restoretk train --help": [script, "train", "--help"],
        "restoretk psf --help": [script, "psf", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in lines}
    for _ in range(args.repeats):
        for name, command in lines.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load:.1f}; {args.repeats} interleaved runs")
    for name, measured in times.items():
        target = "  (target <= 0.5 s)" if name in ("restoretk --help", "restoretk deblur --help") else ""
        print(f"  {name:<28} median {statistics.median(measured):.3f} s{target}")


if __name__ == "__main__":
    main()
