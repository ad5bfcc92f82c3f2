"""The bench on Dask: the rows do not depend on the workers, a killed worker loses nothing,
every unit runs single-threaded, and no process is left behind."""

from __future__ import annotations

import csv
import operator
import runpy
import textwrap
from pathlib import Path

import dask
import psutil
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from restoretk.bench.cluster import Workers
from restoretk.cli import app

runner = CliRunner()


def bench(*args):
    return runner.invoke(app, ["bench", *map(str, args)])


def _children() -> set[int]:
    """Processes started by this one, but multiprocessing's resource tracker (one per interpreter, kept)."""
    return {
        p.pid for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    }  # fmt: skip


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """Every test here ends with no worker, nanny or scheduler process of its own still running."""
    before = _children()
    yield
    left = [psutil.Process(pid) for pid in _children() - before]
    assert not left, [" ".join(p.cmdline()) for p in left]


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of one single-threaded worker, as a user would start one; checked to leave nothing behind."""
    before = _children()
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster:
        yield cluster
    left = [psutil.Process(pid) for pid in _children() - before]
    assert not left, [" ".join(p.cmdline()) for p in left]


def _per_image(out: Path) -> list[tuple[str, ...]]:
    """The rows of ``per_image.csv`` but their times, sorted (units finish in any order)."""
    with (out / "per_image.csv").open(newline="") as f:
        return sorted(tuple(v for k, v in row.items() if k != "seconds") for row in csv.DictReader(f))


def test_rows_are_the_same_in_process_on_one_worker_and_on_two(images, tmp_path, cluster):
    args = ("--data", images, "--scenario", "deblur-motion", "--scenario", "sr4-gauss", "--method", "wiener",
            "--method", "skimage-unsupervised-wiener", "--method", "opencv-bicubic", "--no-figures")  # fmt: skip
    assert bench(*args, "--workers", 1, "--out", tmp_path / "here").exit_code == 0
    result = bench(*args, "--scheduler", cluster.scheduler_address, "--out", tmp_path / "one")
    assert result.exit_code == 0, result.output
    assert "; 1 worker(s);" in (tmp_path / "one" / "summary.md").read_text()
    result = bench(*args, "--workers", 2, "--out", tmp_path / "two")
    assert result.exit_code == 0, result.output
    assert "; 2 worker(s);" in (tmp_path / "two" / "summary.md").read_text()
    here = _per_image(tmp_path / "here")
    assert len(here) == 2 * 3 * 3  # (wiener, identity, one peer) × 3 images × 2 scenarios
    assert _per_image(tmp_path / "one") == here == _per_image(tmp_path / "two")


def _preload(tmp_path: Path, marker: Path) -> Path:
    """A Dask worker preload that registers ``test-dies-once``: the first call, on any worker, kills its process."""
    script = tmp_path / "dies_once.py"
    script.write_text(textwrap.dedent(f"""
        import os
        import signal

        from restoretk.methods import registry


        def dies_once(image, degradation):
            try:
                os.close(os.open({str(marker)!r}, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return image.copy()
            os.kill(os.getpid(), signal.SIGKILL)


        if "test-dies-once" not in registry.METHODS:  # a worker may inherit it, or run the preload again
            registry.register_method("test-dies-once", tasks={{"deblur"}}, summary="kills its worker once")(dies_once)
    """))
    return script


@pytest.fixture
def dies_once(tmp_path):
    """``test-dies-once`` known here (to plan the run) and on every worker (to run it); its marker file."""
    from restoretk.methods import registry

    marker = tmp_path / "died"
    script = _preload(tmp_path, marker)
    runpy.run_path(str(script))
    try:
        with dask.config.set({"distributed.worker.preload": [str(script)]}):
            yield marker
    finally:
        registry.METHODS.unregister("test-dies-once")


def test_a_worker_killed_midway_loses_nothing(images, tmp_path, dies_once):
    out = tmp_path / "out"
    args = ("--data", images, "--scenario", "deblur-gauss2", "--method", "test-dies-once", "--method", "wiener",
            "--workers", 2, "--no-figures", "--out", out)  # fmt: skip
    result = bench(*args)
    assert result.exit_code == 0, result.output
    assert dies_once.exists()  # a worker was killed
    rows = _per_image(out)
    assert len(rows) == len(set(rows)) == 3 * 3  # every (method, image) once: (test-dies-once, wiener, identity) × 3
    assert "skipped" not in result.stdout and "failed" not in result.stdout
    assert "Reused 9 of 9" in bench(*args).stdout


def test_a_unit_whose_workers_keep_dying_is_reported_and_redone_on_the_next_run(images, tmp_path, dies_once):
    out = tmp_path / "out"
    args = ("--data", images, "--scenario", "deblur-gauss2", "--method", "test-dies-once", "--workers", 2,
            "--no-figures", "--out", out)  # fmt: skip
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # give up at the first death
        result = bench(*args)
    assert result.exit_code == 0, result.output
    # the unit it ran (and any queued behind it on that worker) is reported; the rest is written
    assert "every worker process that ran it died (killed? out of memory?)" in result.stdout
    done = len(_per_image(out))
    assert done in (2, 4) and "test-dies-once: failed on" in result.stdout
    again = bench(*args)
    assert again.exit_code == 0 and f"Reused {done} of 6" in again.stdout
    assert len(_per_image(out)) == 2 * 3  # (test-dies-once, identity) × 3 images


def test_each_unit_runs_with_one_thread_per_library(cluster):
    import cv2
    import numba
    import threadpoolctl
    import torch

    asks = [torch.get_num_threads, numba.get_num_threads, cv2.getNumThreads, threadpoolctl.threadpool_info]
    with Workers(scheduler=cluster.scheduler_address) as workers:  # a worker started without restoretk's limits
        answers = list(workers.map(operator.methodcaller("__call__"), asks, lost=lambda unit, reason: reason))
        assert workers.count == 1
    counts = [a for a in answers if isinstance(a, int)]
    (libraries,) = [a for a in answers if isinstance(a, list)]
    assert counts == [1, 1, 1] and libraries and all(lib["num_threads"] == 1 for lib in libraries)


def test_scheduler_errors_are_one_line(images, tmp_path):
    result = bench("--data", images, "--workers", 2, "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "--workers 2 with --scheduler; drop --workers" in result.stderr
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = bench("--data", images, "--scenario", "sr2-bicubic", "--method", "bicubic",
                       "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path / "x")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "no Dask scheduler answers at --scheduler tcp://127.0.0.1:9" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
