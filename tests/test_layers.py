"""The package's layers: no module of ``abm`` imports from a layer above its own, nor in a loop.

``LAYERS`` is the one statement of the order, lowest first; a module belongs to the first entry
whose prefix names it or a package holding it. Every import counts wherever it stands: at module
level, inside a function, under ``if TYPE_CHECKING:``. A module no layer names fails the test,
so a new module has to be placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import abm
from tests.conftest import ROOT

# (layer, module prefixes): a module may import from its own layer and the layers listed before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("io", ("abm.version", "abm.io")),
    ("biology", ("abm.biology",)),
    ("clinic", ("abm.clinic",)),
    ("config", ("abm.config",)),
    ("models", ("abm.models",)),
    ("experiments", ("abm.experiments",)),
    ("views", ("abm.report", "abm.viz")),
    ("cli", ("abm.cli", "abm.__main__", "abm")),  # ``abm`` itself (its __init__ only): the public API
)
ROOT_PACKAGE = "abm"  # as a prefix it names only itself, else every module would have a layer
PACKAGE = ROOT / "abm"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    """The rank of a module's layer (the longest matching prefix wins), or None if no layer names it."""
    best: tuple[int, int] | None = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = prefix != ROOT_PACKAGE and module.startswith(prefix + ".")
            if (module == prefix or inside) and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def imported(module: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) of every abm module this one imports, at any depth of the syntax tree.

    ``from abm.x import y`` counts as importing ``abm.x.y`` when that is a module, else ``abm.x``;
    relative imports are resolved against the module's package.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "abm"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "abm":
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append((node.lineno, child if child in known else base))
    return found


def import_graph() -> dict[str, list[tuple[int, str]]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in modules() if layer_of(name) is None]
    assert not unplaced, f"modules in no layer (add them to LAYERS in tests/test_layers.py): {unplaced}"


def upward_imports(graph: dict[str, list[tuple[int, str]]]) -> list[str]:
    problems = []
    for name, imports in graph.items():
        rank = layer_of(name)
        for line, target in imports:
            target_rank = layer_of(target)
            if rank is not None and target_rank is not None and target_rank > rank:
                problems.append(
                    f"{name}:{line} ({LAYERS[rank][0]}) imports {target} ({LAYERS[target_rank][0]}), a higher layer"
                )
    return problems


def test_no_module_imports_from_a_higher_layer() -> None:
    problems = upward_imports(import_graph())
    assert not problems, "\n".join(problems)


def cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """The import loops between modules (strongly connected components of more than one module)."""
    edges = {name: sorted({t for _, t in imports if t in graph and t != name}) for name, imports in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return loops


def test_no_import_loops_within_a_layer() -> None:
    graph = import_graph()
    # A package's __init__ is imported with each of its modules; the public API (abm) imports them all.
    graph = {name: [(line, t) for line, t in imports if t != "abm"] for name, imports in graph.items() if name != "abm"}
    assert cycles(graph) == []


def test_the_check_sees_an_upward_import_at_any_depth(tmp_path: Path) -> None:
    """A lazy import in a function, or one under TYPE_CHECKING, counts as much as a module-level one."""
    source = tmp_path / "rules.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from abm.config.scenario import ScenarioConfig\n"
        "def f():\n"
        "    from abm.experiments import trial\n"
        "    import abm.models.spatial\n"
        "    from ..clinic import schedule\n"
    )
    known = set(modules())
    found = imported("abm.biology.rules", source, known)
    assert [t for _, t in found] == [
        "abm.config.scenario",
        "abm.experiments.trial",
        "abm.models.spatial",
        "abm.clinic.schedule",
    ]
    problems = upward_imports({"abm.biology.rules": found})
    assert len(problems) == 4 and "abm.biology.rules:3 (biology) imports abm.config.scenario (config)" in problems[0]
    assert layer_of("abm.newthing") is None and layer_of("abm") == len(LAYERS) - 1
    assert cycles({"a": [(1, "b")], "b": [(1, "a")], "c": [(1, "a")]}) == [["a", "b"]]


@pytest.mark.parametrize("name", abm.__all__)
def test_every_public_name_is_importable_from_abm(name: str) -> None:
    assert getattr(abm, name) is not None
