"""The project's import graph: no circles, and no arrow running from a lower layer up.

Every ``.py`` file under golden/, hls_out/, netsim/ and tb/ is parsed with ``ast`` (nothing is
imported), and every import of a project module becomes an arrow, whether it sits at the top
of the file, inside a function or under ``if TYPE_CHECKING:`` (an import deferred to break a
circle at import time is still a circle in the design). The layers, bottom to top:

    golden  <-  hls_out  <-  netsim  <-  tb

A module may import from its own layer or from any layer below it, never from one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ("golden", "hls_out", "netsim", "tb")  # bottom to top
RANK = {name: i for i, name in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    """Every project module (dotted name -> file), packages under their own name."""
    found = {}
    for top in LAYERS:
        for path in sorted((REPO / top).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an imported dotted name lands in (a package's name for a name the
    package defines), or None for a third-party or standard-library name."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported project module, line) for every import in the file, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target is not None:
                    found.append((target, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: len(base) - (node.level - 1)]
                base = ".".join(base)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                # `from pkg import sub` imports the submodule pkg.sub when there is one.
                target = _resolve(f"{source}.{alias.name}") or _resolve(source)
                if target is not None:
                    found.append((target, node.lineno))
    return found


def _graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: first line importing it}; self-imports left out."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in MODULES.items():
        arrows = graph.setdefault(module, {})
        for target, line in _imports(module, path):
            if target != module:
                arrows.setdefault(target, line)
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one
    concrete circle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        # iterative, so a deep graph cannot hit the recursion limit
        work = [(node, iter(sorted(graph.get(node, ()))))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[current] = min(low[current], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, set(component)) for component in components]


def _circle(graph: dict[str, dict[str, int]], component: set[str]) -> list[str]:
    """A shortest circle through the component's first module, staying inside it."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child not in component:
                    continue
                if child == start:
                    return paths[node] + [start]
                if child not in paths:
                    paths[child] = paths[node] + [child]
                    following.append(child)
        frontier = following
    return sorted(component)  # unreachable for a real component


def _describe(circle: list[str]) -> str:
    steps = []
    for a, b in zip(circle, circle[1:]):
        steps.append(f"{a} -> {b} ({MODULES[a].relative_to(REPO)}:{GRAPH[a][b]})")
    return "\n    ".join(steps)


def test_the_graph_is_read():
    # the walk found the layers and the imports it is meant to check
    assert {"golden.network", "hls_out.kernel", "netsim.planner", "tb.jobs.runner"} <= set(MODULES)
    assert "golden.errors" in GRAPH["netsim.config"]  # a function-local import counts
    assert "golden.network" in GRAPH["golden.networks"]  # so does a package's own __init__


def test_no_import_circles():
    circles = _cycles(GRAPH)
    assert not circles, "import circles:\n  " + "\n  ".join(_describe(c) for c in circles)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_upward_imports(layer):
    upward = [
        f"{module} -> {target} ({MODULES[module].relative_to(REPO)}:{line})"
        for module, arrows in sorted(GRAPH.items())
        if module.split(".")[0] == layer
        for target, line in sorted(arrows.items())
        if RANK[target.split(".")[0]] > RANK[layer]
    ]
    assert not upward, f"{layer} imports from a higher layer:\n  " + "\n  ".join(upward)


def test_cycle_finder_reports_a_circle():
    # the checker itself: a planted circle is found and named in order
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_tb_bus_imports_only_tb_bus():
    # tb/bus runs inside the simulator and knows no DUT: what a kernel's internals are called
    # reaches it as handles from tb/benches/kernel_probe.py, never by an import
    outside = [
        f"{module} -> {target} ({MODULES[module].relative_to(REPO)}:{line})"
        for module, arrows in sorted(GRAPH.items())
        if module == "tb.bus" or module.startswith("tb.bus.")
        for target, line in sorted(arrows.items())
        if not (target == "tb.bus" or target.startswith("tb.bus."))
    ]
    assert "tb.bus.watchdog" in GRAPH and "tb.bus.axi_checker_base" in GRAPH["tb.bus.watchdog"]
    assert not outside, "tb.bus imports from outside tb/bus:\n  " + "\n  ".join(outside)
