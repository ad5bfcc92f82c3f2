"""The registry type, built-ins loaded on first use, and third-party plug-ins through entry points."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import restoretk
from restoretk.bench.peers import PEERS
from restoretk.errors import DuplicateNameError, PluginWarning, RestoreError, UnknownNameError
from restoretk.io import read_image, write_image
from restoretk.methods import list_methods, register_method
from restoretk.psf import register_family
from restoretk.registry import Registry
from restoretk.solvers import list_denoisers, register_denoiser

PACKAGE = Path(restoretk.__file__).parent


# -- the type ----------------------------------------------------------------------------------


def test_names_are_listed_in_registration_order_and_refused_twice() -> None:
    things = Registry[int]("thing")
    for k, name in enumerate(["b", "a", "c"]):
        things.register(name, k)
    assert list(things) == ["b", "a", "c"] and list(things.values()) == [0, 1, 2] and len(things) == 3
    with pytest.raises(DuplicateNameError, match=r"^thing 'a' is already registered; choose another name$"):
        things.register("a", 5)
    with pytest.raises(DuplicateNameError):
        things.register("a")  # the decorator form refuses it before decorating
    assert things.register("a", 5, replace=True) == 5 and things["a"] == 5
    assert things.unregister("b") == 0 and list(things) == ["a", "c"]


def test_an_unknown_name_is_a_one_line_error_listing_the_choices() -> None:
    things = Registry[int]("thing")
    things.register("one", 1)
    things.register("two", 2)
    with pytest.raises(UnknownNameError, match=r"^unknown thing 'three'; use one of: one, two$") as caught:
        things["three"]
    assert isinstance(caught.value, RestoreError) and isinstance(caught.value, KeyError)
    assert things.get("three") is None and "three" not in things and 3 not in things
    with pytest.raises(UnknownNameError):
        things.unregister("three")


def test_case_folding_registries_compare_lower_case() -> None:
    families = Registry[int]("family", fold_case=True)
    families.register("gauss", 1)
    assert families["Gauss"] == 1 and " GAUSS " in families
    with pytest.raises(RestoreError, match="lower-case"):
        families.register("Box", 2)
    with pytest.raises(RestoreError, match="without spaces"):
        Registry[int]("thing").register("two words", 2)


@pytest.mark.parametrize(
    "register, match",
    [
        (lambda: register_method("wiener", tasks={"deblur"}, summary="again"), "method 'wiener' is already"),
        (lambda: register_family("gauss", "gauss:S", "again"), "PSF family 'gauss' is already"),
        (lambda: PEERS.register("bm3d", None), "peer 'bm3d' is already"),
        (lambda: register_denoiser("tv", "again"), "denoiser 'tv' is already"),
    ],
)
def test_every_registry_refuses_duplicates(register, match) -> None:
    list_methods(), list_denoisers()  # the built-ins loaded
    with pytest.raises(DuplicateNameError, match=match):
        register()


def test_the_method_registry_does_not_import_the_learners() -> None:
    """The built-ins come from :mod:`restoretk.plugins`, loaded on first use, not from the core."""
    for module in ("methods/registry.py", "registry.py", "solvers/denoisers.py", "estimation.py"):
        tree = ast.parse((PACKAGE / module).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.startswith(("restoretk.learners", "restoretk.blind"))}, module
    code = (
        "import sys, restoretk\n"
        "assert 'restoretk.learners.methods' not in sys.modules and 'restoretk.blind' not in sys.modules\n"
        "assert [m.name for m in restoretk.list_methods('denoise')] == ['denoiser']\n"
        "assert 'restoretk.learners.methods' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=_environment())


# -- plug-ins ----------------------------------------------------------------------------------

PLUGIN = '''
"""A third-party package's restoretk plug-in: one method, one PSF family."""

import numpy as np

from restoretk.methods import register_method
from restoretk.psf import SpecError, register_family


@register_family("square", "square:N", "N×N uniform square")
def square(params, shape):
    if not params.strip().isdigit():
        raise SpecError(f"N must be a whole number, not {params!r}")
    kernel = np.ones((int(params),) * 2)
    return kernel if shape is None else np.pad(kernel, [((s - n) // 2, s - n - (s - n) // 2) for s, n in zip(shape, kernel.shape)])


@register_method("brighten", tasks={"deblur"}, summary="the demo plug-in's method: adds a constant")
def brighten(image, degradation, *, amount: float = 0.1):
    return image + amount
'''


def _distribution(site: Path, name: str, module: str, source: str, entry_points: str) -> None:
    """An installed distribution ``name`` in ``site``: the module and its ``.dist-info`` with entry points."""
    (site / f"{module}.py").write_text(source)
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def _environment(*paths: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, paths), str(PACKAGE.parent), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A folder on PYTHONPATH with a working plug-in package and a broken one."""
    site = tmp_path_factory.mktemp("site")
    entry_points = """
        [restoretk.methods]
        brighten = demo_plugin
        [restoretk.psf_families]
        square = demo_plugin
    """
    _distribution(site, "restoretk_demo_plugin", "demo_plugin", PLUGIN, entry_points)
    broken = "import no_such_module_anywhere\n"
    _distribution(site, "restoretk_broken_plugin", "broken_plugin", broken, "[restoretk.methods]\nbroken = broken_plugin\n")
    return site


def _restoretk(site: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "restoretk", *args]
    return subprocess.run(command, capture_output=True, text=True, env=_environment(site), timeout=300)


def test_a_plugin_method_and_psf_family_work_from_the_command_line(site, tmp_path) -> None:
    listing = _restoretk(site, "methods")
    assert listing.returncode == 0, listing.stderr
    assert "brighten" in listing.stdout and "amount" in listing.stdout
    notes = [line for line in listing.stderr.splitlines() if "broken" in line]
    assert len(notes) == 1 and "plug-in 'broken' (broken_plugin" in notes[0] and "ModuleNotFoundError" in notes[0]

    image = np.random.default_rng(0).random((32, 40, 3))
    write_image(tmp_path / "in.png", image, bit_depth=8)
    run = _restoretk(site, "deblur", "--psf", "square:3", "-m", "brighten", "-O", "amount=0.25",
                     str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))  # fmt: skip
    assert run.returncode == 0, run.stderr
    restored, _ = read_image(tmp_path / "out.png")
    assert restored.shape == image.shape and restored.mean() > read_image(tmp_path / "in.png")[0].mean() + 0.1

    bad = _restoretk(site, "deblur", "--psf", "square:x", "-m", "brighten", str(tmp_path / "in.png"), "-o", str(tmp_path))
    assert bad.returncode == 2 and "bad PSF spec 'square:x': N must be a whole number" in bad.stderr


def test_plugins_load_on_first_use_and_a_broken_one_is_a_one_line_warning(tmp_path, monkeypatch) -> None:
    things = Registry[int]("thing", group="restoretk.test_things")
    plugin = "from tests_things_registry import THINGS\nTHINGS.register('seven', 7)\n"
    _distribution(tmp_path, "restoretk_things", "things_plugin", plugin, "[restoretk.test_things]\nseven = things_plugin\n")
    _distribution(tmp_path, "restoretk_broken_things", "broken_things", "1 / 0\n", "[restoretk.test_things]\nbad = broken_things\n")
    (tmp_path / "tests_things_registry.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(__import__("tests_things_registry"), "THINGS", things, raising=False)
    things.register("one", 1)  # registering loads nothing
    assert "things_plugin" not in sys.modules
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert list(things) == ["one", "seven"]
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert messages == [
        "plug-in 'bad' (broken_things, group restoretk.test_things) failed to load and is skipped: "
        "ZeroDivisionError: division by zero"
    ]
    for module in ("things_plugin", "broken_things", "tests_things_registry"):
        sys.modules.pop(module, None)
