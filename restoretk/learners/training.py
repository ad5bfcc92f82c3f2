"""Training a head: the loop behind ``restoretk train``.

A run lives in one folder: ``config.json`` (what was asked), ``checkpoint.pt`` (model,
optimizer, scheduler, every random state, the position in the epoch, the history),
``metrics.csv`` and ``convergence.png`` (one row and one point per epoch),
``model.safetensors`` (the weights with their metadata, rewritten every epoch) and
``best.safetensors`` (those of the epoch with the best validation PSNR so far).

Training pairs are made on the fly from BSDS500 train (:mod:`restoretk.learners.degradations`);
every epoch ends with a validation on a fixed subset of BSDS500 val, whole images
degraded once with seeded draws. Train PSNR/SSIM are running averages over the
epoch's patches; val scores are full-image scores (deblurring: RGB; super-resolution:
Y channel with the scale shaved, the protocol of SR papers).

The network body runs under bf16 autocast with channels-last tensors where the hardware
computes bf16 natively (``--precision auto``, :mod:`restoretk.learners.precision`);
weights, optimizer state, the loss and the Fourier maths stay float32. Pair synthesis
and the pre-solve run in worker processes (:mod:`restoretk.learners.batches`), which
prepare the next batches while the network trains.

A run is deterministic for a seed, and ``resume`` continues exactly where it stopped: a
checkpoint (weights, optimizer, scheduler and every random state) is written after
every epoch and, on Ctrl-C, after the step in flight, so the resumed run draws the same
patches and takes the same steps (pair ``k`` of a run has its own seed, so neither the
number of workers nor an interruption changes what is drawn). Its numbers match an uninterrupted run's to float32
rounding, not always bit for bit: the CPU convolution kernels may round differently
with the memory alignment of their buffers (two identical runs in one process differ
in the ninth digit of PSNR).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from restoretk.data import bsds500
from restoretk.errors import RestoreError
from restoretk.io.atomic import atomic_path, atomic_write_text
from restoretk.learners.batches import TrainingBatches, batches
from restoretk.learners.bodies import body_options
from restoretk.learners.distributed import join
from restoretk.learners.degradations import DEGRADATIONS, PairSampler, validation_pairs
from restoretk.learners.heads import HEADS, Head, Problem, build_head
from restoretk.learners.inference import choose_device
from restoretk.learners.precision import PRECISIONS, resolve_precision
from restoretk.learners.weights import load_weights, save_weights
from restoretk.metrics import psnr, ssim

__all__ = ["TrainConfig", "Trainer", "OPTIMIZERS", "LOSSES", "SCHEDULERS", "TASKS"]

@dataclass(frozen=True)
class Task:
    """What ``--task`` sets: the default head, degradations and body options, and the data.

    ``held_out``: the task reports on BSDS500 val (BSD100 for super-resolution, CBSD68
    for denoising), so it trains on train + test and validates on the last
    ``--val-images`` photos of test, held out of training; otherwise it trains on
    train and validates on val.
    """

    head: str
    degradations: str
    body_defaults: dict[str, Any]
    held_out: bool


TASKS = {
    "deblur": Task("mpr", "handheld", {}, held_out=False),
    # super-resolution bodies work on the low-resolution grid
    "sr": Task("mpr-sr", "sr-bicubic", {"decimation": 4}, held_out=True),
    "denoise": Task("denoiser", "denoise", {}, held_out=True),
}

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "sgd": lambda p, c: torch.optim.SGD(p, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay),
    # fused: one kernel for all parameters instead of a dozen per tensor (the per-tensor
    # loop cost a fifth of a small body's CPU step)
    "adam": lambda p, c: torch.optim.Adam(
        p, lr=c.lr, betas=(c.momentum, 0.999), weight_decay=c.weight_decay, fused=True
    ),
    "adamw": lambda p, c: torch.optim.AdamW(
        p, lr=c.lr, betas=(c.momentum, 0.999), weight_decay=c.weight_decay, fused=True
    ),
    "rmsprop": lambda p, c: torch.optim.RMSprop(p, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay),
    "adagrad": lambda p, c: torch.optim.Adagrad(p, lr=c.lr, weight_decay=c.weight_decay),
}
"""Optimizers by name; ``momentum`` is Adam's β₁."""

LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    # quadratic below 0.01 (2.5 grey levels), linear above
    "smoothl1": lambda a, b: F.smooth_l1_loss(a, b, beta=0.01),
}

SCHEDULERS = ("cosine", "step", "none")
"""Learning rate per step: cosine decay to 1 %; ÷10 at half and at three quarters; constant.
With ``--resume --epochs N`` (more than before) the schedule is stretched to the new length."""

CHECKPOINT = "checkpoint.pt"

#: Seed of the validation degradations: fixed, so runs of any ``--seed`` are scored alike.
VALIDATION_SEED = 0

METRICS = ("epoch", "steps", "lr", "train_loss", "train_psnr", "train_ssim", "val_loss", "val_psnr", "val_ssim", "seconds")


@dataclass
class TrainConfig:
    """Everything a run depends on (saved as ``config.json`` and in every checkpoint)."""

    out: str
    task: str = "deblur"
    head: str | None = None
    body: str = "resnet"
    body_options: dict[str, Any] = field(default_factory=dict)
    degradations: str | None = None
    psf_error: float = 0.0
    init: str | None = None
    epochs: int = 10
    steps_per_epoch: int = 200
    batch_size: int = 8
    patch: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    loss: str = "l1"
    clip_grad: float | None = 1.0
    scheduler: str = "cosine"
    device: str = "auto"
    data: str | None = None
    seed: int = 0
    train_images: int | None = None
    val_images: int = 8
    threads: int | None = None
    precision: str = "auto"
    channels_last: bool = True
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise RestoreError(f"unknown task {self.task!r}", f"use one of: {', '.join(TASKS)}")
        task = TASKS[self.task]
        self.head = self.head or task.head
        self.degradations = self.degradations or task.degradations
        known = body_options(self.body)
        defaults = {k: v for k, v in task.body_defaults.items() if k in known}
        self.body_options = body_options(self.body, **{**defaults, **self.body_options})
        checks = [
            (self.head in HEADS, f"unknown head {self.head!r}", f"use one of: {', '.join(HEADS)}"),
            (self.degradations in DEGRADATIONS, f"unknown degradations {self.degradations!r}",
             f"use one of: {', '.join(DEGRADATIONS)}"),
            (self.optimizer in OPTIMIZERS, f"unknown optimizer {self.optimizer!r}", f"use one of: {', '.join(OPTIMIZERS)}"),
            (self.loss in LOSSES, f"unknown loss {self.loss!r}", f"use one of: {', '.join(LOSSES)}"),
            (self.scheduler in SCHEDULERS, f"unknown scheduler {self.scheduler!r}", f"use one of: {', '.join(SCHEDULERS)}"),
            (self.precision in PRECISIONS, f"unknown precision {self.precision!r}", f"use one of: {', '.join(PRECISIONS)}"),
            (self.workers is None or self.workers >= 0, f"{self.workers} data workers", "use workers=0 or more"),
            (0 <= self.psf_error < 1, f"PSF error {self.psf_error!r} is not in [0, 1)", "use e.g. psf_error=0.2"),
            (min(self.epochs, self.steps_per_epoch, self.batch_size, self.val_images) >= 1 and self.lr > 0,
             "epochs, steps per epoch, batch size, val images and lr must be positive", "use e.g. epochs=10 and lr=1e-3"),
        ]
        for ok, problem, hint in checks:
            if not ok:
                raise RestoreError(problem, hint)
        for what, task in (("head", HEADS[self.head].task), ("degradations", DEGRADATIONS[self.degradations].task)):
            if task != self.task:
                raise RestoreError(f"{what} {getattr(self, what)!r} is for task={task!r}", f"use task={task!r}")


class Trainer:
    """Trains the head of a :class:`TrainConfig`, writing everything to ``config.out``.

    Parameters
    ----------
    config : TrainConfig
        The run.
    command : str, optional
        The command line, kept in the weights' metadata.
    """

    def __init__(self, config: TrainConfig, command: str | None = None) -> None:
        self.config = config
        self.command = command
        self.out = Path(config.out)
        if config.threads:
            import numba

            torch.set_num_threads(config.threads)
            numba.set_num_threads(config.threads)
        self.device = choose_device(config.device)
        self.ranks = join(self.device)  # rank 0 of 1 unless started by torchrun
        torch.manual_seed(config.seed)
        self.model = build_head(config.head, config.body, config.body_options)
        # the runs the --init weights came from, oldest first
        self.earlier = _initialise(self.model, config.init) if config.init else []
        self.model = self.model.to(self.device)
        self.precision = resolve_precision(config.precision, self.device)
        self.model.set_precision(self.precision, channels_last=config.channels_last)
        self.workers = _default_workers() if config.workers is None else config.workers
        # what trains: the head itself, or under torchrun its DistributedDataParallel wrapper
        self.network: nn.Module = self.model
        if self.ranks.count > 1:
            self.network = nn.parallel.DistributedDataParallel(self.model)
        self.optimizer = OPTIMIZERS[config.optimizer](self.model.parameters(), config)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._learning_rate_factor)
        self.loss = LOSSES[config.loss]
        degradations = DEGRADATIONS[config.degradations]
        train, validation, self.data_description = _photo_splits(config)
        self.train_count = len(train)
        self.sampler = PairSampler(train, degradations, config.patch, config.seed, config.psf_error)
        if config.batch_size % self.ranks.count:
            raise RestoreError(
                f"a batch of {config.batch_size} does not split into {self.ranks.count} equal shares",
                f"use a `batch_size` that is a multiple of {self.ranks.count}",
            )
        self.batches = TrainingBatches(
            self.sampler, self.model, config.batch_size, shard=(self.ranks.rank, self.ranks.count)
        )
        self.val_pairs = validation_pairs(validation, degradations, VALIDATION_SEED)
        self.epoch = 0  # epochs completed
        self.step = 0  # steps completed in the current epoch
        self.sums = np.zeros(4)  # loss, PSNR, SSIM, patches of the current epoch
        self.history: list[dict[str, float]] = []
        self.elapsed = 0.0  # seconds spent in finished steps and validations
        self._stop = False

    def _learning_rate_factor(self, step: int) -> float:
        """The schedule in closed form, so that a longer run continues it stretched."""
        total = self.config.epochs * self.config.steps_per_epoch
        if self.config.scheduler == "cosine":
            return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(step / total, 1.0)))
        if self.config.scheduler == "step":
            return 0.1 ** ((step >= total // 2) + (step >= 3 * total // 4))
        return 1.0

    # -- the loop ---------------------------------------------------------------------------

    def fit(self) -> bool:
        """Train until ``config.epochs``; False when interrupted (Ctrl-C) after saving a checkpoint."""
        config = self.config
        if self.ranks.main:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.out / "config.json", json.dumps(asdict(config), indent=2) + "\n")
        per_epoch = config.steps_per_epoch
        stream = batches(self.batches, self.epoch * per_epoch + self.step, config.epochs * per_epoch, self.workers)
        with self._interruptible():
            while self.epoch < config.epochs:
                bar = tqdm(
                    total=config.steps_per_epoch,
                    initial=self.step,
                    desc=f"epoch {self.epoch + 1}/{config.epochs}",
                    unit="step",
                    file=sys.stderr,
                    mininterval=0.5 if sys.stderr.isatty() else 60,
                    leave=sys.stderr.isatty(),
                    disable=not self.ranks.main,
                )
                with bar:
                    while self.step < config.steps_per_epoch:
                        started = time.perf_counter()
                        self._train_step(*next(stream))
                        self.elapsed += time.perf_counter() - started
                        bar.update()
                        bar.set_postfix(loss=f"{self.sums[0] / self.sums[3]:.4g}", refresh=False)
                        if self.ranks.any(self._stop):  # every rank stops after the same step
                            self.save_checkpoint()
                            return False
                self._end_epoch()
        return True

    def _train_step(self, problem: Problem, target: torch.Tensor) -> None:
        self.network.train()
        problem = problem.to(self.device)
        target = target.to(self.device)
        restored = self.network(problem)
        loss = self.loss(restored, target)
        if not torch.isfinite(loss):
            raise RestoreError(
                f"training diverged at epoch {self.epoch + 1}, step {self.step + 1} (loss {loss.item()})",
                "resume from the last checkpoint (`resume`), or restart with a lower `lr`",
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.clip_grad:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip_grad)
        self.optimizer.step()
        self.scheduler.step()
        images = np.moveaxis(restored.detach().clamp(0, 1).cpu().numpy(), 1, -1)
        references = np.moveaxis(target.cpu().numpy(), 1, -1)
        for image, reference in zip(images, references):
            self.sums[1] += psnr(image, reference)
            self.sums[2] += ssim(image, reference)
        self.sums[0] += loss.item() * len(target)
        self.sums[3] += len(target)
        self.step += 1

    def _end_epoch(self) -> None:
        started = time.perf_counter()
        val = self.ranks.share(self.validate() if self.ranks.main else None)
        self.elapsed += time.perf_counter() - started
        sums = self.ranks.sum(self.sums)
        count = sums[3]
        self.epoch += 1
        row = {
            "epoch": self.epoch,
            "steps": self.epoch * self.config.steps_per_epoch,
            "lr": self.optimizer.param_groups[0]["lr"],
            "train_loss": float(sums[0] / count),
            "train_psnr": float(sums[1] / count),
            "train_ssim": float(sums[2] / count),
            **{f"val_{k}": v for k, v in val.items()},
            "seconds": round(self.elapsed, 1),
        }
        self.history.append(row)
        self.step, self.sums = 0, np.zeros(4)
        self.save_checkpoint()
        if not self.ranks.main:
            return
        self._write_metrics()
        self.export(self.out / "model.safetensors")
        if row["val_psnr"] >= max(r["val_psnr"] for r in self.history):
            self.export(self.out / "best.safetensors")
        tqdm.write(
            f"epoch {row['epoch']}: train loss {row['train_loss']:.4g} PSNR {row['train_psnr']:.2f} | "
            f"val loss {row['val_loss']:.4g} PSNR {row['val_psnr']:.2f} SSIM {row['val_ssim']:.4f} | "
            f"{row['seconds']:.0f} s",
            file=sys.stderr,
        )

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Loss, PSNR and SSIM on the validation photos (means over images)."""
        self.model.eval()
        sr = self.model.scale > 1
        protocol = {"crop_border": self.model.scale, "y_channel": True} if sr else {}
        totals = np.zeros(3)
        for pair in self.val_pairs:
            restored = torch.from_numpy(self.model.restore(pair.observation, pair.degradation, boundary="reflect"))
            target = torch.from_numpy(pair.target)
            image = np.moveaxis(restored.clamp(0, 1).numpy(), 0, -1)
            reference = np.moveaxis(pair.target, 0, -1)
            totals += [float(self.loss(restored, target)), psnr(image, reference, **protocol), ssim(image, reference, **protocol)]
        loss, score, similarity = (totals / len(self.val_pairs)).tolist()
        return {"loss": loss, "psnr": score, "ssim": similarity}

    # -- files ------------------------------------------------------------------------------

    def save_checkpoint(self) -> Path:
        """Write everything needed to continue exactly here to ``checkpoint.pt`` (rank 0; every rank calls it)."""
        sums = self.ranks.sum(self.sums)  # the epoch's running totals over all ranks
        path = self.out / CHECKPOINT
        if not self.ranks.main:
            return path
        state = {
            "config": asdict(self.config),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            # pairs handed out so far, derived from the position (the same on every rank)
            "sampler": {"drawn": (self.epoch * self.config.steps_per_epoch + self.step) * self.config.batch_size},
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "epoch": self.epoch,
            "step": self.step,
            "sums": sums.tolist(),
            "history": self.history,
            "elapsed": self.elapsed,
        }
        with atomic_path(path) as temporary:
            torch.save(state, temporary)
        return path

    @classmethod
    def resume(
        cls, out: str | Path, *, epochs: int | None = None, command: str | None = None, workers: int | None = None
    ) -> Trainer:
        """The run saved in ``out``, ready to continue; ``epochs`` extends it, ``workers`` changes its data workers.

        The workers change nothing that is computed (pair ``k`` has its own seed).
        """
        path = Path(out) / CHECKPOINT
        if not path.is_file():
            raise RestoreError(f"nothing to resume: {path} does not exist", "start the run without `resume`")
        state = torch.load(path, map_location="cpu", weights_only=True)
        # runs from before --precision trained in float32, NCHW
        config = TrainConfig(**{"precision": "fp32", "channels_last": False, **state["config"], "out": str(out)})
        if epochs is not None:
            if epochs < state["epoch"]:
                raise RestoreError(f"epochs={epochs} is fewer than the {state['epoch']} already done", "ask for more")
            config.epochs = epochs
        if workers is not None:
            config.workers = workers
        trainer = cls(config, command)
        trainer.model.load_state_dict(state["model"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.scheduler.load_state_dict(state["scheduler"])
        if config.epochs != state["config"]["epochs"]:  # a longer run: the schedule stretched to its length
            trainer.scheduler.last_epoch -= 1
            trainer.scheduler.step()
        trainer.sampler.state = state["sampler"]
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        trainer.epoch, trainer.step = state["epoch"], state["step"]
        # the epoch's running totals were summed over the ranks: rank 0 carries them on
        trainer.sums = np.array(state["sums"]) if trainer.ranks.main else np.zeros(4)
        trainer.history, trainer.elapsed = state["history"], state["elapsed"]
        return trainer

    def export(self, path: str | Path) -> Path:
        """The weights with what a user needs to judge them: data, epochs, val scores, version."""
        last = self.history[-1]
        config = self.config
        return save_weights(
            self.model,
            path,
            task=config.task,
            degradations=config.degradations,
            data=f"{self.data_description}, on-the-fly {config.patch}px patches"
            + (f", half told a PSF wrong by up to {config.psf_error:g}" if config.psf_error else ""),
            epochs=self.epoch,
            steps=self.epoch * config.steps_per_epoch,
            batch_size=config.batch_size,
            training={
                k: v for k, v in asdict(config).items() if k not in ("out", "data", "device", "threads", "workers")
            },
            val={
                "images": len(self.val_pairs),
                "protocol": ("BSDS500 test, held out of training" if TASKS[config.task].held_out else "BSDS500 val")
                + (", Y channel, scale shaved" if self.model.scale > 1 else ", RGB"),
                **{k.removeprefix("val_"): v for k, v in last.items() if k.startswith("val_")},
            },
            command=self.command,
            training_seconds=round(self.elapsed),
            hardware=_hardware(self.device, self.precision, self.ranks.count),
            earlier=self.earlier,
        )

    def _write_metrics(self) -> None:
        from restoretk.figures import convergence_figure

        lines = io.StringIO(newline="")
        writer = csv.DictWriter(lines, fieldnames=METRICS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.history)
        atomic_write_text(self.out / "metrics.csv", lines.getvalue())
        title = f"{self.config.head} / {self.config.body} on {self.config.degradations}"
        convergence_figure(self.history, self.out / "convergence.png", title=title)

    # -- Ctrl-C -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _interruptible(self) -> Iterator[None]:
        """While training, the first Ctrl-C asks to stop after the current step; a second one kills."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def stop(signum, frame) -> None:
            self._stop = True
            signal.signal(signal.SIGINT, previous)
            tqdm.write("stopping after this step (Ctrl-C again to abort without saving)", file=sys.stderr)

        signal.signal(signal.SIGINT, stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def _initialise(model: Head, path: str) -> list[dict[str, Any]]:
    """Start ``model`` from the weights in ``path`` (fine-tuning, see :meth:`Head.adopt`).

    Returns the training runs behind those weights, oldest first, ending with the one
    that wrote them.
    """
    trained = load_weights(path)
    try:
        model.adopt(trained)
    except RestoreError as error:
        raise RestoreError(f"init={str(path)!r}: {error.problem}", error.hint) from None
    meta = trained.metadata
    last = {key: meta.get(key) for key in ("epochs", "steps", "data", "training_seconds")}
    return [*meta.get("earlier", []), {**last, "weights": str(path)}]


def _photo_splits(config: TrainConfig) -> tuple[list[np.ndarray], list[np.ndarray], str]:
    """Training photos, validation photos and a line saying which they are (see :class:`Task`)."""
    if not TASKS[config.task].held_out:
        train = _photos(bsds500("train", data=config.data).limit(config.train_images))
        validation = _photos(bsds500("val", data=config.data).limit(config.val_images))
        return train, validation, f"BSDS500 train ({len(train)} images)"
    test = bsds500("test", data=config.data)
    if len(test) <= config.val_images:
        raise RestoreError(
            f"val_images={config.val_images} would hold out all {len(test)} test photos", "use fewer, e.g. val_images=8"
        )
    validation = _photos(test.tail(config.val_images))
    kept = test.limit(len(test) - config.val_images)
    train = (_photos(bsds500("train", data=config.data)) + _photos(kept))[: config.train_images]
    return train, validation, (
        f"BSDS500 train + test ({len(train)} images; the last {config.val_images} of test held out for validation)"
    )


def _photos(folder) -> list[np.ndarray]:
    """The folder's photos as uint8 ``H×W×3`` (exact for 8-bit files, a quarter of the memory)."""
    return [np.round(image * 255).astype(np.uint8) for _, image in folder]


def _hardware(device: torch.device, precision: torch.dtype | None, ranks: int) -> str:
    arithmetic = "float32" if precision is None else f"{str(precision).removeprefix('torch.')} autocast"
    processes = f", {ranks} ranks (DDP)" if ranks > 1 else ""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}{processes}, {arithmetic}"
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads{processes}, {arithmetic}"


def _default_workers() -> int:
    """One data worker where there is a core to spare beside the training's own."""
    return 1 if (os.cpu_count() or 1) > 1 else 0
