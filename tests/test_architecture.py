"""The package's layering, read from its source: no import cycles, no private names across modules.

Every ``import`` counts, also those inside functions (they run sooner or later) but not
those under ``if TYPE_CHECKING:``, which never run. An edge goes from a module to each
restoretk module it imports; ``from restoretk.pkg import name`` goes to
``restoretk.pkg.name`` when that is a module, else to ``restoretk.pkg``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import restoretk

PACKAGE = Path(restoretk.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _imports(name: str) -> list[tuple[str, list[str]]]:
    """The restoretk modules that module ``name`` imports, each with the names it takes from it."""
    tree = ast.parse(MODULES[name].read_text())
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "restoretk"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "restoretk":
                continue
            names = []
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    found.append((f"{base}.{alias.name}", []))
                else:
                    names.append(alias.name)
            if names:
                found.append((base, names))
    return found


GRAPH = {name: {target for target, _ in _imports(name) if target in MODULES and target != name} for name in MODULES}


def _cycles() -> list[list[str]]:
    """One cycle through each strongly connected component of the import graph (Tarjan)."""
    index, low, stack, on_stack, components, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return components


def test_the_check_finds_a_cycle_when_there_is_one(monkeypatch):
    monkeypatch.setitem(GRAPH, "restoretk.errors", GRAPH["restoretk.errors"] | {"restoretk.psf"})
    assert ["restoretk.errors", "restoretk.psf"] in [sorted(set(c) & {"restoretk.errors", "restoretk.psf"}) for c in _cycles()]


def test_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "import cycles (counting imports inside functions): " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{name} imports {taken} from {source}"
        for name in MODULES
        for source, names in _imports(name)
        for taken in names
        if taken.startswith("_") and not taken.startswith("__")
    ]
    assert not private, "; ".join(private)


@pytest.mark.parametrize("command", [["--help"], ["deblur", "--help"], ["upscale", "--help"], ["denoise", "--help"]])
def test_help_loads_neither_torch_nor_scipy(command):
    """``--help`` answers at once: the numerical libraries load only when a command runs."""
    probe = (
        "import sys; from restoretk.cli import app\n"
        f"try:\n    app({command!r}, prog_name='restoretk')\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'scipy', 'numba', 'cv2', 'skimage') if m in sys.modules)\n"
        "print('LOADED', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "LOADED []" in result.stdout, result.stdout[-300:]
