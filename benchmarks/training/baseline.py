"""Validation scores of a run's starting point: its head before training.

Every body's last layer starts at zero, so an untrained head is its classical
estimate: the Wiener filter for ``mpr``, ``wiener-resid`` and ``mpr-sr``, bicubic
upscaling for ``srnet``. Scored on the run's own validation pairs (same photos, same
seeded degradations), these are the numbers its ``metrics.csv`` improves on.

    python benchmarks/training/baseline.py runs/mpr [runs/mpr-sr ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from restoretk.learners.training import TrainConfig, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (holding config.json)")
    args = parser.parse_args()
    for run in args.runs:
        config = json.loads((run / "config.json").read_text())
        trainer = Trainer(TrainConfig(**{**config, "out": str(run), "threads": 1}))
        val = trainer.validate()
        print(
            f"{run}: untrained {config['head']} on {config['val_images']} val photos ({config['degradations']}): "
            f"loss {val['loss']:.4f}, PSNR {val['psnr']:.2f} dB, SSIM {val['ssim']:.4f}"
        )


if __name__ == "__main__":
    main()
