"""The package's layout: imports run one way and never in a circle, modules stay readable."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gancourse"

# Lower layers never import higher ones (data -> models -> losses/train -> metrics/editing/style
# -> widgets -> zoo recipes -> exercise checks and tools). Same-layer imports are allowed; the
# cycle test below keeps them one way too.
LAYERS = {
    "runtime": 0,
    "data": 1,
    "models": 2,
    "losses": 3,
    "checkpoint": 3,
    "train": 4,
    "metrics": 5,
    "plot": 5,
    "editing": 6,
    "style": 6,
    "forensics": 6,
    "cost": 6,
    "widgets": 7,
    "zoo": 8,
    "checks": 9,
    "exercises": 9,
    "lab": 9,
}
LONG_MODULES = {"gancourse/data/faces.py"}  # the face renderer: one drawing routine per part
MAX_LINES = 450


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for p in (root / "gancourse").rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every gancourse module ``name`` imports, at any depth (function-level imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in known else module
                for a in node.names
            ]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] == "gancourse" and t in known)
    found.discard(name)
    return found


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    mods = modules(root)
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A list of modules that import each other in a circle, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_import_graph_is_acyclic():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_imports_run_one_way_through_the_layers():
    wrong = []
    for module, targets in graph().items():
        mine = _layer(module)
        for target in targets:
            theirs = _layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(sorted(wrong))


def test_every_top_level_name_has_a_layer():
    names = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    names.discard("__init__")
    assert names <= set(LAYERS), f"place these in LAYERS: {sorted(names - set(LAYERS))}"
    assert len(names) <= 17, f"{len(names)} top-level names: {sorted(names)}"


def test_no_module_is_too_long_to_read():
    long = [
        f"{p.relative_to(ROOT)}: {len(p.read_text().splitlines())} lines"
        for p in PACKAGE.rglob("*.py")
        if str(p.relative_to(ROOT)) not in LONG_MODULES
        and len(p.read_text().splitlines()) > MAX_LINES
    ]
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_every_module_names_the_lesson_it_belongs_to():
    """Each module's docstring says which lesson derives or uses it ("lesson 04", "lessons 08")."""
    missing = []
    for path in PACKAGE.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if path.parent.name == "checks" or path.name == "__main__.py":
            continue
        if "lesson" not in doc.lower() and "python -m gancourse" not in doc:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"no lesson named in the docstring of: {missing}"


def test_the_cycle_detector_finds_a_planted_cycle(tmp_path):
    package = tmp_path / "gancourse"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from gancourse import b\n")  # inside a function
    (package / "b.py").write_text("from .a import f\n")  # relative
    edges = graph(tmp_path)
    assert edges["gancourse.a"] == {"gancourse.b"} and edges["gancourse.b"] == {"gancourse.a"}
    assert find_cycle(edges) == ["gancourse.a", "gancourse.b", "gancourse.a"]
    (package / "b.py").write_text("import math\n")
    assert find_cycle(graph(tmp_path)) is None
