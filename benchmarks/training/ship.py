"""Ship a run's weights: ``python benchmarks/training/ship.py runs/NAME/best.safetensors METHOD``.

Writes ``restoretk/weights/METHOD.safetensors`` with the run's metadata and a fresh
checksum of its tensors (weights written by an older restoretk had none), and checks
that the file holds a model of that method. Re-measure bf16 inference afterwards:
``python benchmarks/bench_inference_precision.py --only METHOD``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restoretk.learners.weights import load_weights, read_metadata, save_weights

SHIPPED = Path(__file__).resolve().parents[2] / "restoretk" / "weights"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("method")
    args = parser.parse_args()
    meta = read_metadata(args.weights)
    if meta["architecture"]["head"] != args.method:
        raise SystemExit(f"{args.weights} holds a {meta['architecture']['head']!r} model, not {args.method!r}")
    kept = {k: v for k, v in meta.items() if k not in ("architecture", "parameters", "checksum", "restoretk")}
    target = save_weights(load_weights(args.weights), SHIPPED / f"{args.method}.safetensors", **kept)
    print(f"{args.weights} -> {target} ({target.stat().st_size / 1e6:.1f} MB)")
