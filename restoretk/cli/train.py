"""``restoretk train``: the command-line shell over :class:`restoretk.learners.training.Trainer`.

Only typer is imported here; Torch and the trainer load when the command runs.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from restoretk.cli.shell import parse_options, user_errors

__all__ = ["train", "without_nproc"]


def train(
    out: Path = typer.Option(..., "--out", "-o", help="Run folder: checkpoint, metrics.csv, convergence.png, model.safetensors."),
    task: str = typer.Option("deblur", "--task", help="deblur or sr (super-resolution, x4)."),
    head: Optional[str] = typer.Option(
        None, "--head", help="mpr, mpr-df, wiener-resid (deblur); mpr-sr, srnet (sr). Default: mpr / mpr-sr."
    ),
    body: str = typer.Option("resnet", "--body", help="Network body: resnet or unet."),
    base_filter: Optional[int] = typer.Option(None, "--base-filter", help="Feature channels of the body (default: the body's)."),
    num_residuals: Optional[int] = typer.Option(None, "--num-residuals", help="Residual blocks (default: the body's)."),
    body_option: List[str] = typer.Option(
        [], "--body-option", "-B", help="Other body hyper-parameter NAME=VALUE, e.g. -B decimation=2 or -B depth=3."
    ),
    degradations: Optional[str] = typer.Option(
        None, "--degradations", help="Training degradations: deblur (default for deblur), sr-bicubic (default for sr), sr."
    ),
    psf_error: float = typer.Option(
        0.0, "--psf-error", help="Tell the head a PSF wrong by this fraction on half the patches (σ ±E for Gaussians; 0: exact)."
    ),
    init: Optional[Path] = typer.Option(
        None, "--init", help="Start from these weights (.safetensors of the same architecture): fine-tuning."
    ),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs (default 10; with --resume: extend the run to N)."),
    steps_per_epoch: int = typer.Option(200, "--steps-per-epoch", help="Optimizer steps per epoch."),
    batch_size: int = typer.Option(8, "--batch-size", help="Patches per step."),
    patch: int = typer.Option(64, "--patch", help="Side of the high-resolution training patches."),
    optimizer: str = typer.Option("adam", "--optimizer", help="sgd, adam, adamw, rmsprop or adagrad."),
    lr: float = typer.Option(1e-3, "--lr", help="Initial learning rate."),
    momentum: float = typer.Option(0.9, "--momentum", help="Momentum (Adam's beta1)."),
    weight_decay: float = typer.Option(0.0, "--weight-decay", help="Weight decay."),
    loss: str = typer.Option("l1", "--loss", help="mse, l1 or smoothl1."),
    clip_grad: float = typer.Option(1.0, "--clip-grad", help="Largest gradient norm per step (0: no clipping)."),
    scheduler: str = typer.Option("cosine", "--scheduler", help="cosine, step or none."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    data: Optional[Path] = typer.Option(None, "--data", help="BSDS500 folder (holding train/ and val/)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the initialisation and of every draw."),
    train_images: Optional[int] = typer.Option(None, "--train-images", help="Use only the first N training photos."),
    val_images: int = typer.Option(8, "--val-images", help="Validation photos (the first N of BSDS500 val)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads (default: one per core)."),
    precision: str = typer.Option(
        "auto", "--precision", help="Body arithmetic: auto (bf16 where the CPU/GPU has it natively, else fp32), bf16, fp16, fp32."
    ),
    channels_last: bool = typer.Option(True, "--channels-last/--no-channels-last", help="Body tensors in channels-last memory order."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Processes preparing batches while the network trains (default: 1 if a core is spare; 0: in turn)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out where it stopped (its settings are kept)."),
    nproc: int = typer.Option(
        1, "--nproc", help="Train on N processes (DistributedDataParallel under torchrun: gloo on CPUs, NCCL on GPUs)."
    ),
) -> None:
    """Train a learned restorer on BSDS500 with on-the-fly degradations; Ctrl-C saves, --resume continues."""
    with user_errors():
        from restoretk.errors import RestoreError
        from restoretk.learners.training import CHECKPOINT, TrainConfig, Trainer

        for flag, value in (("--epochs", epochs), ("--steps-per-epoch", steps_per_epoch), ("--batch-size", batch_size), ("--patch", patch)):
            if value is not None and value < 1:
                raise RestoreError(f"{flag} {value} is not a positive number", f"use e.g. {flag} {10 if flag == '--epochs' else 8}")
        if nproc != 1 and "WORLD_SIZE" not in os.environ:
            from restoretk.learners.distributed import launch

            raise typer.Exit(launch(nproc, without_nproc(sys.argv[sys.argv.index("train") + 1 :])))
        command = shlex.join(["restoretk", *sys.argv[1:]])
        if resume:
            trainer = Trainer.resume(out, epochs=epochs, command=command, workers=workers)
        else:
            if (out / CHECKPOINT).exists():
                raise RestoreError(f"{out} already holds a run", "add --resume to continue it, or choose another --out")
            hyper = parse_options(body_option)
            hyper.update({k: v for k, v in (("base_filter", base_filter), ("num_residuals", num_residuals)) if v is not None})
            config = TrainConfig(
                out=str(out), task=task, head=head, body=body, body_options=hyper, degradations=degradations,
                psf_error=psf_error, init=None if init is None else str(init), epochs=10 if epochs is None else epochs, steps_per_epoch=steps_per_epoch, batch_size=batch_size, patch=patch,
                optimizer=optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay, loss=loss,
                clip_grad=clip_grad or None, scheduler=scheduler, device=device,
                data=None if data is None else str(data), seed=seed, train_images=train_images,
                val_images=val_images, threads=threads, precision=precision, channels_last=channels_last,
                workers=workers,
            )  # fmt: skip
            trainer = Trainer(config, command)
        done = trainer.fit()
        if not done:
            typer.echo(f"interrupted; checkpoint saved in {out} (continue with --resume)", err=True)
            raise typer.Exit(130)
        typer.echo(f"weights: {out / 'model.safetensors'}", err=True)


def without_nproc(arguments: List[str]) -> List[str]:
    """The command line minus ``--nproc N`` (torchrun's ranks must not launch again)."""
    kept, skip = [], False
    for argument in arguments:
        if skip:
            skip = False
        elif argument == "--nproc":
            skip = True
        elif not argument.startswith("--nproc="):
            kept.append(argument)
    return kept
