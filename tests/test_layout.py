"""The package's floors: every import between cnncost's modules (at the top of a file or inside a function) points to
the same floor or one below, no module imports itself back through others, only the torch packages import torch,
only presentation imports rich and pandas, and cnncost/__init__.py defines nothing but re-exports."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cnncost"

# Lowest first: a module may import from its own floor (without a circle) or a lower one, never from a higher one.
FLOORS = (
    ("errors", "version", "units", "registries"),
    ("shapes", "files", "counting", "quantities"),
    ("layers",),
    ("graph", "results"),
    ("engine",),
    ("zoo", "spec", "conventions", "analysis", "diff", "cuts"),
    ("trace",),  # the way in: a torch module becomes a graph
    ("sources", "extend"),
    ("profiler",),
    ("report",),
    ("reproductions", "torch"),  # the published tables; the way out: a graph becomes torch modules, checked and timed
    ("latency", "budget", "baseline", "config", "targets"),  # targets: devices and predicted latency
    ("commands",),
    ("cli", "__main__"),
)
FLOOR = {name: level for level, names in enumerate(FLOORS) for name in names}
TORCH_PACKAGES = ("cnncost.trace", "cnncost.torch")
PRESENTATION = ("cnncost.report", "cnncost.commands")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@functools.cache
def imports(name: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import in a module: cnncost's own resolved to the module imported, the rest
    by their top-level package."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.append((candidate if candidate in MODULES else target, node.lineno))
    return found


def own(target: str) -> str | None:
    """The cnncost module an import names, or None for another package."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


GRAPH = {
    name: sorted({own(t) for t, _ in imports(name) if t.startswith("cnncost") and own(t) not in (None, name)})
    for name in MODULES
}


def floor(name: str) -> int:
    top = name.split(".")[1] if "." in name else "__init__"
    return FLOOR[top]


def test_every_module_has_a_floor():
    tops = {name.split(".")[1] for name in MODULES if "." in name}
    assert tops <= set(FLOOR), f"modules without a floor: {sorted(tops - set(FLOOR))}"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if name != "cnncost"))
def test_imports_point_down(name):
    upward = [
        (target, line)
        for target, line in imports(name)
        if own(target) not in (None, "cnncost") and target.startswith("cnncost") and floor(own(target)) > floor(name)
    ]
    assert not upward, f"{name} imports from a higher floor: {upward}"
    assert "cnncost" not in {own(t) for t, _ in imports(name) if t.startswith("cnncost")}, (
        f"{name} imports from cnncost/__init__.py, the top"
    )


def test_no_module_imports_itself_back():
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in GRAPH[name]:
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("a circle of imports: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[name] = 2

    for name in MODULES:
        if name not in state:
            visit(name, [name])


def test_torch_rich_and_pandas_stay_where_they_belong():
    for name in MODULES:
        packages = {target.split(".")[0] for target, _ in imports(name)}
        if "torch" in packages:
            assert name.startswith(TORCH_PACKAGES), f"{name} imports torch"
        if packages & {"rich", "pandas"}:
            assert name.startswith(PRESENTATION), f"{name} imports {sorted(packages & {'rich', 'pandas'})}"


def test_the_package_root_only_reexports():
    tree = ast.parse(MODULES["cnncost"].read_text(encoding="utf-8"))
    for node in tree.body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        all_names = isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == [
            "__all__"
        ]
        assert docstring or all_names or isinstance(node, (ast.Import, ast.ImportFrom)), (
            f"cnncost/__init__.py line {node.lineno} defines something: {ast.unparse(node)[:60]}"
        )
