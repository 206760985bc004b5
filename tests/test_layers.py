"""The house's layers, from every import in wirelens/ (module level and inside functions,
not those for type checking only), read with ``ast``:

    cli -> app -> demos -> capture, render -> overview -> explain

A module imports its own package and the layers below it, never one above; capture and
render, side by side, do not import each other. No two modules import each other, even
through others (an import cycle), and an import inside a function says in its comment what
it saves at start-up (README: How the code is laid out)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wirelens"
# Each part of the package and the layer it is in: lower numbers import higher ones only.
LAYERS = {"cli": 0, "app": 1, "demos": 2, "capture": 3, "render": 3, "overview": 4,
          "explain": 5}
# Only what ``explain`` and ``overview`` need; everything above may use the rest.
TOP = "wirelens"
# An import inside a function must say what importing it at the top would cost each run
# ("... 120 ms ...", measured with python -X importtime) or why it must wait.
MEASURED = re.compile(r"\d+(\.\d+)? ms|imports? (it|them|these) (on purpose|here on purpose)")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def part(module: str) -> str:
    """``wirelens.app.live.job`` -> ``app``; the package itself -> ``wirelens``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else TOP


def _typing_only(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for branch in node.body for n in ast.walk(branch)}
    return skip


def _resolve(importer: str, path: Path, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            pieces = importer.split(".")
            keep = len(pieces) - node.level + (1 if path.name == "__init__.py" else 0)
            base = ".".join([*pieces[:keep], *([base] if base else [])])
        targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    found = []
    for target in targets:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != importer and target != TOP:
            found.append(target)
    return found


def _runs(tree: ast.AST, lines: list[str]) -> dict[int, str]:
    """Each import statement -> the text of its run of imports with the comment above it.

    One comment may speak for several imports that follow each other."""
    said: dict[int, str] = {}
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            previous_end = getattr(node, "lineno", 0)  # not above the def, if, with ...
            run: list[ast.stmt] = []
            for stmt in [*block, None]:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    run.append(stmt)
                    continue
                if run:
                    start = max(previous_end, run[0].lineno - 3)
                    text = " ".join(lines[start : run[-1].end_lineno or run[-1].lineno])
                    said.update({id(i): text for i in run})
                    previous_end = run[-1].end_lineno or run[-1].lineno
                    run = []
                if stmt is not None:
                    previous_end = stmt.end_lineno or stmt.lineno
    return said


def imports() -> list[tuple[str, str, int, bool, str]]:
    """(importer, imported module of wirelens, line, inside a function, the import's comment)."""
    out = []
    for name, path in MODULES.items():
        source = path.read_text("utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, str(path))
        skip = _typing_only(tree)
        said = _runs(tree, lines)
        inner: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner |= {id(n) for n in ast.walk(node) if n is not node}
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            around = said.get(id(node), "")
            for target in dict.fromkeys(_resolve(name, path, node)):
                out.append((name, target, node.lineno, id(node) in inner, around))
            if id(node) in inner and not _resolve(name, path, node):
                out.append((name, "", node.lineno, True, around))
    return out


IMPORTS = imports()


def test_every_part_has_a_layer() -> None:
    parts = {part(m) for m in MODULES} - {TOP}
    assert parts <= set(LAYERS), f"give these parts a layer: {parts - set(LAYERS)}"


def test_nothing_imports_upward_or_sideways() -> None:
    wrong = []
    for importer, target, line, _, _ in IMPORTS:
        if not target:
            continue
        here, there = part(importer), part(target)
        if here == there or here == TOP:
            continue
        if there == TOP or LAYERS[there] <= LAYERS[here]:
            wrong.append(f"{MODULES[importer].relative_to(PACKAGE.parent)}:{line} "
                         f"{here} imports {there} ({target})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for importer, target, *_ in IMPORTS:
        if target:
            graph[importer].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert cycles() == []


def test_a_cycle_is_found() -> None:
    """The cycle finder itself, on a made-up graph (a -> b -> c -> a, d alone)."""
    global IMPORTS
    kept = IMPORTS
    try:
        IMPORTS = [("wirelens.a", "wirelens.b", 1, False, ""),
                   ("wirelens.b", "wirelens.c", 1, False, ""),
                   ("wirelens.c", "wirelens.a", 1, False, "")]
        MODULES.update({m: PACKAGE for m in ("wirelens.a", "wirelens.b", "wirelens.c")})
        assert cycles() == [["wirelens.a", "wirelens.b", "wirelens.c"]]
    finally:
        IMPORTS = kept
        for m in ("wirelens.a", "wirelens.b", "wirelens.c"):
            MODULES.pop(m)


def test_imports_inside_functions_say_what_they_save() -> None:
    unsaid = sorted({f"{MODULES[importer].relative_to(PACKAGE.parent)}:{line}"
                     for importer, _, line, inner, comment in IMPORTS
                     if inner and not MEASURED.search(comment)})
    assert not unsaid, ("imports inside functions without the start-up time they save in "
                        "their comment:\n" + "\n".join(unsaid))


def test_explain_is_pure() -> None:
    """explain/ (and the overview engine) import no scapy, do no I/O of their own."""
    banned = re.compile(r"^\s*(import|from)\s+(scapy|socket|subprocess)\b", re.M)
    for name, path in MODULES.items():
        if part(name) in ("explain", "overview"):
            assert not banned.search(path.read_text("utf-8")), path


# Modules with no logic of their own to test (constants, records, re-exports), and why.
NO_LOGIC = {
    "explain/layers/decoded.py": "two exception classes and a frozen record",
    "explain/wirenumbers.py": "constants and lookup tables, read by every header reader",
}


def test_tests_mirror_the_package() -> None:
    """Each module with logic has its own test module at the same place under tests/."""
    tests = PACKAGE.parent / "tests"
    missing = []
    for path in MODULES.values():
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py" or str(relative) in NO_LOGIC:
            continue
        if not (tests / relative.parent / f"test_{path.name}").is_file():
            missing.append(str(relative))
    assert not missing, "modules without tests/<same place>/test_<module>.py:\n" + \
        "\n".join(sorted(missing))
