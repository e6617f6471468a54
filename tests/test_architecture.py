"""The shape of the code, checked: no import cycle between modules, and the apps' dependencies
pointing one way (docs/architecture.md, "Layers").

Imports are read from the source with ast, those inside functions included: a cycle hidden in a
function-level import is still a cycle, only deferred to run time.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "config",
    "shop",
    "portal",
    "returns",
    "refunds",
    "notifications",
    "api",
    "insights",
    "ops",
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imported(node: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The project's modules an import statement loads (`from a import b` loads a.b when b is a
    module, else a)."""
    names: set[str] = set()
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = {node.module}
        names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name in modules}


def _runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:`, which only the type checker imports."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges: set[str] = set()
        for node in _runtime_nodes(tree):
            edges |= _imported(node, modules)
        # A package's own submodules load after it: importing one from __init__ is no cycle.
        graph[name] = {edge for edge in edges if edge != name}
    return graph


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    """The modules on Tarjan's stack down to `root`: one strongly connected component."""
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return component


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = _pop_component(stack, on_stack, node)
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _without_own_package(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Python imports a module's packages before the module itself: a submodule naming its own
    package (`from returns.services import _common` inside returns/services/) adds no edge."""
    return {
        name: {edge for edge in edges if not name.startswith(edge + ".")}
        for name, edges in graph.items()
    }


def test_no_import_cycle_between_modules():
    # given the project's modules and what each one imports
    graph = _without_own_package(import_graph())

    # then no module reaches itself again
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# What each app may import. Surfaces (config, portal) sit on top; notifications knows no return.
ALLOWED = {
    "shop": {"shop"},
    "notifications": {"notifications", "shop"},
    "returns": {"returns", "refunds", "notifications", "shop"},
    "refunds": {"refunds", "returns", "shop"},
    # The portal queues the account emails (notifications.accounts).
    "portal": {"portal", "returns", "refunds", "notifications", "shop"},
    # The REST API: a surface over the same services, policy and selectors.
    "api": {"api", "returns", "refunds", "shop"},
    # Exports, reports and the analytics page: reads over returns, their money and the shop.
    "insights": {"insights", "returns", "refunds", "shop"},
    # Operations (health, metrics) read every app's rows; no app imports it.
    "ops": {"ops", "returns", "refunds", "notifications", "shop"},
    "config": set(PACKAGES),
}


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_apps_import_only_what_their_layer_allows(app):
    graph = import_graph()

    wrong = sorted(
        f"{name} imports {edge}"
        for name, edges in graph.items()
        if name.split(".")[0] == app
        for edge in edges
        if edge.split(".")[0] not in ALLOWED[app]
    )

    assert wrong == []
