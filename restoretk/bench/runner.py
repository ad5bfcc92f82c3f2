"""Run contenders on scenarios over a folder of images; append every result as it completes.

The unit of work is one scenario on one image: the image is degraded once and every
contender gets that same array (in a blind scenario, with the PSF estimated once from
it), then each output is clipped (and rounded to 8 bits if the scenario says so) and
scored against the ground truth. In an estimation scenario the contenders are the
scenario's quantities, each measured by the scenario itself. Units run where
:class:`~restoretk.bench.cluster.Workers` puts them (this process, a Dask LocalCluster or
an existing Dask cluster), each with one thread per numerical library, so results do not
depend on ``--workers``. A unit carries what its worker needs: the scenario (whose seeds
derive from the image's name), and the image's absolute path, read there (the images must
be on a path every worker sees, the same on each machine: a shared file system).

Rows go to ``per_image.csv`` from this process as units finish, flushed, so an interrupted
run keeps what it did (and a worker that dies loses nothing: Dask runs its units again).
On start, rows already there for the same dataset, scenario, scenario version, method and
image are reused, not recomputed; the summary says how many. Reuse is only
among results of the same code: ``stamp.txt`` beside them holds
:func:`~restoretk.bench.stamp.results_stamp`, and results of another stamp (other code
that determines the numbers, other shipped weights or library versions; docstrings,
comments, the CLI and the report do not count) are moved aside to
``per_image.STAMP.csv`` and computed afresh.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import os
import socket
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from restoretk import estimation
from restoretk.bench.cluster import Workers
from restoretk.bench.peers import IDENTITY, applies, contender_names, resolve_contender
from restoretk.bench.scenarios import (
    ERROR_RATIO_BOUND,
    BlindScenario,
    Case,
    EstimationScenario,
    Scenario,
    quantise_8bit,
)
from restoretk.bench.stamp import results_stamp
from restoretk.data import ImageFolder, find_data_root
from restoretk.errors import InputError, RestoreError
from restoretk.io.atomic import atomic_write_text
from restoretk.metrics import score

__all__ = [
    "CSV_FIELDS",
    "BenchRun",
    "Failure",
    "open_images",
    "plan_methods",
    "results_stamp",
    "run_bench",
    "run_task",
    "Task",
]

CSV_FIELDS = ("dataset", "scenario", "version", "method", "image", "psnr", "ssim", "seconds")
"""Columns of ``per_image.csv``; ``dataset`` and ``version`` make reuse safe. In the rows of
an estimation scenario, ``method`` is the quantity and ``psnr``, ``ssim`` hold the error
and the estimate of its :class:`~restoretk.bench.scenarios.Measurement`."""

def open_images(data: str | Path | None, split: str | None, limit: int | None) -> tuple[ImageFolder, str]:
    """The images to benchmark and a label for them (``BSDS500/test``, or a plain folder's name).

    ``data`` may be the BSDS500 folder (holding ``train/ val/ test/``; ``split`` picks
    one, ``test`` by default) or any folder of images without splits. Without ``data``,
    BSDS500 is looked for as :func:`restoretk.data.find_data_root` does.
    """
    if data is not None:
        folder = Path(data).expanduser()
        if not folder.is_dir():
            raise InputError(
                f"data={str(folder)!r} is not a folder",
                "pass the BSDS500 folder (holding train/ val/ test/) or a folder of images",
            )
        has_splits = any((folder / s).is_dir() for s in ("train", "val", "test"))
        if folder.is_dir() and not has_splits:
            if split is not None:
                raise InputError(f"data={str(folder)!r} is a plain folder of images, with no splits", "drop `split`")
            images = ImageFolder(folder)
            return images.limit(limit), folder.resolve().name
    root = find_data_root(data)
    split = split or "test"
    return ImageFolder(root, split).limit(limit), f"{root.name}/{split}"


def plan_methods(scenarios: Sequence[Scenario], methods: Sequence[str] | None) -> dict[str, list[str]]:
    """Contender names per scenario: all that apply, or those of ``methods`` that apply (plus the identity).

    Scenarios to which none of ``methods`` applies are left out, estimation scenarios
    among them (their contenders are their quantities); a name that applies to none of
    the scenarios is an error.
    """
    if not methods:
        return {s.name: _contenders(s) for s in scenarios}
    plan: dict[str, list[str]] = {}
    used: set[str] = set()
    for scenario in scenarios:
        if isinstance(scenario, EstimationScenario):
            continue
        chosen = []
        for name in dict.fromkeys(methods):
            if applies(name, scenario.task, _scale(scenario)):
                resolve_contender(name, scenario.task)  # a peer's bad parameter is an error
                chosen.append(name)
                used.add(name)
        if chosen:
            plan[scenario.name] = _rows([n for n in chosen if n != IDENTITY] + [IDENTITY], scenario)
    unknown = [name for name in methods if name not in used]
    if unknown:
        tasks = sorted({s.task for s in scenarios})
        choices = ", ".join(dict.fromkeys(n for t in tasks for n in contender_names(t)))
        raise RestoreError(
            f"method {unknown[0]!r} applies to none of the scenarios {', '.join(s.name for s in scenarios)}",
            f"use one of: {choices}",
        )
    return plan


def _contenders(scenario: Scenario) -> list[str]:
    if isinstance(scenario, EstimationScenario):
        return scenario.quantities()
    return _rows(contender_names(scenario.task, _scale(scenario)), scenario)


def _rows(methods: list[str], scenario: Scenario) -> list[str]:
    """The row names of ``methods`` on ``scenario``: a blind one compared with the truth adds two per method."""
    if isinstance(scenario, BlindScenario):
        return [row for method in methods for row in scenario.rows_of(method)]
    return methods


def _scale(scenario: Scenario) -> int:
    """The upscaling factor of ``scenario`` (1 for deblurring)."""
    return getattr(scenario, "scale", 1)


@dataclass(frozen=True)
class Task:
    """One scenario on one image, and the contenders to run on it.

    The image is the ``index``-th of ``folder`` (an absolute path, read by the worker),
    checked to be named ``image``; the scenario derives its seeds from that name.
    """

    scenario: Scenario
    folder: str
    index: int
    image: str
    methods: tuple[str, ...]
    keep_outputs: bool = False


@dataclass(frozen=True)
class Failure:
    """A contender that raised instead of restoring an image."""

    scenario: str
    method: str
    image: str
    reason: str


@dataclass
class TaskResult:
    task: Task
    rows: list[dict[str, str]]
    failures: list[Failure]
    panels: dict[str, np.ndarray] | None = None


@functools.lru_cache(maxsize=4)
def _folder(folder: str) -> ImageFolder:
    if not Path(folder).is_dir():  # on a worker of another machine
        raise InputError(
            f"image folder {folder} not found on {socket.gethostname()}",
            "put the images on a file system that every Dask worker sees, at the same path",
        )
    return ImageFolder(folder)


def run_task(task: Task) -> TaskResult:
    """Degrade one image once, run each contender on that very array, score each output."""
    scenario = task.scenario
    name, image = _folder(task.folder)[task.index]
    if name != task.image:
        raise RestoreError(f"image {task.index} of {task.folder} is {name!r}, expected {task.image!r}")
    if isinstance(scenario, EstimationScenario):
        return _measure(task, scenario, name, image)
    try:
        case = scenario.case(name, image)
        if scenario.blind is not None:
            case = _with_estimated_psf(case, scenario.blind)
    except Exception as error:  # noqa: BLE001 - an unusable image is reported, not fatal
        reason = _reason(error)
        return TaskResult(task, [], [Failure(scenario.name, m, name, reason) for m in task.methods])
    rows, failures = [], []
    panels: dict[str, np.ndarray] | None = {"truth": case.truth} if task.keep_outputs else None
    versus_truth = isinstance(scenario, BlindScenario) and scenario.versus_truth
    true_case = scenario.true_case(name, image) if versus_truth else None
    methods = dict.fromkeys(BlindScenario.method_of(m) for m in task.methods) if versus_truth else task.methods
    for method in methods:
        try:
            output, values, seconds = _restore_and_score(method, case, scenario)
            rows.append(_row(scenario, method, name, f"{values['psnr']:.4f}", f"{values['ssim']:.5f}", seconds))
            compared = scenario.rows_of(method)[1:] if true_case is not None else []
            if compared:
                _, told, told_seconds = _restore_and_score(method, true_case, scenario)
                true_row, ratio_row = compared
                rows.append(_row(scenario, true_row, name, f"{told['psnr']:.4f}", f"{told['ssim']:.5f}", told_seconds))
                ratio = 10 ** ((told["psnr"] - values["psnr"]) / 10)  # the PSNRs' shared peak cancels
                rows.append(_row(scenario, ratio_row, name, f"{ratio:.4f}", str(int(ratio <= ERROR_RATIO_BOUND)), 0.0))
        except Exception as error:  # noqa: BLE001 - a method that cannot run is reported, not fatal
            failures.append(Failure(scenario.name, method, name, _reason(error)))
            continue
        if panels is not None:
            panels[method] = output.astype(np.float32)
    return TaskResult(task, rows, failures, panels)


def _restore_and_score(method: str, case: Case, scenario: Scenario) -> tuple[np.ndarray, dict[str, float], float]:
    """Run ``method`` on (a copy of) ``case``'s input; its output as scored, the scores and its seconds."""
    contender = resolve_contender(method, scenario.task)
    start = time.perf_counter()
    # each gets its own copy of the same input: one that writes into it cannot alter the next one's
    output = contender.run(dataclasses.replace(case, degraded=case.degraded.copy()))
    seconds = time.perf_counter() - start
    output = np.clip(np.asarray(output, dtype=np.float64), 0.0, 1.0)
    if output.shape != case.truth.shape:
        raise RestoreError(f"output of shape {output.shape}, expected {case.truth.shape}")
    if scenario.quantise:
        output = quantise_8bit(output)
    return output, score(output, case.truth, scenario.protocol), seconds


def _row(scenario: Scenario, method: str, image: str, psnr: str, ssim: str, seconds: float) -> dict[str, str]:
    """One per-image result as written to ``per_image.csv`` (scores already formatted)."""
    return {
        "scenario": scenario.name,
        "version": scenario.version,
        "method": method,
        "image": image,
        "psnr": psnr,
        "ssim": ssim,
        "seconds": f"{seconds:.4f}",
    }


def _with_estimated_psf(case: Case, family: str) -> Case:
    """The case of a blind scenario as methods get it: told the PSF estimated from its input.

    The estimate (:func:`restoretk.estimation.estimate_psf`, told the case's noise level)
    is made once per image and shared by every contender; its time is not in theirs.
    """
    spec, kernel = estimation.estimate_psf(case.degraded, family=family, noise=case.degradation.noise)
    return dataclasses.replace(case, degradation=dataclasses.replace(case.degradation, psf=kernel, spec=spec), psf_spec=spec)


def _measure(task: Task, scenario: EstimationScenario, name: str, image: np.ndarray) -> TaskResult:
    """The rows of an estimation scenario on one image: one measurement per quantity."""
    rows, failures = [], []
    for quantity in task.methods:
        try:
            measured = scenario.measure(quantity, name, image)
        except Exception as error:  # noqa: BLE001 - an estimator that cannot run is reported, not fatal
            failures.append(Failure(scenario.name, quantity, name, _reason(error)))
            continue
        rows.append(_row(scenario, quantity, name, f"{measured.error:.6g}", f"{measured.estimate:.6g}", measured.seconds))
    return TaskResult(task, rows, failures)


def _lost(task: Task, reason: str) -> TaskResult:
    """The result of a unit whose workers kept dying: every method failed on its image."""
    return TaskResult(task, [], [Failure(task.scenario.name, m, task.image, reason) for m in task.methods])


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def read_rows(path: Path) -> list[dict[str, str]]:
    """The complete rows of a ``per_image.csv`` (a line cut short by a crash is ignored)."""
    if not path.exists():
        return []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != CSV_FIELDS:
            raise InputError(
                f"{path} has columns {reader.fieldnames}, not {list(CSV_FIELDS)}",
                "give `out` a new folder or delete that file",
            )
        rows = []
        for row in reader:
            if None in row.values() or None in row:
                continue
            try:
                float(row["psnr"]), float(row["ssim"]), float(row["seconds"])
            except ValueError:
                continue
            rows.append(row)
    return rows


def _set_aside_other_results(out: Path, stamp: str) -> Path | None:
    """Move ``per_image.csv`` aside when another stamp made it; record ``stamp``. Returns where it went."""
    log_path, stamp_path = out / "per_image.csv", out / "stamp.txt"
    previous = stamp_path.read_text().strip() if stamp_path.exists() else "unstamped"
    moved = None
    if log_path.exists() and previous != stamp:
        moved = out / f"per_image.{previous}.csv"
        log_path.replace(moved)
    atomic_write_text(stamp_path, stamp + "\n")
    return moved


def row_key(row: dict[str, str]) -> tuple[str, ...]:
    return (row["dataset"], row["scenario"], row["version"], row["method"], row["image"])


class _RowLog:
    """Appends rows to ``per_image.csv``, flushed one unit at a time."""

    def __init__(self, path: Path) -> None:
        new = not path.exists() or path.stat().st_size == 0
        if not new:
            with path.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                cut = f.read(1) != b"\n"
        self.file = path.open("a", newline="")
        if not new and cut:
            self.file.write("\n")  # finish a line cut short by a crash; the reader skips it
        self.writer = csv.DictWriter(self.file, fieldnames=CSV_FIELDS)
        if new:
            self.writer.writeheader()
        self.file.flush()

    def write(self, rows: list[dict[str, str]]) -> None:
        self.writer.writerows(rows)
        self.file.flush()

    def close(self) -> None:
        self.file.close()


@dataclass
class BenchRun:
    """What one ``run_bench`` call did, for the report."""

    out: Path
    dataset: str
    images: list[str]
    scenarios: list[Scenario]
    plan: dict[str, list[str]]
    workers: int
    rows: list[dict[str, str]] = field(default_factory=list)
    reused: dict[tuple[str, str], int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    panels: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    figure_image: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    set_aside: Path | None = None


def run_bench(
    scenarios: Sequence[Scenario],
    images: ImageFolder,
    dataset: str,
    out: str | Path,
    *,
    methods: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    figures: bool = True,
    progress: bool = True,
) -> BenchRun:
    """Run every planned contender on every scenario and image; append rows to ``out/per_image.csv``.

    Parameters
    ----------
    scenarios : sequence of Scenario
        What to do to the images.
    images : ImageFolder
        The sharp images.
    dataset : str
        Label of the images (``BSDS500/test``), part of each row's identity.
    out : path-like
        Output folder, created if needed; rows already in its ``per_image.csv`` are reused.
    methods : sequence of str, optional
        Only these contenders (the identity is always added); default all that apply.
    workers : int, optional
        Worker processes of a Dask LocalCluster started for this run (default: the cores
        available); 1 runs in this process, without Dask. The workers are spawned: a script
        that starts them calls ``run_bench`` under ``if __name__ == "__main__":``.
    scheduler : str, optional
        Address of a running Dask scheduler whose workers run the units instead
        (``tcp://host:8786``); they need this restoretk and the images at the same path.
    figures : bool
        Keep the outputs on the first image of each scenario for a comparison figure.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    BenchRun
        The selected rows (reused and new), failures and figure panels; write the report
        with :func:`restoretk.bench.report.write_report`.
    """
    from tqdm import tqdm

    start = time.perf_counter()
    plan = plan_methods(scenarios, methods)
    scenarios = [s for s in scenarios if s.name in plan]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    set_aside = _set_aside_other_results(out, results_stamp())
    log_path = out / "per_image.csv"
    existing = {row_key(row): row for row in reversed(read_rows(log_path))}  # the first of duplicates wins
    run = BenchRun(out, dataset, list(images.names), list(scenarios), plan, 1, set_aside=set_aside)
    folder = str(images.folder.resolve())
    selected: list[tuple[str, ...]] = []
    tasks: list[Task] = []
    for scenario in scenarios:
        names = [n for n in images.names if scenario.images is None or n in scenario.images]
        for index, image in enumerate(images.names):
            if image not in names:
                continue
            keys = {m: (dataset, scenario.name, scenario.version, m, image) for m in plan[scenario.name]}
            selected.extend(keys.values())
            missing = tuple(m for m, key in keys.items() if key not in existing)
            for m, key in keys.items():
                if key in existing:
                    run.reused[(scenario.name, m)] = run.reused.get((scenario.name, m), 0) + 1
            keep = figures and image == names[0] and not isinstance(scenario, EstimationScenario)
            if missing or keep:
                todo = tuple(plan[scenario.name]) if keep else missing
                tasks.append(Task(scenario, folder, index, image, todo, keep))
                if keep:
                    run.figure_image[scenario.name] = image
    log = _RowLog(log_path)
    bar = tqdm(total=len(tasks), desc="bench", unit="image", file=sys.stderr, disable=not progress, smoothing=0.05)
    try:
        with Workers(workers, scheduler, units=len(tasks)) as pool:
            run.workers = pool.count
            for result in pool.map(run_task, tasks, lost=_lost):
                fresh = []
                for row in result.rows:
                    row = {"dataset": dataset, **row}
                    if row_key(row) not in existing:
                        existing[row_key(row)] = row
                        fresh.append(row)
                log.write(fresh)
                run.failures.extend(result.failures)
                if result.panels is not None:
                    run.panels[result.task.scenario.name] = result.panels
                bar.set_postfix_str(result.task.scenario.name, refresh=False)
                bar.update()
    finally:
        bar.close()
        log.close()
    run.rows = [existing[key] for key in selected if key in existing]
    run.seconds = time.perf_counter() - start
    return run


def failures_by_method(failures: Sequence[Failure]) -> dict[tuple[str, str], list[Failure]]:
    grouped: dict[tuple[str, str], list[Failure]] = defaultdict(list)
    for failure in failures:
        grouped[(failure.scenario, failure.method)].append(failure)
    return dict(grouped)
