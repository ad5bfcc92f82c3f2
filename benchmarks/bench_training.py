"""Training speed: the float32 NCHW path with in-line batches against bf16 channels-last with a data worker.

Both paths train the same head and body on the same pairs, step for step, interleaved
in one process so that the machine's load falls on both alike; the figure is training
samples (patches) per second, and the ratio new / old. With ``--equal-steps N`` it also
trains the shipped ``mpr`` body N steps in float32 and N steps in bf16 from the same
start and reports both validation PSNRs (the same 8 BSDS500 val photos).

    python benchmarks/bench_training.py                      # speed, every body below
    python benchmarks/bench_training.py --equal-steps 400    # and the bf16 / fp32 convergence check
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from restoretk.learners.batches import batches
from restoretk.learners.training import TrainConfig, Trainer

#: name: (task, head, body, body options, patch, batch size); the first two are the shipped models'
BODIES = {
    "mpr (shipped)": ("deblur", "mpr", "resnet", {"base_filter": 32, "num_residuals": 8}, 128, 4),
    "mpr-sr (shipped)": ("sr", "mpr-sr", "resnet", {"base_filter": 64, "num_residuals": 10, "decimation": 4}, 96, 8),
    "mpr resnet 64x16": ("deblur", "mpr", "resnet", {"base_filter": 64, "num_residuals": 16}, 128, 4),
    "mpr unet 32, depth 3": ("deblur", "mpr", "unet", {"base_filter": 32, "num_residuals": 2, "depth": 3}, 192, 2),
}

PATHS = {
    "today (fp32, NCHW, in-line batches)": dict(precision="fp32", channels_last=False, workers=0),
    "new (auto precision, channels-last, 1 worker)": dict(precision="auto", channels_last=True, workers=1),
}


def trainer(out: str, task: str, head: str, body: str, options: dict, patch: int, batch: int, **path) -> Trainer:
    config = TrainConfig(
        out=out, task=task, head=head, body=body, body_options=options, patch=patch, batch_size=batch,
        epochs=1, steps_per_epoch=10**6, threads=torch.get_num_threads(), val_images=1, **path,
    )  # fmt: skip
    return Trainer(config)


def speed(rounds: int, steps: int) -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; samples/s, median of {rounds} rounds of {steps} steps")
    for name, (task, head, body, options, patch, batch) in BODIES.items():
        with tempfile.TemporaryDirectory() as folder:
            runs = {path: trainer(folder, task, head, body, options, patch, batch, **kw) for path, kw in PATHS.items()}
            streams = {path: batches(t.batches, 0, 10**6, t.workers) for path, t in runs.items()}
            rates: dict[str, list[float]] = {path: [] for path in runs}
            for path, run in runs.items():  # warm up: worker start, first allocations
                run._train_step(*next(streams[path]))
            for _ in range(rounds):
                for path, run in runs.items():
                    started = time.perf_counter()
                    for _ in range(steps):
                        run._train_step(*next(streams[path]))
                    rates[path].append(steps * batch / (time.perf_counter() - started))
        old, new = (statistics.median(r) for r in rates.values())
        print(f"{name:24s} {old:7.2f} -> {new:7.2f} samples/s   x{new / old:.2f}")


def equal_steps(steps: int) -> None:
    task, head, body, options, patch, batch = BODIES["mpr (shipped)"]
    scores = {}
    for precision in ("fp32", "bf16"):
        with tempfile.TemporaryDirectory() as folder:
            config = TrainConfig(
                out=folder, task=task, head=head, body=body, body_options=options, patch=patch, batch_size=batch,
                epochs=1, steps_per_epoch=steps, lr=5e-4, precision=precision, threads=torch.get_num_threads(),
            )  # fmt: skip
            run = Trainer(config)
            started = time.perf_counter()
            run.fit()
            scores[precision] = run.history[-1]["val_psnr"]
            print(f"{precision}: val PSNR {scores[precision]:.3f} dB after {steps} steps ({time.perf_counter() - started:.0f} s)")
    print(f"bf16 - fp32: {scores['bf16'] - scores['fp32']:+.3f} dB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--only", help="one body of BODIES (default: all)")
    parser.add_argument("--equal-steps", type=int, default=0, help="also the bf16 / fp32 convergence check, N steps")
    args = parser.parse_args()
    if args.only:
        BODIES = {args.only: BODIES[args.only]}
    speed(args.rounds, args.steps)
    if args.equal_steps:
        equal_steps(args.equal_steps)
