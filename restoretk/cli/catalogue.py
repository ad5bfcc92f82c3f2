"""``restoretk methods`` and ``restoretk models``: what this installation can restore with."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from restoretk.cli.shell import user_errors

__all__ = ["methods", "models"]


def methods() -> None:
    """List the restoration methods and their options."""
    from restoretk.methods import list_methods

    for task in ("deblur", "upscale", "denoise"):
        typer.echo(f"{task}:")
        for m in list_methods(task):
            options = ", ".join(o for o in m.options if o != "boundary")
            scales = f"  [shipped model: x{', x'.join(map(str, sorted(m.scales)))}]" if task == "upscale" and m.scales else ""
            typer.echo(f"  {m.name:<18} {m.summary}" + (f"  [options: {options}]" if options else "") + scales)


def models(
    weights: List[Path] = typer.Argument(
        None, help="Weights files to describe (default: the shipped models).", metavar="[WEIGHTS]..."
    ),
) -> None:
    """List the trained models (shipped, or the given files) with their metadata and scores."""
    with user_errors():
        from restoretk.learners.weights import read_metadata, shipped_weights

        paths = {str(p): p for p in weights} if weights else shipped_weights()
        if not paths:
            typer.echo("no trained models ship with this installation; train one with 'restoretk train'")
            return
        for name, path in paths.items():
            meta = read_metadata(path)
            arch, val = meta["architecture"], meta.get("val", {})
            hyper = ", ".join(f"{k}={v}" for k, v in arch["body_options"].items())
            typer.echo(f"{name}: {arch['head']} ({arch['task']}, x{arch['scale']}), body {arch['body']}({hyper})")
            typer.echo(f"    {meta['parameters']:,} parameters, {path.stat().st_size / 1e6:.1f} MB, {path}")
            typer.echo(
                f"    trained {meta.get('epochs', '?')} epochs ({meta.get('steps', '?')} steps) on {meta.get('data', '?')}, "
                f"degradations {meta.get('degradations', '?')}, {meta.get('training_seconds', 0) / 3600:.1f} h on "
                f"{meta.get('hardware', '?')}"
            )
            earlier = meta.get("earlier", [])
            if earlier:
                chain = " + ".join(str(run.get("epochs", "?")) for run in earlier)
                typer.echo(
                    f"    fine-tuned from {earlier[-1].get('weights')}, after {len(earlier)} earlier run(s) "
                    f"of {chain} epochs ({sum(run.get('training_seconds') or 0 for run in earlier) / 3600:.1f} h)"
                )
            elif meta.get("training", {}).get("init"):
                typer.echo(f"    fine-tuned from {meta['training']['init']} (its own training not recorded)")
            if val:
                typer.echo(
                    f"    val ({val.get('images')} images, {val.get('protocol')}): "
                    f"PSNR {val.get('psnr', float('nan')):.2f} dB, SSIM {val.get('ssim', float('nan')):.4f}"
                )
            typer.echo(f"    restoretk {meta.get('restoretk', '?')}")
