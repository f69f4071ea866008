"""No import cycles within the rooms app: every import of a rooms module by another, at top level
or inside a function (a deferred import is still a cycle), counts. Tasks import services, never
the reverse."""

import ast
from pathlib import Path

ROOMS = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOMS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in ROOMS.rglob("*.py")
        if "tests" not in path.relative_to(ROOMS).parts and "migrations" not in path.relative_to(ROOMS).parts
    }


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The rooms modules ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            # "from rooms.services import presence_sweep" imports the package, not a module.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_cycles() -> list[list[str]]:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_the_detector_sees_deferred_imports():
    graph = _imports("rooms.tasks", ROOMS / "tasks.py", _modules())
    assert "rooms.services" in graph  # imported inside the task functions


def test_no_import_cycles_within_rooms():
    assert import_cycles() == []
